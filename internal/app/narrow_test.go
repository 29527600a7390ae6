package app

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/trail"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// A change whose event does not name its VPC is narrowed to the VPCs whose
// networks still name the changed resource, and to none when no network
// does.
func TestNarrowChangesOfUnnamedVPCs(t *testing.T) {
	ipv6Default := netip.MustParsePrefix("::/0")
	snaps := map[string]*network.Snapshot{
		"vpc-1": {VPC: network.VPC{ID: "vpc-1"}, RouteTables: []network.RouteTable{
			{ID: "rtb-1", Routes: []network.Route{{Destination: ipv6Default, TargetKind: network.TargetEgressOnlyIGW, TargetID: "eigw-1"}}},
		}},
		"vpc-2": {VPC: network.VPC{ID: "vpc-2"}, BlockPublicAccess: network.BlockPublicAccess{
			Read: true, Mode: "block-bidirectional", VPCExclusion: "allow-egress", ExclusionIDs: map[string]string{"vpc-2": "exclusion-1"},
		}},
		"vpc-3": {VPC: network.VPC{ID: "vpc-3"}},
	}
	var all []*workload.Workload
	for _, vpc := range []string{"vpc-1", "vpc-2", "vpc-3"} {
		all = append(all, &workload.Workload{ID: "in-" + vpc, Network: workload.Network{VPCID: vpc}})
	}
	unnamed := func(kind, id string) trail.Trigger {
		return trail.Trigger{Source: trail.SourceEC2, Resources: []trail.Resource{{Kind: kind, ID: id}}, AllVPCs: "the event does not name the VPC"}
	}
	tests := []struct {
		name string
		t    trail.Trigger
		want []string
	}{
		{"deleted egress-only gateway that routes still target", unnamed(trail.KindEgressOnlyIGW, "eigw-1"), []string{"in-vpc-1"}},
		{"deleted egress-only gateway no route targets", unnamed(trail.KindEgressOnlyIGW, "eigw-9"), []string{"in-vpc-1", "in-vpc-2", "in-vpc-3"}},
		{"exclusion still in effect", unnamed(trail.KindBPAExclusion, "exclusion-1"), []string{"in-vpc-2"}},
		{"exclusion no network shows", unnamed(trail.KindBPAExclusion, "exclusion-2"), []string{"in-vpc-1", "in-vpc-2", "in-vpc-3"}},
		{"account-wide setting", trail.Trigger{Source: trail.SourceEC2, AllVPCs: "account-wide"}, []string{"in-vpc-1", "in-vpc-2", "in-vpc-3"}},
		{"a named resource is not narrowed this way", trail.Trigger{Source: trail.SourceEC2, Resources: []trail.Resource{{Kind: trail.KindEgressOnlyIGW, ID: "eigw-1"}}}, []string{"in-vpc-1", "in-vpc-2", "in-vpc-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, skip := narrow(tt.t, all, snaps)
			var got []string
			for _, w := range kept {
				got = append(got, w.ID)
			}
			if skip != "" || !slices.Equal(got, tt.want) {
				t.Errorf("kept %v (skip %q), want %v", got, skip, tt.want)
			}
		})
	}
	if len(all) != 3 {
		t.Errorf("narrow changed its input: %d workloads", len(all))
	}
}

// A route to an Oracle Database@AWS network reads back without a target
// ID: it is taken as shown rather than re-read in vain; a known target that
// differs is not.
func TestShowsARouteToATargetTheReaderCannotName(t *testing.T) {
	odb := "arn:aws:odb:us-east-1:123456789012:odb-network/odbnet_1"
	dest := netip.MustParsePrefix("10.50.0.0/16")
	snaps := func(target string) map[string]*network.Snapshot {
		return map[string]*network.Snapshot{"vpc-1": {VPC: network.VPC{ID: "vpc-1"}, RouteTables: []network.RouteTable{
			{ID: "rtb-1", Routes: []network.Route{{Destination: dest, TargetKind: network.TargetOther, TargetID: target, Active: true}}},
		}}}
	}
	created := trail.Trigger{Source: trail.SourceEC2, Action: "CreateRoute", VPCID: "vpc-1",
		Route: &trail.RouteChange{RouteTableID: "rtb-1", Destination: dest.String(), TargetKind: "odbNetworkArn", TargetID: odb}}
	if !shows(created, snaps("")) {
		t.Error("a route whose target the reader cannot name is not taken as shown")
	}
	if shows(created, snaps("pcx-1")) {
		t.Error("a route to another target is taken as shown")
	}
}
