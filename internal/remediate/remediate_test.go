package remediate

import (
	"context"
	"encoding/hex"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

const event = "11111111-2222-3333-4444-555555555555"

func interfaceEndpoint(service, placeholder string) plan.Change {
	return plan.Change{Action: plan.CreateInterfaceEndpoint, Target: "vpc-1", Service: service, CheckIDs: []string{"VM102"},
		VPCID: "vpc-1", ServiceName: "com.amazonaws.us-east-1." + service, SubnetIDs: []string{"subnet-a", "subnet-b"},
		GroupIDs: []string{"sg-msk"}, PrivateDNS: true, EndpointID: placeholder}
}

func gatewayEndpoint(service, placeholder string) plan.Change {
	return plan.Change{Action: plan.CreateGatewayEndpoint, Target: "vpc-1", Service: service, CheckIDs: []string{"VM102"},
		VPCID: "vpc-1", ServiceName: "com.amazonaws.us-east-1." + service, RouteTableIDs: []string{"rtb-a"}, EndpointID: placeholder}
}

func addSubnets(endpointID string, subnets ...string) plan.Change {
	return plan.Change{Action: plan.AddEndpointSubnets, Target: endpointID, EndpointID: endpointID, SubnetIDs: subnets, CheckIDs: []string{"VM103"}}
}

func enableDNS(endpointID string) plan.Change {
	return plan.Change{Action: plan.EnableEndpointDNS, Target: endpointID, EndpointID: endpointID, PrivateDNS: true, CheckIDs: []string{"VM102"}}
}

func ingress(group, peer string, port int) plan.Change {
	return plan.Change{Action: plan.AuthorizeIngress, Target: group, GroupID: group, PeerGroupID: peer, Port: port, Service: "sts", CheckIDs: []string{"VM102"}}
}

func egress(group, peer string, port int) plan.Change {
	return plan.Change{Action: plan.AuthorizeEgress, Target: group, GroupID: group, PeerGroupID: peer, Port: port, Service: "sts", CheckIDs: []string{"VM102"}}
}

func route(table, nat string) plan.Change {
	return plan.Change{Action: plan.CreateRoute, Target: table, RouteTableIDs: []string{table}, NATGatewayID: nat, CheckIDs: []string{"VM102"}}
}

func attribute(name string) plan.Change {
	return plan.Change{Action: plan.EnableVPCAttribute, Target: "vpc-1", VPCID: "vpc-1", Attribute: name, CheckIDs: []string{"VM101"}}
}

// everyAction is a plan with one change of each action.
func everyAction() []plan.Change {
	return []plan.Change{
		attribute("enableDnsHostnames"),
		interfaceEndpoint("sts", "vpce-planned1"),
		gatewayEndpoint("s3", "vpce-planned2"),
		addSubnets("vpce-existing", "subnet-c"),
		enableDNS("vpce-existing"),
		ingress("sg-msk", "sg-msk", 443),
		egress("sg-msk", "sg-msk", 443),
		route("rtb-a", "nat-a"),
	}
}

func apiError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code}
}

func statuses(outcomes []Outcome) []string {
	var out []string
	for _, o := range outcomes {
		out = append(out, o.Status)
	}
	return out
}

func TestClientTokenIsSentAndStable(t *testing.T) {
	tokenOf := func(t *testing.T, eventID string, c plan.Change) string {
		t.Helper()
		f := newFake()
		var sent *string
		create := f.createVpcEndpoint
		f.createVpcEndpoint = func(in *ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error) {
			sent = in.ClientToken
			return create(in)
		}
		a, _ := applier(f)
		if _, err := a.Apply(context.Background(), Request{EventID: eventID}, []plan.Change{c}); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(f.calls, "CreateVpcEndpoint") {
			t.Fatalf("calls %v: no CreateVpcEndpoint", f.calls)
		}
		return aws.ToString(sent)
	}
	first := tokenOf(t, event, interfaceEndpoint("sts", "vpce-planned1"))
	if len(first) == 0 || len(first) > 64 {
		t.Fatalf("token %q: want 1 to 64 characters", first)
	}
	if _, err := hex.DecodeString(first); err != nil {
		t.Errorf("token %q is not hexadecimal", first)
	}
	if again := tokenOf(t, event, interfaceEndpoint("sts", "vpce-planned7")); again != first {
		t.Errorf("same event and change: token %q, then %q", first, again)
	}
	for name, other := range map[string]string{
		"another event":   tokenOf(t, "another-event", interfaceEndpoint("sts", "vpce-planned1")),
		"another service": tokenOf(t, event, interfaceEndpoint("lambda", "vpce-planned1")),
		"another action":  tokenOf(t, event, gatewayEndpoint("sts", "vpce-planned1")),
	} {
		if other == first {
			t.Errorf("%s: same token %q", name, other)
		}
	}
	if none := tokenOf(t, "", interfaceEndpoint("sts", "vpce-planned1")); none != "" {
		t.Errorf("no event ID: token %q, want none (a token must not outlive its event)", none)
	}
}

