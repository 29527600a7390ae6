package check

import (
	"fmt"
	"net/netip"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

var anyIPv6 = netip.MustParsePrefix("::/0")

var ipv6DualStack = Check{
	ID:          "VM111",
	Name:        "ipv6-dual-stack",
	Title:       "The function allows IPv6 but a subnet cannot carry it out",
	Impact:      "With Ipv6AllowedForDualStack the function's calls may go out over IPv6: a subnet that is not dual-stack, or has no ::/0 route, leaves them without a path.",
	Remediation: "Give every function subnet an IPv6 CIDR and route ::/0 to an egress-only internet gateway, or turn Ipv6AllowedForDualStack off.",
	Severity:    report.SeverityError,
	Applies: func(t *Target) bool {
		return isFunction(t) && resolved(t) && t.Workload.Function != nil && t.Workload.Function.IPv6
	},
	Run: func(t *Target) []Result {
		var out []Result
		for _, sn := range t.Subnets() {
			out = append(out, ipv6Subnet(t, sn))
		}
		return out
	},
}

func ipv6Subnet(t *Target, sn network.Subnet) Result {
	fail := func(sev report.Severity, format string, args ...any) Result {
		return Result{Severity: sev, Message: t.Describe() + " allows IPv6 (Ipv6AllowedForDualStack), but " + fmt.Sprintf(format, args...), AZ: sn.AvailabilityZone, Resources: []string{sn.ID}}
	}
	if len(sn.IPv6CIDRs) == 0 {
		return fail("", "subnet %s in %s has no IPv6 CIDR: every subnet of a dual-stack function must be dual-stack", sn.ID, sn.AvailabilityZone)
	}
	rt, ok := t.Network.RouteTableOf(sn.ID)
	if !ok {
		return fail("", "subnet %s has no route table", sn.ID)
	}
	for _, r := range rt.Routes {
		if r.Destination != anyIPv6 {
			continue
		}
		switch {
		case !r.Active:
			return fail("", "route table %s of subnet %s sends ::/0 to %s, which no longer exists (blackhole)", rt.ID, sn.ID, r.TargetID)
		case r.TargetKind == network.TargetEgressOnlyIGW || r.TargetKind == network.TargetInternetGateway:
			if bpa := reach.PublicAccessEgress(t.Network, sn.ID); bpa.Blocked {
				res := fail("", "route table %s of subnet %s sends ::/0 to %s, and %s: IPv6 calls cannot get out", rt.ID, sn.ID, r.TargetID, bpa.Setting)
				res.Resources = append(res.Resources, rt.ID, r.TargetID)
				res.Resources = append(res.Resources, bpa.Evidence...)
				return res
			}
			if r.TargetKind == network.TargetEgressOnlyIGW {
				return Result{Pass: true}
			}
			return fail(report.SeverityWarning, "route table %s of subnet %s sends ::/0 to internet gateway %s, which also lets the internet in: an egress-only internet gateway is the set-up for outbound-only IPv6", rt.ID, sn.ID, r.TargetID)
		default:
			res := fail("", "route table %s of subnet %s sends ::/0 to %s, whose onward path vpcmedic cannot see", rt.ID, sn.ID, r.TargetID)
			res.Unverified = true
			return res
		}
	}
	return fail("", "route table %s of subnet %s has no ::/0 route to an egress-only internet gateway: IPv6 calls have no way out", rt.ID, sn.ID)
}
