package plan

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/reach"
)

// natGroup is the Group of the changes that make new NAT gateways useful:
// their Elastic IPs, the gateways and the routes to them.
const natGroup = "nat-gateways"

// natChoice is the alternative to new interface endpoints: the services
// they would serve, and what they would cost.
type natChoice struct {
	reqs         []check.Requirement
	endpointCost float64
}

func (n *natChoice) serves(service string) bool {
	return slices.ContainsFunc(n.reqs, func(r check.Requirement) bool { return r.Service == service })
}

func (n *natChoice) services() string {
	var names []string
	for _, r := range n.reqs {
		names = append(names, r.Service)
	}
	return strings.Join(names, ", ")
}

// withNATGateways replaces the interface endpoints that base creates with a
// NAT gateway per zone when that costs less per month, and the NAT path is
// possible and closes the same gaps. Otherwise base stands, with a note
// when NAT gateways would have been cheaper.
func withNATGateways(t *check.Target, base Plan) Plan {
	choice := &natChoice{}
	for _, c := range base.Changes {
		if c.Action != CreateInterfaceEndpoint {
			continue
		}
		if i := slices.IndexFunc(t.Requirements, func(r check.Requirement) bool { return r.Service == c.Service }); i >= 0 {
			choice.reqs = append(choice.reqs, t.Requirements[i])
			choice.endpointCost += c.MonthlyCostUSD
		}
	}
	estimate := natEstimate(t)
	if len(choice.reqs) == 0 || !cheaper(estimate, choice.endpointCost) {
		return base
	}
	alt, why := build(t, choice)
	switch {
	case why != "":
	case len(alt.Unfixable) > len(base.Unfixable):
		why = "the NAT path would leave more gaps open: " + strings.Join(alt.Unfixable, "; ")
	case !cheaper(alt.MonthlyCostUSD(), base.MonthlyCostUSD()):
		return base
	default:
		return alt
	}
	base.Recommendations = append(base.Recommendations, fmt.Sprintf(
		"NAT gateways (about $%.2f/month plus $%.3f per GB) would cost less than interface endpoints for %s (about $%.2f/month), but %s: vpcmedic plans the endpoints.",
		estimate, NATGatewayPerGB, choice.services(), choice.endpointCost, why))
	return base
}

// natEstimate is the monthly cost of a new NAT gateway and its address in
// every zone of the workload that has no available one.
func natEstimate(t *check.Target) float64 {
	var zones []string
	for _, sn := range t.Subnets() {
		if _, ok := natInZone(t.Network, sn.AvailabilityZone); !ok && !slices.Contains(zones, sn.AvailabilityZone) {
			zones = append(zones, sn.AvailabilityZone)
		}
	}
	return float64(len(zones)) * (NATGatewayMonth + PublicIPv4Month)
}

// natInZone picks the NAT gateway a private subnet of zone az should route
// to: one that carries the zone's traffic from within the zone
// (reach.NATServes: a zonal gateway in a public subnet of az, or a regional
// one with an address in az or in automatic zone mode) and whose internet
// egress VPC Block Public Access neither blocks nor leaves in doubt. A
// regional gateway counts as much as a zonal one: it translates each zone's
// traffic in that zone. Among several, the one most of the VPC's route
// tables already lead to wins, since that is the owner's choice and one
// more route to it adds no new dependency; then one with no caveat (a
// regional gateway in automatic mode that has no address in az yet).
func natInZone(s *network.Snapshot, az string) (network.NATGateway, bool) {
	var best network.NATGateway
	bestUse, bestCaveat, found := 0, false, false
	for _, n := range s.NATGateways {
		ok, caveat := reach.NATServes(s, n, az)
		if access := natEgress(s, n); !ok || access.Blocked || access.Unknown {
			continue
		}
		use := routesTo(s, n.ID)
		if !found || use > bestUse || use == bestUse && bestCaveat && caveat == "" {
			best, bestUse, bestCaveat, found = n, use, caveat != "", true
		}
	}
	return best, found
}

