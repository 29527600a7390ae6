package reach

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// withS3Gateway adds an S3 gateway endpoint on rtb-priv-a with its
// prefix-list route, and the prefix list's CIDRs when given.
func withS3Gateway(s *network.Snapshot, cidrs ...string) *network.Snapshot {
	s.Endpoints = append(s.Endpoints, network.Endpoint{ID: "vpce-s3gw", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway", State: "available", RouteTableIDs: []string{"rtb-priv-a"}})
	for i, rt := range s.RouteTables {
		if rt.ID == "rtb-priv-a" {
			s.RouteTables[i].Routes = append(s.RouteTables[i].Routes, network.Route{DestinationPrefixList: "pl-63a5400a", TargetKind: network.TargetVPCEndpoint, TargetID: "vpce-s3gw", Active: true})
		}
	}
	if cidrs != nil {
		s.PrefixLists = map[string][]netip.Prefix{"pl-63a5400a": prefixes(cidrs...)}
	}
	return s
}

// assertPath checks a path's outcome and what its problem and evidence say.
func assertPath(t *testing.T, p ServicePath, ok, unverified bool, via string, problemHas, evidenceHas []string) {
	t.Helper()
	if p.OK != ok || p.Unverified != unverified || p.Via != via {
		t.Fatalf("ok=%v unverified=%v via=%q, want ok=%v unverified=%v via=%q; problem %q", p.OK, p.Unverified, p.Via, ok, unverified, via, p.Problem)
	}
	if ok && p.Problem != "" {
		t.Errorf("a working path has a problem: %q", p.Problem)
	}
	for _, want := range problemHas {
		if !strings.Contains(p.Problem, want) {
			t.Errorf("problem %q does not say %q", p.Problem, want)
		}
	}
	for _, want := range evidenceHas {
		if !slices.ContainsFunc(p.Evidence, func(e string) bool { return strings.Contains(e, want) }) {
			t.Errorf("evidence %q lacks %q", p.Evidence, want)
		}
	}
}

func TestGatewayEndpointACLs(t *testing.T) {
	s3 := []string{"52.216.0.0/15", "3.5.0.0/19"}
	// intra is the dedicated ACL of terraform-aws-modules' intra subnets:
	// everything within the VPC, nothing else.
	intra := []network.ACLEntry{inbound(100, allow, "-1", "10.0.0.0/16", 0, 65535), outbound(100, allow, "-1", "10.0.0.0/16", 0, 65535)}
	tests := []struct {
		name                  string
		cidrs                 []string // nil: the prefix list was not read
		entries               []network.ACLEntry
		ok, unverified        bool
		problemHas, evidences []string
	}{
		{name: "open ACL", cidrs: s3, ok: true, evidences: []string{"vpce-s3gw", "pl-63a5400a"}},
		{name: "intra ACL without the prefix list's CIDRs", cidrs: s3, entries: intra,
			problemHas: []string{"network ACLs block TCP 443 to the s3 gateway endpoint vpce-s3gw (prefix list pl-63a5400a)",
				"network ACL acl-priv of priv-a denies outbound TCP 443 to 52.216.0.0/15 outside the VPC (rule *)",
				"denies inbound replies on TCP 1024-65535 from 3.5.0.0/19 outside the VPC"},
			evidences: []string{"acl-priv outbound rule *", "pl-63a5400a"}},
		{name: "ACL allowing the prefix list's CIDRs both ways", cidrs: s3, ok: true,
			entries: append(slices.Clone(intra),
				outbound(110, allow, "6", "52.216.0.0/15", 443, 443), outbound(120, allow, "6", "3.5.0.0/19", 443, 443),
				inbound(110, allow, "6", "52.216.0.0/15", 1024, 65535), inbound(120, allow, "6", "3.5.0.0/19", 1024, 65535))},
		{name: "ACL allowing one CIDR of two", cidrs: s3,
			entries:    append(slices.Clone(intra), outbound(110, allow, "6", "52.216.0.0/15", 443, 443), inbound(110, allow, "6", "52.216.0.0/15", 1024, 65535)),
			problemHas: []string{"denies outbound TCP 443 to 3.5.0.0/19"}},
		{name: "prefix list not read, intra ACL: not guessed", entries: intra, unverified: true,
			problemHas: []string{"cannot be checked against the s3 gateway endpoint vpce-s3gw (prefix list pl-63a5400a): the CIDRs of prefix list pl-63a5400a are not in the snapshot"}},
		{name: "prefix list not read, ACL open to the whole internet", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := withS3Gateway(egressSnapshot(), tt.cidrs...)
			if tt.entries != nil {
				s.NetworkACLs = append(s.NetworkACLs, acl("acl-priv", []string{"priv-a"}, tt.entries...))
			}
			assertPath(t, regionalPath(s, "priv-a"), tt.ok, tt.unverified, ViaGatewayEndpoint, tt.problemHas, tt.evidences)
		})
	}
}

func TestBlockPublicAccessOnNATPaths(t *testing.T) {
	zonal := func(s *network.Snapshot) { routeDefault(s, network.TargetNATGateway, "nat-a", "rtb-priv-a") }
	regional := func(s *network.Snapshot) {
		s.NATGateways = append(s.NATGateways, regionalNAT("nat-r", "enabled", "us-east-1a"))
		routeDefault(s, network.TargetNATGateway, "nat-r", "rtb-priv-a")
	}
	bidirectional := network.BlockPublicAccess{Read: true, Mode: network.BPABlockBidirectional}
	excluding := func(b network.BlockPublicAccess, id, mode, exclusion string) network.BlockPublicAccess {
		if strings.HasPrefix(id, "vpc-") {
			b.VPCExclusion = mode
		} else {
			b.SubnetExclusions = map[string]string{id: mode}
		}
		b.ExclusionIDs = map[string]string{id: exclusion}
		return b
	}
	tests := []struct {
		name           string
		route          func(*network.Snapshot)
		bpa            network.BlockPublicAccess
		ok, unverified bool
		problemHas     []string
		evidenceHas    []string
	}{
		{name: "not read: nothing assumed", route: zonal, bpa: network.BlockPublicAccess{Mode: network.BPABlockBidirectional}, ok: true},
		{name: "off", route: zonal, bpa: network.BlockPublicAccess{Read: true, Mode: network.BPAOff}, ok: true},
		{name: "bidirectional, nothing excluded", route: zonal, bpa: bidirectional,
			problemHas:  []string{"VPC Block Public Access is block-bidirectional and pub-a (NAT gateway nat-a's subnet) is not excluded: NAT gateway nat-a cannot reach the internet"},
			evidenceHas: []string{"VPC Block Public Access: block-bidirectional"}},
		{name: "bidirectional, the NAT gateway's subnet excluded for egress", route: zonal, ok: true,
			bpa:         excluding(bidirectional, "pub-a", network.BPAAllowEgress, "vpcbpa-exclude-0a1"),
			evidenceHas: []string{"pub-a excluded from VPC Block Public Access by vpcbpa-exclude-0a1 (allow-egress)"}},
		{name: "bidirectional, the NAT gateway's subnet excluded both ways", route: zonal, ok: true,
			bpa: excluding(bidirectional, "pub-a", network.BPAAllowBidirectional, "vpcbpa-exclude-0a2")},
		{name: "bidirectional, the VPC excluded", route: zonal, ok: true,
			bpa: excluding(bidirectional, "vpc-1", network.BPAAllowEgress, "vpcbpa-exclude-0a3"), evidenceHas: []string{"vpcbpa-exclude-0a3"}},
		{name: "bidirectional, only the workload's subnet excluded", route: zonal,
			bpa: excluding(bidirectional, "priv-a", network.BPAAllowEgress, "vpcbpa-exclude-0a4"), problemHas: []string{"pub-a (NAT gateway nat-a's subnet) is not excluded"}},
		{name: "block-ingress lets NAT traffic out", route: zonal, bpa: network.BlockPublicAccess{Read: true, Mode: network.BPABlockIngress}, ok: true},
		{name: "regional NAT gateway, bidirectional, VPC not excluded: undecided", route: regional, bpa: bidirectional, unverified: true,
			problemHas: []string{"VPC Block Public Access is block-bidirectional and VPC vpc-1 is not excluded; regional NAT gateway nat-r has no subnet to exclude"}},
		{name: "regional NAT gateway, the workload's subnet excluded: still undecided", route: regional, unverified: true,
			bpa: excluding(bidirectional, "priv-a", network.BPAAllowBidirectional, "vpcbpa-exclude-0a5")},
		{name: "regional NAT gateway, the VPC excluded", route: regional, ok: true,
			bpa: excluding(bidirectional, "vpc-1", network.BPAAllowBidirectional, "vpcbpa-exclude-0a6")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := egressSnapshot()
			tt.route(s)
			s.BlockPublicAccess = tt.bpa
			p := regionalPath(s, "priv-a")
			assertPath(t, p, tt.ok, tt.unverified, ViaNAT, tt.problemHas, tt.evidenceHas)
		})
	}
}

