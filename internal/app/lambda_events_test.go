package app_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// Identifiers in the sample events that the tests point at seeded resources.
const (
	sampleOrdersUUID      = "3f1c8a52-9d4e-4b71-a0c6-7e25d9b4f183"
	sampleOrdersCluster   = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/5d0c3f6a-8b1e-4a27-9c4d-2e7f1b8a6d93-7"
	sampleInventoryUUID   = "0c9d5e73-1f8a-4b26-8d47-a6e3b2f91c05"
	samplePaymentsUUID    = "e4a2c871-0b5d-4f93-a6c8-5d1e7f2b9a36"
	sampleBillingSubnetA  = "subnet-0c4f1a8e92d7b3561"
	sampleBillingSubnetB  = "subnet-0b91d6f3a2c7e4058"
	sampleBillingSG       = "sg-04b8e2d6a1c9f3577"
	sampleBillingVPC      = "vpc-0a5c3e9d71b4f2861"
	sampleInventorySubnet = "subnet-07e2b9d4c1a58f630"
	sampleInventorySG     = "sg-0f3a7c1e95b2d4680"
)

func TestMSKMappingCreatedResolvesThatMappingAndItsNetwork(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	rep := handle(t, d, sample(t, "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json",
		sampleOrdersUUID, f.Orders.ESM.UUID, sampleOrdersCluster, f.Orders.Cluster.ARN))

	if rep.Trigger.Action != trail.ActionCreateEventSourceMapping || rep.Trigger.ESM == nil || rep.Trigger.ESM.UUID != f.Orders.ESM.UUID {
		t.Errorf("trigger %+v, want CreateEventSourceMapping of %s", rep.Trigger, f.Orders.ESM.UUID)
	}
	wantWorkloads(t, rep, esm(f.Orders.ESM.UUID, f.Orders.VPC.ID))
	if len(rep.Networks) != 1 {
		t.Fatalf("networks %+v, want the one of %s", rep.Networks, f.Orders.VPC.ID)
	}
	n := rep.Networks[0]
	if want := []string{"us-east-1a", "us-east-1b"}; !slices.Equal(n.AvailabilityZones, want) {
		t.Errorf("availability zones %v, want %v", n.AvailabilityZones, want)
	}
	if n.Subnets != 4 {
		t.Errorf("%d subnets, want the 2 public and 2 private ones", n.Subnets)
	}
	if got, want := sorted(n.PublicSubnets...), sorted(f.Orders.Public.IDs()...); !slices.Equal(got, want) {
		t.Errorf("public subnets %v, want %v (the private ones route to NAT gateways, not the internet gateway)", got, want)
	}
	if !slices.Equal(n.InternetGateways, []string{f.Orders.VPC.IGWID}) {
		t.Errorf("internet gateways %v, want [%s]", n.InternetGateways, f.Orders.VPC.IGWID)
	}
	if !n.DNSSupport || !n.DNSHostnames {
		t.Errorf("DNS support %v, hostnames %v: the scenario turns both on", n.DNSSupport, n.DNSHostnames)
	}
	// Two NAT gateways were created; the one of the first AZ was deleted
	// since, and a deleted NAT gateway stays visible for a while.
	if len(n.NATGateways) != 2 {
		t.Fatalf("NAT gateways %v, want the 2 of the seed", n.NATGateways)
	}
	for _, nat := range f.Orders.NATs {
		state := "(available, "
		if nat.ID == f.DeletedNAT.ID {
			state = "(deleted, "
		}
		if !slices.ContainsFunc(n.NATGateways, func(s string) bool {
			return strings.HasPrefix(s, nat.ID+" "+state+nat.SubnetID)
		}) {
			t.Errorf("NAT gateways %v, want %s %s%s)", n.NATGateways, nat.ID, state, nat.SubnetID)
		}
	}
	if w := rep.Workloads[0]; w.Name != "orders-consumer <- MSK orders" {
		t.Errorf("workload name %q, want its function and cluster", w.Name)
	}
	if rep.Alert != nil {
		t.Errorf("no topic configured, yet alert %+v", rep.Alert)
	}
}

func TestSelfManagedKafkaMappingResolvesToTheVPCOfItsSubnets(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	rep := handle(t, d, sample(t, "on-lambda-change/CreateEventSourceMapping-self-managed-kafka-vpc.json",
		sampleInventoryUUID, f.Inventory.UUID,
		sampleBillingSubnetA, f.InventoryNet[0].ID, sampleInventorySubnet, f.InventoryNet[1].ID,
		sampleInventorySG, f.InventorySG.ID))

	wantWorkloads(t, rep, esm(f.Inventory.UUID, f.InventoryVPC.ID))
	if len(rep.Networks) == 1 && rep.Networks[0].Subnets != 2 {
		t.Errorf("network %+v: want the 2 subnets of %s", rep.Networks[0], f.InventoryVPC.ID)
	}
}

