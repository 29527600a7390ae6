package remediate

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// TagPurpose says what a security group vpcmedic created is for; the
// group of its interface endpoints is found by it on a retry.
const TagPurpose = "vpcmedic:purpose"

// PurposeInterfaceEndpoints tags the group of the interface endpoints
// vpcmedic creates, one per VPC.
const PurposeInterfaceEndpoints = "interface-endpoints"

// createSecurityGroup finds or creates the group of the interface endpoints
// vpcmedic creates in the VPC, then admits TCP 443 from each of the VPC's
// blocks the group does not admit yet. CreateSecurityGroup takes no client
// token: the tag (and the group name, unique in a VPC) make a retry find the
// group made before.
func (r *run) createSecurityGroup(ctx context.Context, c plan.Change) (Outcome, error) {
	id, found, err := r.endpointGroup(ctx, c.VPCID)
	if err != nil {
		return Outcome{}, err
	}
	status, detail := report.ChangeUnchanged, fmt.Sprintf("security group %s already exists", id)
	if !found {
		if id, err = r.newEndpointGroup(ctx, c); err != nil {
			return Outcome{}, err
		}
		status, detail = report.ChangeCreated, fmt.Sprintf("security group %s created", id)
	}
	r.mapGroup(c.GroupID, id)
	added, err := r.admitCIDRs(ctx, c, id)
	if err != nil {
		return Outcome{ResourceID: id, Detail: detail + fmt.Sprintf("; could not admit TCP %d from %s: %v", c.Port, strings.Join(c.CIDRs, ", "), err)}, err
	}
	if len(added) > 0 {
		status = report.ChangeCreated
		detail += fmt.Sprintf("; TCP %d admitted from %s", c.Port, strings.Join(added, ", "))
	} else {
		detail += fmt.Sprintf("; TCP %d already admitted from %s", c.Port, strings.Join(c.CIDRs, ", "))
	}
	return Outcome{Status: status, Detail: detail, ResourceID: id}, nil
}

// endpointGroup returns the vpcmedic group of interface endpoints in vpc,
// if there is one.
func (r *run) endpointGroup(ctx context.Context, vpc string) (string, bool, error) {
	out, err := r.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}},
		{Name: aws.String("tag:" + TagManaged), Values: []string{"true"}},
		{Name: aws.String("tag:" + TagPurpose), Values: []string{PurposeInterfaceEndpoints}},
	}})
	if err != nil {
		return "", false, fmt.Errorf("describe security groups of %s: %w", vpc, err)
	}
	for _, g := range out.SecurityGroups {
		if id := aws.ToString(g.GroupId); id != "" {
			return id, true, nil
		}
	}
	return "", false, nil
}

func (r *run) newEndpointGroup(ctx context.Context, c plan.Change) (string, error) {
	tags := append(r.tags(c), types.Tag{Key: aws.String(TagPurpose), Value: aws.String(PurposeInterfaceEndpoints)})
	out, err := r.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		VpcId:             aws.String(c.VPCID),
		GroupName:         aws.String(plan.EndpointGroupName),
		Description:       aws.String("vpcmedic: TCP 443 from the VPC to the interface endpoints it created"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: tags}},
	})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "InvalidGroup.Duplicate" {
		return "", fmt.Errorf("%w: VPC %s already has a security group named %s that vpcmedic did not tag", ErrRefused, c.VPCID, plan.EndpointGroupName)
	}
	if err != nil {
		return "", err
	}
	if aws.ToString(out.GroupId) == "" {
		return "", errors.New("create security group answered no group ID")
	}
	return aws.ToString(out.GroupId), nil
}

// admitCIDRs adds the ingress rules of c the group lacks and returns the
// blocks it added.
func (r *run) admitCIDRs(ctx context.Context, c plan.Change, group string) ([]string, error) {
	rules, err := r.describeRules(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("describe rules of %s: %w", group, err)
	}
	var missing []types.IpRange
	var added []string
	for _, cidr := range c.CIDRs {
		if slices.ContainsFunc(rules, func(rule types.SecurityGroupRule) bool {
			return !aws.ToBool(rule.IsEgress) && aws.ToString(rule.CidrIpv4) == cidr && coversPort(rule, c.Port)
		}) {
			continue
		}
		missing = append(missing, types.IpRange{CidrIp: aws.String(cidr), Description: aws.String(ruleDescription(c))})
		added = append(added, cidr)
	}
	if len(missing) == 0 {
		return nil, nil
	}
	_, err = r.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(group),
		IpPermissions: []types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(int32(c.Port)), ToPort: aws.Int32(int32(c.Port)), IpRanges: missing,
		}},
		TagSpecifications: r.tagSpec(types.ResourceTypeSecurityGroupRule, c),
	})
	if alreadyDone(err) {
		return nil, nil
	}
	return added, err
}

// coversPort reports a TCP (or all-traffic) rule whose range holds port.
func coversPort(rule types.SecurityGroupRule, port int) bool {
	switch aws.ToString(rule.IpProtocol) {
	case "-1":
		return true
	case "tcp", "6":
		return aws.ToInt32(rule.FromPort) <= int32(port) && int32(port) <= aws.ToInt32(rule.ToPort)
	}
	return false
}

// validateGroup refuses a group change that would admit more than VPC
// blocks can be: a VPC's IPv4 block is /16 to /28, so nothing wider, and
// never the world.
func validateGroup(c plan.Change) error {
	if c.VPCID == "" || c.GroupID == "" || c.Port < 1 || c.Port > 65535 || len(c.CIDRs) == 0 {
		return fmt.Errorf("%w: the change names no VPC, group, port or CIDR block", ErrRefused)
	}
	for _, cidr := range c.CIDRs {
		if p, err := netip.ParsePrefix(cidr); err != nil || !p.Addr().Is4() || p.Bits() < 16 {
			return fmt.Errorf("%w: ingress is only opened from a VPC's IPv4 blocks (/16 to /28), not from %q", ErrRefused, cidr)
		}
	}
	return nil
}

func (r *run) mapGroup(planned, real string) {
	if r.groups == nil {
		r.groups = map[string]string{}
	}
	r.groups[planned] = real
}

// group maps a planned group ID to the real one; false when it names a
// group this run did not create or find.
func (r *run) group(id string) (string, bool) {
	if real, ok := r.groups[id]; ok {
		return real, true
	}
	return id, !placeholder(id)
}
