// Package reach decides, on a network.Snapshot and without any AWS call,
// whether traffic can get from a workload's ENIs to what it must reach: the
// internet through a NAT gateway, an AWS service through a PrivateLink
// endpoint, a broker or database port inside the VPC. Every answer carries
// the evidence (route tables, routes, gateways, endpoints, rules) behind it.
package reach

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// Egress kinds: where a subnet's default IPv4 route leads.
const (
	EgressNone     = "none"     // no default route, or a blackhole
	EgressInternet = "internet" // an internet gateway: the subnet is public
	EgressNAT      = "nat"      // a NAT gateway
	EgressOther    = "other"    // a transit gateway, peering, appliance...: not verifiable here
)

// Egress is where a subnet's default route leads.
type Egress struct {
	Kind         string
	SubnetID     string
	RouteTableID string
	// TargetID is the route's target (igw-, nat-, tgw-, ...).
	TargetID string
	// NAT is the gateway of a NAT route.
	NAT *network.NATGateway
	// Problem says why a NAT route does not work (empty when it does).
	Problem string
	// CrossAZ is the NAT's zone when it differs from the subnet's.
	CrossAZ string
	// Warning is a caveat of a NAT route that works (a regional NAT gateway
	// that has no address in the subnet's zone yet).
	Warning string
}

var defaultRoute = netip.MustParsePrefix("0.0.0.0/0")

// DefaultEgress follows a subnet's default IPv4 route.
func DefaultEgress(s *network.Snapshot, subnetID string) Egress {
	e := Egress{Kind: EgressNone, SubnetID: subnetID}
	rt, ok := s.RouteTableOf(subnetID)
	if !ok {
		e.Problem = fmt.Sprintf("subnet %s has no route table (no explicit association and no main table)", subnetID)
		return e
	}
	e.RouteTableID = rt.ID
	var route *network.Route
	for i, r := range rt.Routes {
		if r.Destination == defaultRoute {
			route = &rt.Routes[i]
			break
		}
	}
	if route == nil {
		e.Problem = fmt.Sprintf("route table %s has no 0.0.0.0/0 route", rt.ID)
		return e
	}
	e.TargetID = route.TargetID
	if !route.Active {
		e.Problem = fmt.Sprintf("route table %s sends 0.0.0.0/0 to %s, which no longer exists (blackhole)", rt.ID, route.TargetID)
		return e
	}
	switch route.TargetKind {
	case network.TargetInternetGateway:
		e.Kind = EgressInternet
	case network.TargetNATGateway:
		e.Kind = EgressNAT
		var v natVerdict
		e.NAT, v = checkNAT(s, subnetID, route.TargetID)
		e.Problem, e.CrossAZ, e.Warning = v.problem, v.crossAZ, v.warning
	default:
		e.Kind = EgressOther
	}
	return e
}

// Public reports whether a subnet is public: an active default route to an
// internet gateway.
func Public(s *network.Snapshot, subnetID string) bool {
	ok, _ := publicSubnet(s, subnetID)
	return ok
}

// publicSubnet looks at the subnet's default route only (a NAT gateway's
// own subnet must not be followed through NAT routes again), and says why
// the subnet is not public.
func publicSubnet(s *network.Snapshot, subnetID string) (bool, string) {
	rt, ok := s.RouteTableOf(subnetID)
	if !ok {
		return false, fmt.Sprintf("subnet %s has no route table", subnetID)
	}
	for _, r := range rt.Routes {
		if r.Destination != defaultRoute {
			continue
		}
		if r.Active && r.TargetKind == network.TargetInternetGateway {
			return true, ""
		}
		return false, fmt.Sprintf("its route table %s sends 0.0.0.0/0 to %s, not to an internet gateway", rt.ID, r.TargetID)
	}
	return false, fmt.Sprintf("its route table %s has no 0.0.0.0/0 route", rt.ID)
}

