package remediate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// fake is an EC2 whose operations are function fields. newFake fills them
// with a small account that starts empty and where every mutation succeeds;
// tests replace the fields they care about.
type fake struct {
	describeVpcEndpoints       func(*ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error)
	describeSecurityGroupRules func(*ec2.DescribeSecurityGroupRulesInput) (*ec2.DescribeSecurityGroupRulesOutput, error)
	describeRouteTables        func(*ec2.DescribeRouteTablesInput) (*ec2.DescribeRouteTablesOutput, error)
	describeVpcAttribute       func(*ec2.DescribeVpcAttributeInput) (*ec2.DescribeVpcAttributeOutput, error)
	createVpcEndpoint          func(*ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error)
	modifyVpcEndpoint          func(*ec2.ModifyVpcEndpointInput) (*ec2.ModifyVpcEndpointOutput, error)
	authorizeIngress           func(*ec2.AuthorizeSecurityGroupIngressInput) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	authorizeEgress            func(*ec2.AuthorizeSecurityGroupEgressInput) (*ec2.AuthorizeSecurityGroupEgressOutput, error)
	createRoute                func(*ec2.CreateRouteInput) (*ec2.CreateRouteOutput, error)
	modifyVpcAttribute         func(*ec2.ModifyVpcAttributeInput) (*ec2.ModifyVpcAttributeOutput, error)
	describeAddresses          func(*ec2.DescribeAddressesInput) (*ec2.DescribeAddressesOutput, error)
	allocateAddress            func(*ec2.AllocateAddressInput) (*ec2.AllocateAddressOutput, error)
	describeNatGateways        func(*ec2.DescribeNatGatewaysInput) (*ec2.DescribeNatGatewaysOutput, error)
	createNatGateway           func(*ec2.CreateNatGatewayInput) (*ec2.CreateNatGatewayOutput, error)
	describeSecurityGroups     func(*ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error)
	createSecurityGroup        func(*ec2.CreateSecurityGroupInput) (*ec2.CreateSecurityGroupOutput, error)

	// calls names every operation called, in order.
	calls []string
	// endpoints, addresses and nats are the default account's endpoints,
	// Elastic IPs and NAT gateways. New NAT gateways start in natState
	// (available when empty).
	endpoints []types.VpcEndpoint
	addresses []types.Address
	nats      []types.NatGateway
	natState  types.NatGatewayState
}

var _ EC2 = (*fake)(nil)

