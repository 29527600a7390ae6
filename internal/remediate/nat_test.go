package remediate

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// natChanges is the planner's NAT gateway for one zone: its address, the
// gateway in public subnet subnet-pub, and the route of rtb-a to it.
func natChanges() []plan.Change {
	return []plan.Change{
		{Action: plan.AllocateAddress, Target: "subnet-pub", VPCID: "vpc-1", SubnetIDs: []string{"subnet-pub"}, AllocationID: "eipalloc-planned1", CheckIDs: []string{"VM102"}, Group: "nat-gateways"},
		{Action: plan.CreateNATGateway, Target: "subnet-pub", VPCID: "vpc-1", SubnetIDs: []string{"subnet-pub"}, AllocationID: "eipalloc-planned1", NATGatewayID: "nat-planned2", CheckIDs: []string{"VM102"}, Group: "nat-gateways"},
		route("rtb-a", "nat-planned2"),
	}
}

// natApplier may create NAT gateways and waits for them up to 12s.
func natApplier(f *fake) (*Applier, *clock) {
	a, c := applier(f)
	a.AllowNATCreation, a.WaitNATAvailable = true, 12*time.Second
	return a, c
}

func tagsOf(specs []types.TagSpecification, kind types.ResourceType) map[string]string {
	m := map[string]string{}
	for _, spec := range specs {
		if spec.ResourceType == kind {
			for _, tag := range spec.Tags {
				m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
		}
	}
	return m
}

func TestNATGatewayIsCreatedTaggedThenRoutedTo(t *testing.T) {
	f := newFake()
	var allocated *ec2.AllocateAddressInput
	var created *ec2.CreateNatGatewayInput
	var routed *ec2.CreateRouteInput
	allocate, create := f.allocateAddress, f.createNatGateway
	f.allocateAddress = func(in *ec2.AllocateAddressInput) (*ec2.AllocateAddressOutput, error) {
		allocated = in
		return allocate(in)
	}
	f.createNatGateway = func(in *ec2.CreateNatGatewayInput) (*ec2.CreateNatGatewayOutput, error) {
		created = in
		return create(in)
	}
	f.createRoute = func(in *ec2.CreateRouteInput) (*ec2.CreateRouteOutput, error) {
		routed = in
		return &ec2.CreateRouteOutput{}, nil
	}
	a, _ := natApplier(f)
	outcomes, err := a.Apply(context.Background(), Request{EventID: event}, natChanges())
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got, want := f.mutations(), []string{"AllocateAddress", "CreateNatGateway", "CreateRoute"}; !slices.Equal(got, want) {
		t.Fatalf("mutations %v, want %v", got, want)
	}
	if got := statuses(outcomes); !slices.Equal(got, []string{report.ChangeCreated, report.ChangeCreated, report.ChangeCreated}) {
		t.Errorf("statuses %v, want all created", got)
	}
	if allocated.Domain != types.DomainTypeVpc {
		t.Errorf("address domain %q, want vpc", allocated.Domain)
	}
	if aws.ToString(created.AllocationId) != "eipalloc-0001" || aws.ToString(created.SubnetId) != "subnet-pub" || created.ConnectivityType != types.ConnectivityTypePublic {
		t.Errorf("NAT gateway created with address %q in %q (%s), want eipalloc-0001 in subnet-pub, public",
			aws.ToString(created.AllocationId), aws.ToString(created.SubnetId), created.ConnectivityType)
	}
	if aws.ToString(routed.NatGatewayId) != "nat-0001" || aws.ToString(routed.RouteTableId) != "rtb-a" {
		t.Errorf("route of %q to %q, want rtb-a to the NAT gateway created, nat-0001", aws.ToString(routed.RouteTableId), aws.ToString(routed.NatGatewayId))
	}
	want := map[string]string{TagManaged: "true", TagCheck: "VM102", TagEvent: event}
	if got := tagsOf(allocated.TagSpecifications, types.ResourceTypeElasticIp); !reflect.DeepEqual(got, want) {
		t.Errorf("address tags %v, want %v", got, want)
	}
	if got := tagsOf(created.TagSpecifications, types.ResourceTypeNatgateway); !reflect.DeepEqual(got, want) {
		t.Errorf("NAT gateway tags %v, want %v", got, want)
	}
	if outcomes[0].ResourceID != "eipalloc-0001" || outcomes[1].ResourceID != "nat-0001" || !strings.Contains(outcomes[1].Detail, "; available") {
		t.Errorf("outcomes name %q and %q (%s)", outcomes[0].ResourceID, outcomes[1].ResourceID, outcomes[1].Detail)
	}
}

func TestNATGatewayClientToken(t *testing.T) {
	tokenOf := func(t *testing.T, eventID, subnet string) string {
		t.Helper()
		f := newFake()
		var sent *string
		create := f.createNatGateway
		f.createNatGateway = func(in *ec2.CreateNatGatewayInput) (*ec2.CreateNatGatewayOutput, error) {
			sent = in.ClientToken
			return create(in)
		}
		changes := natChanges()[:2]
		for i := range changes {
			changes[i].SubnetIDs = []string{subnet}
		}
		a, _ := natApplier(f)
		if _, err := a.Apply(context.Background(), Request{EventID: eventID}, changes); err != nil {
			t.Fatal(err)
		}
		return aws.ToString(sent)
	}
	first := tokenOf(t, event, "subnet-pub")
	if len(first) == 0 || len(first) > 64 {
		t.Fatalf("token %q: want 1 to 64 characters", first)
	}
	if again := tokenOf(t, event, "subnet-pub"); again != first {
		t.Errorf("same event and subnet: token %q, then %q", first, again)
	}
	if other := tokenOf(t, event, "subnet-pub-b"); other == first {
		t.Errorf("the NAT gateway of another zone has the same token %q: AWS would answer with the first one", other)
	}
	if other := tokenOf(t, "another-event", "subnet-pub"); other == first {
		t.Errorf("another event: same token %q", other)
	}
	if none := tokenOf(t, "", "subnet-pub"); none != "" {
		t.Errorf("no event ID: token %q, want none", none)
	}
}

func TestNATGatewayObserveFirst(t *testing.T) {
	managed := []types.Tag{{Key: aws.String(TagManaged), Value: aws.String("true")}}
	natIn := func(id string, state types.NatGatewayState, connectivity types.ConnectivityType) types.NatGateway {
		return types.NatGateway{NatGatewayId: aws.String(id), SubnetId: aws.String("subnet-pub"), State: state, ConnectivityType: connectivity,
			NatGatewayAddresses: []types.NatGatewayAddress{{AllocationId: aws.String("eipalloc-of-" + id)}}}
	}
	tests := []struct {
		name      string
		setup     func(f *fake)
		statuses  []string
		mutations []string
		routedTo  string
	}{{
		name: "an available public NAT gateway in the subnet: reused, only the route is added",
		setup: func(f *fake) {
			f.nats = []types.NatGateway{natIn("nat-there", types.NatGatewayStateAvailable, types.ConnectivityTypePublic)}
		},
		statuses:  []string{report.ChangeUnchanged, report.ChangeUnchanged, report.ChangeCreated},
		mutations: []string{"CreateRoute"}, routedTo: "nat-there",
	}, {
		name: "a pending one: waited for, then routed to",
		setup: func(f *fake) {
			f.nats = []types.NatGateway{natIn("nat-pending", types.NatGatewayStatePending, types.ConnectivityTypePublic)}
			waitReads := 0
			describe := f.describeNatGateways
			f.describeNatGateways = func(in *ec2.DescribeNatGatewaysInput) (*ec2.DescribeNatGatewaysOutput, error) {
				if len(in.NatGatewayIds) > 0 { // the wait: available at its second read
					if waitReads++; waitReads == 2 {
						f.nats[0].State = types.NatGatewayStateAvailable
					}
				}
				return describe(in)
			}
		},
		statuses:  []string{report.ChangeUnchanged, report.ChangeUnchanged, report.ChangeCreated},
		mutations: []string{"CreateRoute"}, routedTo: "nat-pending",
	}, {
		name: "a private NAT gateway in the subnet does not count",
		setup: func(f *fake) {
			f.nats = []types.NatGateway{natIn("nat-private", types.NatGatewayStateAvailable, types.ConnectivityTypePrivate)}
		},
		statuses:  []string{report.ChangeCreated, report.ChangeCreated, report.ChangeCreated},
		mutations: []string{"AllocateAddress", "CreateNatGateway", "CreateRoute"}, routedTo: "nat-0002",
	}, {
		name: "a deleted NAT gateway in the subnet does not count",
		setup: func(f *fake) {
			f.nats = []types.NatGateway{natIn("nat-gone", types.NatGatewayStateDeleted, types.ConnectivityTypePublic)}
		},
		statuses:  []string{report.ChangeCreated, report.ChangeCreated, report.ChangeCreated},
		mutations: []string{"AllocateAddress", "CreateNatGateway", "CreateRoute"}, routedTo: "nat-0002",
	}, {
		name: "an unused address vpcmedic allocated earlier: taken instead of a new one",
		setup: func(f *fake) {
			f.addresses = []types.Address{{AllocationId: aws.String("eipalloc-left"), Domain: types.DomainTypeVpc, Tags: managed}}
		},
		statuses:  []string{report.ChangeUnchanged, report.ChangeCreated, report.ChangeCreated},
		mutations: []string{"CreateNatGateway", "CreateRoute"}, routedTo: "nat-0001",
	}, {
		name: "addresses in use, or not vpcmedic's, are left alone",
		setup: func(f *fake) {
			f.addresses = []types.Address{
				{AllocationId: aws.String("eipalloc-used"), Domain: types.DomainTypeVpc, Tags: managed, AssociationId: aws.String("eipassoc-1")},
				{AllocationId: aws.String("eipalloc-theirs"), Domain: types.DomainTypeVpc},
			}
		},
		statuses:  []string{report.ChangeCreated, report.ChangeCreated, report.ChangeCreated},
		mutations: []string{"AllocateAddress", "CreateNatGateway", "CreateRoute"}, routedTo: "nat-0001",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			tt.setup(f)
			var routedTo string
			f.createRoute = func(in *ec2.CreateRouteInput) (*ec2.CreateRouteOutput, error) {
				routedTo = aws.ToString(in.NatGatewayId)
				return &ec2.CreateRouteOutput{}, nil
			}
			var usedAddress string
			create := f.createNatGateway
			f.createNatGateway = func(in *ec2.CreateNatGatewayInput) (*ec2.CreateNatGatewayOutput, error) {
				usedAddress = aws.ToString(in.AllocationId)
				return create(in)
			}
			a, _ := natApplier(f)
			outcomes, err := a.Apply(context.Background(), Request{EventID: event}, natChanges())
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if got := statuses(outcomes); !slices.Equal(got, tt.statuses) {
				t.Errorf("statuses %v, want %v", got, tt.statuses)
			}
			if got := f.mutations(); !slices.Equal(got, tt.mutations) {
				t.Errorf("mutations %v, want %v", got, tt.mutations)
			}
			if routedTo != tt.routedTo {
				t.Errorf("routed to %q, want %q", routedTo, tt.routedTo)
			}
			if usedAddress != "" && usedAddress != outcomes[0].ResourceID {
				t.Errorf("NAT gateway created with %q, the address change gave %q", usedAddress, outcomes[0].ResourceID)
			}
		})
	}
}

