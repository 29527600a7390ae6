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
	if vpcs := vpcsNaming(t, snaps); len(vpcs) > 0 {
		workloads = slices.DeleteFunc(slices.Clone(workloads), func(w *workload.Workload) bool {
			return !w.InVPC(vpcs)
		})
	}
	tables := t.IDs(trail.KindRouteTable)
	if t.Source != trail.SourceEC2 || !slices.Contains(routeActions, t.Action) || len(tables) == 0 {
		return workloads, ""
	}
	var kept []*workload.Workload
	for _, w := range workloads {
		// A mapping on several VPC configurations is kept when a table
		// carries the traffic of any of them.
		for _, n := range w.Networks() {
			one := *w
			one.Network = n
			s := snaps[n.VPCID]
			if s == nil || slices.ContainsFunc(carriedBy(&one, s), func(rt string) bool { return slices.Contains(tables, rt) }) {
				kept = append(kept, w)
				break
			}
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Sprintf("route table %s carries the traffic of no workload (no workload subnet uses it, nor the subnet of a NAT gateway they route to)", strings.Join(tables, ", "))
	}
	return kept, ""
}

// vpcsNaming returns, for a change whose VPC the event does not name, the
// VPCs whose networks still name the changed resource: routes to a deleted
// egress-only gateway (a gateway belongs to one VPC, and only its VPC's
// routes can target it), or a Block Public Access exclusion in effect. When
// none does, it returns nothing and every VPC stays in question: whether
// such routes outlive the gateway, or a deleted exclusion stays listed, is
// not something to rely on.
func vpcsNaming(t trail.Trigger, snaps map[string]*network.Snapshot) []string {
	if t.AllVPCs == "" {
		return nil
	}
	gateways, exclusions := t.IDs(trail.KindEgressOnlyIGW), t.IDs(trail.KindBPAExclusion)
	var vpcs []string
	for id, s := range snaps {
		names := slices.ContainsFunc(s.RouteTables, func(rt network.RouteTable) bool {
			return slices.ContainsFunc(rt.Routes, func(r network.Route) bool { return slices.Contains(gateways, r.TargetID) })
		})
		for _, e := range s.BlockPublicAccess.ExclusionIDs {
			names = names || slices.Contains(exclusions, e)
		}
		if names {
			vpcs = append(vpcs, id)
		}
	}
	slices.Sort(vpcs)
	return vpcs
}
