package reach

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// Two subnets of 10.0.0.0/16 and the places used by most cases.
var (
	placeA   = Place{SubnetID: "subnet-a", GroupIDs: []string{"sg-a"}}
	placeB   = Place{SubnetID: "subnet-b", GroupIDs: []string{"sg-b"}}
	internet = Place{Outside: netip.MustParsePrefix("0.0.0.0/0")}
)

const allow, deny = true, false

// flowSnapshot builds a VPC with subnet-a (10.0.1.0/24) and subnet-b
// (10.0.2.0/24) holding the given groups and ACLs.
func flowSnapshot(t testing.TB, groups []network.SecurityGroup, prefixLists map[string][]netip.Prefix, acls ...network.NetworkACL) *network.Snapshot {
	t.Helper()
	return &network.Snapshot{
		VPC: network.VPC{ID: "vpc-1", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}},
		Subnets: []network.Subnet{
			{ID: "subnet-a", AvailabilityZone: "us-east-1a", CIDR: netip.MustParsePrefix("10.0.1.0/24")},
			{ID: "subnet-b", AvailabilityZone: "us-east-1b", CIDR: netip.MustParsePrefix("10.0.2.0/24")},
		},
		SecurityGroups: groups,
		NetworkACLs:    acls,
		PrefixLists:    prefixLists,
	}
}

func sg(id string, ingress, egress []network.Rule) network.SecurityGroup {
	return network.SecurityGroup{ID: id, Ingress: ingress, Egress: egress}
}

func rules(rs ...network.Rule) []network.Rule { return rs }

// rule builds a security group rule; peer is a group ID (sg-), a prefix
// list ID (pl-) or a CIDR.
func rule(protocol string, from, to int32, peer string) network.Rule {
	r := network.Rule{Protocol: protocol, FromPort: from, ToPort: to}
	switch {
	case strings.HasPrefix(peer, "sg-"):
		r.GroupID = peer
	case strings.HasPrefix(peer, "pl-"):
		r.PrefixListID = peer
	default:
		r.CIDR = netip.MustParsePrefix(peer)
	}
	return r
}

func tcp(port int32, peer string) network.Rule { return rule("tcp", port, port, peer) }
func anyTraffic(peer string) network.Rule      { return rule("-1", -1, -1, peer) }

// egressOnly makes sg-a's egress the rule under test; sg-b lets all of the
// VPC in.
func egressOnly(egress ...network.Rule) []network.SecurityGroup {
	return []network.SecurityGroup{
		sg("sg-a", nil, egress),
		sg("sg-b", rules(anyTraffic("10.0.0.0/16")), nil),
	}
}

// ingressOnly makes sg-b's ingress the rule under test; sg-a lets all out.
func ingressOnly(ingress ...network.Rule) []network.SecurityGroup {
	return []network.SecurityGroup{
		sg("sg-a", nil, rules(anyTraffic("0.0.0.0/0"))),
		sg("sg-b", ingress, nil),
	}
}

func withIP(p Place, ip string) Place {
	p.IP = netip.MustParseAddr(ip)
	return p
}

func outside(cidr string) Place { return Place{Outside: netip.MustParsePrefix(cidr)} }

func prefixes(cidrs ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range cidrs {
		out = append(out, netip.MustParsePrefix(c))
	}
	return out
}

// assertVerdict checks the outcome and that the reason and evidence say
// what they must.
func assertVerdict(t *testing.T, got Verdict, allowed, partial bool, reasonHas, evidenceHas []string) {
	t.Helper()
	if got.Allowed != allowed || got.Partial != partial {
		t.Fatalf("allowed=%v partial=%v, want allowed=%v partial=%v; reason: %q", got.Allowed, got.Partial, allowed, partial, got.Reason)
	}
	if allowed && !partial && got.Reason != "" {
		t.Errorf("a clean allow has a reason: %q", got.Reason)
	}
	if (!allowed || partial) && got.Reason == "" {
		t.Errorf("no reason given")
	}
	for _, want := range reasonHas {
		if !strings.Contains(got.Reason, want) {
			t.Errorf("reason %q does not mention %q", got.Reason, want)
		}
	}
	for _, want := range evidenceHas {
		if !slices.ContainsFunc(got.Evidence, func(e string) bool { return strings.Contains(e, want) }) {
			t.Errorf("evidence %q does not mention %q", got.Evidence, want)
		}
	}
}