// natEgress is what VPC Block Public Access does to a NAT gateway's
// internet traffic: the exclusion of a zonal gateway's own subnet decides
// it (not the workload's); a regional one has no subnet, so only the VPC's.
func natEgress(s *network.Snapshot, n network.NATGateway) reach.PublicAccess {
	if n.Regional() {
		return reach.PublicAccessEgress(s, "")
	}
	return reach.PublicAccessEgress(s, n.SubnetID)
}

// routesTo counts the route tables whose active default route leads to the
// gateway.
func routesTo(s *network.Snapshot, natID string) int {
	n := 0
	for _, rt := range s.RouteTables {
		if slices.ContainsFunc(rt.Routes, func(r network.Route) bool {
			return r.Active && r.Destination == defaultRoute && r.TargetID == natID
		}) {
			n++
		}
	}
	return n
}

// natWhere names a gateway chosen for zone az and why it serves there.
func natWhere(n network.NATGateway, az string) string {
	if n.Regional() {
		return fmt.Sprintf("regional NAT gateway %s, which translates %s's traffic in %s", n.ID, az, az)
	}
	return fmt.Sprintf("NAT gateway %s in the same zone", n.ID)
}

// cheaper compares monthly costs to the cent: a tie keeps the endpoints,
// which expose nothing to the internet.
func cheaper(a, b float64) bool {
	return math.Round(a*100) < math.Round(b*100)
}

// natRoute is a route table to point at its zone's NAT gateway.
type natRoute struct {
	table, subnet, az string
}

// natGateways routes every failing subnet of the chosen services to a NAT
// gateway of its own zone: the available one there, else a new one, with
// its Elastic IP, in a public subnet of that zone. It returns why not when
// a subnet cannot take that path; the caller then drops the whole attempt.
func (p *planner) natGateways(n *natChoice) string {
	var subnets []string
	for _, req := range n.reqs {
		for _, e := range reach.Endpoints(p.snap, p.t.Region, req.Service, "Interface") {
			if e.PrivateDNS {
				return fmt.Sprintf("the %s endpoint %s has private DNS, which takes %s's traffic away from any NAT gateway", req.Service, e.ID, req.Service)
			}
		}
		for _, g := range p.failing(req.Service) {
			if !slices.Contains(subnets, g.SubnetID) {
				subnets = append(subnets, g.SubnetID)
			}
		}
	}
	var routes []natRoute
	var zones []string
	for _, id := range subnets {
		sn, _ := p.snap.Subnet(id)
		if p.t.Workload.IsMapping() && reach.Public(p.snap, id) {
			return fmt.Sprintf("subnet %s is public, where an on-demand mapping is served by PrivateLink only", id)
		}
		egress := reach.DefaultEgress(p.snap, id)
		switch {
		case egress.RouteTableID == "":
			return egress.Problem
		case egress.TargetID != "":
			return fmt.Sprintf("route table %s of subnet %s already sends 0.0.0.0/0 to %s, and vpcmedic never replaces a route", egress.RouteTableID, id, egress.TargetID)
		}
		if i := slices.IndexFunc(routes, func(r natRoute) bool { return r.table == egress.RouteTableID }); i >= 0 {
			if routes[i].az != sn.AvailabilityZone {
				return fmt.Sprintf("route table %s serves subnets in %s and %s, so its one default route cannot lead to each zone's own NAT gateway", egress.RouteTableID, routes[i].az, sn.AvailabilityZone)
			}
			continue
		}
		routes = append(routes, natRoute{table: egress.RouteTableID, subnet: id, az: sn.AvailabilityZone})
		if !slices.Contains(zones, sn.AvailabilityZone) {
			zones = append(zones, sn.AvailabilityZone)
		}
	}
	if len(routes) == 0 {
		return "no subnet of the workload can take a route to a NAT gateway"
	}

	nats := map[string]string{}
	var homes []natRoute // zone and public subnet of each new gateway
	for _, az := range zones {
		if nat, ok := natInZone(p.snap, az); ok {
			nats[az] = nat.ID
			continue
		}
		if why := regionalBeside(p.snap, az); why != "" {
			return why
		}
		public, why := natHome(p.snap, az)
		if why != "" {
			return why
		}
		homes = append(homes, natRoute{subnet: public, az: az})
	}
	for _, h := range homes {
		eip, nat := p.plannedID("eipalloc"), p.plannedID("nat")
		nats[h.az] = nat
		p.add(Change{
			Action: AllocateAddress, Target: h.subnet, CheckIDs: []string{"VM102"}, Group: natGroup,
			VPCID: p.snap.VPC.ID, SubnetIDs: []string{h.subnet}, AllocationID: eip, MonthlyCostUSD: PublicIPv4Month,
			Reason: fmt.Sprintf("allocate an Elastic IP for the new NAT gateway of %s (a public IPv4 address, about $%.2f/month)", h.az, PublicIPv4Month),
		})
		p.add(Change{
			Action: CreateNATGateway, Target: h.subnet, CheckIDs: []string{"VM102"}, Group: natGroup,
			VPCID: p.snap.VPC.ID, SubnetIDs: []string{h.subnet}, AllocationID: eip, NATGatewayID: nat, MonthlyCostUSD: NATGatewayMonth,
			Reason: fmt.Sprintf("create a NAT gateway in public subnet %s (%s), so %s are reachable from the zone's private subnets: about $%.2f/month plus $%.3f per GB, where interface endpoints for them would cost about $%.2f/month in all (AllowNatCreation is on)",
				h.subnet, h.az, n.services(), NATGatewayMonth, NATGatewayPerGB, n.endpointCost),
		})
	}
	for _, r := range routes {
		p.add(Change{
			Action: CreateRoute, Target: r.table, CheckIDs: []string{"VM102"}, Group: natGroup,
			RouteTableIDs: []string{r.table}, NATGatewayID: nats[r.az],
			Reason: fmt.Sprintf("route 0.0.0.0/0 of route table %s (subnet %s, %s) to NAT gateway %s in the same zone, so %s are reachable", r.table, r.subnet, r.az, nats[r.az], n.services()),
		})
	}
	for _, req := range n.reqs {
		if gaps := p.failing(req.Service); len(gaps) > 0 {
			return fmt.Sprintf("through a NAT gateway %s would still be unreachable from subnet %s: %s", req.Service, gaps[0].SubnetID, gaps[0].Problem)
		}
	}
	return ""
}

