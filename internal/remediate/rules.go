package remediate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// authorize adds a TCP rule between two security groups unless a rule of
// the group already allows the traffic.
func (r *run) authorize(ctx context.Context, c plan.Change) (Outcome, error) {
	egress := c.Action == plan.AuthorizeEgress
	for _, id := range []*string{&c.GroupID, &c.PeerGroupID} {
		real, ok := r.group(*id)
		if !ok {
			return Outcome{Status: report.ChangeSkipped, Detail: fmt.Sprintf("security group %s was not created by an earlier change", *id)}, nil
		}
		*id = real
	}
	rules, err := r.describeRules(ctx, c.GroupID)
	if err != nil {
		return Outcome{}, fmt.Errorf("describe rules of %s: %w", c.GroupID, err)
	}
	for _, rule := range rules {
		if aws.ToBool(rule.IsEgress) == egress && covers(rule, c.Port, c.PeerGroupID, egress) {
			id := aws.ToString(rule.SecurityGroupRuleId)
			return Outcome{Status: report.ChangeUnchanged, Detail: "already allowed by " + id, ResourceID: id}, nil
		}
	}
	perm := types.IpPermission{
		IpProtocol: aws.String("tcp"),
		FromPort:   aws.Int32(int32(c.Port)),
		ToPort:     aws.Int32(int32(c.Port)),
		UserIdGroupPairs: []types.UserIdGroupPair{{
			GroupId:     aws.String(c.PeerGroupID),
			Description: aws.String(ruleDescription(c)),
		}},
	}
	id, err := r.addRule(ctx, c, perm)
	if alreadyDone(err) {
		return Outcome{Status: report.ChangeUnchanged, Detail: "already allowed: the rule exists"}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	name := "rule"
	if id != "" {
		name += " " + id
	}
	return Outcome{Status: report.ChangeCreated, Detail: fmt.Sprintf("%s created: %s", name, describe(c, "")), ResourceID: id}, nil
}

// addRule authorises one permission, tagged at creation, and returns the
// ID of the rule made.
func (r *run) addRule(ctx context.Context, c plan.Change, perm types.IpPermission) (string, error) {
	tags := r.tagSpec(types.ResourceTypeSecurityGroupRule, c)
	var created []types.SecurityGroupRule
	if c.Action == plan.AuthorizeEgress {
		out, err := r.EC2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{
			GroupId: aws.String(c.GroupID), IpPermissions: []types.IpPermission{perm}, TagSpecifications: tags})
		if err != nil {
			return "", err
		}
		created = out.SecurityGroupRules
	} else {
		out, err := r.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(c.GroupID), IpPermissions: []types.IpPermission{perm}, TagSpecifications: tags})
		if err != nil {
			return "", err
		}
		created = out.SecurityGroupRules
	}
	if len(created) == 0 {
		return "", nil
	}
	return aws.ToString(created[0].SecurityGroupRuleId), nil
}

// covers reports a rule that lets TCP port through to or from peer: one
// referencing peer, or for egress one open to 0.0.0.0/0 (which covers every
// IPv4 destination, the peer included).
func covers(rule types.SecurityGroupRule, port int, peer string, egress bool) bool {
	switch strings.ToLower(aws.ToString(rule.IpProtocol)) {
	case "-1", "all":
	case "tcp", "6":
		from, to := aws.ToInt32(rule.FromPort), aws.ToInt32(rule.ToPort)
		if !(from == -1 && to == -1) && (int32(port) < from || int32(port) > to) {
			return false
		}
	default:
		return false
	}
	if rule.ReferencedGroupInfo != nil && aws.ToString(rule.ReferencedGroupInfo.GroupId) == peer {
		return true
	}
	return egress && aws.ToString(rule.CidrIpv4) == "0.0.0.0/0"
}

func ruleDescription(c plan.Change) string {
	d := "vpcmedic"
	if len(c.CheckIDs) > 0 {
		d += " " + c.CheckIDs[0]
	}
	if c.Service != "" {
		d += " for " + c.Service
	}
	return d
}

func (r *run) describeRules(ctx context.Context, group string) ([]types.SecurityGroupRule, error) {
	var out []types.SecurityGroupRule
	p := ec2.NewDescribeSecurityGroupRulesPaginator(r.EC2, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{group}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, page.SecurityGroupRules...)
	}
	return out, nil
}