// checkNAT verifies that a NAT gateway can carry a subnet's traffic to the
// internet. It also reports a zonal gateway in another zone, which works but
// ties this zone to that one, and a caveat of a gateway that works.
func checkNAT(s *network.Snapshot, fromSubnet, natID string) (*network.NATGateway, natVerdict) {
	var nat *network.NATGateway
	for i := range s.NATGateways {
		if s.NATGateways[i].ID == natID {
			nat = &s.NATGateways[i]
		}
	}
	if nat == nil {
		return nil, natVerdict{problem: fmt.Sprintf("NAT gateway %s does not exist", natID)}
	}
	from, _ := s.Subnet(fromSubnet)
	return nat, judgeNAT(s, *nat, from.AvailabilityZone)
}

// natVerdict is what a NAT gateway does for one zone's traffic: problem
// says why it carries none; otherwise crossAZ is the zone of a zonal
// gateway elsewhere and warning a caveat of a gateway that works.
type natVerdict struct {
	problem, crossAZ, warning string
}

// NATServes reports whether NAT gateway nat carries the internet traffic of
// a subnet of zone az from within that zone, so that a route from such a
// subnet to it is a same-zone path: an available public gateway, either
// zonal in a public subnet of az, or regional with an address in az (or in
// automatic zone mode, where AWS adds one) in a VPC with an internet gateway
// attached. When ok is false, why says why; when ok is true, why is empty or
// a caveat (a regional gateway that has no address in az yet).
func NATServes(s *network.Snapshot, nat network.NATGateway, az string) (ok bool, why string) {
	v := judgeNAT(s, nat, az)
	switch {
	case v.problem != "":
		return false, v.problem
	case v.crossAZ != "":
		return false, fmt.Sprintf("NAT gateway %s is in %s, not %s", nat.ID, v.crossAZ, az)
	}
	return true, v.warning
}

// judgeNAT decides what a NAT gateway does for traffic from zone az.
func judgeNAT(s *network.Snapshot, nat network.NATGateway, az string) natVerdict {
	if nat.State != "available" {
		return natVerdict{problem: fmt.Sprintf("NAT gateway %s is %s", nat.ID, nat.State)}
	}
	if nat.Connectivity != "public" {
		return natVerdict{problem: fmt.Sprintf("NAT gateway %s is a private NAT gateway: it does not reach the internet", nat.ID)}
	}
	if nat.Regional() {
		return judgeRegionalNAT(s, nat, az)
	}
	if ok, reason := publicSubnet(s, nat.SubnetID); !ok {
		return natVerdict{problem: fmt.Sprintf("NAT gateway %s sits in subnet %s, which is not public: %s", nat.ID, nat.SubnetID, reason)}
	}
	natSubnet, _ := s.Subnet(nat.SubnetID)
	if az != "" && natSubnet.AvailabilityZone != az {
		return natVerdict{crossAZ: natSubnet.AvailabilityZone}
	}
	return natVerdict{}
}

// judgeRegionalNAT decides what a regional NAT gateway does for traffic
// from zone az. It has no subnet: it translates a zone's traffic with its
// addresses in that zone, and reaches the internet through the VPC's
// internet gateway. In automatic zone mode AWS gives it addresses in every
// zone where the VPC has subnets; in manual mode only the zones given to it
// are served.
func judgeRegionalNAT(s *network.Snapshot, nat network.NATGateway, az string) natVerdict {
	if !hasAttachedInternetGateway(s) {
		return natVerdict{problem: fmt.Sprintf("VPC %s has no internet gateway attached, and regional NAT gateway %s reaches the internet only through one", s.VPC.ID, nat.ID)}
	}
	if az == "" || slices.Contains(nat.Zones, az) {
		return natVerdict{}
	}
	if nat.AutoProvisionZones == "disabled" {
		return natVerdict{problem: fmt.Sprintf("regional NAT gateway %s has no address in %s and its zones are managed by hand (automatic zone provisioning disabled), so it does not translate %s's traffic: give it an address there (aws ec2 associate-nat-gateway-address --nat-gateway-id %s --allocation-ids <eipalloc-id> --availability-zone %s)", nat.ID, az, az, nat.ID, az)}
	}
	return natVerdict{warning: fmt.Sprintf("regional NAT gateway %s has no address in %s yet: in automatic zone mode AWS adds one in every zone where the VPC has subnets; until it has, this zone may depend on another one", nat.ID, az)}
}

func hasAttachedInternetGateway(s *network.Snapshot) bool {
	return slices.ContainsFunc(s.InternetGateways, func(g network.InternetGateway) bool { return g.Attached })
}
