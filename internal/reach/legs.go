package reach

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// aclLeg is one direction of one subnet's network ACL that a path's packets
// cross: the ACL of self's subnet, for packets exchanged with peer (the
// address really on them) on ports lo-hi.
type aclLeg struct {
	self, peer Place
	egress     bool
	lo, hi     int
	reply      bool
}

func (l aclLeg) check(s *network.Snapshot) Verdict {
	return aclCheck(s, l.self, l.peer, l.egress, l.lo, l.hi, l.reply)
}

// requestLeg is port going out of (or into) self's subnet; replyLeg its
// replies on the ephemeral ports, the other way.
func requestLeg(self, peer Place, egress bool, port int) aclLeg {
	return aclLeg{self: self, peer: peer, egress: egress, lo: port, hi: port}
}

func replyLeg(self, peer Place, egress bool) aclLeg {
	return aclLeg{self: self, peer: peer, egress: egress, lo: ephemeralLow, hi: ephemeralHigh, reply: true}
}

// natACLLegs lists the network ACL legs of HTTPS through a NAT gateway to
// the internet. The gateway rewrites only the workload's private address:
// the internet host's address stays on the packets both ways. So the
// workload subnet's ACL sees the internet, and a zonal gateway's subnet
// sees the workload subnet on one side and the internet on the other. A
// regional gateway has no subnet, hence no ACL of its own.
func natACLLegs(from Place, nat network.NATGateway) []aclLeg {
	internet := Place{Outside: defaultRoute}
	legs := []aclLeg{
		requestLeg(from, internet, true, HTTPS),
		replyLeg(from, internet, false),
	}
	if nat.Regional() || nat.SubnetID == "" {
		return legs
	}
	natSubnet := Place{SubnetID: nat.SubnetID}
	return append(legs,
		requestLeg(natSubnet, from, false, HTTPS),
		requestLeg(natSubnet, internet, true, HTTPS),
		replyLeg(natSubnet, internet, false),
		replyLeg(natSubnet, from, true),
	)
}

// serviceLegs lists the network ACL legs of HTTPS from a workload subnet to
// public service addresses reached without translation (a gateway
// endpoint's prefix list): 443 out to each CIDR and the replies in from it.
func serviceLegs(from Place, cidrs []netip.Prefix) []aclLeg {
	var legs []aclLeg
	for _, c := range cidrs {
		peer := Place{Outside: c}
		legs = append(legs, requestLeg(from, peer, true, HTTPS), replyLeg(from, peer, false))
	}
	return legs
}

// runLegs checks every leg and returns the reasons of the blocked ones and
// of the partial ones, and the evidence, without repeats; the note on reply
// ports comes once, last.
func runLegs(s *network.Snapshot, legs []aclLeg) (blocked, partial, evidence []string) {
	var blockedNote, partialNote bool
	for _, leg := range legs {
		v := leg.check(s)
		evidence = appendNew(evidence, v.Evidence...)
		reason, note := strings.CutSuffix(v.Reason, "; "+ephemeralNote)
		switch {
		case !v.Allowed:
			blocked, blockedNote = appendNew(blocked, reason), blockedNote || note
		case v.Partial:
			partial, partialNote = appendNew(partial, reason), partialNote || note
		}
	}
	if blockedNote {
		blocked = append(blocked, ephemeralNote)
	}
	if partialNote {
		partial = append(partial, ephemeralNote)
	}
	return blocked, partial, evidence
}

// appendNew appends the items not already in list.
func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// summarise joins reasons, naming only the first few (and the note on
// reply ports that runLegs puts last).
func summarise(reasons []string) string {
	const shown = 4
	var note []string
	if n := len(reasons); n > 0 && reasons[n-1] == ephemeralNote {
		reasons, note = reasons[:n-1], []string{ephemeralNote}
	}
	if len(reasons) > shown {
		reasons = append(reasons[:shown:shown], fmt.Sprintf("and %d more", len(reasons)-shown))
	}
	return strings.Join(append(reasons, note...), "; ")
}