func TestAlreadyExistsErrorsAreUnchanged(t *testing.T) {
	tests := []struct {
		name   string
		change plan.Change
		code   string
		fail   func(f *fake, err error)
	}{
		{"ingress rule added meanwhile", ingress("sg-ep", "sg-msk", 443), "InvalidPermission.Duplicate", func(f *fake, err error) {
			f.authorizeIngress = func(*ec2.AuthorizeSecurityGroupIngressInput) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
				return nil, err
			}
		}},
		{"egress rule added meanwhile", egress("sg-msk", "sg-ep", 443), "InvalidPermission.Duplicate", func(f *fake, err error) {
			f.authorizeEgress = func(*ec2.AuthorizeSecurityGroupEgressInput) (*ec2.AuthorizeSecurityGroupEgressOutput, error) {
				return nil, err
			}
		}},
		{"route added meanwhile", route("rtb-a", "nat-a"), "RouteAlreadyExists", func(f *fake, err error) {
			f.createRoute = func(*ec2.CreateRouteInput) (*ec2.CreateRouteOutput, error) { return nil, err }
		}},
		{"endpoint already in the subnet's zone", addSubnets("vpce-existing", "subnet-c"), "DuplicateSubnetsInSameZone", func(f *fake, err error) {
			f.modifyVpcEndpoint = func(*ec2.ModifyVpcEndpointInput) (*ec2.ModifyVpcEndpointOutput, error) { return nil, err }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.endpoints = []types.VpcEndpoint{{VpcEndpointId: aws.String("vpce-existing"), VpcId: aws.String("vpc-1"), State: types.StateAvailable, VpcEndpointType: types.VpcEndpointTypeInterface}}
			tt.fail(f, apiError(tt.code))
			a, _ := applier(f)
			outcomes, err := a.Apply(context.Background(), Request{EventID: event}, []plan.Change{tt.change})
			if err != nil {
				t.Fatalf("error %v, want none", err)
			}
			if len(f.mutations()) != 1 {
				t.Errorf("mutations %v, want the one that answered %s", f.mutations(), tt.code)
			}
			if outcomes[0].Status != report.ChangeUnchanged {
				t.Errorf("status %q (%s), want unchanged", outcomes[0].Status, outcomes[0].Detail)
			}
		})
	}

	t.Run("other errors fail", func(t *testing.T) {
		f := newFake()
		f.authorizeIngress = func(*ec2.AuthorizeSecurityGroupIngressInput) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
			return nil, apiError("InvalidGroup.NotFound")
		}
		a, _ := applier(f)
		outcomes, err := a.Apply(context.Background(), Request{}, []plan.Change{ingress("sg-gone", "sg-msk", 443)})
		if err == nil || outcomes[0].Status != report.ChangeFailed {
			t.Errorf("status %q, error %v: want failed with an error", outcomes[0].Status, err)
		}
	})
}

