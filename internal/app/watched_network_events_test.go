package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// Identifiers of the Block Public Access and route samples.
const (
	sampleExcludedVPC    = "arn:aws:ec2:us-east-1:123456789012:vpc/" + sampleBillingVPC
	sampleRouteLocalCIDR = "10.20.0.0/16"
)

// noSleep makes a run re-read a network that does not show its change yet
// without waiting.
func noSleep(context.Context, time.Duration) error { return nil }

// inAnyVPC is what a change that may touch every VPC resolves: each
// workload attached to a VPC of the account, not the mapping on another
// account's cluster.
func inAnyVPC(f *accountFixture) []workloadKey {
	return []workloadKey{
		esm(f.Orders.ESM.UUID, f.Orders.VPC.ID),
		vpcFunction("billing-api", f.BillingVPC.ID),
		esm(f.Inventory.UUID, f.InventoryVPC.ID),
	}
}

func TestRouteShapesOnceUnreadableResolveTheTablesWorkloads(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)
	d.App.Sleep = noSleep

	private := f.Orders.Private[1]
	tests := []struct {
		sample     string
		replace    []string
		targetKind string
	}{
		{"on-network-change/ReplaceRoute-local-target.json", []string{sampleRouteLocalCIDR, f.Orders.VPC.CIDR}, "localTarget"},
		{"on-network-change/CreateRoute-odb-network.json", nil, "odbNetworkArn"},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			rep := handle(t, d, sample(t, tt.sample, append([]string{sampleRouteTable, private.RouteTableID}, tt.replace...)...))

			if r := rep.Trigger.Route; r == nil || r.RouteTableID != private.RouteTableID || r.TargetKind != tt.targetKind {
				t.Errorf("trigger route %+v, want one to %s in %s", r, tt.targetKind, private.RouteTableID)
			}
			wantWorkloads(t, rep, esm(f.Orders.ESM.UUID, f.Orders.VPC.ID))
		})
	}
}

func TestIngressRevokedByGroupNameResolvesTheDefaultVPC(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)
	client := ec2.NewFromConfig(srv.MustConfig(t))
	vpcs, err := client.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("the emulator's default VPC: %+v, %v", vpcs, err)
	}
	defaultVPC := aws.ToString(vpcs.Vpcs[0].VpcId)
	if _, err := client.CreateSecurityGroup(t.Context(), &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("legacy-web"), Description: aws.String("by-name revokes"), VpcId: aws.String(defaultVPC),
	}); err != nil {
		t.Fatal(err)
	}

	t.Run("the group is in the default VPC", func(t *testing.T) {
		rep := handle(t, d, sample(t, "on-network-change/RevokeSecurityGroupIngress-group-name.json"))

		if got := rep.Trigger.IDs(trail.KindSecurityGroupName); len(got) != 1 || got[0] != "legacy-web" {
			t.Errorf("trigger group names %v, want [legacy-web]", got)
		}
		wantSkipped(t, rep, "no Kafka event source mapping or VPC function in ["+defaultVPC+"]")
	})
	t.Run("the group is gone: any VPC may be affected", func(t *testing.T) {
		rep := handle(t, d, sample(t, "on-network-change/RevokeSecurityGroupIngress-group-name.json", "legacy-web", "retired-web"))

		wantWorkloads(t, rep, append(inAnyVPC(f), esm(f.Payments, ""))...)
	})
}

func TestBlockPublicAccessModeChangeChecksEveryVPC(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)

	rep := handle(t, d, sample(t, "on-network-change/ModifyVpcBlockPublicAccessOptions-block-bidirectional.json"))

	if c := rep.Trigger.BlockPublicAccess; c == nil || c.Mode != "block-bidirectional" || rep.Trigger.AllVPCs == "" {
		t.Errorf("trigger change %+v, all VPCs %q", c, rep.Trigger.AllVPCs)
	}
	wantWorkloads(t, rep, inAnyVPC(f)...)
}

func TestBlockPublicAccessExclusionResolvesTheExcludedVPC(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)

	tests := []struct {
		sample  string
		replace []string
	}{
		{"on-network-change/CreateVpcBlockPublicAccessExclusion-vpc.json", []string{sampleBillingVPC, f.BillingVPC.ID}},
		{"on-network-change/ModifyVpcBlockPublicAccessExclusion-allow-egress.json", []string{sampleBillingVPC, f.BillingVPC.ID}},
		{"on-network-change/DeleteVpcBlockPublicAccessExclusion-subnet.json", []string{sampleBillingSubnetA, f.BillingNet[0].ID}},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			rep := handle(t, d, sample(t, tt.sample, tt.replace...))

			if rep.Trigger.AllVPCs != "" {
				t.Errorf("all VPCs %q, want the excluded resource's VPC only", rep.Trigger.AllVPCs)
			}
			wantWorkloads(t, rep, vpcFunction("billing-api", f.BillingVPC.ID))
		})
	}
}

func TestBlockPublicAccessExclusionWithoutItsResourceChecksEveryVPC(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)

	// A record whose response does not name the excluded VPC or subnet.
	rep := handle(t, d, sample(t, "on-network-change/ModifyVpcBlockPublicAccessExclusion-allow-egress.json", `"`+sampleExcludedVPC+`"`, `""`))

	wantWorkloads(t, rep, inAnyVPC(f)...)
}

func TestEgressOnlyGatewayDeletedChecksEveryVPC(t *testing.T) {
	srv, f := seededAccount(t)
	d := build(t, srv, app.OnNetworkChange)

	// No network of the account routes to the gateway (any more): which
	// VPC it served is unknown.
	rep := handle(t, d, sample(t, "on-network-change/DeleteEgressOnlyInternetGateway-ipv6.json"))

	if got := rep.Trigger.IDs(trail.KindEgressOnlyIGW); len(got) != 1 {
		t.Errorf("trigger gateways %v, want the deleted one", got)
	}
	wantWorkloads(t, rep, inAnyVPC(f)...)
}
