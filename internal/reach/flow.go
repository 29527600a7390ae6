package reach

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// Place is one side of a flow: network interfaces in a subnet carrying
// security groups, or a destination outside the VPC reached through a NAT or
// internet gateway.
type Place struct {
	// SubnetID is the interfaces' subnet. Its CIDR stands for the interfaces
	// when IP is not known (Hyperplane ENIs, endpoint ENIs).
	SubnetID string
	// IP is the exact address, when known.
	IP netip.Addr
	// GroupIDs are the security groups the interfaces carry.
	GroupIDs []string
	// Outside is set for a destination outside the VPC: 0.0.0.0/0 for the
	// whole internet, or a service's public range.
	Outside netip.Prefix
}

func (p Place) outside() bool { return p.Outside.IsValid() }

// Verdict says whether TCP traffic on a port flows, and why.
type Verdict struct {
	Allowed bool
	// Partial is set on an allowed flow that works only for some of the
	// addresses of a subnet or some of the reply ports: a warning.
	Partial bool
	// Reason says, problem first, what blocks the flow or what makes it
	// partial, naming the groups, ACLs, rule numbers and port.
	Reason string
	// Evidence lists the groups, rules and ACL entries consulted.
	Evidence []string
}

// Ephemeral ports the replies of a TCP flow come back on. Lambda's
// Hyperplane ENIs use the whole range, so a network ACL must allow all of
// it; Linux clients pick from 32768-60999 only.
const (
	ephemeralLow       = 1024
	ephemeralHigh      = 65535
	linuxEphemeralLow  = 32768
	linuxEphemeralHigh = 60999
)

const ephemeralNote = "replies come back on ephemeral ports: Linux clients pick from 32768-60999, " +
	"but Lambda's Hyperplane ENIs use 1024-65535 (AWS docs), so allow the whole 1024-65535"

// Flow decides whether TCP traffic on port can go from one place to another:
// the security groups and the network ACLs must both let it through.
//
// The two layers are judged separately: when each lets part of a subnet
// through, Flow reports a partial flow without checking that the parts meet.
func Flow(s *network.Snapshot, from, to Place, port int) Verdict {
	return combine(SecurityGroups(s, from, to, port), NACLs(s, from, to, port))
}

// SecurityGroups decides whether the security groups let TCP traffic on port
// go from one place to another: an egress rule of a group from carries must
// cover to, and an ingress rule of a group to carries must cover from. A side
// outside the VPC has no groups and is not checked. Security groups are
// stateful: replies need no rule.
//
// A rule covers a place by a CIDR containing its address (its whole subnet
// when the IP is unknown; rules add up), by referencing a group the place
// carries, or by a prefix list whose CIDRs contain it. A subnet covered only
// in part gives a partial verdict; a destination outside the VPC must be
// covered whole, leaving out the private and reserved ranges (notInternet)
// that no internet host uses.
func SecurityGroups(s *network.Snapshot, from, to Place, port int) Verdict {
	if v, bad := unanswerable(from, to, port); bad {
		return v
	}
	var checks []Verdict
	if !from.outside() {
		checks = append(checks, groupCheck(s, from, to, port, true))
	}
	if !to.outside() {
		checks = append(checks, groupCheck(s, to, from, port, false))
	}
	return combine(checks...)
}