func TestSecurityGroups(t *testing.T) {
	// publicInternet allows TCP 443 to every IPv4 address outside the
	// private, shared and loopback ranges; 126.0.0.0/8 comes last.
	var publicInternet []network.Rule
	for _, cidr := range []string{"0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3",
		"64.0.0.0/3", "96.0.0.0/6", "100.0.0.0/10", "100.128.0.0/9", "101.0.0.0/8", "102.0.0.0/7", "104.0.0.0/5",
		"112.0.0.0/5", "120.0.0.0/6", "124.0.0.0/7", "128.0.0.0/2", "192.0.0.0/3", "126.0.0.0/8"} {
		publicInternet = append(publicInternet, tcp(443, cidr))
	}
	withID := func(r network.Rule, id string) network.Rule { r.ID = id; return r }
	tests := []struct {
		name        string
		groups      []network.SecurityGroup
		prefixLists map[string][]netip.Prefix
		from, to    Place
		port        int
		allowed     bool
		partial     bool
		reasonHas   []string
		evidenceHas []string
	}{
		// Protocols and ports.
		{name: "tcp rule on the port", groups: egressOnly(withID(tcp(443, "10.0.0.0/16"), "sgr-1")),
			from: placeA, to: placeB, port: 443, allowed: true, evidenceHas: []string{"sg-a egress sgr-1"}},
		{name: "protocol number 6 is tcp", groups: egressOnly(rule("6", 443, 443, "10.0.0.0/16")),
			from: placeA, to: placeB, port: 443, allowed: true},
		{name: "all-traffic rule with no ports", groups: egressOnly(anyTraffic("10.0.0.0/16")),
			from: placeA, to: placeB, port: 9098, allowed: true},
		{name: "udp rule does not carry tcp", groups: egressOnly(rule("udp", 443, 443, "10.0.0.0/16")),
			from: placeA, to: placeB, port: 443,
			reasonHas: []string{"no egress rule of sg-a allows TCP 443 to subnet-b (10.0.2.0/24)"}},
		{name: "icmp rule with no ports does not carry tcp", groups: egressOnly(rule("icmp", -1, -1, "10.0.0.0/16")),
			from: placeA, to: placeB, port: 443, reasonHas: []string{"TCP 443"}},
		{name: "port at the bottom of an inclusive range", groups: egressOnly(rule("tcp", 9092, 9098, "10.0.0.0/16")),
			from: placeA, to: placeB, port: 9092, allowed: true},
		{name: "port at the top of an inclusive range", groups: egressOnly(rule("tcp", 9092, 9098, "10.0.0.0/16")),
			from: placeA, to: placeB, port: 9098, allowed: true},
		{name: "port just past the range", groups: egressOnly(rule("tcp", 9092, 9098, "10.0.0.0/16")),
			from: placeA, to: placeB, port: 9099, reasonHas: []string{"TCP 9099"}},

		// Egress destinations inside the VPC.
		{name: "egress CIDR equal to the destination subnet", groups: egressOnly(tcp(443, "10.0.2.0/24")),
			from: placeA, to: placeB, port: 443, allowed: true},
		{name: "egress CIDR covering half the destination subnet", groups: egressOnly(tcp(443, "10.0.2.0/25")),
			from: placeA, to: placeB, port: 443, allowed: true, partial: true,
			reasonHas: []string{"egress rules of sg-a allow TCP 443 to subnet-b (10.0.2.0/24) only for 10.0.2.0/25", "other addresses"}},
		{name: "egress CIDRs of two groups together covering the destination subnet",
			groups: []network.SecurityGroup{
				sg("sg-a", nil, rules(tcp(443, "10.0.2.0/25"))),
				sg("sg-a2", nil, rules(tcp(443, "10.0.2.128/25"))),
				sg("sg-b", rules(anyTraffic("10.0.0.0/16")), nil),
			},
			from: Place{SubnetID: "subnet-a", GroupIDs: []string{"sg-a", "sg-a2"}}, to: placeB, port: 443, allowed: true},
		{name: "egress CIDRs leaving a gap in the destination subnet",
			groups: egressOnly(tcp(443, "10.0.2.0/25"), tcp(443, "10.0.2.192/26")),
			from:   placeA, to: placeB, port: 443, allowed: true, partial: true,
			reasonHas: []string{"10.0.2.0/25, 10.0.2.192/26"}},
		{name: "egress CIDR containing the known destination IP", groups: egressOnly(tcp(443, "10.0.2.0/25")),
			from: placeA, to: withIP(placeB, "10.0.2.10"), port: 443, allowed: true},
		{name: "egress CIDR missing the known destination IP", groups: egressOnly(tcp(443, "10.0.2.0/25")),
			from: placeA, to: withIP(placeB, "10.0.2.200"), port: 443,
			reasonHas: []string{"TCP 443 to 10.0.2.200 in subnet-b"}},
		{name: "egress CIDR of another subnet", groups: egressOnly(tcp(443, "10.0.3.0/24")),
			from: placeA, to: placeB, port: 443, reasonHas: []string{"no egress rule of sg-a"}},
		{name: "egress to a group the destination carries", groups: egressOnly(withID(tcp(443, "sg-b"), "sgr-ref")),
			from: placeA, to: placeB, port: 443, allowed: true, evidenceHas: []string{"sg-a egress sgr-ref"}},
		{name: "egress to a group the destination does not carry", groups: egressOnly(tcp(443, "sg-c")),
			from: placeA, to: placeB, port: 443, reasonHas: []string{"no egress rule of sg-a allows TCP 443"}},
		{name: "egress to a prefix list containing the destination", groups: egressOnly(tcp(443, "pl-vpc")),
			prefixLists: map[string][]netip.Prefix{"pl-vpc": prefixes("192.168.0.0/16", "10.0.0.0/16")},
			from:        placeA, to: placeB, port: 443, allowed: true, evidenceHas: []string{"pl-vpc"}},
		{name: "egress to a prefix list elsewhere", groups: egressOnly(tcp(443, "pl-other")),
			prefixLists: map[string][]netip.Prefix{"pl-other": prefixes("192.168.0.0/16")},
			from:        placeA, to: placeB, port: 443, reasonHas: []string{"no egress rule of sg-a"}},
		{name: "egress to an unknown prefix list", groups: egressOnly(tcp(443, "pl-404")),
			from: placeA, to: placeB, port: 443, reasonHas: []string{"prefix list pl-404 (in sg-a) is not in the snapshot"}},
		{name: "IPv6 egress rule never matches an IPv4 subnet", groups: egressOnly(anyTraffic("::/0")),
			from: placeA, to: placeB, port: 443, reasonHas: []string{"no egress rule of sg-a"}},

		// Egress to the internet.
		{name: "egress 0.0.0.0/0 reaches the internet", groups: egressOnly(tcp(443, "0.0.0.0/0")),
			from: placeA, to: internet, port: 443, allowed: true},
		{name: "egress to a public range is not the whole internet", groups: egressOnly(tcp(443, "52.0.0.0/8")),
			from: placeA, to: internet, port: 443,
			reasonHas: []string{"egress rules of sg-a allow TCP 443 to 52.0.0.0/8 only, not all of the internet (0.0.0.0/0)"}},
		{name: "egress halves of the address space cover the internet",
			groups: egressOnly(tcp(443, "0.0.0.0/1"), tcp(443, "128.0.0.0/1")),
			from:   placeA, to: internet, port: 443, allowed: true},
		{name: "egress ::/0 does not reach the IPv4 internet", groups: egressOnly(tcp(443, "::/0")),
			from: placeA, to: internet, port: 443, reasonHas: []string{"to the internet (0.0.0.0/0)"}},
		{name: "egress to private ranges is no part of the internet", groups: egressOnly(tcp(443, "10.0.0.0/8"), tcp(443, "192.168.0.0/16")),
			from: placeA, to: internet, port: 443, reasonHas: []string{"no egress rule of sg-a allows TCP 443 to the internet (0.0.0.0/0)"}},
		{name: "egress to all but the private ranges reaches the internet", groups: egressOnly(publicInternet...),
			from: placeA, to: internet, port: 443, allowed: true},
		{name: "egress to all but the private ranges and 126.0.0.0/8", groups: egressOnly(publicInternet[:len(publicInternet)-1]...),
			from: placeA, to: internet, port: 443, reasonHas: []string{"not all of the internet (0.0.0.0/0)"}},
		{name: "outside range made only of private addresses is taken as given", groups: egressOnly(tcp(443, "10.0.0.0/8")),
			from: placeA, to: outside("10.10.0.0/16"), port: 443, allowed: true},
		{name: "egress to a group does not reach the internet", groups: egressOnly(tcp(443, "sg-b")),
			from: placeA, to: internet, port: 443, reasonHas: []string{"no egress rule of sg-a"}},
		{name: "egress to a prefix list reaches its own CIDRs", groups: egressOnly(tcp(443, "pl-s3")),
			prefixLists: map[string][]netip.Prefix{"pl-s3": prefixes("52.216.0.0/15", "3.5.0.0/19")},
			from:        placeA, to: outside("52.216.0.0/15"), port: 443, allowed: true},
		{name: "egress to a prefix list does not reach the whole internet", groups: egressOnly(tcp(443, "pl-s3")),
			prefixLists: map[string][]netip.Prefix{"pl-s3": prefixes("52.216.0.0/15", "3.5.0.0/19")},
			from:        placeA, to: internet, port: 443, reasonHas: []string{"52.216.0.0/15, 3.5.0.0/19 only, not all of the internet"}},
		{name: "egress to a public range containing the service's range", groups: egressOnly(tcp(443, "52.0.0.0/8")),
			from: placeA, to: outside("52.94.0.0/16"), port: 443, allowed: true},
		{name: "egress to the internet needs no ingress anywhere",
			groups: []network.SecurityGroup{sg("sg-a", nil, rules(tcp(443, "0.0.0.0/0")))},
			from:   placeA, to: internet, port: 443, allowed: true},

		// Ingress sources.
		{name: "ingress from the source subnet's CIDR", groups: ingressOnly(tcp(443, "10.0.1.0/24")),
			from: placeA, to: placeB, port: 443, allowed: true},
		{name: "ingress CIDR covering half the source subnet", groups: ingressOnly(tcp(443, "10.0.1.0/25")),
			from: placeA, to: placeB, port: 443, allowed: true, partial: true,
			reasonHas: []string{"ingress rules of sg-b allow TCP 443 from subnet-a (10.0.1.0/24)", "only for 10.0.1.0/25"}},
		{name: "ingress from a group the source carries", groups: ingressOnly(tcp(9098, "sg-a")),
			from: placeA, to: placeB, port: 9098, allowed: true},
		{name: "ingress from a group the source does not carry", groups: ingressOnly(tcp(9098, "sg-x")),
			from: placeA, to: placeB, port: 9098,
			reasonHas: []string{"no ingress rule of sg-b allows TCP 9098 from subnet-a (10.0.1.0/24) (carrying sg-a)"}},
		{name: "ingress from a prefix list containing the source", groups: ingressOnly(tcp(443, "pl-corp")),
			prefixLists: map[string][]netip.Prefix{"pl-corp": prefixes("10.0.0.0/8")},
			from:        placeA, to: placeB, port: 443, allowed: true},
		{name: "ingress IPv6 rule never matches an IPv4 source", groups: ingressOnly(anyTraffic("::/0")),
			from: placeA, to: placeB, port: 443, reasonHas: []string{"no ingress rule of sg-b"}},
		{name: "self-referencing group carried by both sides",
			groups: []network.SecurityGroup{sg("sg-msk", rules(tcp(9098, "sg-msk")), rules(tcp(9098, "sg-msk")))},
			from:   Place{SubnetID: "subnet-a", GroupIDs: []string{"sg-msk"}}, to: Place{SubnetID: "subnet-b", GroupIDs: []string{"sg-msk"}},
			port: 9098, allowed: true},
		{name: "self-referencing group carried by the destination only",
			groups: []network.SecurityGroup{
				sg("sg-a", nil, rules(anyTraffic("0.0.0.0/0"))),
				sg("sg-msk", rules(tcp(9098, "sg-msk")), rules(tcp(9098, "sg-msk"))),
			},
			from: placeA, to: Place{SubnetID: "subnet-b", GroupIDs: []string{"sg-msk"}},
			port: 9098, reasonHas: []string{"no ingress rule of sg-msk allows TCP 9098"}},
		{name: "stateful groups need no rules for the replies",
			groups: []network.SecurityGroup{sg("sg-a", nil, rules(tcp(443, "sg-b"))), sg("sg-b", rules(tcp(443, "sg-a")), nil)},
			from:   placeA, to: placeB, port: 443, allowed: true},
		{name: "from the internet only ingress is checked", groups: ingressOnly(tcp(443, "0.0.0.0/0")),
			from: internet, to: placeB, port: 443, allowed: true},
		{name: "from the internet to a VPC-only ingress", groups: ingressOnly(tcp(443, "10.0.0.0/8")),
			from: internet, to: placeB, port: 443, reasonHas: []string{"no ingress rule of sg-b allows TCP 443 from the internet (0.0.0.0/0)"}},
		{name: "egress and ingress both missing", groups: []network.SecurityGroup{sg("sg-a", nil, nil), sg("sg-b", nil, nil)},
			from: placeA, to: placeB, port: 443,
			reasonHas: []string{"no egress rule of sg-a allows TCP 443", "no ingress rule of sg-b allows TCP 443"}},

		// What the snapshot does not hold.
		{name: "source carries an unknown group", groups: egressOnly(anyTraffic("0.0.0.0/0")),
			from: Place{SubnetID: "subnet-a", GroupIDs: []string{"sg-404"}}, to: placeB, port: 443,
			reasonHas: []string{"security group sg-404 is not in the snapshot"}, evidenceHas: []string{"sg-404: not in the snapshot"}},
		{name: "unknown group beside a group that allows", groups: egressOnly(anyTraffic("0.0.0.0/0")),
			from: Place{SubnetID: "subnet-a", GroupIDs: []string{"sg-404", "sg-a"}}, to: placeB, port: 443,
			allowed: true, evidenceHas: []string{"sg-404: not in the snapshot"}},
		{name: "destination carries an unknown group", groups: egressOnly(anyTraffic("0.0.0.0/0")),
			from: placeA, to: Place{SubnetID: "subnet-b", GroupIDs: []string{"sg-404"}}, port: 443,
			reasonHas: []string{"no ingress rule allows TCP 443", "sg-404 is not in the snapshot"}},
		{name: "source carries no group", groups: egressOnly(anyTraffic("0.0.0.0/0")),
			from: Place{SubnetID: "subnet-a"}, to: placeB, port: 443, reasonHas: []string{"subnet-a carry no security group"}},
		{name: "destination subnet not in the snapshot", groups: egressOnly(anyTraffic("0.0.0.0/0")),
			from: placeA, to: Place{SubnetID: "subnet-404", GroupIDs: []string{"sg-b"}}, port: 443,
			reasonHas: []string{`subnet "subnet-404" is not in the snapshot`}},
		{name: "port zero", groups: egressOnly(anyTraffic("0.0.0.0/0")),
			from: placeA, to: placeB, port: 0, reasonHas: []string{"port 0 is not a TCP port"}},
		{name: "both sides outside the VPC", groups: egressOnly(anyTraffic("0.0.0.0/0")),
			from: internet, to: outside("52.94.0.0/16"), port: 443, reasonHas: []string{"neither"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flowSnapshot(t, tt.groups, tt.prefixLists)
			got := SecurityGroups(s, tt.from, tt.to, tt.port)
			assertVerdict(t, got, tt.allowed, tt.partial, tt.reasonHas, tt.evidenceHas)
		})
	}
}