func TestCrossAccountMSKMappingIsUnknownAndSaysWhy(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	rep := handle(t, d, sample(t, "on-lambda-change/CreateEventSourceMapping-msk-cross-account.json",
		samplePaymentsUUID, f.Payments))

	wantWorkloads(t, rep, esm(f.Payments, ""))
	if len(rep.Workloads) != 1 {
		return
	}
	w := rep.Workloads[0]
	if w.Status != report.StatusUnknown {
		t.Errorf("status %s, want unknown: the cluster's VPC is in another account", w.Status)
	}
	i := slices.IndexFunc(w.Findings, func(f report.Finding) bool { return f.Unverified })
	if i < 0 {
		t.Fatalf("findings %+v, want one saying why the mapping cannot be checked", w.Findings)
	}
	got := w.Findings[i]
	if got.Severity != report.SeverityInfo || !strings.Contains(got.Message, f.PaymentsSource) || !strings.Contains(got.Message, "another account") {
		t.Errorf("finding %+v: want an info finding naming %s and the other account", got, f.PaymentsSource)
	}
	if !slices.Contains(got.Resources, f.Payments) {
		t.Errorf("finding resources %v, want the mapping %s", got.Resources, f.Payments)
	}
	if len(rep.Networks) != 0 {
		t.Errorf("networks %+v read, want none: there is no VPC to read in this account", rep.Networks)
	}
}

func TestMappingThatIsGoneIsSkippedWithoutError(t *testing.T) {
	srv, _ := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	tests := []struct {
		name, sample, want string
	}{
		{"deleted by the event", "on-lambda-change/DeleteEventSourceMapping-msk.json", "was deleted"},
		// The sample's UUID does not exist in the emulator: deleted
		// between the call and the event, say.
		{"unknown UUID", "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json", "event source mapping " + sampleOrdersUUID + " no longer exists"},
		{"update of an unknown UUID", "on-lambda-change/UpdateEventSourceMapping-switch-to-provisioned.json", "no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := handle(t, d, sample(t, tt.sample))
			wantSkipped(t, rep, tt.want)
		})
	}
}

func TestNonKafkaMappingIsSkipped(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	rep := handle(t, d, sample(t, "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json",
		sampleOrdersUUID, f.SQSMapping))
	wantSkipped(t, rep, "not a Kafka mapping")
}

func TestVPCFunctionCreatedResolvesThatFunction(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	rep := handle(t, d, sample(t, "on-lambda-change/CreateFunction-vpc.json",
		sampleBillingSubnetA, f.BillingNet[0].ID, sampleBillingSubnetB, f.BillingNet[1].ID,
		sampleBillingSG, f.BillingSG.ID, sampleBillingVPC, f.BillingVPC.ID))

	if rep.Trigger.Function == nil || rep.Trigger.Function.ARN != fnARNPrefix+"billing-api" {
		t.Errorf("trigger function %+v, want %sbilling-api", rep.Trigger.Function, fnARNPrefix)
	}
	wantWorkloads(t, rep, vpcFunction("billing-api", f.BillingVPC.ID))
	if len(rep.Workloads) == 1 && rep.Workloads[0].Name != "billing-api" {
		t.Errorf("workload name %q, want billing-api", rep.Workloads[0].Name)
	}
}

func TestFunctionNamedByQualifiedARNResolvesToTheUnqualifiedARN(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	// The response names the function by a qualified ARN, the request by
	// its name; the workload is the function, whatever the qualifier.
	rep := handle(t, d, sample(t, "on-lambda-change/UpdateFunctionConfiguration-vpc.json",
		`function:report-exporter"`, `function:billing-api:live"`,
		`"report-exporter"`, `"billing-api"`,
		sampleBillingSubnetA, f.BillingNet[0].ID, sampleInventorySubnet, f.BillingNet[1].ID,
		sampleBillingVPC, f.BillingVPC.ID))

	wantWorkloads(t, rep, vpcFunction("billing-api", f.BillingVPC.ID))
}

func TestFunctionOutsideAnyVPCIsSkipped(t *testing.T) {
	srv, _ := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	// orders-consumer exists but is attached to no VPC: its Kafka mapping
	// uses the cluster's network, not the function's.
	rep := handle(t, d, sample(t, "on-lambda-change/UpdateFunctionConfiguration-memory-only.json",
		"billing-api", "orders-consumer"))
	wantSkipped(t, rep, "function "+fnARNPrefix+"orders-consumer is not attached to a VPC")
}

func TestFunctionThatIsGoneIsSkipped(t *testing.T) {
	srv, _ := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)

	rep := handle(t, d, sample(t, "on-lambda-change/UpdateFunctionConfiguration-memory-only.json",
		"billing-api", "retired-api"))
	wantSkipped(t, rep, "function "+fnARNPrefix+"retired-api no longer exists")
}