// NACLs decides whether the network ACLs let TCP traffic on port and its
// replies through. ACLs are stateless and sit at the subnet boundary: the
// source subnet's ACL must allow port out to the destination and the replies
// (1024-65535) in from it; the destination subnet's ACL the mirror image.
// Traffic inside one subnet crosses no ACL. A side outside the VPC has no
// ACL of its own.
//
// Entries are read in ascending rule number and the first match decides;
// what no entry matches is denied. The decision is made for every address of
// the peer (its whole subnet when the IP is unknown) and every port at once:
// when some are allowed and others denied the verdict is allowed but
// partial, and the reason names the rules and the parts each decides. A
// destination outside the VPC must be allowed whole (see aclCheck).
func NACLs(s *network.Snapshot, from, to Place, port int) Verdict {
	if v, bad := unanswerable(from, to, port); bad {
		return v
	}
	if !from.outside() && !to.outside() && from.SubnetID == to.SubnetID {
		return Verdict{Allowed: true, Evidence: []string{from.SubnetID + ": same subnet, no network ACL crossed"}}
	}
	var checks []Verdict
	if !from.outside() {
		checks = append(checks,
			aclCheck(s, from, to, true, port, port, false),
			aclCheck(s, from, to, false, ephemeralLow, ephemeralHigh, true))
	}
	if !to.outside() {
		checks = append(checks,
			aclCheck(s, to, from, false, port, port, false),
			aclCheck(s, to, from, true, ephemeralLow, ephemeralHigh, true))
	}
	return combine(checks...)
}

// unanswerable rejects questions that have no answer, with the reason.
func unanswerable(from, to Place, port int) (Verdict, bool) {
	switch {
	case port < 1 || port > 65535:
		return Verdict{Reason: fmt.Sprintf("port %d is not a TCP port", port)}, true
	case from.outside() && to.outside():
		return Verdict{Reason: fmt.Sprintf("neither %s nor %s is inside the VPC", from.Outside, to.Outside)}, true
	}
	return Verdict{}, false
}

// combine joins the verdicts of checks that must all pass. Reasons of
// failing checks come before the warnings of partial ones.
func combine(vs ...Verdict) Verdict {
	out := Verdict{Allowed: true}
	var failures, warnings []string
	for _, v := range vs {
		out.Evidence = append(out.Evidence, v.Evidence...)
		switch {
		case !v.Allowed:
			out.Allowed = false
			if v.Reason != "" {
				failures = append(failures, v.Reason)
			}
		case v.Partial:
			out.Partial = true
			warnings = append(warnings, v.Reason)
		}
	}
	out.Partial = out.Allowed && out.Partial
	out.Reason = strings.Join(append(failures, warnings...), "; ")
	return out
}

// addresses returns the prefix that stands for a place's interfaces.
func (p Place) addresses(s *network.Snapshot) (netip.Prefix, error) {
	switch {
	case p.outside():
		return p.Outside.Masked(), nil
	case p.IP.IsValid():
		ip := p.IP.Unmap()
		return netip.PrefixFrom(ip, ip.BitLen()), nil
	}
	sn, ok := s.Subnet(p.SubnetID)
	if !ok || !sn.CIDR.IsValid() {
		return netip.Prefix{}, fmt.Errorf("subnet %q is not in the snapshot, so its addresses are unknown", p.SubnetID)
	}
	return sn.CIDR.Masked(), nil
}

// notInternet are the IPv4 and IPv6 ranges no internet host uses (private,
// shared, loopback, link-local, multicast, reserved): traffic through a NAT
// or internet gateway never goes to them, so rules about them do not count
// for or against a destination outside the VPC.
var notInternet = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// pieces returns the addresses a place's traffic can really use, as
// disjoint prefixes: for a destination outside the VPC its range without
// the ranges of notInternet (unless nothing else is left), else whole.
func (p Place) pieces(whole netip.Prefix) []netip.Prefix {
	if !p.outside() {
		return []netip.Prefix{whole}
	}
	out := []netip.Prefix{whole}
	for _, drop := range notInternet {
		var next []netip.Prefix
		for _, piece := range out {
			switch {
			case !drop.Overlaps(piece):
				next = append(next, piece)
			case drop.Bits() > piece.Bits():
				next = append(next, without(piece, drop.Masked())...)
			}
		}
		out = next
	}
	if len(out) == 0 {
		return []netip.Prefix{whole}
	}
	return out
}

