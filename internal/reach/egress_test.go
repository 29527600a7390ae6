package reach

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// egressSnapshot is a three-zone VPC: public subnet pub-a (us-east-1a)
// routed to igw-1 and holding the zonal NAT gateway nat-a, private subnets
// priv-a, priv-b and priv-c with a route table each, and the default ACL
// allowing everything. The private tables have no default route yet.
func egressSnapshot() *network.Snapshot {
	vpc := netip.MustParsePrefix("10.0.0.0/16")
	local := network.Route{Destination: vpc, TargetKind: network.TargetLocal, TargetID: "local", Active: true}
	return &network.Snapshot{
		VPC: network.VPC{ID: "vpc-1", CIDRs: []netip.Prefix{vpc}, DNSSupport: true, DNSHostnames: true},
		Subnets: []network.Subnet{
			{ID: "pub-a", AvailabilityZone: "us-east-1a", CIDR: netip.MustParsePrefix("10.0.0.0/24")},
			{ID: "priv-a", AvailabilityZone: "us-east-1a", CIDR: netip.MustParsePrefix("10.0.10.0/24")},
			{ID: "priv-b", AvailabilityZone: "us-east-1b", CIDR: netip.MustParsePrefix("10.0.11.0/24")},
			{ID: "priv-c", AvailabilityZone: "us-east-1c", CIDR: netip.MustParsePrefix("10.0.12.0/24")},
		},
		RouteTables: []network.RouteTable{
			{ID: "rtb-main", Main: true, Routes: []network.Route{local}},
			{ID: "rtb-pub", SubnetIDs: []string{"pub-a"}, Routes: []network.Route{local,
				{Destination: defaultRoute, TargetKind: network.TargetInternetGateway, TargetID: "igw-1", Active: true}}},
			{ID: "rtb-priv-a", SubnetIDs: []string{"priv-a"}, Routes: []network.Route{local}},
			{ID: "rtb-priv-b", SubnetIDs: []string{"priv-b"}, Routes: []network.Route{local}},
			{ID: "rtb-priv-c", SubnetIDs: []string{"priv-c"}, Routes: []network.Route{local}},
		},
		InternetGateways: []network.InternetGateway{{ID: "igw-1", Attached: true}},
		NATGateways:      []network.NATGateway{{ID: "nat-a", SubnetID: "pub-a", State: "available", Connectivity: "public"}},
		SecurityGroups:   []network.SecurityGroup{sg("sg-fn", nil, rules(anyTraffic("0.0.0.0/0")))},
		NetworkACLs:      []network.NetworkACL{func() network.NetworkACL { a := openACL("acl-default"); a.Default = true; return a }()},
	}
}

// regionalNAT is an available public regional NAT gateway with addresses
// in zones, in the given zone mode (enabled or disabled).
func regionalNAT(id, autoProvision string, zones ...string) network.NATGateway {
	return network.NATGateway{ID: id, State: "available", Connectivity: "public", AvailabilityMode: network.NATRegional,
		AutoProvisionZones: autoProvision, Zones: zones}
}

// routeDefault sends the default route of the private tables to target.
func routeDefault(s *network.Snapshot, kind, target string, tables ...string) {
	for i, rt := range s.RouteTables {
		for _, id := range tables {
			if rt.ID == id {
				s.RouteTables[i].Routes = append(s.RouteTables[i].Routes, network.Route{Destination: defaultRoute, TargetKind: kind, TargetID: target, Active: true})
			}
		}
	}
}

