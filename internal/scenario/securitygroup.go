package scenario

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// SG is a security group. Its rules are added with the chainable methods;
// all of them are TCP on a single port.
type SG struct {
	s    *Scenario
	ID   string
	Name string
}

// SecurityGroup creates a security group named name. Like every new security
// group it has no ingress rule and AWS's default egress rule (all traffic to
// 0.0.0.0/0); RevokeAllEgress removes that one.
func (v *VPC) SecurityGroup(name string) *SG {
	g := &SG{s: v.s, Name: name}
	v.s.do("create security group "+name, func(ctx context.Context) error {
		out, err := v.s.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName:         aws.String(name),
			Description:       aws.String(name + " security group"),
			VpcId:             aws.String(v.ID),
			TagSpecifications: v.s.tagSpec(ec2types.ResourceTypeSecurityGroup, name),
		})
		if err != nil {
			return err
		}
		g.ID = aws.ToString(out.GroupId)
		return nil
	})
	return g
}

// sgIDs returns the IDs of the groups, skipping nil ones.
func sgIDs(groups ...*SG) []string {
	var ids []string
	for _, g := range groups {
		if g != nil {
			ids = append(ids, g.ID)
		}
	}
	return ids
}

// Tag adds a tag to the security group.
func (g *SG) Tag(key, value string) *SG {
	g.s.TagEC2(g.ID, key, value)
	return g
}

// Ingress allows TCP port from members of the group from.
func (g *SG) Ingress(port int32, from *SG) *SG {
	return g.authorize(false, port, tcpFromGroup(port, from.ID), "from "+from.Name)
}

// IngressSelf allows TCP port from members of the group itself.
func (g *SG) IngressSelf(port int32) *SG {
	return g.authorize(false, port, tcpFromGroup(port, g.ID), "from itself")
}

// IngressCIDR allows TCP port from cidr.
func (g *SG) IngressCIDR(port int32, cidr string) *SG {
	return g.authorize(false, port, tcpFromCIDR(port, cidr), "from "+cidr)
}

// EgressTCP allows TCP port to cidr.
func (g *SG) EgressTCP(port int32, cidr string) *SG {
	return g.authorize(true, port, tcpFromCIDR(port, cidr), "to "+cidr)
}

// EgressTo allows TCP port to members of the group to.
func (g *SG) EgressTo(port int32, to *SG) *SG {
	return g.authorize(true, port, tcpFromGroup(port, to.ID), "to "+to.Name)
}

// EgressSelf allows TCP port to members of the group itself.
func (g *SG) EgressSelf(port int32) *SG {
	return g.authorize(true, port, tcpFromGroup(port, g.ID), "to itself")
}

// RevokeAllEgress removes the default allow-all egress rule.
func (g *SG) RevokeAllEgress() *SG {
	g.s.do("revoke default egress of security group "+g.Name, func(ctx context.Context) error {
		_, err := g.s.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
			GroupId: aws.String(g.ID),
			IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("-1"),
				IpRanges:   []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
			}},
		})
		return err
	})
	return g
}

func (g *SG) authorize(egress bool, port int32, perm ec2types.IpPermission, peer string) *SG {
	direction := "ingress"
	if egress {
		direction = "egress"
	}
	g.s.do(fmt.Sprintf("allow %s tcp %d %s in security group %s", direction, port, peer, g.Name), func(ctx context.Context) error {
		var err error
		if egress {
			_, err = g.s.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{
				GroupId: aws.String(g.ID), IpPermissions: []ec2types.IpPermission{perm},
			})
		} else {
			_, err = g.s.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
				GroupId: aws.String(g.ID), IpPermissions: []ec2types.IpPermission{perm},
			})
		}
		return err
	})
	return g
}

func tcpFromGroup(port int32, groupID string) ec2types.IpPermission {
	return ec2types.IpPermission{
		IpProtocol:       aws.String("tcp"),
		FromPort:         aws.Int32(port),
		ToPort:           aws.Int32(port),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(groupID)}},
	}
}

func tcpFromCIDR(port int32, cidr string) ec2types.IpPermission {
	return ec2types.IpPermission{
		IpProtocol: aws.String("tcp"),
		FromPort:   aws.Int32(port),
		ToPort:     aws.Int32(port),
		IpRanges:   []ec2types.IpRange{{CidrIp: aws.String(cidr)}},
	}
}
