package topology

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// VPCsOf returns the VPCs an EC2 change touches, from the VPC the event
// names or by looking its resources up (one filtered call per kind of
// resource). complete is false when some resource could not be found any
// more (a disassociated route table, an endpoint already gone): the caller
// must then assume any VPC may be affected.
func (r *Reader) VPCsOf(ctx context.Context, t trail.Trigger) (vpcs []string, complete bool, err error) {
	found := map[string]bool{}
	if t.VPCID != "" {
		found[t.VPCID] = true
	}
	complete = true
	for _, lookup := range lookups {
		ids := t.IDs(lookup.kind)
		if len(ids) == 0 || (lookup.skipWhenVPCKnown && t.VPCID != "") {
			continue
		}
		got, err := lookup.describe(ctx, r.EC2, ids)
		if err != nil {
			return nil, false, fmt.Errorf("find the VPC of %s %v: %w", lookup.kind, ids, err)
		}
		if len(got) == 0 && lookup.required {
			complete = false
		}
		for _, v := range got {
			found[v] = true
		}
	}
	for v := range found {
		vpcs = append(vpcs, v)
	}
	slices.Sort(vpcs)
	return vpcs, complete, nil
}

type lookup struct {
	kind string
	// required: when none of the resources is found, the VPC is unknown.
	required         bool
	skipWhenVPCKnown bool
	describe         func(context.Context, EC2, []string) ([]string, error)
}

func filter(name string, values []string) []types.Filter {
	return []types.Filter{{Name: aws.String(name), Values: values}}
}

var lookups = []lookup{
	{kind: trail.KindRouteTable, required: true, describe: func(ctx context.Context, c EC2, ids []string) ([]string, error) {
		return routeTableVPCs(ctx, c, filter("route-table-id", ids))
	}},
	{kind: trail.KindRouteTableAssoc, required: true, describe: func(ctx context.Context, c EC2, ids []string) ([]string, error) {
		return routeTableVPCs(ctx, c, filter("association.route-table-association-id", ids))
	}},
	{kind: trail.KindSubnet, describe: func(ctx context.Context, c EC2, ids []string) ([]string, error) {
		p := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{Filters: filter("subnet-id", ids)})
		return pagedVPCs(ctx, p, func(o *ec2.DescribeSubnetsOutput) []string {
			return vpcIDsOf(o.Subnets, func(s types.Subnet) *string { return s.VpcId })
		})
	}},
	{kind: trail.KindNATGateway, required: true, describe: func(ctx context.Context, c EC2, ids []string) ([]string, error) {
		p := ec2.NewDescribeNatGatewaysPaginator(c, &ec2.DescribeNatGatewaysInput{Filter: filter("nat-gateway-id", ids)})
		return pagedVPCs(ctx, p, func(o *ec2.DescribeNatGatewaysOutput) []string {
			return vpcIDsOf(o.NatGateways, func(n types.NatGateway) *string { return n.VpcId })
		})
	}},
	{kind: trail.KindVPCEndpoint, required: true, skipWhenVPCKnown: true, describe: func(ctx context.Context, c EC2, ids []string) ([]string, error) {
		p := ec2.NewDescribeVpcEndpointsPaginator(c, &ec2.DescribeVpcEndpointsInput{Filters: filter("vpc-endpoint-id", ids)})
		return pagedVPCs(ctx, p, func(o *ec2.DescribeVpcEndpointsOutput) []string {
			return vpcIDsOf(o.VpcEndpoints, func(e types.VpcEndpoint) *string { return e.VpcId })
		})
	}},
	{kind: trail.KindSecurityGroup, required: true, describe: func(ctx context.Context, c EC2, ids []string) ([]string, error) {
		p := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{Filters: filter("group-id", ids)})
		return pagedVPCs(ctx, p, func(o *ec2.DescribeSecurityGroupsOutput) []string {
			return vpcIDsOf(o.SecurityGroups, func(g types.SecurityGroup) *string { return g.VpcId })
		})
	}},
	{kind: trail.KindSecurityGroupName, required: true, describe: defaultVPCGroupVPCs},
	{kind: trail.KindNetworkACL, required: true, describe: func(ctx context.Context, c EC2, ids []string) ([]string, error) {
		return networkACLVPCs(ctx, c, filter("network-acl-id", ids))
	}},
	{kind: trail.KindNetworkACLAssoc, describe: func(ctx context.Context, c EC2, ids []string) ([]string, error) {
		return networkACLVPCs(ctx, c, filter("association.association-id", ids))
	}},
	{kind: trail.KindInternetGateway, skipWhenVPCKnown: true, describe: func(ctx context.Context, c EC2, ids []string) ([]string, error) {
		// A deleted gateway was detached first (its own event): nothing to
		// find then, and nothing more to check.
		p := ec2.NewDescribeInternetGatewaysPaginator(c, &ec2.DescribeInternetGatewaysInput{Filters: filter("internet-gateway-id", ids)})
		return pagedVPCs(ctx, p, func(o *ec2.DescribeInternetGatewaysOutput) []string {
			var out []string
			for _, g := range o.InternetGateways {
				out = append(out, vpcIDsOf(g.Attachments, func(a types.InternetGatewayAttachment) *string { return a.VpcId })...)
			}
			return out
		})
	}},
}