func TestObserveFirst(t *testing.T) {
	liveSTS := types.VpcEndpoint{VpcEndpointId: aws.String("vpce-sts"), VpcId: aws.String("vpc-1"), ServiceName: aws.String("com.amazonaws.us-east-1.sts"),
		VpcEndpointType: types.VpcEndpointTypeInterface, State: types.StateAvailable, PrivateDnsEnabled: aws.Bool(true), SubnetIds: []string{"subnet-a", "subnet-b"}}
	rules := func(f *fake, rules ...types.SecurityGroupRule) {
		f.describeSecurityGroupRules = func(in *ec2.DescribeSecurityGroupRulesInput) (*ec2.DescribeSecurityGroupRulesOutput, error) {
			if !matches(in.Filters, "group-id", "sg-msk") {
				return &ec2.DescribeSecurityGroupRulesOutput{}, nil
			}
			return &ec2.DescribeSecurityGroupRulesOutput{SecurityGroupRules: rules}, nil
		}
	}
	defaultRouteTo := func(f *fake, target types.Route) {
		target.DestinationCidrBlock = aws.String("0.0.0.0/0")
		f.describeRouteTables = func(*ec2.DescribeRouteTablesInput) (*ec2.DescribeRouteTablesOutput, error) {
			return &ec2.DescribeRouteTablesOutput{RouteTables: []types.RouteTable{{RouteTableId: aws.String("rtb-a"), Routes: []types.Route{target}}}}, nil
		}
	}
	tests := []struct {
		name     string
		setup    func(f *fake)
		change   plan.Change
		status   string
		resource string
		detail   string
		mutated  bool
	}{{
		name:   "a live endpoint for the service exists",
		setup:  func(f *fake) { f.endpoints = []types.VpcEndpoint{liveSTS} },
		change: interfaceEndpoint("sts", "vpce-planned1"), status: report.ChangeUnchanged, resource: "vpce-sts", detail: "already exists",
	}, {
		name: "the endpoint for the service is deleted",
		setup: func(f *fake) {
			deleted := liveSTS
			deleted.State = types.StateDeleted
			f.endpoints = []types.VpcEndpoint{deleted}
		},
		change: interfaceEndpoint("sts", "vpce-planned1"), status: report.ChangeCreated, resource: "vpce-0002", detail: "created", mutated: true,
	}, {
		name: "the endpoint for the service is of the other type",
		setup: func(f *fake) {
			other := liveSTS
			other.ServiceName = aws.String("com.amazonaws.us-east-1.s3")
			f.endpoints = []types.VpcEndpoint{other}
		},
		change: gatewayEndpoint("s3", "vpce-planned1"), status: report.ChangeCreated, resource: "vpce-0002", mutated: true,
	}, {
		name:   "the endpoint has the subnets",
		setup:  func(f *fake) { f.endpoints = []types.VpcEndpoint{liveSTS} },
		change: addSubnets("vpce-sts", "subnet-b"), status: report.ChangeUnchanged, resource: "vpce-sts",
	}, {
		name:   "the endpoint lacks a subnet",
		setup:  func(f *fake) { f.endpoints = []types.VpcEndpoint{liveSTS} },
		change: addSubnets("vpce-sts", "subnet-b", "subnet-c"), status: report.ChangeCreated, resource: "vpce-sts", detail: "added subnets subnet-c ", mutated: true,
	}, {
		name:   "the endpoint's private DNS is on",
		setup:  func(f *fake) { f.endpoints = []types.VpcEndpoint{liveSTS} },
		change: enableDNS("vpce-sts"), status: report.ChangeUnchanged, resource: "vpce-sts",
	}, {
		name:   "the endpoint to modify was deleted",
		setup:  func(f *fake) { f.endpoints = nil },
		change: enableDNS("vpce-sts"), status: report.ChangeSkipped, detail: "no longer exists",
	}, {
		name: "a rule referencing the peer covers the port",
		setup: func(f *fake) {
			rules(f, types.SecurityGroupRule{SecurityGroupRuleId: aws.String("sgr-range"), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(400), ToPort: aws.Int32(500),
				ReferencedGroupInfo: &types.ReferencedSecurityGroup{GroupId: aws.String("sg-msk")}})
		},
		change: ingress("sg-msk", "sg-msk", 443), status: report.ChangeUnchanged, resource: "sgr-range", detail: "already allowed by sgr-range",
	}, {
		name: "the peer's rule is for other ports",
		setup: func(f *fake) {
			rules(f, types.SecurityGroupRule{SecurityGroupRuleId: aws.String("sgr-kafka"), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(9098), ToPort: aws.Int32(9098),
				ReferencedGroupInfo: &types.ReferencedSecurityGroup{GroupId: aws.String("sg-msk")}})
		},
		change: ingress("sg-msk", "sg-msk", 443), status: report.ChangeCreated, resource: "sgr-in", mutated: true,
	}, {
		name: "an egress rule is not an ingress rule",
		setup: func(f *fake) {
			rules(f, types.SecurityGroupRule{SecurityGroupRuleId: aws.String("sgr-e"), IsEgress: aws.Bool(true), IpProtocol: aws.String("-1"),
				ReferencedGroupInfo: &types.ReferencedSecurityGroup{GroupId: aws.String("sg-msk")}})
		},
		change: ingress("sg-msk", "sg-msk", 443), status: report.ChangeCreated, resource: "sgr-in", mutated: true,
	}, {
		name: "ingress open to 0.0.0.0/0 does not count as from the peer group",
		setup: func(f *fake) {
			rules(f, types.SecurityGroupRule{SecurityGroupRuleId: aws.String("sgr-world"), IpProtocol: aws.String("-1"), CidrIpv4: aws.String("0.0.0.0/0")})
		},
		change: ingress("sg-msk", "sg-msk", 443), status: report.ChangeCreated, resource: "sgr-in", mutated: true,
	}, {
		name: "the default egress to 0.0.0.0/0 covers the peer",
		setup: func(f *fake) {
			rules(f, types.SecurityGroupRule{SecurityGroupRuleId: aws.String("sgr-default"), IsEgress: aws.Bool(true), IpProtocol: aws.String("-1"),
				FromPort: aws.Int32(-1), ToPort: aws.Int32(-1), CidrIpv4: aws.String("0.0.0.0/0")})
		},
		change: egress("sg-msk", "sg-ep", 443), status: report.ChangeUnchanged, resource: "sgr-default",
	}, {
		name: "a default route to the NAT exists",
		setup: func(f *fake) {
			defaultRouteTo(f, types.Route{NatGatewayId: aws.String("nat-a"), State: types.RouteStateActive})
		},
		change: route("rtb-a", "nat-a"), status: report.ChangeUnchanged, resource: "rtb-a",
	}, {
		name: "the default route leads elsewhere",
		setup: func(f *fake) {
			defaultRouteTo(f, types.Route{GatewayId: aws.String("igw-1"), State: types.RouteStateActive})
		},
		change: route("rtb-a", "nat-a"), status: report.ChangeSkipped, resource: "rtb-a", detail: "already routes 0.0.0.0/0 to igw-1; vpcmedic never replaces routes",
	}, {
		name: "the default route to the NAT is a blackhole",
		setup: func(f *fake) {
			defaultRouteTo(f, types.Route{NatGatewayId: aws.String("nat-a"), State: types.RouteStateBlackhole})
		},
		change: route("rtb-a", "nat-a"), status: report.ChangeSkipped, detail: "blackhole",
	}, {
		name:   "no default route",
		change: route("rtb-a", "nat-a"), status: report.ChangeCreated, resource: "rtb-a", detail: "routes cannot be tagged", mutated: true,
	}, {
		name: "the DNS attribute is on",
		setup: func(f *fake) {
			f.describeVpcAttribute = func(in *ec2.DescribeVpcAttributeInput) (*ec2.DescribeVpcAttributeOutput, error) {
				if in.Attribute != types.VpcAttributeNameEnableDnsHostnames {
					t.Errorf("read attribute %s, want enableDnsHostnames", in.Attribute)
				}
				return &ec2.DescribeVpcAttributeOutput{EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}, nil
			}
		},
		change: attribute("enableDnsHostnames"), status: report.ChangeUnchanged, resource: "vpc-1",
	}, {
		name:   "the DNS attribute is off",
		change: attribute("enableDnsSupport"), status: report.ChangeCreated, resource: "vpc-1", mutated: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.setup != nil {
				tt.setup(f)
			}
			a, _ := applier(f)
			outcomes, err := a.Apply(context.Background(), Request{EventID: event}, []plan.Change{tt.change})
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			o := outcomes[0]
			if o.Status != tt.status || o.ResourceID != tt.resource && tt.resource != "" || !strings.Contains(o.Detail, tt.detail) {
				t.Errorf("outcome %q %q %q, want %q %q containing %q", o.Status, o.ResourceID, o.Detail, tt.status, tt.resource, tt.detail)
			}
			if mutated := len(f.mutations()) > 0; mutated != tt.mutated {
				t.Errorf("mutations %v, want some: %v", f.mutations(), tt.mutated)
			}
		})
	}
}