// natHome returns the public subnet of zone az to hold a new NAT gateway,
// or why there is none: a gateway in a subnet that VPC Block Public Access
// keeps off the internet would cost money and carry nothing, and vpcmedic
// never changes Block Public Access.
func natHome(s *network.Snapshot, az string) (subnet, why string) {
	for _, sn := range s.Subnets {
		if sn.AvailabilityZone != az || !reach.Public(s, sn.ID) {
			continue
		}
		access := reach.PublicAccessEgress(s, sn.ID)
		if !access.Blocked {
			return sn.ID, ""
		}
		if why == "" {
			why = fmt.Sprintf("%s, so a NAT gateway there could not reach the internet (vpcmedic never changes Block Public Access)", access.Setting)
		}
	}
	if why == "" {
		why = fmt.Sprintf("zone %s has no public subnet to hold a NAT gateway", az)
	}
	return "", why
}

// regionalBeside says why no zonal NAT gateway is added in zone az when the
// VPC already has a regional one that does not serve it: the owner chose
// the regional gateway, and giving it an address in az (recommended, never
// done) costs less than a second gateway.
func regionalBeside(s *network.Snapshot, az string) string {
	for _, n := range s.NATGateways {
		if !n.Regional() || n.State != "available" || n.Connectivity != "public" {
			continue
		}
		ok, why := reach.NATServes(s, n, az)
		if ok {
			why = natEgress(s, n).Setting
		}
		return fmt.Sprintf("VPC %s already has regional NAT gateway %s, which cannot carry %s's traffic (%s), and vpcmedic adds no zonal NAT gateway beside it", s.VPC.ID, n.ID, az, why)
	}
	return ""
}