func TestNATServes(t *testing.T) {
	tests := []struct {
		name   string
		nat    network.NATGateway
		edit   func(*network.Snapshot)
		az     string
		ok     bool
		whyHas string
	}{
		{name: "zonal gateway in a public subnet of the zone", nat: network.NATGateway{ID: "nat-a", SubnetID: "pub-a", State: "available", Connectivity: "public"},
			az: "us-east-1a", ok: true},
		{name: "zonal gateway of another zone is no same-zone target", nat: network.NATGateway{ID: "nat-a", SubnetID: "pub-a", State: "available", Connectivity: "public"},
			az: "us-east-1b", whyHas: "NAT gateway nat-a is in us-east-1a, not us-east-1b"},
		{name: "zonal gateway in a private subnet", nat: network.NATGateway{ID: "nat-x", SubnetID: "priv-b", State: "available", Connectivity: "public"},
			az: "us-east-1b", whyHas: "sits in subnet priv-b, which is not public"},
		{name: "regional gateway with an address in the zone", nat: regionalNAT("nat-r", "disabled", "us-east-1a", "us-east-1b"),
			az: "us-east-1b", ok: true},
		{name: "regional gateway needs no public subnet, but an internet gateway", nat: regionalNAT("nat-r", "enabled", "us-east-1a"),
			edit: func(s *network.Snapshot) { s.InternetGateways[0].Attached = false },
			az:   "us-east-1a", whyHas: "VPC vpc-1 has no internet gateway attached, and regional NAT gateway nat-r reaches the internet only through one"},
		{name: "regional gateway in manual mode without an address in the zone", nat: regionalNAT("nat-r", "disabled", "us-east-1a", "us-east-1b"),
			az: "us-east-1c", whyHas: "regional NAT gateway nat-r has no address in us-east-1c"},
		{name: "regional gateway in automatic mode without an address in the zone yet", nat: regionalNAT("nat-r", "enabled", "us-east-1a"),
			az: "us-east-1c", ok: true, whyHas: "has no address in us-east-1c yet"},
		{name: "a pending regional gateway", nat: func() network.NATGateway {
			n := regionalNAT("nat-r", "enabled", "us-east-1a")
			n.State = "pending"
			return n
		}(),
			az: "us-east-1a", whyHas: "NAT gateway nat-r is pending"},
		{name: "a private regional gateway", nat: func() network.NATGateway {
			n := regionalNAT("nat-r", "enabled", "us-east-1a")
			n.Connectivity = "private"
			return n
		}(),
			az: "us-east-1a", whyHas: "private NAT gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := egressSnapshot()
			if tt.edit != nil {
				tt.edit(s)
			}
			ok, why := NATServes(s, tt.nat, tt.az)
			if ok != tt.ok {
				t.Fatalf("ok = %v (%q), want %v", ok, why, tt.ok)
			}
			if tt.whyHas == "" && why != "" || !strings.Contains(why, tt.whyHas) {
				t.Errorf("why = %q, want it to contain %q", why, tt.whyHas)
			}
		})
	}
}

// regionalPath is the s3 path of sg-fn's function in subnet, with no
// endpoint: through its NAT route or not at all.
func regionalPath(s *network.Snapshot, subnet string) ServicePath {
	return Service(s, ServiceQuery{Region: "us-east-1", Service: "s3", From: Place{SubnetID: subnet, GroupIDs: []string{"sg-fn"}}, NATAllowed: true})
}

func TestRegionalNATPath(t *testing.T) {
	tables := []string{"rtb-priv-a", "rtb-priv-b", "rtb-priv-c"}
	t.Run("manual mode serves only the zones it has addresses in", func(t *testing.T) {
		s := egressSnapshot()
		s.NATGateways = append(s.NATGateways, regionalNAT("nat-r", "disabled", "us-east-1a", "us-east-1b"))
		routeDefault(s, network.TargetNATGateway, "nat-r", tables...)
		for _, sn := range []string{"priv-a", "priv-b"} {
			if p := regionalPath(s, sn); !p.OK || p.Via != ViaNAT || len(p.Warnings) != 0 {
				t.Errorf("%s: %+v, want ok through the NAT gateway, with no cross-zone warning", sn, p)
			}
		}
		p := regionalPath(s, "priv-c")
		if p.OK || p.Unverified || !strings.Contains(p.Problem, "regional NAT gateway nat-r has no address in us-east-1c") ||
			!strings.Contains(p.Problem, "aws ec2 associate-nat-gateway-address --nat-gateway-id nat-r") {
			t.Errorf("priv-c: %+v, want broken naming the zone and the fix", p)
		}
	})
	t.Run("automatic mode works in a zone without an address yet, with a warning", func(t *testing.T) {
		s := egressSnapshot()
		s.NATGateways = append(s.NATGateways, regionalNAT("nat-r", "enabled", "us-east-1a"))
		routeDefault(s, network.TargetNATGateway, "nat-r", tables...)
		if p := regionalPath(s, "priv-a"); !p.OK || len(p.Warnings) != 0 {
			t.Errorf("priv-a: %+v, want ok without warning", p)
		}
		p := regionalPath(s, "priv-c")
		if !p.OK || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "has no address in us-east-1c yet") {
			t.Errorf("priv-c: %+v, want ok with a warning naming the zone", p)
		}
	})
	t.Run("no public subnet needed: its own ACL is not crossed", func(t *testing.T) {
		s := egressSnapshot()
		// No public subnet at all, and the default ACL refuses everything:
		// only the workload subnet's ACL counts.
		s.Subnets = s.Subnets[1:]
		s.RouteTables = append(s.RouteTables[:1], s.RouteTables[2:]...)
		s.NATGateways = []network.NATGateway{regionalNAT("nat-r", "enabled", "us-east-1a")}
		routeDefault(s, network.TargetNATGateway, "nat-r", tables...)
		s.NetworkACLs[0].Entries = nil
		s.NetworkACLs = append(s.NetworkACLs, openACL("acl-priv", "priv-a"))
		if p := regionalPath(s, "priv-a"); !p.OK {
			t.Errorf("%+v, want ok", p)
		}
	})
	t.Run("zonal behaviour unchanged: another zone's gateway warns", func(t *testing.T) {
		s := egressSnapshot()
		routeDefault(s, network.TargetNATGateway, "nat-a", tables...)
		p := regionalPath(s, "priv-b")
		if !p.OK || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "NAT gateway nat-a in us-east-1a") {
			t.Errorf("%+v, want ok with a cross-zone warning", p)
		}
	})
}