func TestEndpointMutationsAreSpaced(t *testing.T) {
	f := newFake()
	f.endpoints = []types.VpcEndpoint{{VpcEndpointId: aws.String("vpce-old"), VpcId: aws.String("vpc-1"), State: types.StateAvailable, VpcEndpointType: types.VpcEndpointTypeInterface}}
	a, c := applier(f)
	a.EndpointSpacing = 3 * time.Second
	// Reading the rules takes 2s: the next endpoint call then waits 1s only.
	f.describeSecurityGroupRules = func(*ec2.DescribeSecurityGroupRulesInput) (*ec2.DescribeSecurityGroupRulesOutput, error) {
		c.t = c.t.Add(2 * time.Second)
		return &ec2.DescribeSecurityGroupRulesOutput{}, nil
	}
	var callTimes []time.Time
	create := f.createVpcEndpoint
	f.createVpcEndpoint = func(in *ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error) {
		callTimes = append(callTimes, c.t)
		return create(in)
	}
	f.modifyVpcEndpoint = func(*ec2.ModifyVpcEndpointInput) (*ec2.ModifyVpcEndpointOutput, error) {
		callTimes = append(callTimes, c.t)
		return &ec2.ModifyVpcEndpointOutput{}, nil
	}
	changes := []plan.Change{
		interfaceEndpoint("lambda", "vpce-planned1"),
		ingress("sg-msk", "sg-msk", 443),
		interfaceEndpoint("sts", "vpce-planned2"),
		enableDNS("vpce-old"),
	}
	if _, err := a.Apply(context.Background(), Request{EventID: event}, changes); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{time.Second, 3 * time.Second}; !slices.Equal(c.sleeps, want) {
		t.Errorf("sleeps %v, want %v (none before the first endpoint call, none for the rule)", c.sleeps, want)
	}
	if len(callTimes) != 3 {
		t.Fatalf("%d endpoint mutations, want 3", len(callTimes))
	}
	for i := 1; i < len(callTimes); i++ {
		if gap := callTimes[i].Sub(callTimes[i-1]); gap < a.EndpointSpacing {
			t.Errorf("endpoint mutations %d and %d only %s apart", i-1, i, gap)
		}
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name   string
		change plan.Change
		detail string
	}{
		{"ingress without a peer group (from a CIDR)", ingress("sg-msk", "", 443), "never to a CIDR"},
		{"egress without a peer group", egress("sg-msk", "", 443), "never to a CIDR"},
		{"a rule without a port", ingress("sg-msk", "sg-msk", 0), "no valid port"},
		{"an unknown action", plan.Change{Action: "delete-vpc-endpoints", Target: "vpc-1"}, `unknown action "delete-vpc-endpoints"`},
		{"a NAT gateway without AllowNatCreation", natChanges()[1], "only when AllowNatCreation is true"},
		{"an Elastic IP without AllowNatCreation", natChanges()[0], "only when AllowNatCreation is true"},
		{"a route to an internet gateway", plan.Change{Action: plan.CreateRoute, RouteTableIDs: []string{"rtb-a"}, NATGatewayID: "igw-1"}, "existing NAT gateway"},
		{"another VPC attribute", attribute("enableNetworkAddressUsageMetrics"), "only enableDnsSupport and enableDnsHostnames"},
		{"an endpoint group open to the world", endpointGroupChange("0.0.0.0/0"), "only opened from a VPC's IPv4 blocks"},
		{"an endpoint group open wider than a VPC block", endpointGroupChange("10.0.0.0/8"), "only opened from a VPC's IPv4 blocks"},
		{"an endpoint group open to IPv6", endpointGroupChange("::/0"), "only opened from a VPC's IPv4 blocks"},
	}
	for _, tt := range tests {
		for _, dryRun := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				f := newFake()
				a, _ := applier(f)
				outcomes, err := a.Apply(context.Background(), Request{EventID: event, DryRun: dryRun}, []plan.Change{tt.change})
				if !errors.Is(err, ErrRefused) {
					t.Errorf("dry run %v: error %v, want ErrRefused", dryRun, err)
				}
				if o := outcomes[0]; o.Status != report.ChangeFailed || !strings.Contains(o.Detail, tt.detail) {
					t.Errorf("dry run %v: outcome %q %q, want failed saying %q", dryRun, o.Status, o.Detail, tt.detail)
				}
				if len(f.calls) > 0 {
					t.Errorf("dry run %v: calls %v, want none", dryRun, f.calls)
				}
			})
		}
	}
}

