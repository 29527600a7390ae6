package check

import (
	"net/netip"

	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// dualStack gives priv-a and priv-b IPv6 CIDRs and routes ::/0 of their
// tables to target (none when kind is empty).
func dualStack(kind, target string, active bool) *network.Snapshot {
	s := withFunctionGroups(baseVPC())
	for i := range s.Subnets {
		switch s.Subnets[i].ID {
		case "priv-a":
			s.Subnets[i].IPv6CIDRs = []netip.Prefix{prefix("2600:1f18:1::/64")}
		case "priv-b":
			s.Subnets[i].IPv6CIDRs = []netip.Prefix{prefix("2600:1f18:2::/64")}
		}
	}
	if kind != "" {
		for i := range s.RouteTables {
			if s.RouteTables[i].ID == "rtb-a" || s.RouteTables[i].ID == "rtb-b" {
				s.RouteTables[i].Routes = append(s.RouteTables[i].Routes, network.Route{Destination: prefix("::/0"), TargetKind: kind, TargetID: target, Active: active})
			}
		}
	}
	return s
}

func withBPA(s *network.Snapshot, b network.BlockPublicAccess) *network.Snapshot {
	s.BlockPublicAccess = b
	return s
}

func TestIPv6DualStack(t *testing.T) {
	tests := []struct {
		name       string
		subnets    []string
		snapshot   *network.Snapshot
		wantPassed int
		want       []string
		severity   report.Severity
	}{
		{"dual-stack subnets routed to an egress-only internet gateway", []string{"priv-a", "priv-b"}, dualStack(network.TargetEgressOnlyIGW, "eigw-1", true), 2, nil, ""},
		{"a subnet that is not dual-stack", []string{"priv-a", "pub-b"}, dualStack(network.TargetEgressOnlyIGW, "eigw-1", true), 1,
			[]string{"function api allows IPv6 (Ipv6AllowedForDualStack), but subnet pub-b in us-east-1b has no IPv6 CIDR"}, report.SeverityError},
		{"no ::/0 route", []string{"priv-a"}, dualStack("", "", false), 0,
			[]string{"route table rtb-a of subnet priv-a has no ::/0 route to an egress-only internet gateway"}, report.SeverityError},
		{"::/0 to a deleted egress-only gateway", []string{"priv-a"}, dualStack(network.TargetEgressOnlyIGW, "eigw-1", false), 0,
			[]string{"sends ::/0 to eigw-1, which no longer exists (blackhole)"}, report.SeverityError},
		{"::/0 to the internet gateway works but lets the internet in", []string{"priv-b"}, dualStack(network.TargetInternetGateway, "igw-1", true), 0,
			[]string{"sends ::/0 to internet gateway igw-1, which also lets the internet in"}, report.SeverityWarning},
		{"Block Public Access bidirectional stops the egress-only gateway", []string{"priv-a"},
			withBPA(dualStack(network.TargetEgressOnlyIGW, "eigw-1", true), network.BlockPublicAccess{Read: true, Mode: network.BPABlockBidirectional}), 0,
			[]string{"route table rtb-a of subnet priv-a sends ::/0 to eigw-1, and VPC Block Public Access is block-bidirectional and neither VPC vpc-1 nor subnet priv-a is excluded: IPv6 calls cannot get out"}, report.SeverityError},
		{"Block Public Access bidirectional stops the internet gateway too", []string{"priv-b"},
			withBPA(dualStack(network.TargetInternetGateway, "igw-1", true), network.BlockPublicAccess{Read: true, Mode: network.BPABlockBidirectional}), 0,
			[]string{"sends ::/0 to igw-1, and VPC Block Public Access is block-bidirectional"}, report.SeverityError},
		{"bidirectional with the function's subnet excluded for egress", []string{"priv-a", "priv-b"},
			withBPA(dualStack(network.TargetEgressOnlyIGW, "eigw-1", true), network.BlockPublicAccess{Read: true, Mode: network.BPABlockBidirectional,
				SubnetExclusions: map[string]string{"priv-a": network.BPAAllowEgress}}), 1,
			[]string{"neither VPC vpc-1 nor subnet priv-b is excluded"}, report.SeverityError},
		{"bidirectional with the VPC excluded", []string{"priv-a", "priv-b"},
			withBPA(dualStack(network.TargetEgressOnlyIGW, "eigw-1", true), network.BlockPublicAccess{Read: true, Mode: network.BPABlockBidirectional, VPCExclusion: network.BPAAllowBidirectional}), 2, nil, ""},
		{"block-ingress lets egress-only traffic out", []string{"priv-a", "priv-b"},
			withBPA(dualStack(network.TargetEgressOnlyIGW, "eigw-1", true), network.BlockPublicAccess{Read: true, Mode: network.BPABlockIngress}), 2, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := vpcFunction(tt.subnets...)
			w.Function.IPv6 = true
			f := oneCheck(t, ipv6DualStack, functionTarget(w, tt.snapshot), tt.wantPassed, tt.want...)
			for _, x := range f {
				if x.Severity != tt.severity {
					t.Errorf("severity %s, want %s", x.Severity, tt.severity)
				}
			}
		})
	}
	t.Run("IPv6 not allowed: nothing to check", func(t *testing.T) {
		oneCheck(t, ipv6DualStack, functionTarget(vpcFunction("pub-a"), dualStack("", "", false)), 0)
	})
}
