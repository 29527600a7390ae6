package app_test

import (
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

const (
	sampleNAT        = "nat-0b2e8d4f1a7c39650"
	sampleRouteTable = "rtb-0e7a1c4f92b3d5816"
	sampleAssoc      = "rtbassoc-02b4d6f8a1c3e5079"
)

func TestNATGatewayDeletedResolvesOnlyTheWorkloadsOfItsVPC(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)

	rep := handle(t, d, sample(t, "on-network-change/DeleteNatGateway-az-a.json", sampleNAT, f.DeletedNAT.ID))

	if ids := rep.Trigger.IDs(trail.KindNATGateway); len(ids) != 1 || ids[0] != f.DeletedNAT.ID {
		t.Errorf("trigger NAT gateways %v, want [%s]", ids, f.DeletedNAT.ID)
	}
	// Not the function of VPC B nor the mapping reaching VPC C.
	wantWorkloads(t, rep, esm(f.Orders.ESM.UUID, f.Orders.VPC.ID))
}

func TestRouteCreatedResolvesTheWorkloadsOfTheTablesVPC(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)

	private := f.Orders.Private[1]
	rep := handle(t, d, sample(t, "on-network-change/CreateRoute-nat-gateway.json",
		sampleRouteTable, private.RouteTableID, sampleNAT, f.Orders.NATs[1].ID))

	if rep.Trigger.Route == nil || rep.Trigger.Route.RouteTableID != private.RouteTableID {
		t.Errorf("trigger route %+v, want one in %s", rep.Trigger.Route, private.RouteTableID)
	}
	wantWorkloads(t, rep, esm(f.Orders.ESM.UUID, f.Orders.VPC.ID))
}

func TestRouteChangedInAVPCWithoutWorkloadsIsSkipped(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)

	rep := handle(t, d, sample(t, "on-network-change/CreateRoute-nat-gateway.json",
		sampleRouteTable, f.IdleRouteTable, sampleNAT, f.IdleNAT.ID))

	wantSkipped(t, rep, "no Kafka event source mapping or VPC function in ["+f.Idle.ID+"]")
}

func TestRouteTableDisassociatedWhoseAssociationIsGoneChecksEveryWorkload(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)

	// The association no longer exists (it never did in this account):
	// which VPC it was in cannot be known, so everything is checked.
	rep := handle(t, d, sample(t, "on-network-change/DisassociateRouteTable-subnet.json"))

	if ids := rep.Trigger.IDs(trail.KindRouteTableAssoc); len(ids) != 1 || ids[0] != sampleAssoc {
		t.Errorf("trigger associations %v, want [%s]", ids, sampleAssoc)
	}
	wantWorkloads(t, rep,
		esm(f.Orders.ESM.UUID, f.Orders.VPC.ID),
		vpcFunction("billing-api", f.BillingVPC.ID),
		esm(f.Inventory.UUID, f.InventoryVPC.ID),
		esm(f.Payments, ""),
	)
}

func TestVPCAttributeModifiedResolvesTheWorkloadsOfThatVPC(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)

	rep := handle(t, d, sample(t, "on-network-change/ModifyVpcAttribute-disable-dns-hostnames.json",
		sampleBillingVPC, f.BillingVPC.ID))

	if rep.Trigger.VPCID != f.BillingVPC.ID {
		t.Errorf("trigger VPC %q, want %s", rep.Trigger.VPCID, f.BillingVPC.ID)
	}
	if a := rep.Trigger.VPCAttribute; a == nil || a.Name != "enableDnsHostnames" || a.Value {
		t.Errorf("trigger attribute %+v, want enableDnsHostnames turned off", a)
	}
	wantWorkloads(t, rep, vpcFunction("billing-api", f.BillingVPC.ID))
}

func TestSweepListsEveryKafkaMappingAndVPCFunction(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.Sweep)

	rep := handle(t, d, sample(t, "sweep/scheduled.json"))

	if rep.Trigger.Action != trail.ActionSweep {
		t.Errorf("trigger action %q, want %s", rep.Trigger.Action, trail.ActionSweep)
	}
	// Not the functions outside any VPC (orders-consumer, inventory-sync,
	// payments-ledger), nor the SQS mapping.
	wantWorkloads(t, rep,
		esm(f.Orders.ESM.UUID, f.Orders.VPC.ID),
		vpcFunction("billing-api", f.BillingVPC.ID),
		esm(f.Inventory.UUID, f.InventoryVPC.ID),
		esm(f.Payments, ""),
	)
}