func TestInboundResolverOnlyEndpointDoesNotShadow(t *testing.T) {
	endpoint := network.Endpoint{ID: "vpce-s3if", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Interface", State: "available",
		SubnetIDs: []string{"priv-a"}, SecurityGroupIDs: []string{"sg-none"}, PrivateDNS: true, PrivateDNSOnlyForInboundResolver: true}
	s := withS3Gateway(egressSnapshot(), "52.216.0.0/15")
	s.Endpoints = append(s.Endpoints, endpoint)
	assertPath(t, regionalPath(s, "priv-a"), true, false, ViaGatewayEndpoint, nil,
		[]string{"endpoint vpce-s3if answers only queries from Route 53 Resolver inbound endpoints"})

	// Without the option the interface endpoint takes the traffic, and its
	// group (unknown here) refuses it.
	s.Endpoints[len(s.Endpoints)-1].PrivateDNSOnlyForInboundResolver = false
	assertPath(t, regionalPath(s, "priv-a"), false, false, ViaEndpoint, []string{"the s3 endpoint vpce-s3if cannot be reached"}, nil)
}

func TestSummarise(t *testing.T) {
	reasons := []string{"r1", "r2", "r3", "r4", "r5", "r6"}
	if got, want := summarise(append(reasons, ephemeralNote)), "r1; r2; r3; r4; and 2 more; "+ephemeralNote; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := summarise([]string{"r1", "r2", "r3", "r4", ephemeralNote}), "r1; r2; r3; r4; "+ephemeralNote; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPendingEndpointIsBrokenUnlessVpcmedicIsCreatingIt(t *testing.T) {
	tests := []struct {
		name       string
		state      string
		tags       map[string]string
		unverified bool
		problemHas string
	}{
		{name: "vpcmedic's own, pending", state: "pending", tags: map[string]string{"vpcmedic:managed": "true"}, unverified: true, problemHas: "vpcmedic's own s3 endpoint vpce-s3if is still being created"},
		{name: "someone else's, pending", state: "pending", problemHas: "the s3 endpoint vpce-s3if is pending, not available"},
		{name: "vpcmedic's own, awaiting acceptance", state: "pendingAcceptance", tags: map[string]string{"vpcmedic:managed": "true"}, problemHas: "is pendingAcceptance, not available"},
		{name: "vpcmedic's tag set to false", state: "pending", tags: map[string]string{"vpcmedic:managed": "false"}, problemHas: "is pending, not available"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := egressSnapshot()
			s.Endpoints = append(s.Endpoints, network.Endpoint{ID: "vpce-s3if", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Interface", State: tt.state,
				SubnetIDs: []string{"priv-a"}, SecurityGroupIDs: []string{"sg-none"}, PrivateDNS: true, Tags: tt.tags})
			assertPath(t, regionalPath(s, "priv-a"), false, tt.unverified, ViaEndpoint, []string{tt.problemHas}, []string{"vpce-s3if"})
		})
	}
}