// pager is what the SDK's EC2 paginators have in common.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*ec2.Options)) (O, error)
}

// pagedVPCs reads every page of a Describe call and collects the VPC IDs of
// what each page holds.
func pagedVPCs[O any](ctx context.Context, p pager[O], vpcs func(O) []string) ([]string, error) {
	var out []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, vpcs(page)...)
	}
	return out, nil
}

// vpcIDsOf lists the VPC ID of each item.
func vpcIDsOf[T any](items []T, vpc func(T) *string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, aws.ToString(vpc(it)))
	}
	return out
}

func routeTableVPCs(ctx context.Context, c EC2, filters []types.Filter) ([]string, error) {
	p := ec2.NewDescribeRouteTablesPaginator(c, &ec2.DescribeRouteTablesInput{Filters: filters})
	return pagedVPCs(ctx, p, func(o *ec2.DescribeRouteTablesOutput) []string {
		return vpcIDsOf(o.RouteTables, func(t types.RouteTable) *string { return t.VpcId })
	})
}

func networkACLVPCs(ctx context.Context, c EC2, filters []types.Filter) ([]string, error) {
	p := ec2.NewDescribeNetworkAclsPaginator(c, &ec2.DescribeNetworkAclsInput{Filters: filters})
	return pagedVPCs(ctx, p, func(o *ec2.DescribeNetworkAclsOutput) []string {
		return vpcIDsOf(o.NetworkAcls, func(a types.NetworkAcl) *string { return a.VpcId })
	})
}

// defaultVPCGroupVPCs returns the VPC of security groups named by name: EC2
// takes a group name in place of its ID only for the default VPC, so the
// groups are looked up there. A group no longer found leaves the VPC
// unknown.
func defaultVPCGroupVPCs(ctx context.Context, c EC2, names []string) ([]string, error) {
	vpcs := ec2.NewDescribeVpcsPaginator(c, &ec2.DescribeVpcsInput{Filters: filter("is-default", []string{"true"})})
	defaults, err := pagedVPCs(ctx, vpcs, func(o *ec2.DescribeVpcsOutput) []string {
		return vpcIDsOf(o.Vpcs, func(v types.Vpc) *string { return v.VpcId })
	})
	if err != nil || len(defaults) == 0 {
		return nil, err
	}
	groups := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{
		Filters: append(filter("group-name", names), filter("vpc-id", defaults)...),
	})
	return pagedVPCs(ctx, groups, func(o *ec2.DescribeSecurityGroupsOutput) []string {
		return vpcIDsOf(o.SecurityGroups, func(g types.SecurityGroup) *string { return g.VpcId })
	})
}