func TestNATPathACLs(t *testing.T) {
	allIn, allOut := inbound(100, allow, "-1", "0.0.0.0/0", 0, 65535), outbound(100, allow, "-1", "0.0.0.0/0", 0, 65535)
	tests := []struct {
		name            string
		private, public []network.ACLEntry
		ok, partial     bool
		problemHas      []string
		evidenceHas     []string
	}{
		{name: "hardened private ACL: replies only from the VPC",
			private: []network.ACLEntry{allOut, inbound(100, allow, "6", "10.0.0.0/16", 1024, 65535)},
			problemHas: []string{"network ACLs block TCP 443 to NAT gateway nat-a and on to the internet",
				"network ACL acl-priv of priv-a denies inbound replies on TCP 1024-65535 from the internet (0.0.0.0/0) (rule *)"},
			evidenceHas: []string{"acl-priv inbound rule *"}},
		{name: "private ACL lets 443 out only to the VPC",
			private:    []network.ACLEntry{outbound(100, allow, "6", "10.0.0.0/16", 443, 443), allIn},
			problemHas: []string{"network ACL acl-priv of priv-a denies outbound TCP 443 to the internet (0.0.0.0/0) (rule *)"}},
		{name: "the NAT gateway's own address never is on the workload's packets",
			private: []network.ACLEntry{
				outbound(90, deny, "-1", "10.0.0.0/24", 0, 65535), allOut,
				inbound(90, deny, "-1", "10.0.0.0/24", 0, 65535), allIn},
			ok: true},
		{name: "replies from the internet on the Linux ephemeral ports only",
			private: []network.ACLEntry{allOut, inbound(100, allow, "6", "0.0.0.0/0", 32768, 60999)},
			ok:      true, partial: true},
		{name: "the NAT subnet must send the replies back to the workload subnet",
			public:      []network.ACLEntry{allIn, outbound(100, allow, "6", "0.0.0.0/0", 443, 443)},
			problemHas:  []string{"network ACL acl-pub of pub-a denies outbound replies on TCP 1024-65535 to priv-a (10.0.10.0/24)"},
			evidenceHas: []string{"acl-pub outbound rule *"}},
		{name: "the NAT subnet must let the workload subnet's requests in",
			public:     []network.ACLEntry{allOut, inbound(100, allow, "6", "0.0.0.0/0", 1024, 65535)},
			problemHas: []string{"network ACL acl-pub of pub-a denies inbound TCP 443 from priv-a (10.0.10.0/24)"}},
		{name: "the NAT subnet must let the internet's replies in",
			public:     []network.ACLEntry{allOut, inbound(100, allow, "6", "10.0.0.0/16", 443, 443)},
			problemHas: []string{"network ACL acl-pub of pub-a denies inbound replies on TCP 1024-65535 from the internet (0.0.0.0/0)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := egressSnapshot()
			routeDefault(s, network.TargetNATGateway, "nat-a", "rtb-priv-a")
			if tt.private != nil {
				s.NetworkACLs = append(s.NetworkACLs, acl("acl-priv", []string{"priv-a"}, tt.private...))
			}
			if tt.public != nil {
				s.NetworkACLs = append(s.NetworkACLs, acl("acl-pub", []string{"pub-a"}, tt.public...))
			}
			p := regionalPath(s, "priv-a")
			if p.OK != tt.ok || (len(p.Partial) > 0) != tt.partial || p.Unverified {
				t.Fatalf("ok=%v partial=%q unverified=%v, want ok=%v partial=%v; problem %q", p.OK, p.Partial, p.Unverified, tt.ok, tt.partial, p.Problem)
			}
			for _, want := range tt.problemHas {
				if !strings.Contains(p.Problem, want) {
					t.Errorf("problem %q does not say %q", p.Problem, want)
				}
			}
			for _, want := range tt.evidenceHas {
				if !slices.Contains(p.Evidence, want) {
					t.Errorf("evidence %q lacks %q", p.Evidence, want)
				}
			}
		})
	}
}
