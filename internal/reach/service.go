package reach

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// Ways a service is reached.
const (
	ViaEndpoint        = "endpoint"
	ViaGatewayEndpoint = "gateway-endpoint"
	ViaNAT             = "nat"
)

// HTTPS is the port of every AWS service API.
const HTTPS = 443

// ServiceQuery asks how one workload subnet reaches one AWS service.
type ServiceQuery struct {
	Region  string
	Service string // the endpoint service suffix: lambda, sts, secretsmanager, s3, ...
	// From is the workload's ENIs in one subnet, with their groups.
	From Place
	// NATAllows says whether a NAT gateway can serve this workload at all
	// (an on-demand ESM in a public subnet only takes PrivateLink).
	NATAllowed bool
	// Policy decides whether an endpoint's policy lets the workload's
	// requests through; nil accepts every policy.
	Policy func(network.Endpoint) (ok bool, reason string)
	// PolicyUnverified says why an endpoint's policy lets the requests
	// through only on what vpcmedic cannot evaluate ("" when it does not);
	// the path is then unverified rather than OK. nil: never.
	PolicyUnverified func(network.Endpoint) string
	// PublicIPv4 says whether the workload's interfaces in a public subnet
	// have a public IPv4 address: PublicIPv4None (Lambda's own network
	// interfaces never do), PublicIPv4Yes or PublicIPv4Unknown.
	PublicIPv4 string
}

// ServicePath is the answer: the path taken, or why there is none.
type ServicePath struct {
	Service  string
	SubnetID string
	AZ       string
	// Via is how the service is reached when OK.
	Via string
	OK  bool
	// Unverified is set when the path leaves through something vpcmedic
	// cannot see into (a transit gateway, a peering, an appliance).
	Unverified bool
	// InProgress marks an unverified path that waits on vpcmedic's own
	// change (an endpoint it created, still pending).
	InProgress bool
	// Problem says, problem first, why there is no path.
	Problem string
	// Warnings are zone dependencies (a NAT gateway or endpoint interface
	// in another zone); Partial are rules that let only part of the
	// traffic through.
	Warnings []string
	Partial  []string
	// Evidence lists the resources consulted.
	Evidence []string
}

// EndpointServiceName is the PrivateLink service name of an AWS service.
func EndpointServiceName(region, service string) string {
	return "com.amazonaws." + region + "." + service
}

// liveEndpointStates are the endpoint states that still take traffic or
// will: anything else (deleting, deleted, rejected, failed, expired) is gone.
var liveEndpointStates = []string{"available", "pending", "pendingAcceptance", "Available", "Pending", "PendingAcceptance"}

// Endpoints returns the live endpoints of a service in the VPC, of a type
// (Interface or Gateway).
func Endpoints(s *network.Snapshot, region, service, kind string) []network.Endpoint {
	name := EndpointServiceName(region, service)
	var out []network.Endpoint
	for _, e := range s.Endpoints {
		if e.ServiceName == name && strings.EqualFold(e.Type, kind) && slices.Contains(liveEndpointStates, e.State) {
			out = append(out, e)
		}
	}
	return out
}

// Service decides how q.From reaches q.Service, following DOMAIN rules: a
// usable interface endpoint with private DNS takes the service's traffic
// for the whole VPC (and so shadows the NAT path, even when it is itself
// unusable), unless its private DNS answers only Route 53 Resolver inbound
// endpoints; S3 and DynamoDB can also use a gateway endpoint route; else a
// NAT path, where allowed.
func Service(s *network.Snapshot, q ServiceQuery) ServicePath {
	p := ServicePath{Service: q.Service, SubnetID: q.From.SubnetID}
	if sn, ok := s.Subnet(q.From.SubnetID); ok {
		p.AZ = sn.AvailabilityZone
	}
	if !s.VPC.DNSSupport {
		p.Problem = fmt.Sprintf("VPC %s has DNS support turned off: no AWS service name resolves inside it", s.VPC.ID)
		p.Evidence = append(p.Evidence, s.VPC.ID)
		return p
	}
	interfaces := Endpoints(s, q.Region, q.Service, "Interface")
	var shadowing []network.Endpoint
	for _, e := range interfaces {
		if e.PrivateDNS && !e.PrivateDNSOnlyForInboundResolver {
			shadowing = append(shadowing, e)
		}
	}
	if len(shadowing) > 0 && s.VPC.DNSHostnames {
		return endpointPath(s, q, p, shadowing[0])
	}
	var notes []string
	for _, e := range interfaces {
		p.Evidence = append(p.Evidence, e.ID)
		switch {
		case e.PrivateDNS && e.PrivateDNSOnlyForInboundResolver:
			note := fmt.Sprintf("endpoint %s answers only queries from Route 53 Resolver inbound endpoints (private DNS only for inbound resolver), so the VPC's own %s traffic does not go to it", e.ID, q.Service)
			notes = append(notes, note)
			p.Evidence = append(p.Evidence, note)
		case !e.PrivateDNS:
			notes = append(notes, fmt.Sprintf("endpoint %s exists but its private DNS is off, so %s's public name does not lead to it", e.ID, q.Service))
		case !s.VPC.DNSHostnames:
			notes = append(notes, fmt.Sprintf("endpoint %s has private DNS, but VPC %s has DNS hostnames turned off, so it is not used", e.ID, s.VPC.ID))
		}
	}
	if gw, ok := gatewayPath(s, q, p); ok {
		return gw
	}
	return natPath(s, q, p, notes)
}