// describe names a place for a human: "subnet-0a (10.0.1.0/24)",
// "10.0.1.7 in subnet-0a", "the internet (0.0.0.0/0)".
func (p Place) describe(addrs netip.Prefix) string {
	switch {
	case p.outside() && addrs.Bits() == 0:
		return fmt.Sprintf("the internet (%s)", addrs)
	case p.outside():
		return fmt.Sprintf("%s outside the VPC", addrs)
	case p.IP.IsValid():
		return fmt.Sprintf("%s in %s", p.IP.Unmap(), p.SubnetID)
	}
	return fmt.Sprintf("%s (%s)", p.SubnetID, addrs)
}

// groupCheck checks one side's security groups: the egress rules of self
// towards peer, or the ingress rules of self from peer.
func groupCheck(s *network.Snapshot, self, peer Place, port int, egress bool) Verdict {
	dir, toFrom := "ingress", "from"
	if egress {
		dir, toFrom = "egress", "to"
	}
	target, err := peer.addresses(s)
	if err != nil {
		return Verdict{Reason: fmt.Sprintf("cannot check the %s rules of %s: %v", dir, self.SubnetID, err)}
	}
	targets := peer.pieces(target)
	what := fmt.Sprintf("TCP %d %s %s", port, toFrom, peer.describe(target))
	if !egress && !peer.outside() && len(peer.GroupIDs) > 0 {
		what += " (carrying " + strings.Join(peer.GroupIDs, ", ") + ")"
	}
	if len(self.GroupIDs) == 0 {
		return Verdict{Reason: fmt.Sprintf("the interfaces in %s carry no security group, so nothing allows %s %s", self.SubnetID, dir, what)}
	}

	var (
		v           Verdict
		known       []string
		unknown     []string
		unknownPL   []string
		prefixes    []netip.Prefix
		byGroupRef  bool
		overlapping []netip.Prefix
	)
	for _, id := range self.GroupIDs {
		g, ok := s.SecurityGroup(id)
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		known = append(known, id)
		rules := g.Ingress
		if egress {
			rules = g.Egress
		}
		for _, r := range rules {
			if !sgRuleCoversPort(r, port) {
				continue
			}
			var peerPrefixes []netip.Prefix
			switch {
			case r.GroupID != "":
				if !peer.outside() && slices.Contains(peer.GroupIDs, r.GroupID) {
					byGroupRef = true
					v.Evidence = append(v.Evidence, ruleRef(id, dir, r))
				}
				continue
			case r.PrefixListID != "":
				cidrs, ok := s.PrefixLists[r.PrefixListID]
				if !ok {
					unknownPL = append(unknownPL, fmt.Sprintf("%s (in %s)", r.PrefixListID, id))
					continue
				}
				peerPrefixes = cidrs
			case r.CIDR.IsValid():
				peerPrefixes = []netip.Prefix{r.CIDR}
			}
			matched := false
			for _, p := range peerPrefixes {
				for _, t := range targets {
					if p.Overlaps(t) {
						matched = true
						prefixes = append(prefixes, p)
						overlapping = append(overlapping, intersect(p, t))
					}
				}
			}
			if matched {
				v.Evidence = append(v.Evidence, ruleRef(id, dir, r))
			}
		}
	}
	if len(v.Evidence) == 0 {
		v.Evidence = append(v.Evidence, known...)
	}
	for _, id := range unknown {
		v.Evidence = append(v.Evidence, id+": not in the snapshot")
	}
	for _, pl := range unknownPL {
		v.Evidence = append(v.Evidence, "prefix list "+pl+": not in the snapshot")
	}

	if byGroupRef || !slices.ContainsFunc(targets, func(t netip.Prefix) bool { return !covered(t, prefixes) }) {
		v.Allowed = true
		return v
	}
	groups := strings.Join(known, ", ")
	switch {
	case len(overlapping) > 0 && !peer.outside():
		v.Allowed, v.Partial = true, true
		v.Reason = fmt.Sprintf("%s rules of %s allow %s only for %s: interfaces at other addresses of the subnet are refused",
			dir, groups, what, listPrefixes(overlapping))
	case len(overlapping) > 0:
		v.Reason = fmt.Sprintf("%s rules of %s allow TCP %d %s %s only, not all of %s",
			dir, groups, port, toFrom, listPrefixes(overlapping), peer.describe(target))
	case len(known) == 0:
		v.Reason = fmt.Sprintf("no %s rule allows %s", dir, what)
	default:
		v.Reason = fmt.Sprintf("no %s rule of %s allows %s", dir, groups, what)
	}
	if len(unknown) > 0 {
		v.Reason += fmt.Sprintf("; security group %s is not in the snapshot, so its rules could not be checked", strings.Join(unknown, ", "))
	}
	if len(unknownPL) > 0 {
		v.Reason += fmt.Sprintf("; prefix list %s is not in the snapshot, so its rules match nothing", strings.Join(unknownPL, ", "))
	}
	return v
}

