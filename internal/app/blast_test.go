package app

import (
	"net/netip"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/trail"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

func TestNarrowRouteChanges(t *testing.T) {
	dflt := netip.MustParsePrefix("0.0.0.0/0")
	s := &network.Snapshot{
		VPC: network.VPC{ID: "vpc-1"},
		Subnets: []network.Subnet{
			{ID: "pub-a", AvailabilityZone: "a"}, {ID: "priv-a", AvailabilityZone: "a"}, {ID: "other", AvailabilityZone: "a"},
		},
		RouteTables: []network.RouteTable{
			{ID: "rtb-main", Main: true},
			{ID: "rtb-pub", SubnetIDs: []string{"pub-a"}, Routes: []network.Route{{Destination: dflt, TargetKind: network.TargetInternetGateway, TargetID: "igw-1", Active: true}}},
			{ID: "rtb-priv", SubnetIDs: []string{"priv-a"}, Routes: []network.Route{{Destination: dflt, TargetKind: network.TargetNATGateway, TargetID: "nat-1", Active: true}}},
			{ID: "rtb-unused"},
		},
		NATGateways: []network.NATGateway{{ID: "nat-1", SubnetID: "pub-a", State: "available", Connectivity: "public"}},
	}
	private := &workload.Workload{ID: "private", Network: workload.Network{VPCID: "vpc-1", SubnetIDs: []string{"priv-a"}}}
	onMain := &workload.Workload{ID: "on-main", Network: workload.Network{VPCID: "vpc-1", SubnetIDs: []string{"other"}}}
	all := []*workload.Workload{private, onMain}
	snaps := map[string]*network.Snapshot{"vpc-1": s}
	route := func(action, table string) trail.Trigger {
		return trail.Trigger{Source: trail.SourceEC2, Action: action, Resources: []trail.Resource{{Kind: trail.KindRouteTable, ID: table}}}
	}
	tests := []struct {
		name    string
		trigger trail.Trigger
		want    []string
	}{
		{"the private table", route("DeleteRoute", "rtb-priv"), []string{"private"}},
		{"the public table under the NAT gateway", route("ReplaceRoute", "rtb-pub"), []string{"private"}},
		{"the main table", route("CreateRoute", "rtb-main"), []string{"on-main"}},
		{"a table nobody uses", route("CreateRoute", "rtb-unused"), nil},
		{"not a route change", trail.Trigger{Source: trail.SourceEC2, Action: "DeleteNatGateway"}, []string{"private", "on-main"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, skip := narrow(tt.trigger, all, snaps)
			var ids []string
			for _, w := range kept {
				ids = append(ids, w.ID)
			}
			if len(ids) != len(tt.want) || (len(ids) > 0 && ids[0] != tt.want[0]) {
				t.Errorf("kept %v, want %v", ids, tt.want)
			}
			if (len(tt.want) == 0) != (skip != "") {
				t.Errorf("skip = %q", skip)
			}
		})
	}
}