func TestNATGatewayWait(t *testing.T) {
	tests := []struct {
		name     string
		states   []types.NatGatewayState // answered by successive reads after creation
		statuses []string
		detail   string
		sleeps   int
		routed   bool
	}{
		{"available after two polls", []types.NatGatewayState{types.NatGatewayStatePending, types.NatGatewayStatePending, types.NatGatewayStateAvailable},
			[]string{report.ChangeCreated, report.ChangeCreated, report.ChangeCreated}, "; available", 2, true},
		{"still pending when the wait ends: no route to it yet, a retry adds it", []types.NatGatewayState{types.NatGatewayStatePending},
			[]string{report.ChangeCreated, report.ChangeCreated, report.ChangeFailed}, "still pending after 12s", 3, false},
		{"failed while pending", []types.NatGatewayState{types.NatGatewayStatePending, types.NatGatewayStateFailed},
			[]string{report.ChangeCreated, report.ChangeFailed, report.ChangeFailed}, "became failed", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.natState = types.NatGatewayStatePending
			reads := 0
			describe := f.describeNatGateways
			f.describeNatGateways = func(in *ec2.DescribeNatGatewaysInput) (*ec2.DescribeNatGatewaysOutput, error) {
				if len(in.NatGatewayIds) > 0 {
					f.nats[0].State = tt.states[min(reads, len(tt.states)-1)]
					reads++
				}
				return describe(in)
			}
			a, c := natApplier(f)
			outcomes, err := a.Apply(context.Background(), Request{EventID: event}, natChanges())
			if got := statuses(outcomes); !slices.Equal(got, tt.statuses) || !strings.Contains(outcomes[1].Detail, tt.detail) {
				t.Errorf("statuses %v, NAT gateway %q; want %v, containing %q", got, outcomes[1].Detail, tt.statuses, tt.detail)
			}
			if routed := slices.Contains(f.calls, "CreateRoute"); routed != tt.routed {
				t.Errorf("route added: %v, want %v", routed, tt.routed)
			}
			if tt.routed != (err == nil) {
				t.Errorf("error %v with the route added: %v", err, tt.routed)
			}
			if err != nil && (errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "create-route rtb-a")) {
				t.Errorf("error %q: want a retryable one naming the route", err)
			}
			if len(c.sleeps) != tt.sleeps {
				t.Errorf("slept %v, want %d polls", c.sleeps, tt.sleeps)
			}
			var waited time.Duration
			for _, d := range c.sleeps {
				waited += d
			}
			if waited > a.WaitNATAvailable+pollInterval {
				t.Errorf("waited %s, more than the bound %s", waited, a.WaitNATAvailable)
			}
		})
	}
}