// managedTag marks what vpcmedic created (remediate.TagManaged).
const managedTag = "vpcmedic:managed"

// creating reports an endpoint vpcmedic created that AWS is still
// provisioning. Only pending counts: pendingAcceptance waits for a service
// owner, which may never come.
func creating(e network.Endpoint) bool {
	return strings.EqualFold(e.State, "pending") && e.Tags[managedTag] == "true"
}

// endpointPath checks the interface endpoint that takes the service's
// traffic.
func endpointPath(s *network.Snapshot, q ServiceQuery, p ServicePath, e network.Endpoint) ServicePath {
	p.Via = ViaEndpoint
	p.Evidence = append(p.Evidence, e.ID)
	shadow := fmt.Sprintf("its private DNS sends all %s traffic of VPC %s to it, so a NAT gateway cannot take over", q.Service, s.VPC.ID)
	if creating(e) {
		// An endpoint vpcmedic just created is an outcome in progress, not
		// a break: the sweep re-checks it once it is available.
		p.Unverified, p.InProgress = true, true
		p.Problem = fmt.Sprintf("vpcmedic's own %s endpoint %s is still being created (pending); it is re-checked once available", q.Service, e.ID)
		return p
	}
	if !strings.EqualFold(e.State, "available") {
		p.Problem = fmt.Sprintf("the %s endpoint %s is %s, not available; %s", q.Service, e.ID, e.State, shadow)
		return p
	}
	if q.Policy != nil {
		if ok, reason := q.Policy(e); !ok {
			p.Problem = fmt.Sprintf("the policy of the %s endpoint %s refuses the request: %s", q.Service, e.ID, reason)
			return p
		}
	}
	// Prefer the endpoint's ENI in the workload's zone; without one, the
	// name resolves to the other zones' ENIs (works, but crosses zones).
	targets := e.SubnetIDs
	for _, id := range e.SubnetIDs {
		if sameAZ(s, id, p.AZ) {
			targets = []string{id}
			break
		}
	}
	if len(targets) == 0 {
		p.Problem = fmt.Sprintf("the %s endpoint %s has no subnets", q.Service, e.ID)
		return p
	}
	if !sameAZ(s, targets[0], p.AZ) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("the %s endpoint %s has no network interface in %s: traffic crosses to another zone and depends on it", q.Service, e.ID, p.AZ))
	}
	var reasons []string
	for _, target := range targets {
		v := Flow(s, q.From, Place{SubnetID: target, GroupIDs: e.SecurityGroupIDs}, HTTPS)
		p.Evidence = append(p.Evidence, v.Evidence...)
		if v.Allowed {
			p.OK = true
			if v.Partial {
				p.Partial = append(p.Partial, v.Reason)
			}
			return policyUnverified(q, p, e, "endpoint")
		}
		reasons = append(reasons, v.Reason)
	}
	p.Problem = fmt.Sprintf("the %s endpoint %s cannot be reached on TCP %d: %s; %s", q.Service, e.ID, HTTPS, strings.Join(reasons, "; "), shadow)
	return p
}

func sameAZ(s *network.Snapshot, subnetID, az string) bool {
	sn, ok := s.Subnet(subnetID)
	return ok && sn.AvailabilityZone == az
}

