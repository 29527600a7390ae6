package plan

import "slices"

// iamActions are the IAM actions each kind of change needs: the call that
// makes it, the read that observes first, and the tagging that comes with a
// creation. The template grants them only in remediate mode.
var iamActions = map[string][]string{
	CreateSecurityGroup:     {"ec2:DescribeSecurityGroups", "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:DescribeSecurityGroupRules", "ec2:AuthorizeSecurityGroupIngress"},
	CreateInterfaceEndpoint: {"ec2:DescribeVpcEndpoints", "ec2:CreateVpcEndpoint", "ec2:CreateTags", "route53:AssociateVPCWithHostedZone"},
	CreateGatewayEndpoint:   {"ec2:DescribeVpcEndpoints", "ec2:CreateVpcEndpoint", "ec2:CreateTags"},
	AddEndpointSubnets:      {"ec2:DescribeVpcEndpoints", "ec2:ModifyVpcEndpoint"},
	EnableEndpointDNS:       {"ec2:DescribeVpcEndpoints", "ec2:ModifyVpcEndpoint", "route53:AssociateVPCWithHostedZone"},
	AuthorizeIngress:        {"ec2:DescribeSecurityGroupRules", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags"},
	AuthorizeEgress:         {"ec2:DescribeSecurityGroupRules", "ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags"},
	CreateRoute:             {"ec2:DescribeRouteTables", "ec2:CreateRoute"},
	EnableVPCAttribute:      {"ec2:DescribeVpcAttribute", "ec2:ModifyVpcAttribute"},
	AllocateAddress:         {"ec2:DescribeAddresses", "ec2:AllocateAddress", "ec2:CreateTags"},
	CreateNATGateway:        {"ec2:DescribeNatGateways", "ec2:CreateNatGateway", "ec2:CreateTags"},
}

// IAMActions returns the IAM actions a change needs, sorted.
func (c Change) IAMActions() []string {
	return slices.Sorted(slices.Values(iamActions[c.Action]))
}