func TestNATGatewayRetryAfterAFailure(t *testing.T) {
	f := newFake()
	create := f.createNatGateway
	f.createNatGateway = func(*ec2.CreateNatGatewayInput) (*ec2.CreateNatGatewayOutput, error) {
		return nil, apiError("InternalError")
	}
	a, _ := natApplier(f)
	outcomes, err := a.Apply(context.Background(), Request{EventID: event}, natChanges())
	if err == nil || errors.Is(err, ErrRefused) {
		t.Fatalf("error %v, want a retryable one", err)
	}
	if got := statuses(outcomes); !slices.Equal(got, []string{report.ChangeCreated, report.ChangeFailed, report.ChangeSkipped}) {
		t.Errorf("statuses %v, want the address made, the gateway failed, the route skipped", got)
	}
	if slices.Contains(f.calls, "CreateRoute") {
		t.Error("a route was added to a NAT gateway that does not exist")
	}

	f.createNatGateway = create
	f.calls = nil
	retried, err := a.Apply(context.Background(), Request{EventID: event}, natChanges())
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := f.mutations(); !slices.Equal(got, []string{"CreateNatGateway", "CreateRoute"}) {
		t.Errorf("retry mutations %v: the address of the first try must be taken, not a second one allocated", got)
	}
	if len(f.addresses) != 1 || retried[0].ResourceID != aws.ToString(f.addresses[0].AllocationId) {
		t.Errorf("%d addresses, the retry took %q", len(f.addresses), retried[0].ResourceID)
	}
}

