package app_test

import (
	"fmt"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// On-demand Kafka mappings judged the way a VPC carries their packets, read
// from the emulator through the real reader: network ACLs on every leg of a
// NAT path, regional NAT gateways and VPC Block Public Access.
func TestOnDemandMappingPacketPaths(t *testing.T) {
	checkMappings(t, []mappingCase{
		{
			// The hardened ACL "replies only from the VPC" lets the NAT
			// subnet's traffic in but not the internet's replies, which keep
			// the internet host as their source through the NAT gateway.
			name: "private ACL taking replies only from the VPC CIDR, NAT per zone", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.HealthyOnDemandMSK(s)
				acl := w.VPC.NACL("hardened", w.Private...)
				acl.AllowAllIn(100, "10.0.0.0/16").AllowIn(110, "10.0.0.0/16", 1024, 65535).AllowAllOut(100, "0.0.0.0/0")
				return w.ESM, unreachable(w.Private, lambdaAndSTS,
					"network ACLs block TCP 443", "denies inbound replies on TCP 1024-65535 from the internet (0.0.0.0/0)", acl.ID)
			},
		},
		{
			name: "regional NAT gateway in automatic mode", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				nat := w.VPC.RegionalNAT()
				for _, sn := range w.Private {
					w.VPC.RouteToNAT(sn, nat)
				}
				return w.ESM, nil
			},
		},
		{
			// Manual mode: "you must manually manage which AZs the NAT
			// gateway supports" (EC2 API reference, NatGateway).
			name: "regional NAT gateway in manual mode without an address in one zone", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				nat := w.VPC.RegionalNAT("a")
				for _, sn := range w.Private {
					w.VPC.RouteToNAT(sn, nat)
				}
				b := w.Private[1]
				return w.ESM, unreachable(scenario.Subnets{b}, lambdaAndSTS, nat.ID, b.AZ)
			},
		},
		{
			name: "Block Public Access bidirectional, no exclusion", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.HealthyOnDemandMSK(s)
				s.BlockPublicAccess("block-bidirectional")
				var want []wantFinding
				for i, sn := range w.Private {
					want = append(want, unreachable(scenario.Subnets{sn}, lambdaAndSTS,
						"VPC Block Public Access is block-bidirectional", fmt.Sprintf("NAT gateway %s cannot reach the internet", w.NATs[i].ID))...)
				}
				return w.ESM, want
			},
		},
		{
			name: "Block Public Access bidirectional, the NAT gateways' subnets excluded for egress", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.HealthyOnDemandMSK(s)
				s.BlockPublicAccess("block-bidirectional")
				for _, sn := range w.Public {
					w.VPC.ExcludeSubnetFromBPA(sn, "allow-egress")
				}
				return w.ESM, nil
			},
		},
		{
			name: "Block Public Access for ingress only", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.HealthyOnDemandMSK(s)
				s.BlockPublicAccess("block-ingress")
				return w.ESM, nil
			},
		},
	})
}