func TestDryRunMakesNoCall(t *testing.T) {
	f := newFake()
	a, c := applier(f)
	a.EndpointSpacing, a.WaitAvailable = time.Second, time.Minute
	changes := everyAction()
	outcomes, err := a.Apply(context.Background(), Request{EventID: event, DryRun: true}, changes)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) > 0 || len(c.sleeps) > 0 {
		t.Errorf("calls %v, sleeps %v: want none", f.calls, c.sleeps)
	}
	if len(outcomes) != len(changes) {
		t.Fatalf("%d outcomes for %d changes", len(outcomes), len(changes))
	}
	for i, o := range outcomes {
		if o.Status != report.ChangePlanned || !strings.HasPrefix(o.Detail, "would ") || o.Change.Action != changes[i].Action {
			t.Errorf("outcome %d: %q %q for %s, want planned, \"would …\", for %s", i, o.Status, o.Detail, o.Change.Action, changes[i].Action)
		}
	}
}

func TestPlaceholderEndpointIDs(t *testing.T) {
	t.Run("later changes modify the endpoint created", func(t *testing.T) {
		f := newFake()
		var modified []string
		f.modifyVpcEndpoint = func(in *ec2.ModifyVpcEndpointInput) (*ec2.ModifyVpcEndpointOutput, error) {
			modified = append(modified, aws.ToString(in.VpcEndpointId))
			return &ec2.ModifyVpcEndpointOutput{}, nil
		}
		create := f.createVpcEndpoint
		f.createVpcEndpoint = func(in *ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error) {
			in.PrivateDnsEnabled = aws.Bool(false) // so that the DNS change has work to do
			return create(in)
		}
		a, _ := applier(f)
		outcomes, err := a.Apply(context.Background(), Request{EventID: event},
			[]plan.Change{interfaceEndpoint("sts", "vpce-planned1"), addSubnets("vpce-planned1", "subnet-c"), enableDNS("vpce-planned1")})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"vpce-0001", "vpce-0001"}; !slices.Equal(modified, want) {
			t.Errorf("modified %v, want %v", modified, want)
		}
		for i, o := range outcomes {
			if o.ResourceID != "vpce-0001" || o.Status != report.ChangeCreated {
				t.Errorf("outcome %d: %q %q, want created on vpce-0001", i, o.Status, o.ResourceID)
			}
		}
	})

	t.Run("the endpoint found stands for the placeholder", func(t *testing.T) {
		f := newFake()
		f.endpoints = []types.VpcEndpoint{{VpcEndpointId: aws.String("vpce-found"), VpcId: aws.String("vpc-1"), ServiceName: aws.String("com.amazonaws.us-east-1.sts"),
			VpcEndpointType: types.VpcEndpointTypeInterface, State: types.StateAvailable, SubnetIds: []string{"subnet-a"}}}
		a, _ := applier(f)
		outcomes, err := a.Apply(context.Background(), Request{EventID: event}, []plan.Change{interfaceEndpoint("sts", "vpce-planned1"), addSubnets("vpce-planned1", "subnet-b")})
		if err != nil {
			t.Fatal(err)
		}
		if got := statuses(outcomes); !slices.Equal(got, []string{report.ChangeUnchanged, report.ChangeCreated}) || outcomes[1].ResourceID != "vpce-found" {
			t.Errorf("outcomes %v on %q, want unchanged then created on vpce-found", got, outcomes[1].ResourceID)
		}
	})

	t.Run("no endpoint, no change to it", func(t *testing.T) {
		f := newFake()
		f.createVpcEndpoint = func(*ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error) {
			return nil, apiError("VpcEndpointLimitExceeded")
		}
		a, _ := applier(f)
		outcomes, err := a.Apply(context.Background(), Request{EventID: event}, []plan.Change{interfaceEndpoint("sts", "vpce-planned1"), enableDNS("vpce-planned1")})
		if err == nil {
			t.Error("no error, want one for the failed creation")
		}
		if got := statuses(outcomes); !slices.Equal(got, []string{report.ChangeFailed, report.ChangeSkipped}) {
			t.Errorf("statuses %v, want failed then skipped", got)
		}
		if slices.Contains(f.calls, "ModifyVpcEndpoint") {
			t.Errorf("calls %v: modified an endpoint that does not exist", f.calls)
		}
	})

	t.Run("dry run names the placeholder", func(t *testing.T) {
		a, _ := applier(newFake())
		outcomes, _ := a.Apply(context.Background(), Request{DryRun: true}, []plan.Change{interfaceEndpoint("sts", "vpce-planned1"), enableDNS("vpce-planned1")})
		if !strings.Contains(outcomes[1].Detail, "vpce-planned1") {
			t.Errorf("detail %q does not name the planned endpoint", outcomes[1].Detail)
		}
	})
}