func acl(id string, subnetIDs []string, entries ...network.ACLEntry) network.NetworkACL {
	// AWS lists the final deny of each direction as rule 32767.
	entries = append(entries,
		network.ACLEntry{RuleNumber: 32767, Protocol: "-1", CIDR: netip.MustParsePrefix("0.0.0.0/0"), ToPort: 65535},
		network.ACLEntry{RuleNumber: 32767, Egress: true, Protocol: "-1", CIDR: netip.MustParsePrefix("0.0.0.0/0"), ToPort: 65535})
	return network.NetworkACL{ID: id, SubnetIDs: subnetIDs, Entries: entries}
}

func entry(n int32, egress, allowed bool, protocol, cidr string, from, to int32) network.ACLEntry {
	return network.ACLEntry{RuleNumber: n, Egress: egress, Allow: allowed, Protocol: protocol, CIDR: netip.MustParsePrefix(cidr), FromPort: from, ToPort: to}
}

func inbound(n int32, allowed bool, protocol, cidr string, from, to int32) network.ACLEntry {
	return entry(n, false, allowed, protocol, cidr, from, to)
}

func outbound(n int32, allowed bool, protocol, cidr string, from, to int32) network.ACLEntry {
	return entry(n, true, allowed, protocol, cidr, from, to)
}

