package reach

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// Whether a workload's interfaces in a public subnet have a public IPv4
// address (ServiceQuery.PublicIPv4).
const (
	// PublicIPv4None: they never do (Lambda's Hyperplane interfaces).
	PublicIPv4None = ""
	// PublicIPv4Yes: they do (an EC2 instance in a subnet that assigns
	// public IPv4 addresses on launch).
	PublicIPv4Yes = "yes"
	// PublicIPv4Unknown: they may; nothing read says.
	PublicIPv4Unknown = "unknown"
)

// ViaInternetGateway: straight out through the subnet's internet gateway,
// from a public address.
const ViaInternetGateway = "internet-gateway"

// internetPath follows a public subnet's default route to its internet
// gateway for interfaces that may have a public IPv4 address: VPC Block
// Public Access, the workload's security groups and the subnet's network
// ACL both ways. When the address itself is not known, a path that is
// otherwise open stays unverified.
func internetPath(s *network.Snapshot, q ServiceQuery, p ServicePath, egress Egress, noEndpoint string) ServicePath {
	p.Via = ViaInternetGateway
	if bpa := PublicAccessEgress(s, q.From.SubnetID); bpa.Blocked {
		p.Evidence = appendNew(p.Evidence, bpa.Evidence...)
		p.Problem = fmt.Sprintf("%s, and subnet %s sends 0.0.0.0/0 to internet gateway %s, but %s", noEndpoint, q.From.SubnetID, egress.TargetID, bpa.Setting)
		return p
	}
	internet := Place{Outside: defaultRoute}
	if v := SecurityGroups(s, q.From, internet, HTTPS); !v.Allowed {
		p.Evidence = append(p.Evidence, v.Evidence...)
		p.Problem = fmt.Sprintf("the workload's security groups do not allow TCP %d out to the internet (needed through internet gateway %s): %s", HTTPS, egress.TargetID, v.Reason)
		return p
	}
	blocked, partial, evidence := runLegs(s, serviceLegs(q.From, []netip.Prefix{defaultRoute}))
	p.Evidence = appendNew(p.Evidence, evidence...)
	if len(blocked) > 0 {
		p.Problem = fmt.Sprintf("network ACLs block TCP %d to the internet through internet gateway %s: %s", HTTPS, egress.TargetID, strings.Join(blocked, "; "))
		return p
	}
	p.Partial = append(p.Partial, partial...)
	if q.PublicIPv4 == PublicIPv4Unknown {
		p.Unverified = true
		p.Problem = fmt.Sprintf("%s; subnet %s is public (route table %s sends 0.0.0.0/0 to %s) but does not assign public IPv4 addresses on launch, so the path works only if the instances get a public or Elastic IP address some other way, which vpcmedic cannot see: turn on MapPublicIpOnLaunch for the subnet (aws ec2 modify-subnet-attribute --subnet-id %s --map-public-ip-on-launch), or give it a NAT gateway route or an interface endpoint, to settle it",
			noEndpoint, q.From.SubnetID, egress.RouteTableID, egress.TargetID, q.From.SubnetID)
		return p
	}
	p.OK = true
	return p
}