func TestFailureKeepsGoing(t *testing.T) {
	f := newFake()
	broken := errors.New("connection reset")
	f.authorizeIngress = func(*ec2.AuthorizeSecurityGroupIngressInput) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
		return nil, broken
	}
	a, _ := applier(f)
	changes := []plan.Change{interfaceEndpoint("lambda", "vpce-planned1"), ingress("sg-msk", "sg-msk", 443), interfaceEndpoint("sts", "vpce-planned2")}
	outcomes, err := a.Apply(context.Background(), Request{EventID: event}, changes)
	if !errors.Is(err, broken) {
		t.Fatalf("error %v, want one wrapping %v", err, broken)
	}
	if !strings.Contains(err.Error(), "authorize-security-group-ingress sg-msk") || strings.Contains(err.Error(), "create-interface-endpoint") {
		t.Errorf("error %q should name the failed change and only it", err)
	}
	if errors.Is(err, ErrRefused) {
		t.Error("a transient failure reported as a refusal")
	}
	if got, want := statuses(outcomes), []string{report.ChangeCreated, report.ChangeFailed, report.ChangeCreated}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if !strings.Contains(outcomes[1].Detail, "connection reset") {
		t.Errorf("detail %q does not say why", outcomes[1].Detail)
	}
	for i, o := range outcomes {
		if !reflect.DeepEqual(o.Change, changes[i]) {
			t.Errorf("outcome %d is for %v, want %v", i, o.Change.Action, changes[i].Action)
		}
	}
}

