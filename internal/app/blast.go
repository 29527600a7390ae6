package app

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/trail"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// routeActions are the changes that touch named route tables only.
var routeActions = []string{"CreateRoute", "ReplaceRoute", "DeleteRoute", "AssociateRouteTable", "ReplaceRouteTableAssociation"}

// carriedBy returns the route tables a workload's traffic can cross: the
// effective table of each of its subnets, and the table of each NAT
// gateway's subnet those tables route to (changing the public table under
// a NAT breaks the private subnets behind it).
func carriedBy(w *workload.Workload, s *network.Snapshot) []string {
	var tables []string
	for _, id := range w.Network.SubnetIDs {
		rt, ok := s.RouteTableOf(id)
		if !ok {
			continue
		}
		tables = append(tables, rt.ID)
		if e := reach.DefaultEgress(s, id); e.NAT != nil {
			if natRT, ok := s.RouteTableOf(e.NAT.SubnetID); ok {
				tables = append(tables, natRT.ID)
			}
		}
	}
	return tables
}

// narrow keeps the workloads a route change can affect: those whose traffic
// crosses one of the tables it names. Other changes keep every workload.
func narrow(t trail.Trigger, workloads []*workload.Workload, snaps map[string]*network.Snapshot) ([]*workload.Workload, string) {
	tables := t.IDs(trail.KindRouteTable)
	if t.Source != trail.SourceEC2 || !slices.Contains(routeActions, t.Action) || len(tables) == 0 {
		return workloads, ""
	}
	var kept []*workload.Workload
	for _, w := range workloads {
		s := snaps[w.Network.VPCID]
		if s == nil || slices.ContainsFunc(carriedBy(w, s), func(rt string) bool { return slices.Contains(tables, rt) }) {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Sprintf("route table %s carries the traffic of no workload (no workload subnet uses it, nor the subnet of a NAT gateway they route to)", strings.Join(tables, ", "))
	}
	return kept, ""
}
