// Package reach decides, on a network.Snapshot and without any AWS call,
// whether traffic can get from a workload's ENIs to what it must reach: the
// internet through a NAT gateway, an AWS service through a PrivateLink
// endpoint, a broker or database port inside the VPC. Every answer carries
// the evidence (route tables, routes, gateways, endpoints, rules) behind it.
package reach

import (
	"fmt"
	"net/netip"

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
		e.NAT, e.Problem, e.CrossAZ = checkNAT(s, subnetID, route.TargetID)
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

// checkNAT verifies that a NAT gateway can carry traffic to the internet:
// available, public, in a public subnet. It also reports a gateway in
// another zone, which works but ties this zone to that one.
func checkNAT(s *network.Snapshot, fromSubnet, natID string) (*network.NATGateway, string, string) {
	var nat *network.NATGateway
	for i := range s.NATGateways {
		if s.NATGateways[i].ID == natID {
			nat = &s.NATGateways[i]
		}
	}
	if nat == nil {
		return nil, fmt.Sprintf("NAT gateway %s does not exist", natID), ""
	}
	if nat.State != "available" {
		return nat, fmt.Sprintf("NAT gateway %s is %s", nat.ID, nat.State), ""
	}
	if nat.Connectivity != "public" {
		return nat, fmt.Sprintf("NAT gateway %s is a private NAT gateway: it does not reach the internet", nat.ID), ""
	}
	if ok, reason := publicSubnet(s, nat.SubnetID); !ok {
		return nat, fmt.Sprintf("NAT gateway %s sits in subnet %s, which is not public: %s", nat.ID, nat.SubnetID, reason), ""
	}
	from, _ := s.Subnet(fromSubnet)
	natSubnet, _ := s.Subnet(nat.SubnetID)
	if from.AvailabilityZone != "" && natSubnet.AvailabilityZone != from.AvailabilityZone {
		return nat, "", natSubnet.AvailabilityZone
	}
	return nat, "", ""
}