// sgRuleCoversPort reports whether a security group rule covers TCP port.
// A tcp rule with no ports (-1) is read as covering all of them.
func sgRuleCoversPort(r network.Rule, port int) bool {
	switch strings.ToLower(r.Protocol) {
	case "-1", "all":
		return true
	case "tcp", "6":
		if r.FromPort == -1 && r.ToPort == -1 {
			return true
		}
		return int(r.FromPort) <= port && port <= int(r.ToPort)
	}
	return false
}

// ruleRef names a security group rule for the evidence: its ID when known,
// else what it says.
func ruleRef(groupID, dir string, r network.Rule) string {
	if r.ID != "" {
		return fmt.Sprintf("%s %s %s", groupID, dir, r.ID)
	}
	ports := "all"
	if !strings.EqualFold(r.Protocol, "-1") && !strings.EqualFold(r.Protocol, "all") {
		ports = fmt.Sprintf("%s %d-%d", r.Protocol, r.FromPort, r.ToPort)
	}
	peer := r.GroupID + r.PrefixListID
	if peer == "" {
		peer = r.CIDR.String()
	}
	return fmt.Sprintf("%s %s %s %s", groupID, dir, ports, peer)
}

// covered reports whether the union of prefixes contains every address of
// target. Prefixes either nest or are disjoint, so halving target until
// each half is inside one prefix decides it.
func covered(target netip.Prefix, prefixes []netip.Prefix) bool {
	var inside []netip.Prefix
	for _, p := range prefixes {
		if !p.Overlaps(target) {
			continue
		}
		if p.Bits() <= target.Bits() {
			return true
		}
		inside = append(inside, p)
	}
	if len(inside) == 0 {
		return false
	}
	low, high := halves(target)
	return covered(low, inside) && covered(high, inside)
}

// intersect returns the addresses two overlapping prefixes share: the
// narrower one.
func intersect(a, b netip.Prefix) netip.Prefix {
	if a.Bits() >= b.Bits() {
		return a.Masked()
	}
	return b.Masked()
}

// halves splits a prefix into its two sub-prefixes one bit longer.
func halves(p netip.Prefix) (netip.Prefix, netip.Prefix) {
	low := netip.PrefixFrom(p.Addr(), p.Bits()+1).Masked()
	return low, netip.PrefixFrom(flipBit(low.Addr(), p.Bits()), p.Bits()+1)
}

// without returns the prefixes covering outer minus inner, inner being
// strictly inside outer: the sibling of inner's ancestor at every length.
func without(outer, inner netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for bits := outer.Bits() + 1; bits <= inner.Bits(); bits++ {
		out = append(out, netip.PrefixFrom(flipBit(inner.Addr(), bits-1), bits).Masked())
	}
	return out
}