// gatewayPath finds a gateway endpoint route (S3, DynamoDB) in the
// workload subnet's route table.
func gatewayPath(s *network.Snapshot, q ServiceQuery, p ServicePath) (ServicePath, bool) {
	gateways := Endpoints(s, q.Region, q.Service, "Gateway")
	if len(gateways) == 0 {
		return p, false
	}
	rt, ok := s.RouteTableOf(q.From.SubnetID)
	if !ok {
		return p, false
	}
	for _, g := range gateways {
		if !slices.Contains(g.RouteTableIDs, rt.ID) {
			continue
		}
		p.Via = ViaGatewayEndpoint
		p.Evidence = append(p.Evidence, g.ID, rt.ID)
		if q.Policy != nil {
			if ok, reason := q.Policy(g); !ok {
				p.Problem = fmt.Sprintf("the policy of the %s gateway endpoint %s refuses the request: %s", q.Service, g.ID, reason)
				return p, true
			}
		}
		prefixList := ""
		for _, r := range rt.Routes {
			if r.TargetID == g.ID {
				prefixList = r.DestinationPrefixList
			}
		}
		v := SecurityGroups(s, q.From, Place{Outside: defaultRoute}, HTTPS)
		if !v.Allowed && !egressToPrefixList(s, q.From.GroupIDs, prefixList, HTTPS) {
			p.Problem = fmt.Sprintf("the security groups of the workload do not allow TCP %d out to %s (neither 0.0.0.0/0 nor its prefix list %s): %s", HTTPS, q.Service, prefixList, v.Reason)
			return p, true
		}
		return policyUnverified(q, gatewayACLs(s, q, p, g, rt.ID, prefixList), g, "gateway endpoint"), true
	}
	return p, false
}

// policyUnverified turns a path that works on the network into an
// unverified one when the endpoint's policy admits the requests only on
// what cannot be evaluated.
func policyUnverified(q ServiceQuery, p ServicePath, e network.Endpoint, kind string) ServicePath {
	if !p.OK || q.PolicyUnverified == nil {
		return p
	}
	if why := q.PolicyUnverified(e); why != "" {
		p.OK, p.Unverified = false, true
		p.Problem = fmt.Sprintf("the policy of the %s %s %s may refuse the request: %s", q.Service, kind, e.ID, why)
	}
	return p
}

// gatewayACLs checks the workload subnet's network ACL against the gateway
// endpoint's prefix list: the packets carry the service's public addresses.
// When the prefix list's CIDRs are unknown, an ACL that lets HTTPS and its
// replies through for the whole internet still decides it; any other ACL
// leaves the path unverified.
func gatewayACLs(s *network.Snapshot, q ServiceQuery, p ServicePath, g network.Endpoint, routeTableID, prefixList string) ServicePath {
	name := fmt.Sprintf("the %s gateway endpoint %s (prefix list %s)", q.Service, g.ID, prefixList)
	if prefixList != "" {
		p.Evidence = appendNew(p.Evidence, prefixList)
	}
	cidrs, known := s.PrefixLists[prefixList]
	if !known || len(cidrs) == 0 {
		blocked, partial, evidence := runLegs(s, serviceLegs(q.From, []netip.Prefix{defaultRoute}))
		p.Evidence = appendNew(p.Evidence, evidence...)
		if len(blocked) == 0 && len(partial) == 0 {
			p.OK = true
			return p
		}
		what := fmt.Sprintf("the CIDRs of prefix list %s are not in the snapshot", prefixList)
		if prefixList == "" {
			what = fmt.Sprintf("no route of route table %s names the prefix list of %s", routeTableID, g.ID)
			name = fmt.Sprintf("the %s gateway endpoint %s", q.Service, g.ID)
		}
		p.Unverified = true
		p.Problem = fmt.Sprintf("the network ACL of subnet %s cannot be checked against %s: %s, and the ACL does not let TCP %d and its replies through for the whole internet (%s)",
			q.From.SubnetID, name, what, HTTPS, strings.Join(append(blocked, partial...), "; "))
		return p
	}
	blocked, partial, evidence := runLegs(s, serviceLegs(q.From, cidrs))
	p.Evidence = appendNew(p.Evidence, evidence...)
	if len(blocked) > 0 {
		p.Problem = fmt.Sprintf("network ACLs block TCP %d to %s: %s", HTTPS, name, summarise(blocked))
		return p
	}
	p.Partial = append(p.Partial, partial...)
	p.OK = true
	return p
}

// egressToPrefixList reports whether one of the groups allows TCP port out
// to a prefix list.
func egressToPrefixList(s *network.Snapshot, groupIDs []string, prefixList string, port int) bool {
	if prefixList == "" {
		return false
	}
	for _, id := range groupIDs {
		g, ok := s.SecurityGroup(id)
		if !ok {
			continue
		}
		for _, r := range g.Egress {
			if r.PrefixListID == prefixList && RuleCoversTCP(r, port) {
				return true
			}
		}
	}
	return false
}