func newFake() *fake {
	f := &fake{}
	f.describeVpcEndpoints = func(in *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
		var out []types.VpcEndpoint
		for _, e := range f.endpoints {
			if len(in.VpcEndpointIds) > 0 && !slices.Contains(in.VpcEndpointIds, aws.ToString(e.VpcEndpointId)) {
				continue
			}
			if !matches(in.Filters, "vpc-id", aws.ToString(e.VpcId)) || !matches(in.Filters, "service-name", aws.ToString(e.ServiceName)) {
				continue
			}
			out = append(out, e)
		}
		return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: out}, nil
	}
	f.createVpcEndpoint = func(in *ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error) {
		e := types.VpcEndpoint{
			VpcEndpointId: aws.String(fmt.Sprintf("vpce-%04d", len(f.endpoints)+1)), VpcId: in.VpcId, ServiceName: in.ServiceName,
			VpcEndpointType: in.VpcEndpointType, State: types.StateAvailable, SubnetIds: in.SubnetIds, PrivateDnsEnabled: in.PrivateDnsEnabled,
		}
		f.endpoints = append(f.endpoints, e)
		return &ec2.CreateVpcEndpointOutput{VpcEndpoint: &e}, nil
	}
	f.modifyVpcEndpoint = func(*ec2.ModifyVpcEndpointInput) (*ec2.ModifyVpcEndpointOutput, error) {
		return &ec2.ModifyVpcEndpointOutput{Return: aws.Bool(true)}, nil
	}
	f.describeSecurityGroupRules = func(*ec2.DescribeSecurityGroupRulesInput) (*ec2.DescribeSecurityGroupRulesOutput, error) {
		return &ec2.DescribeSecurityGroupRulesOutput{}, nil
	}
	f.authorizeIngress = func(*ec2.AuthorizeSecurityGroupIngressInput) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
		return &ec2.AuthorizeSecurityGroupIngressOutput{SecurityGroupRules: []types.SecurityGroupRule{{SecurityGroupRuleId: aws.String("sgr-in")}}}, nil
	}
	f.authorizeEgress = func(*ec2.AuthorizeSecurityGroupEgressInput) (*ec2.AuthorizeSecurityGroupEgressOutput, error) {
		return &ec2.AuthorizeSecurityGroupEgressOutput{SecurityGroupRules: []types.SecurityGroupRule{{SecurityGroupRuleId: aws.String("sgr-out")}}}, nil
	}
	f.describeRouteTables = func(in *ec2.DescribeRouteTablesInput) (*ec2.DescribeRouteTablesOutput, error) {
		var out []types.RouteTable
		for _, id := range in.RouteTableIds {
			out = append(out, types.RouteTable{RouteTableId: aws.String(id)})
		}
		return &ec2.DescribeRouteTablesOutput{RouteTables: out}, nil
	}
	f.createRoute = func(*ec2.CreateRouteInput) (*ec2.CreateRouteOutput, error) {
		return &ec2.CreateRouteOutput{Return: aws.Bool(true)}, nil
	}
	f.describeVpcAttribute = func(in *ec2.DescribeVpcAttributeInput) (*ec2.DescribeVpcAttributeOutput, error) {
		off := &types.AttributeBooleanValue{Value: aws.Bool(false)}
		return &ec2.DescribeVpcAttributeOutput{VpcId: in.VpcId, EnableDnsSupport: off, EnableDnsHostnames: off}, nil
	}
	f.modifyVpcAttribute = func(*ec2.ModifyVpcAttributeInput) (*ec2.ModifyVpcAttributeOutput, error) {
		return &ec2.ModifyVpcAttributeOutput{}, nil
	}
	f.describeAddresses = func(in *ec2.DescribeAddressesInput) (*ec2.DescribeAddressesOutput, error) {
		var out []types.Address
		for _, a := range f.addresses {
			tags := map[string]string{}
			for _, tag := range a.Tags {
				tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			if matches(in.Filters, "tag:"+TagManaged, tags[TagManaged]) {
				out = append(out, a)
			}
		}
		return &ec2.DescribeAddressesOutput{Addresses: out}, nil
	}
	f.allocateAddress = func(in *ec2.AllocateAddressInput) (*ec2.AllocateAddressOutput, error) {
		id := fmt.Sprintf("eipalloc-%04d", len(f.addresses)+1)
		var tags []types.Tag
		for _, spec := range in.TagSpecifications {
			tags = append(tags, spec.Tags...)
		}
		f.addresses = append(f.addresses, types.Address{AllocationId: aws.String(id), PublicIp: aws.String("198.51.100.1"), Domain: types.DomainTypeVpc, Tags: tags})
		return &ec2.AllocateAddressOutput{AllocationId: aws.String(id), PublicIp: aws.String("198.51.100.1")}, nil
	}
	f.describeNatGateways = func(in *ec2.DescribeNatGatewaysInput) (*ec2.DescribeNatGatewaysOutput, error) {
		var out []types.NatGateway
		for _, n := range f.nats {
			if len(in.NatGatewayIds) > 0 && !slices.Contains(in.NatGatewayIds, aws.ToString(n.NatGatewayId)) {
				continue
			}
			if matches(in.Filter, "subnet-id", aws.ToString(n.SubnetId)) {
				out = append(out, n)
			}
		}
		return &ec2.DescribeNatGatewaysOutput{NatGateways: out}, nil
	}
	f.createNatGateway = func(in *ec2.CreateNatGatewayInput) (*ec2.CreateNatGatewayOutput, error) {
		state := f.natState
		if state == "" {
			state = types.NatGatewayStateAvailable
		}
		n := types.NatGateway{NatGatewayId: aws.String(fmt.Sprintf("nat-%04d", len(f.nats)+1)), SubnetId: in.SubnetId, State: state, ConnectivityType: in.ConnectivityType,
			NatGatewayAddresses: []types.NatGatewayAddress{{AllocationId: in.AllocationId}}}
		f.nats = append(f.nats, n)
		for i, a := range f.addresses {
			if aws.ToString(a.AllocationId) == aws.ToString(in.AllocationId) {
				f.addresses[i].AssociationId = aws.String("eipassoc-" + aws.ToString(n.NatGatewayId))
			}
		}
		return &ec2.CreateNatGatewayOutput{NatGateway: &n}, nil
	}
	return f
}

func matches(filters []types.Filter, name, value string) bool {
	for _, f := range filters {
		if aws.ToString(f.Name) == name && !slices.Contains(f.Values, value) {
			return false
		}
	}
	return true
}

// mutations are the calls that change something.
func (f *fake) mutations() []string {
	var out []string
	for _, c := range f.calls {
		if !strings.HasPrefix(c, "Describe") {
			out = append(out, c)
		}
	}
	return out
}

func (f *fake) DescribeVpcEndpoints(_ context.Context, in *ec2.DescribeVpcEndpointsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	f.calls = append(f.calls, "DescribeVpcEndpoints")
	return f.describeVpcEndpoints(in)
}

