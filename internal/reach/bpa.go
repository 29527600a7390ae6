package reach

import (
	"fmt"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// PublicAccess is what VPC Block Public Access does to traffic that leaves
// the VPC through an internet gateway or an egress-only internet gateway
// (NAT gateway egress included) on behalf of one subnet.
type PublicAccess struct {
	// Blocked is set when the traffic cannot get out.
	Blocked bool
	// Unknown is set when the EC2 documentation does not decide the case
	// (a regional NAT gateway, which has no subnet to exclude).
	Unknown bool
	// Setting says what is in force, for a message: the mode and what is
	// or is not excluded.
	Setting string
	// Evidence names the setting and the exclusions consulted.
	Evidence []string
}

// PublicAccessEgress decides whether VPC Block Public Access lets traffic
// from subnetID out through an internet or egress-only internet gateway.
// block-bidirectional blocks it unless the VPC or that subnet is excluded
// (allow-bidirectional and allow-egress both let traffic out);
// block-ingress lets NAT gateway and egress-only internet gateway traffic
// out. An empty subnetID stands for traffic with no subnet of its own (a
// regional NAT gateway): only a VPC exclusion decides it. Nothing is
// assumed when the setting was not read.
func PublicAccessEgress(s *network.Snapshot, subnetID string) PublicAccess {
	b := s.BlockPublicAccess
	if !b.Read || b.Mode != network.BPABlockBidirectional {
		return PublicAccess{}
	}
	v := PublicAccess{Evidence: []string{"VPC Block Public Access: " + network.BPABlockBidirectional}}
	if lets, ev := exclusionLetsOut(b, s.VPC.ID, b.VPCExclusion); lets {
		v.Evidence = append(v.Evidence, ev)
		return v
	}
	if subnetID != "" {
		if lets, ev := exclusionLetsOut(b, subnetID, b.SubnetExclusions[subnetID]); lets {
			v.Evidence = append(v.Evidence, ev)
			return v
		}
		v.Blocked = true
		v.Setting = fmt.Sprintf("VPC Block Public Access is %s and neither VPC %s nor subnet %s is excluded", network.BPABlockBidirectional, s.VPC.ID, subnetID)
		return v
	}
	v.Unknown = true
	v.Setting = fmt.Sprintf("VPC Block Public Access is %s and VPC %s is not excluded", network.BPABlockBidirectional, s.VPC.ID)
	return v
}

// exclusionLetsOut reports whether an exclusion mode lets traffic out,
// naming the exclusion for the evidence.
func exclusionLetsOut(b network.BlockPublicAccess, resourceID, mode string) (bool, string) {
	if mode != network.BPAAllowBidirectional && mode != network.BPAAllowEgress {
		return false, ""
	}
	ev := fmt.Sprintf("%s excluded from VPC Block Public Access (%s)", resourceID, mode)
	if id := b.ExclusionIDs[resourceID]; id != "" {
		ev = fmt.Sprintf("%s excluded from VPC Block Public Access by %s (%s)", resourceID, id, mode)
	}
	return true, ev
}

// natPublicAccess decides what VPC Block Public Access does to a NAT
// gateway's traffic to the internet: for a zonal gateway, its own subnet's
// exclusion is the one that matters (not the workload's); a regional one has
// no subnet.
func natPublicAccess(s *network.Snapshot, nat network.NATGateway) (PublicAccess, string) {
	if nat.Regional() {
		v := PublicAccessEgress(s, "")
		return v, fmt.Sprintf("%s; regional NAT gateway %s has no subnet to exclude, and the EC2 documentation does not say whether its traffic gets out: exclude VPC %s (allow-egress) to be sure", v.Setting, nat.ID, s.VPC.ID)
	}
	v := PublicAccessEgress(s, nat.SubnetID)
	if v.Blocked {
		v.Setting = fmt.Sprintf("VPC Block Public Access is %s and %s (NAT gateway %s's subnet) is not excluded", network.BPABlockBidirectional, nat.SubnetID, nat.ID)
	}
	return v, fmt.Sprintf("%s: NAT gateway %s cannot reach the internet", v.Setting, nat.ID)
}