// RuleCoversTCP reports whether a security group rule's protocol and
// ports cover a TCP port (its peer aside).
func RuleCoversTCP(r network.Rule, port int) bool {
	switch r.Protocol {
	case "-1", "all":
		return true
	case "tcp", "6":
		return int(r.FromPort) <= port && port <= int(r.ToPort)
	}
	return false
}

// natPath checks the subnet's default route through a NAT gateway: the
// gateway itself, VPC Block Public Access, the workload's security groups
// and the network ACLs of every leg (natACLLegs).
func natPath(s *network.Snapshot, q ServiceQuery, p ServicePath, notes []string) ServicePath {
	egress := DefaultEgress(s, q.From.SubnetID)
	p.Evidence = append(p.Evidence, egress.RouteTableID)
	if egress.TargetID != "" {
		p.Evidence = append(p.Evidence, egress.TargetID)
	}
	noEndpoint := fmt.Sprintf("no %s interface endpoint with private DNS in VPC %s", q.Service, s.VPC.ID)
	if len(notes) > 0 {
		noEndpoint += " (" + strings.Join(notes, "; ") + ")"
	}
	if !q.NATAllowed {
		where := "it"
		if egress.Kind == EgressInternet {
			where = fmt.Sprintf("subnet %s is public (route table %s sends 0.0.0.0/0 to %s)", q.From.SubnetID, egress.RouteTableID, egress.TargetID)
		}
		p.Problem = fmt.Sprintf("%s: only a PrivateLink endpoint serves here, since %s and a NAT gateway does not help", noEndpoint, where)
		return p
	}
	switch egress.Kind {
	case EgressInternet:
		if q.PublicIPv4 != PublicIPv4None {
			return internetPath(s, q, p, egress, noEndpoint)
		}
		// Only a function gets here: an on-demand mapping in a public
		// subnet is refused NAT above.
		p.Problem = fmt.Sprintf("%s, and subnet %s is public (route table %s sends 0.0.0.0/0 to %s), but a function in a public subnet gets no public IP (Lambda's network interfaces never get one), so the internet gateway gives it no internet: use a NAT gateway from a private subnet or a VPC endpoint", noEndpoint, q.From.SubnetID, egress.RouteTableID, egress.TargetID)
		return p
	case EgressOther:
		p.Unverified = true
		p.Problem = fmt.Sprintf("%s; the default route of route table %s goes to %s, whose onward path to the internet vpcmedic cannot see", noEndpoint, egress.RouteTableID, egress.TargetID)
		return p
	case EgressNone:
		p.Problem = fmt.Sprintf("%s and no NAT path: %s", noEndpoint, egress.Problem)
		return p
	}
	if egress.Problem != "" {
		p.Problem = fmt.Sprintf("%s and the NAT path is broken: %s", noEndpoint, egress.Problem)
		return p
	}
	p.Via = ViaNAT
	bpa, bpaProblem := natPublicAccess(s, *egress.NAT)
	p.Evidence = appendNew(p.Evidence, bpa.Evidence...)
	if bpa.Blocked {
		p.Problem = fmt.Sprintf("%s and the NAT path is blocked: %s", noEndpoint, bpaProblem)
		return p
	}
	if egress.CrossAZ != "" {
		p.Warnings = append(p.Warnings, fmt.Sprintf("route table %s sends %s's traffic to NAT gateway %s in %s: this zone depends on another one and pays cross-zone traffic", egress.RouteTableID, p.AZ, egress.NAT.ID, egress.CrossAZ))
	}
	if egress.Warning != "" {
		p.Warnings = append(p.Warnings, egress.Warning)
	}
	internet := Place{Outside: defaultRoute}
	if v := SecurityGroups(s, q.From, internet, HTTPS); !v.Allowed {
		p.Evidence = append(p.Evidence, v.Evidence...)
		p.Problem = fmt.Sprintf("the workload's security groups do not allow TCP %d out to the internet (needed through NAT gateway %s): %s", HTTPS, egress.NAT.ID, v.Reason)
		return p
	}
	blocked, partial, evidence := runLegs(s, natACLLegs(q.From, *egress.NAT))
	p.Evidence = appendNew(p.Evidence, evidence...)
	if len(blocked) > 0 {
		p.Problem = fmt.Sprintf("network ACLs block TCP %d to NAT gateway %s and on to the internet: %s", HTTPS, egress.NAT.ID, strings.Join(blocked, "; "))
		return p
	}
	p.Partial = append(p.Partial, partial...)
	if bpa.Unknown {
		p.Unverified = true
		p.Problem = fmt.Sprintf("%s and the NAT path may be blocked: %s", noEndpoint, bpaProblem)
		return p
	}
	p.OK = true
	return p
}