func TestNATGatewayDryRun(t *testing.T) {
	f := newFake()
	a, c := natApplier(f)
	outcomes, err := a.Apply(context.Background(), Request{EventID: event, DryRun: true}, natChanges())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) > 0 || len(c.sleeps) > 0 {
		t.Errorf("calls %v, sleeps %v: want none", f.calls, c.sleeps)
	}
	for i, want := range []string{"would allocate an Elastic IP for a NAT gateway in subnet-pub", "would create a public NAT gateway in subnet-pub with Elastic IP eipalloc-planned1", "would route 0.0.0.0/0 of rtb-a to nat-planned2"} {
		if o := outcomes[i]; o.Status != report.ChangePlanned || o.Detail != want {
			t.Errorf("outcome %d: %q %q, want planned %q", i, o.Status, o.Detail, want)
		}
	}
}

func TestRouteToARegionalNATGatewayNeedsNoNATOption(t *testing.T) {
	f := newFake()
	f.nats = []types.NatGateway{{NatGatewayId: aws.String("nat-r"), VpcId: aws.String("vpc-1"), State: types.NatGatewayStateAvailable,
		ConnectivityType: types.ConnectivityTypePublic, AvailabilityMode: types.AvailabilityModeRegional, AutoProvisionZones: types.AutoProvisionZonesStateEnabled}}
	var routed *ec2.CreateRouteInput
	f.createRoute = func(in *ec2.CreateRouteInput) (*ec2.CreateRouteOutput, error) {
		routed = in
		return &ec2.CreateRouteOutput{}, nil
	}
	a, _ := applier(f) // AllowNATCreation off
	outcomes, err := a.Apply(context.Background(), Request{EventID: event}, []plan.Change{route("rtb-b", "nat-r")})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got := f.mutations(); !slices.Equal(got, []string{"CreateRoute"}) {
		t.Errorf("mutations %v, want the route alone", got)
	}
	if routed == nil || aws.ToString(routed.NatGatewayId) != "nat-r" || aws.ToString(routed.RouteTableId) != "rtb-b" || aws.ToString(routed.DestinationCidrBlock) != "0.0.0.0/0" {
		t.Errorf("route %+v, want 0.0.0.0/0 of rtb-b to nat-r", routed)
	}
	if outcomes[0].Status != report.ChangeCreated {
		t.Errorf("status %q (%s), want created", outcomes[0].Status, outcomes[0].Detail)
	}
}