func TestTagsAtCreation(t *testing.T) {
	f := newFake()
	var endpointTags, ruleTags []types.TagSpecification
	create := f.createVpcEndpoint
	f.createVpcEndpoint = func(in *ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error) {
		endpointTags = in.TagSpecifications
		return create(in)
	}
	f.authorizeEgress = func(in *ec2.AuthorizeSecurityGroupEgressInput) (*ec2.AuthorizeSecurityGroupEgressOutput, error) {
		ruleTags = in.TagSpecifications
		return &ec2.AuthorizeSecurityGroupEgressOutput{}, nil
	}
	a, _ := applier(f)
	req := Request{EventID: event, Tags: map[string]string{"team": "data", TagManaged: "false"}}
	changes := []plan.Change{gatewayEndpoint("s3", "vpce-planned1"), egress("sg-msk", "sg-ep", 443)}
	changes[1].CheckIDs = []string{"VM104", "VM102"}
	if _, err := a.Apply(context.Background(), req, changes); err != nil {
		t.Fatal(err)
	}
	tagMap := func(specs []types.TagSpecification, kind types.ResourceType) map[string]string {
		t.Helper()
		if len(specs) != 1 || specs[0].ResourceType != kind {
			t.Fatalf("tag specifications %+v, want one for %s", specs, kind)
		}
		m := map[string]string{}
		for _, tag := range specs[0].Tags {
			m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		return m
	}
	want := map[string]string{TagManaged: "true", TagCheck: "VM102", TagEvent: event, "team": "data"}
	if got := tagMap(endpointTags, types.ResourceTypeVpcEndpoint); !reflect.DeepEqual(got, want) {
		t.Errorf("endpoint tags %v, want %v", got, want)
	}
	want[TagCheck] = "VM104"
	if got := tagMap(ruleTags, types.ResourceTypeSecurityGroupRule); !reflect.DeepEqual(got, want) {
		t.Errorf("rule tags %v, want %v", got, want)
	}
}

func TestWaitAvailable(t *testing.T) {
	tests := []struct {
		name   string
		states []types.State // answered by successive reads after creation
		status string
		detail string
		sleeps int
	}{
		{"available at once", []types.State{types.StateAvailable}, report.ChangeCreated, "; available", 0},
		{"available after two polls", []types.State{types.StatePending, types.StatePending, types.StateAvailable}, report.ChangeCreated, "; available", 2},
		{"still pending when the wait ends", []types.State{types.StatePending}, report.ChangeCreated, "still pending after 12s", 3},
		{"failed while pending", []types.State{types.StatePending, types.StateFailed}, report.ChangeFailed, "became failed", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			create := f.createVpcEndpoint
			f.createVpcEndpoint = func(in *ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error) {
				out, err := create(in)
				f.endpoints[0].State = types.StatePending
				return out, err
			}
			reads := 0
			f.describeVpcEndpoints = func(in *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
				if len(in.VpcEndpointIds) == 0 {
					return &ec2.DescribeVpcEndpointsOutput{}, nil
				}
				e := f.endpoints[0]
				e.State = tt.states[min(reads, len(tt.states)-1)]
				reads++
				return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: []types.VpcEndpoint{e}}, nil
			}
			a, c := applier(f)
			a.WaitAvailable = 12 * time.Second
			outcomes, err := a.Apply(context.Background(), Request{EventID: event}, []plan.Change{interfaceEndpoint("sts", "vpce-planned1")})
			if o := outcomes[0]; o.Status != tt.status || !strings.Contains(o.Detail, tt.detail) {
				t.Errorf("outcome %q %q, want %q containing %q", o.Status, o.Detail, tt.status, tt.detail)
			}
			if (err != nil) != (tt.status == report.ChangeFailed) {
				t.Errorf("error %v for status %s", err, tt.status)
			}
			if len(c.sleeps) != tt.sleeps {
				t.Errorf("slept %v, want %d polls", c.sleeps, tt.sleeps)
			}
			var waited time.Duration
			for _, d := range c.sleeps {
				waited += d
			}
			if waited > a.WaitAvailable+pollInterval {
				t.Errorf("waited %s, more than the bound %s", waited, a.WaitAvailable)
			}
		})
	}

	t.Run("gateway endpoints are not waited for", func(t *testing.T) {
		f := newFake()
		a, c := applier(f)
		a.WaitAvailable = time.Minute
		outcomes, _ := a.Apply(context.Background(), Request{}, []plan.Change{gatewayEndpoint("s3", "vpce-planned1")})
		if got := slices.Index(f.calls, "CreateVpcEndpoint"); got != len(f.calls)-1 || len(c.sleeps) > 0 {
			t.Errorf("calls %v, sleeps %v: want nothing after the creation", f.calls, c.sleeps)
		}
		if strings.Contains(outcomes[0].Detail, "available") {
			t.Errorf("detail %q", outcomes[0].Detail)
		}
	})
}