var (
	openIn  = inbound(100, allow, "-1", "0.0.0.0/0", 0, 65535)
	openOut = outbound(100, allow, "-1", "0.0.0.0/0", 0, 65535)
)

func openACL(id string, subnetIDs ...string) network.NetworkACL {
	return acl(id, subnetIDs, openIn, openOut)
}

func TestNACLs(t *testing.T) {
	openB := openACL("acl-b", "subnet-b")
	tests := []struct {
		name        string
		acls        []network.NetworkACL
		from, to    Place
		port        int
		allowed     bool
		partial     bool
		reasonHas   []string
		evidenceHas []string
	}{
		{name: "default ACL allowing everything",
			acls: []network.NetworkACL{func() network.NetworkACL { a := openACL("acl-default"); a.Default = true; return a }()},
			from: placeA, to: placeB, port: 443, allowed: true,
			evidenceHas: []string{"acl-default outbound rule 100", "acl-default inbound rule 100"}},
		{name: "same subnet crosses no ACL", acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"})},
			from: placeA, to: withIP(placeA, "10.0.1.20"), port: 443, allowed: true, evidenceHas: []string{"same subnet"}},
		{name: "no ACL in the snapshot", from: placeA, to: placeB, port: 443, allowed: true,
			evidenceHas: []string{"subnet-a: no network ACL in the snapshot", "subnet-b: no network ACL"}},
		{name: "deny-all ACL on the source", acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}), openB},
			from: placeA, to: placeB, port: 443,
			reasonHas: []string{
				"network ACL acl-a of subnet-a denies outbound TCP 443 to subnet-b (10.0.2.0/24) (rule *)",
				"network ACL acl-a of subnet-a denies inbound replies on TCP 1024-65535 from subnet-b (10.0.2.0/24) (rule *)",
			}, evidenceHas: []string{"acl-a outbound rule *"}},
		{name: "explicit deny before a broader allow wins",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, outbound(90, deny, "6", "10.0.2.0/24", 443, 443), openOut, openIn), openB},
			from: placeA, to: placeB, port: 443, reasonHas: []string{"denies outbound TCP 443 to subnet-b (10.0.2.0/24) (rule 90)"}},
		{name: "first match wins even when entries come unsorted",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"},
				outbound(200, deny, "-1", "0.0.0.0/0", 0, 65535), outbound(100, allow, "6", "10.0.0.0/16", 443, 443), openIn), openB},
			from: placeA, to: placeB, port: 443, allowed: true, evidenceHas: []string{"acl-a outbound rule 100"}},
		{name: "allow after a deny never applies",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"},
				outbound(200, allow, "-1", "0.0.0.0/0", 0, 65535), outbound(100, deny, "-1", "0.0.0.0/0", 0, 65535), openIn), openB},
			from: placeA, to: placeB, port: 443, reasonHas: []string{"(rule 100)"}},
		{name: "destination inbound lacks the port",
			acls: []network.NetworkACL{openACL("acl-a", "subnet-a"), acl("acl-b", []string{"subnet-b"}, inbound(100, allow, "6", "10.0.0.0/16", 80, 80), openOut)},
			from: placeA, to: placeB, port: 443,
			reasonHas: []string{"network ACL acl-b of subnet-b denies inbound TCP 443 from subnet-a (10.0.1.0/24) (rule *)"}},
		{name: "destination outbound allows no replies",
			acls: []network.NetworkACL{openACL("acl-a", "subnet-a"), acl("acl-b", []string{"subnet-b"}, openIn, outbound(100, allow, "6", "0.0.0.0/0", 443, 443))},
			from: placeA, to: placeB, port: 443,
			reasonHas: []string{"acl-b of subnet-b denies outbound replies on TCP 1024-65535 to subnet-a (10.0.1.0/24)", "Hyperplane ENIs use 1024-65535"}},
		{name: "replies allowed only on the Linux ephemeral ports",
			acls: []network.NetworkACL{openACL("acl-a", "subnet-a"), acl("acl-b", []string{"subnet-b"}, openIn, outbound(100, allow, "6", "0.0.0.0/0", 32768, 60999))},
			from: placeA, to: placeB, port: 9098, allowed: true, partial: true,
			reasonHas: []string{
				"acl-b of subnet-b allows outbound replies on TCP 1024-65535 to subnet-a (10.0.1.0/24) only in part",
				"rule 100 allows ports 32768-60999; rule * denies ports 1024-32767, ports 61000-65535",
				"Linux clients pick from 32768-60999", "Lambda's Hyperplane ENIs use 1024-65535",
			}},
		{name: "replies allowed on the whole ephemeral range",
			acls: []network.NetworkACL{openACL("acl-a", "subnet-a"), acl("acl-b", []string{"subnet-b"}, openIn, outbound(100, allow, "6", "10.0.0.0/16", 1024, 65535))},
			from: placeA, to: placeB, port: 443, allowed: true},
		{name: "replies allowed on all ephemeral ports but the last",
			acls: []network.NetworkACL{openACL("acl-a", "subnet-a"), acl("acl-b", []string{"subnet-b"}, openIn, outbound(100, allow, "6", "0.0.0.0/0", 1024, 65534))},
			from: placeA, to: placeB, port: 443, allowed: true, partial: true,
			reasonHas: []string{"rule 100 allows ports 1024-65534; rule * denies port 65535"}},
		{name: "source inbound replies only on the Linux ephemeral ports",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openOut, inbound(100, allow, "6", "10.0.0.0/16", 32768, 60999)), openB},
			from: placeA, to: placeB, port: 443, allowed: true, partial: true,
			reasonHas: []string{"acl-a of subnet-a allows inbound replies on TCP 1024-65535 from subnet-b (10.0.2.0/24) only in part"}},
		{name: "ACL CIDR covering half the destination subnet",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(100, allow, "-1", "10.0.2.0/25", 0, 65535)), openB},
			from: placeA, to: placeB, port: 443, allowed: true, partial: true,
			reasonHas: []string{"allows outbound TCP 443 to subnet-b (10.0.2.0/24) only in part: rule 100 allows 10.0.2.0/25; rule * denies 10.0.2.128/25"}},
		{name: "deny carved out of the destination subnet",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(90, deny, "-1", "10.0.2.128/26", 0, 65535), openOut), openB},
			from: placeA, to: placeB, port: 443, allowed: true, partial: true,
			reasonHas: []string{"rule 90 denies 10.0.2.128/26; rule 100 allows 10.0.2.0/25, 10.0.2.192/26"}},
		{name: "known destination IP in the allowed half",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(100, allow, "-1", "10.0.2.0/25", 0, 65535)), openB},
			from: placeA, to: withIP(placeB, "10.0.2.10"), port: 443, allowed: true},
		{name: "known destination IP in the denied half",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(100, allow, "-1", "10.0.2.0/25", 0, 65535)), openB},
			from: placeA, to: withIP(placeB, "10.0.2.200"), port: 443, reasonHas: []string{"denies outbound TCP 443 to 10.0.2.200 in subnet-b (rule *)"}},
		{name: "udp entry does not carry tcp",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(100, allow, "17", "0.0.0.0/0", 0, 65535)), openB},
			from: placeA, to: placeB, port: 443, reasonHas: []string{"denies outbound TCP 443"}},
		{name: "all-protocols entry ignores its port fields",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(100, allow, "-1", "0.0.0.0/0", 0, 0)), openB},
			from: placeA, to: placeB, port: 443, allowed: true},
		{name: "entry range ending at the port",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(100, allow, "6", "0.0.0.0/0", 440, 443)), openB},
			from: placeA, to: placeB, port: 443, allowed: true},
		{name: "entry range ending just below the port",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(100, allow, "6", "0.0.0.0/0", 440, 442)), openB},
			from: placeA, to: placeB, port: 443, reasonHas: []string{"denies outbound TCP 443"}},
		{name: "IPv6 entry does not match an IPv4 subnet",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(100, allow, "-1", "::/0", 0, 65535)), openB},
			from: placeA, to: placeB, port: 443, reasonHas: []string{"denies outbound TCP 443 to subnet-b (10.0.2.0/24) (rule *)"}},
		{name: "to the internet only the source ACL is checked",
			acls: []network.NetworkACL{openACL("acl-a", "subnet-a"), acl("acl-b", []string{"subnet-b"})},
			from: placeA, to: internet, port: 443, allowed: true},
		{name: "to the internet without inbound replies",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openOut, inbound(100, allow, "-1", "10.0.0.0/16", 0, 65535))},
			from: placeA, to: internet, port: 443,
			reasonHas: []string{"acl-a of subnet-a denies inbound replies on TCP 1024-65535 from the internet (0.0.0.0/0) (rule *)"}},
		{name: "to the internet with private ranges denied",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(90, deny, "-1", "10.0.0.0/8", 0, 65535), openOut)},
			from: placeA, to: internet, port: 443, allowed: true},
		{name: "to the internet with a public range denied",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openIn, outbound(90, deny, "-1", "52.0.0.0/8", 0, 65535), openOut)},
			from: placeA, to: internet, port: 443,
			reasonHas: []string{"acl-a of subnet-a allows outbound TCP 443 to the internet (0.0.0.0/0) only in part", "rule 90 denies 52.0.0.0/8"}},
		{name: "to a service range inside an allowed public range",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, inbound(100, allow, "6", "52.0.0.0/8", 1024, 65535), outbound(100, allow, "6", "52.0.0.0/8", 443, 443))},
			from: placeA, to: outside("52.94.0.0/16"), port: 443, allowed: true},
		{name: "to the internet with replies only on the Linux ephemeral ports",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openOut, inbound(100, allow, "6", "0.0.0.0/0", 32768, 60999))},
			from: placeA, to: internet, port: 443, allowed: true, partial: true,
			reasonHas: []string{"allows inbound replies on TCP 1024-65535 from the internet (0.0.0.0/0) only in part", "Hyperplane"}},
		{name: "to the internet with replies only from a public range",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, openOut, inbound(100, allow, "6", "52.0.0.0/8", 1024, 65535))},
			from: placeA, to: internet, port: 443,
			reasonHas: []string{"allows inbound replies on TCP 1024-65535 from the internet (0.0.0.0/0) only in part", "rule 100 allows 52.0.0.0/8"}},
		{name: "from the internet only the destination ACL is checked",
			acls: []network.NetworkACL{acl("acl-a", []string{"subnet-a"}), openB},
			from: internet, to: placeB, port: 443, allowed: true},
		{name: "destination subnet not in the snapshot",
			acls: []network.NetworkACL{openACL("acl-a", "subnet-a")},
			from: placeA, to: Place{SubnetID: "subnet-404"}, port: 443,
			reasonHas: []string{`cannot check network ACL acl-a of subnet-a: subnet "subnet-404" is not in the snapshot`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flowSnapshot(t, nil, nil, tt.acls...)
			got := NACLs(s, tt.from, tt.to, tt.port)
			assertVerdict(t, got, tt.allowed, tt.partial, tt.reasonHas, tt.evidenceHas)
		})
	}
}