func TestNATGatewaysAreNeverMadeWithoutTheNATOption(t *testing.T) {
	f := newFake()
	a, _ := applier(f) // AllowNATCreation off
	outcomes, err := a.Apply(context.Background(), Request{EventID: event}, natChanges())
	if !errors.Is(err, ErrRefused) {
		t.Errorf("error %v, want ErrRefused", err)
	}
	if got := f.mutations(); len(got) > 0 {
		t.Errorf("mutations %v, want none", got)
	}
	if got := statuses(outcomes); !slices.Equal(got, []string{report.ChangeFailed, report.ChangeFailed, report.ChangeSkipped}) {
		t.Errorf("statuses %v, want the address and the gateway refused, the route skipped", got)
	}
	for _, o := range outcomes[:2] {
		if !strings.Contains(o.Detail, "only when AllowNatCreation is true") {
			t.Errorf("%s: %q, want the NAT option named", o.Change.Action, o.Detail)
		}
	}
}

func TestBlockPublicAccessIsNeverChanged(t *testing.T) {
	for _, action := range []string{"create-vpc-block-public-access-exclusion", "modify-vpc-block-public-access-exclusion", "modify-vpc-block-public-access-options"} {
		t.Run(action, func(t *testing.T) {
			f := newFake()
			a, _ := natApplier(f)
			c := plan.Change{Action: action, Target: "subnet-pub", VPCID: "vpc-1", SubnetIDs: []string{"subnet-pub"}, CheckIDs: []string{"VM102"}}
			outcomes, err := a.Apply(context.Background(), Request{EventID: event}, []plan.Change{c})
			if !errors.Is(err, ErrRefused) || outcomes[0].Status != report.ChangeFailed {
				t.Errorf("error %v, status %q: want refused", err, outcomes[0].Status)
			}
			if len(f.calls) > 0 {
				t.Errorf("calls %v, want none", f.calls)
			}
		})
	}
}