func TestActionsCoverEveryCall(t *testing.T) {
	a := &Applier{}
	always, nat := a.Actions(), a.NATActions()
	if !slices.IsSorted(always) || !slices.IsSorted(nat) {
		t.Errorf("actions %v and %v are not sorted", always, nat)
	}
	iface := reflect.TypeFor[EC2]()
	for i := range iface.NumMethod() {
		if action := "ec2:" + iface.Method(i).Name; !slices.Contains(always, action) && !slices.Contains(nat, action) {
			t.Errorf("actions lack %s, which Apply calls", action)
		}
	}
	if !slices.Contains(always, "ec2:CreateTags") || !slices.Contains(nat, "ec2:CreateTags") {
		t.Error("actions lack ec2:CreateTags, which tagging at creation needs")
	}
	for _, action := range always {
		if strings.Contains(action, "Delete") || strings.Contains(action, "Replace") || strings.Contains(action, "Revoke") || strings.Contains(action, "NatGateway") || strings.Contains(action, "Address") || strings.HasPrefix(action, "iam:") {
			t.Errorf("action %s must not be needed without AllowNatCreation", action)
		}
	}
	for _, action := range nat {
		if strings.Contains(action, "Delete") || strings.Contains(action, "Release") || strings.Contains(action, "Disassociate") || strings.HasPrefix(action, "iam:") {
			t.Errorf("action %s must never be needed", action)
		}
	}
	for _, want := range []string{"ec2:AllocateAddress", "ec2:CreateNatGateway"} {
		if !slices.Contains(nat, want) {
			t.Errorf("NAT actions %v lack %s", nat, want)
		}
	}
}
