package reach

import "github.com/vpcmedic/vpcmedic/internal/network"

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