// flipBit flips bit i of an address, 0 being the most significant.
func flipBit(a netip.Addr, i int) netip.Addr {
	if a.Is4() {
		b := a.As4()
		b[i/8] ^= 0x80 >> (i % 8)
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	b[i/8] ^= 0x80 >> (i % 8)
	return netip.AddrFrom16(b)
}

func listPrefixes(ps []netip.Prefix) string {
	var out []string
	for _, p := range ps {
		if s := p.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// region is a block of peer addresses times a range of ports.
type region struct {
	addrs  netip.Prefix
	lo, hi int
}

// aclDecision says which entry decided a region; rule is starRule for the
// final "*" deny.
type aclDecision struct {
	rule   int32
	allow  bool
	region region
}

// starRule is the number AWS gives the final deny-all entry.
const starRule = 32767

// decide runs a network ACL's entries of one direction over every address
// of peer and every port of lo-hi, and says which entry decides each part.
func decide(entries []network.ACLEntry, egress bool, peer []netip.Prefix, lo, hi int) []aclDecision {
	var ordered []network.ACLEntry
	for _, e := range entries {
		if e.Egress == egress {
			ordered = append(ordered, e)
		}
	}
	slices.SortStableFunc(ordered, func(a, b network.ACLEntry) int { return cmp.Compare(a.RuleNumber, b.RuleNumber) })

	var decisions []aclDecision
	var remaining []region
	for _, p := range peer {
		remaining = append(remaining, region{p, lo, hi})
	}
	for _, e := range ordered {
		eLo, eHi, ok := aclEntryPorts(e)
		if !ok || !e.CIDR.IsValid() {
			continue
		}
		var next []region
		for _, r := range remaining {
			if !e.CIDR.Overlaps(r.addrs) || eHi < r.lo || eLo > r.hi {
				next = append(next, r)
				continue
			}
			hit := region{intersect(e.CIDR, r.addrs), max(eLo, r.lo), min(eHi, r.hi)}
			decisions = append(decisions, aclDecision{rule: e.RuleNumber, allow: e.Allow, region: hit})
			next = append(next, subtract(r, hit)...)
		}
		remaining = next
		if len(remaining) == 0 {
			break
		}
	}
	for _, r := range remaining {
		decisions = append(decisions, aclDecision{rule: starRule, region: r})
	}
	return decisions
}

// subtract returns r minus hit, hit lying inside r.
func subtract(r, hit region) []region {
	var out []region
	if hit.addrs.Bits() > r.addrs.Bits() {
		for _, p := range without(r.addrs, hit.addrs) {
			out = append(out, region{p, r.lo, r.hi})
		}
	}
	if hit.lo > r.lo {
		out = append(out, region{hit.addrs, r.lo, hit.lo - 1})
	}
	if hit.hi < r.hi {
		out = append(out, region{hit.addrs, hit.hi + 1, r.hi})
	}
	return out
}

// aclEntryPorts returns the TCP ports an ACL entry matches; ok is false
// for an entry of another protocol.
func aclEntryPorts(e network.ACLEntry) (lo, hi int, ok bool) {
	switch strings.ToLower(e.Protocol) {
	case "-1", "all":
		return 0, 65535, true
	case "6", "tcp":
		return int(e.FromPort), int(e.ToPort), true
	}
	return 0, 0, false
}

// aclCheck checks one direction of the ACL of self's subnet for traffic
// exchanged with peer on ports lo-hi.
//
// A peer inside the VPC allowed at some addresses only gives a partial
// verdict: some interfaces of the subnet get through. A destination outside
// the VPC must be allowed whole. Replies, from inside or outside, need the
// Linux ephemeral ports 32768-60999 from all of the peer: that alone is a
// partial verdict, less is a broken one.
func aclCheck(s *network.Snapshot, self, peer Place, egress bool, lo, hi int, reply bool) Verdict {
	dir, toFrom := "inbound", "from"
	if egress {
		dir, toFrom = "outbound", "to"
	}
	acl, ok := s.NetworkACLOf(self.SubnetID)
	if !ok {
		return Verdict{Allowed: true, Evidence: []string{self.SubnetID + ": no network ACL in the snapshot; assumed the VPC default, which allows all traffic"}}
	}
	target, err := peer.addresses(s)
	if err != nil {
		return Verdict{Reason: fmt.Sprintf("cannot check network ACL %s of %s: %v", acl.ID, self.SubnetID, err), Evidence: []string{acl.ID}}
	}
	what := fmt.Sprintf("TCP %d", lo)
	if reply {
		what = fmt.Sprintf("replies on TCP %d-%d", lo, hi)
	}
	what = fmt.Sprintf("%s %s %s %s", dir, what, toFrom, peer.describe(target))

	targets := peer.pieces(target)
	decisions := decide(acl.Entries, egress, targets, lo, hi)
	var v Verdict
	var allowedAny, deniedAny bool
	var denyRules []string
	for _, d := range decisions {
		ref := fmt.Sprintf("%s %s rule %s", acl.ID, dir, ruleName(d.rule))
		if !slices.Contains(v.Evidence, ref) {
			v.Evidence = append(v.Evidence, ref)
		}
		if d.allow {
			allowedAny = true
		} else {
			deniedAny = true
			if n := ruleName(d.rule); !slices.Contains(denyRules, n) {
				denyRules = append(denyRules, n)
			}
		}
	}
	switch {
	case !deniedAny:
		v.Allowed = true
		return v
	case !allowedAny:
		v.Reason = fmt.Sprintf("network ACL %s of %s denies %s (%s %s)", acl.ID, self.SubnetID, what, plural("rule", len(denyRules)), strings.Join(denyRules, ", "))
	default:
		v.Allowed, v.Partial = true, true
		// Replies must come back on every port the sender may pick: only
		// the whole Linux ephemeral range makes a partial reply path
		// (a warning) rather than a broken one.
		if (peer.outside() || reply) && !(reply && allAllowed(decide(acl.Entries, egress, targets, linuxEphemeralLow, linuxEphemeralHigh))) {
			v.Allowed, v.Partial = false, false
		}
		v.Reason = fmt.Sprintf("network ACL %s of %s allows %s only in part: %s", acl.ID, self.SubnetID, what, describeDecisions(decisions, region{target, lo, hi}))
	}
	if reply {
		v.Reason += "; " + ephemeralNote
	}
	return v
}

func allAllowed(decisions []aclDecision) bool {
	return !slices.ContainsFunc(decisions, func(d aclDecision) bool { return !d.allow })
}

func ruleName(n int32) string {
	if n == starRule {
		return "*"
	}
	return strconv.Itoa(int(n))
}

func plural(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// describeDecisions tells which rule decides which part: "rule 100 allows
// ports 32768-60999; rule * denies ports 1024-32767, 61000-65535".
func describeDecisions(decisions []aclDecision, whole region) string {
	type key struct {
		rule  int32
		allow bool
	}
	var order []key
	parts := map[key][]string{}
	for _, d := range decisions {
		k := key{d.rule, d.allow}
		if _, seen := parts[k]; !seen {
			order = append(order, k)
		}
		parts[k] = append(parts[k], describeRegion(d.region, whole))
	}
	var out []string
	for _, k := range order {
		verb := "denies"
		if k.allow {
			verb = "allows"
		}
		list := parts[k]
		const shown = 4
		if len(list) > shown {
			list = append(list[:shown:shown], fmt.Sprintf("and %d more", len(parts[k])-shown))
		}
		out = append(out, fmt.Sprintf("rule %s %s %s", ruleName(k.rule), verb, strings.Join(list, ", ")))
	}
	return strings.Join(out, "; ")
}

// describeRegion names the part of whole a region covers: its addresses
// and ports when they differ from the whole.
func describeRegion(r, whole region) string {
	var parts []string
	if r.addrs != whole.addrs {
		parts = append(parts, r.addrs.String())
	}
	if r.lo != whole.lo || r.hi != whole.hi {
		if r.lo == r.hi {
			parts = append(parts, fmt.Sprintf("port %d", r.lo))
		} else {
			parts = append(parts, fmt.Sprintf("ports %d-%d", r.lo, r.hi))
		}
	}
	if len(parts) == 0 {
		return "all of it"
	}
	return strings.Join(parts, " ")
}