func TestFlow(t *testing.T) {
	openGroups := []network.SecurityGroup{sg("sg-a", nil, rules(tcp(443, "sg-b"))), sg("sg-b", rules(tcp(443, "sg-a")), nil)}
	openACLs := []network.NetworkACL{openACL("acl-a", "subnet-a"), openACL("acl-b", "subnet-b")}
	linuxReplies := acl("acl-b", []string{"subnet-b"}, openIn, outbound(100, allow, "6", "0.0.0.0/0", 32768, 60999))
	tests := []struct {
		name      string
		groups    []network.SecurityGroup
		acls      []network.NetworkACL
		allowed   bool
		partial   bool
		reasonHas []string
	}{
		{name: "both layers allow", groups: openGroups, acls: openACLs, allowed: true},
		{name: "groups allow and ACL replies are partial", groups: openGroups,
			acls:    []network.NetworkACL{openACL("acl-a", "subnet-a"), linuxReplies},
			allowed: true, partial: true, reasonHas: []string{"Hyperplane"}},
		{name: "groups partial and ACLs open", groups: egressOnly(tcp(443, "10.0.2.0/25")), acls: openACLs,
			allowed: true, partial: true, reasonHas: []string{"only for 10.0.2.0/25"}},
		{name: "groups allow and an ACL denies", groups: openGroups,
			acls:      []network.NetworkACL{acl("acl-a", []string{"subnet-a"}), openACL("acl-b", "subnet-b")},
			reasonHas: []string{"network ACL acl-a of subnet-a denies outbound TCP 443"}},
		{name: "groups deny, ACL replies partial: the failure comes first",
			groups:    []network.SecurityGroup{sg("sg-a", nil, nil), sg("sg-b", rules(tcp(443, "sg-a")), nil)},
			acls:      []network.NetworkACL{openACL("acl-a", "subnet-a"), linuxReplies},
			reasonHas: []string{"no egress rule of sg-a allows TCP 443 to subnet-b (10.0.2.0/24); network ACL acl-b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flowSnapshot(t, tt.groups, nil, tt.acls...)
			got := Flow(s, placeA, placeB, 443)
			assertVerdict(t, got, tt.allowed, tt.partial, tt.reasonHas, nil)
		})
	}
}