func (f *fake) DescribeSecurityGroupRules(_ context.Context, in *ec2.DescribeSecurityGroupRulesInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error) {
	f.calls = append(f.calls, "DescribeSecurityGroupRules")
	return f.describeSecurityGroupRules(in)
}

func (f *fake) DescribeRouteTables(_ context.Context, in *ec2.DescribeRouteTablesInput, _ ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	f.calls = append(f.calls, "DescribeRouteTables")
	return f.describeRouteTables(in)
}

func (f *fake) DescribeVpcAttribute(_ context.Context, in *ec2.DescribeVpcAttributeInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error) {
	f.calls = append(f.calls, "DescribeVpcAttribute")
	return f.describeVpcAttribute(in)
}

func (f *fake) CreateVpcEndpoint(_ context.Context, in *ec2.CreateVpcEndpointInput, _ ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error) {
	f.calls = append(f.calls, "CreateVpcEndpoint")
	return f.createVpcEndpoint(in)
}

func (f *fake) ModifyVpcEndpoint(_ context.Context, in *ec2.ModifyVpcEndpointInput, _ ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error) {
	f.calls = append(f.calls, "ModifyVpcEndpoint")
	return f.modifyVpcEndpoint(in)
}

func (f *fake) AuthorizeSecurityGroupIngress(_ context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, _ ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
	f.calls = append(f.calls, "AuthorizeSecurityGroupIngress")
	return f.authorizeIngress(in)
}

func (f *fake) AuthorizeSecurityGroupEgress(_ context.Context, in *ec2.AuthorizeSecurityGroupEgressInput, _ ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupEgressOutput, error) {
	f.calls = append(f.calls, "AuthorizeSecurityGroupEgress")
	return f.authorizeEgress(in)
}

func (f *fake) CreateRoute(_ context.Context, in *ec2.CreateRouteInput, _ ...func(*ec2.Options)) (*ec2.CreateRouteOutput, error) {
	f.calls = append(f.calls, "CreateRoute")
	return f.createRoute(in)
}

func (f *fake) ModifyVpcAttribute(_ context.Context, in *ec2.ModifyVpcAttributeInput, _ ...func(*ec2.Options)) (*ec2.ModifyVpcAttributeOutput, error) {
	f.calls = append(f.calls, "ModifyVpcAttribute")
	return f.modifyVpcAttribute(in)
}

// clock is a fake time that only sleeping moves.
type clock struct {
	t      time.Time
	sleeps []time.Duration
}

func (c *clock) now() time.Time { return c.t }

func (c *clock) sleep(_ context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

// applier returns an Applier on f whose sleeps are recorded on a fake clock.
func applier(f *fake) (*Applier, *clock) {
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	return &Applier{EC2: f, Sleep: c.sleep, now: c.now}, c
}

func (f *fake) DescribeAddresses(_ context.Context, in *ec2.DescribeAddressesInput, _ ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error) {
	f.calls = append(f.calls, "DescribeAddresses")
	return f.describeAddresses(in)
}

func (f *fake) AllocateAddress(_ context.Context, in *ec2.AllocateAddressInput, _ ...func(*ec2.Options)) (*ec2.AllocateAddressOutput, error) {
	f.calls = append(f.calls, "AllocateAddress")
	return f.allocateAddress(in)
}

func (f *fake) DescribeNatGateways(_ context.Context, in *ec2.DescribeNatGatewaysInput, _ ...func(*ec2.Options)) (*ec2.DescribeNatGatewaysOutput, error) {
	f.calls = append(f.calls, "DescribeNatGateways")
	return f.describeNatGateways(in)
}

func (f *fake) CreateNatGateway(_ context.Context, in *ec2.CreateNatGatewayInput, _ ...func(*ec2.Options)) (*ec2.CreateNatGatewayOutput, error) {
	f.calls = append(f.calls, "CreateNatGateway")
	return f.createNatGateway(in)
}

func (f *fake) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	f.calls = append(f.calls, "DescribeSecurityGroups")
	if f.describeSecurityGroups == nil {
		return &ec2.DescribeSecurityGroupsOutput{}, nil
	}
	return f.describeSecurityGroups(in)
}

func (f *fake) CreateSecurityGroup(_ context.Context, in *ec2.CreateSecurityGroupInput, _ ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error) {
	f.calls = append(f.calls, "CreateSecurityGroup")
	if f.createSecurityGroup == nil {
		return &ec2.CreateSecurityGroupOutput{GroupId: aws.String("sg-new")}, nil
	}
	return f.createSecurityGroup(in)
}
