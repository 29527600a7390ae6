package remediate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

const defaultRoute = "0.0.0.0/0"

// createRoutes adds a default route to the NAT gateway in each route table
// that has none. A default route that exists is never replaced, wherever
// it leads. A NAT gateway this run created or found is routed to only once
// it is available.
func (r *run) createRoutes(ctx context.Context, c plan.Change) (Outcome, error) {
	nat, ok := r.nats[c.NATGatewayID]
	switch {
	case !ok && placeholder(c.NATGatewayID):
		return Outcome{Status: report.ChangeSkipped, Detail: fmt.Sprintf("NAT gateway %s was not created by an earlier change", c.NATGatewayID)}, nil
	case !ok:
		nat = c.NATGatewayID
	case r.natStates[nat] != types.NatGatewayStateAvailable:
		err := fmt.Errorf("NAT gateway %s is %s, not available", nat, natStateName(r.natStates[nat]))
		return Outcome{Status: report.ChangeFailed, ResourceID: strings.Join(c.RouteTableIDs, ","),
			Detail: fmt.Sprintf("%v: a retry adds the route once it is", err)}, err
	}
	tables, err := r.describeRouteTables(ctx, c.RouteTableIDs)
	if err != nil {
		return Outcome{}, fmt.Errorf("describe route tables %s: %w", strings.Join(c.RouteTableIDs, ", "), err)
	}
	var created, unchanged, skipped, failed []string
	var errs []error
	for _, id := range c.RouteTableIDs {
		i := slices.IndexFunc(tables, func(t types.RouteTable) bool { return aws.ToString(t.RouteTableId) == id })
		if i < 0 {
			failed = append(failed, fmt.Sprintf("route table %s not found", id))
			errs = append(errs, fmt.Errorf("route table %s not found", id))
			continue
		}
		if route, ok := defaultRouteOf(tables[i]); ok {
			target := routeTarget(route)
			switch {
			case target == nat && route.State != types.RouteStateBlackhole:
				unchanged = append(unchanged, fmt.Sprintf("%s already routes %s to %s", id, defaultRoute, target))
			case target == nat:
				skipped = append(skipped, fmt.Sprintf("%s routes %s to %s, a blackhole; vpcmedic never replaces routes", id, defaultRoute, target))
			default:
				skipped = append(skipped, fmt.Sprintf("%s already routes %s to %s; vpcmedic never replaces routes", id, defaultRoute, target))
			}
			continue
		}
		_, err := r.EC2.CreateRoute(ctx, &ec2.CreateRouteInput{
			RouteTableId: aws.String(id), DestinationCidrBlock: aws.String(defaultRoute), NatGatewayId: aws.String(nat)})
		switch {
		case alreadyDone(err):
			unchanged = append(unchanged, fmt.Sprintf("%s already has a %s route", id, defaultRoute))
		case err != nil:
			failed = append(failed, fmt.Sprintf("route in %s: %v", id, err))
			errs = append(errs, fmt.Errorf("create route in %s: %w", id, err))
		default:
			created = append(created, fmt.Sprintf("route %s to %s added to %s (routes cannot be tagged)", defaultRoute, nat, id))
		}
	}
	o := Outcome{Detail: strings.Join(slices.Concat(created, unchanged, skipped, failed), "; "), ResourceID: strings.Join(c.RouteTableIDs, ",")}
	switch {
	case len(failed) > 0:
		o.Status = report.ChangeFailed
	case len(skipped) > 0:
		o.Status = report.ChangeSkipped
	case len(created) > 0:
		o.Status = report.ChangeCreated
	default:
		o.Status = report.ChangeUnchanged
	}
	return o, errors.Join(errs...)
}

func defaultRouteOf(t types.RouteTable) (types.Route, bool) {
	for _, route := range t.Routes {
		if aws.ToString(route.DestinationCidrBlock) == defaultRoute {
			return route, true
		}
	}
	return types.Route{}, false
}

// routeTarget names what a route leads to.
func routeTarget(route types.Route) string {
	for _, id := range []*string{route.NatGatewayId, route.GatewayId, route.TransitGatewayId, route.NetworkInterfaceId,
		route.VpcPeeringConnectionId, route.InstanceId, route.EgressOnlyInternetGatewayId, route.LocalGatewayId,
		route.CarrierGatewayId, route.CoreNetworkArn} {
		if aws.ToString(id) != "" {
			return aws.ToString(id)
		}
	}
	return "an unknown target"
}

func (r *run) describeRouteTables(ctx context.Context, ids []string) ([]types.RouteTable, error) {
	var out []types.RouteTable
	p := ec2.NewDescribeRouteTablesPaginator(r.EC2, &ec2.DescribeRouteTablesInput{RouteTableIds: ids})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, page.RouteTables...)
	}
	return out, nil
}

// enableAttribute turns a VPC DNS attribute on unless it already is.
func (r *run) enableAttribute(ctx context.Context, c plan.Change) (Outcome, error) {
	attr := types.VpcAttributeNameEnableDnsSupport
	if c.Attribute == "enableDnsHostnames" {
		attr = types.VpcAttributeNameEnableDnsHostnames
	}
	out, err := r.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(c.VPCID), Attribute: attr})
	if err != nil {
		return Outcome{}, fmt.Errorf("describe %s of %s: %w", c.Attribute, c.VPCID, err)
	}
	value := out.EnableDnsSupport
	if attr == types.VpcAttributeNameEnableDnsHostnames {
		value = out.EnableDnsHostnames
	}
	if value != nil && aws.ToBool(value.Value) {
		return Outcome{Status: report.ChangeUnchanged, Detail: fmt.Sprintf("%s of %s is already on", c.Attribute, c.VPCID), ResourceID: c.VPCID}, nil
	}
	in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(c.VPCID)}
	on := &types.AttributeBooleanValue{Value: aws.Bool(true)}
	if attr == types.VpcAttributeNameEnableDnsHostnames {
		in.EnableDnsHostnames = on
	} else {
		in.EnableDnsSupport = on
	}
	if _, err := r.EC2.ModifyVpcAttribute(ctx, in); err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: report.ChangeCreated, Detail: fmt.Sprintf("turned on %s of %s (an attribute: nothing to tag)", c.Attribute, c.VPCID), ResourceID: c.VPCID}, nil
}