func TestCovered(t *testing.T) {
	tests := []struct {
		name     string
		target   string
		prefixes []string
		want     bool
	}{
		{name: "one prefix containing the target", target: "10.0.1.0/24", prefixes: []string{"10.0.0.0/16"}, want: true},
		{name: "three pieces covering the target", target: "10.0.1.0/24", prefixes: []string{"10.0.1.128/25", "10.0.1.0/26", "10.0.1.64/26"}, want: true},
		{name: "pieces leaving one address out", target: "10.0.1.0/30", prefixes: []string{"10.0.1.0/31", "10.0.1.2/32"}, want: false},
		{name: "prefix inside the target only", target: "10.0.1.0/24", prefixes: []string{"10.0.1.0/25"}, want: false},
		{name: "IPv6 prefix for an IPv4 target", target: "10.0.1.0/24", prefixes: []string{"::/0"}, want: false},
		{name: "no prefixes", target: "10.0.1.0/24", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := covered(netip.MustParsePrefix(tt.target), prefixes(tt.prefixes...)); got != tt.want {
				t.Errorf("covered = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWithout(t *testing.T) {
	got := without(netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("10.0.0.64/26"))
	want := prefixes("10.0.0.128/25", "10.0.0.0/26")
	if !slices.Equal(got, want) {
		t.Errorf("without = %v, want %v", got, want)
	}
}

// BenchmarkFlow evaluates a flow in a VPC of 500 security groups, each with
// a few rules, and network ACLs of 50 entries.
func BenchmarkFlow(b *testing.B) {
	var groups []network.SecurityGroup
	for i := range 500 {
		id := fmt.Sprintf("sg-%04d", i)
		groups = append(groups, sg(id,
			rules(tcp(22, fmt.Sprintf("192.168.%d.0/24", i%256)), rule("tcp", 8000, 8100, fmt.Sprintf("sg-%04d", (i+1)%500)), tcp(5432, "pl-db")),
			rules(tcp(443, fmt.Sprintf("172.16.%d.0/24", i%256)), tcp(9098, id), anyTraffic("::/0"))))
	}
	// The source's and destination's groups are looked up last.
	groups = append(groups,
		sg("sg-client", nil, rules(rule("tcp", 9092, 9098, "10.0.2.0/25"), rule("tcp", 9092, 9098, "10.0.2.128/25"))),
		sg("sg-broker", rules(tcp(9098, "sg-client")), nil))

	var entries []network.ACLEntry
	for i := range 24 {
		cidr := fmt.Sprintf("172.%d.0.0/16", 16+i)
		entries = append(entries,
			inbound(int32(10+i*10), deny, "6", cidr, 0, 65535),
			outbound(int32(10+i*10), deny, "6", cidr, 0, 65535))
	}
	entries = append(entries, inbound(1000, allow, "6", "10.0.0.0/16", 1024, 65535), outbound(1000, allow, "6", "10.0.0.0/16", 1024, 65535))
	acls := []network.NetworkACL{acl("acl-a", []string{"subnet-a"}, entries...), acl("acl-b", []string{"subnet-b"}, entries...)}
	s := flowSnapshot(b, groups, map[string][]netip.Prefix{"pl-db": prefixes("10.0.0.0/16")}, acls...)
	from := Place{SubnetID: "subnet-a", GroupIDs: []string{"sg-0100", "sg-client"}}
	to := Place{SubnetID: "subnet-b", GroupIDs: []string{"sg-0200", "sg-broker"}}

	if v := Flow(s, from, to, 9098); !v.Allowed || v.Partial {
		b.Fatalf("benchmark flow is not cleanly allowed: %+v", v)
	}
	b.ReportAllocs()
	for b.Loop() {
		Flow(s, from, to, 9098)
	}
}
