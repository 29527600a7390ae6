package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
)

// blockPublicAccess sets VPC Block Public Access to mode with the subnet
// exclusions given (subnet ID to exclusion mode).
func blockPublicAccess(s *network.Snapshot, mode string, subnets map[string]string) *network.Snapshot {
	s.BlockPublicAccess = network.BlockPublicAccess{Read: true, Mode: mode, SubnetExclusions: subnets}
	return s
}

// exclusionOf is the recommended command that excludes a subnet, egress only.
func exclusionOf(subnet string) string {
	return "aws ec2 create-vpc-block-public-access-exclusion --subnet-id " + subnet + " --internet-gateway-exclusion-mode allow-egress --region us-east-1"
}

func TestPlanUnderBlockPublicAccess(t *testing.T) {
	routes := []string{"create-route rtb-a lambda", "create-route rtb-b lambda"}
	tests := []struct {
		name     string
		snapshot func() *network.Snapshot
		want     []string
		cost     float64
		// rec is in a recommendation, norec in none.
		rec   []string
		norec string
	}{{
		name: "bidirectional, nothing excluded: no route to the blocked NAT gateways; endpoints, which it does not touch, and the exclusions recommended",
		snapshot: func() *network.Snapshot {
			return blockPublicAccess(vpc(true), network.BPABlockBidirectional, nil)
		},
		want: endpointsForESM, cost: 4 * InterfaceEndpointPerAZMonth,
		rec: []string{
			"VPC Block Public Access is block-bidirectional and neither VPC vpc-1 nor subnet pub-a is excluded, so NAT gateway nat-a (in subnet pub-a) cannot reach the internet",
			exclusionOf("pub-a") + " && aws ec2 create-route --route-table-id rtb-a --destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-a --region us-east-1",
			exclusionOf("pub-b") + " && aws ec2 create-route --route-table-id rtb-b --destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-b --region us-east-1",
		},
	}, {
		name: "bidirectional, the NAT gateways' subnets excluded egress-only: the free routes",
		snapshot: func() *network.Snapshot {
			return blockPublicAccess(vpc(true), network.BPABlockBidirectional, map[string]string{"pub-a": network.BPAAllowEgress, "pub-b": network.BPAAllowEgress})
		},
		want: routes,
	}, {
		name: "bidirectional, only the workload's subnets excluded: the NAT gateway's own subnet is the one that matters",
		snapshot: func() *network.Snapshot {
			return blockPublicAccess(vpc(true), network.BPABlockBidirectional, map[string]string{"priv-a": network.BPAAllowBidirectional, "priv-b": network.BPAAllowBidirectional})
		},
		want: endpointsForESM, cost: 4 * InterfaceEndpointPerAZMonth,
		rec: []string{exclusionOf("pub-a"), exclusionOf("pub-b")},
	}, {
		name: "bidirectional, the VPC excluded: the free routes",
		snapshot: func() *network.Snapshot {
			s := blockPublicAccess(vpc(true), network.BPABlockBidirectional, nil)
			s.BlockPublicAccess.VPCExclusion = network.BPAAllowBidirectional
			return s
		},
		want: routes,
	}, {
		name: "ingress-only lets NAT gateway traffic out: the free routes",
		snapshot: func() *network.Snapshot {
			return blockPublicAccess(vpc(true), network.BPABlockIngress, nil)
		},
		want: routes,
	}, {
		name: "the setting not read: nothing assumed, the free routes",
		snapshot: func() *network.Snapshot {
			s := blockPublicAccess(vpc(true), network.BPABlockBidirectional, nil)
			s.BlockPublicAccess.Read = false
			return s
		},
		want: routes,
	}, {
		name: "routes to the blocked NAT gateways exist: endpoints, and the exclusions alone recommended",
		snapshot: func() *network.Snapshot {
			s := blockPublicAccess(vpc(true), network.BPABlockBidirectional, nil)
			for i, nat := range map[int]string{2: "nat-a", 3: "nat-b"} {
				s.RouteTables[i].Routes = append(s.RouteTables[i].Routes, network.Route{Destination: defaultRoute, TargetKind: network.TargetNATGateway, TargetID: nat, Active: true})
			}
			return s
		},
		want: endpointsForESM, cost: 4 * InterfaceEndpointPerAZMonth,
		rec:   []string{exclusionOf("pub-a"), exclusionOf("pub-b")},
		norec: "create-route",
	}, {
		name: "bidirectional and a regional NAT gateway, VPC not excluded: a route it might block is not proposed; the VPC's exclusion recommended",
		snapshot: func() *network.Snapshot {
			return blockPublicAccess(withRegional(vpc(false), nil, regionalNAT("enabled", "us-east-1a", "us-east-1b")), network.BPABlockBidirectional, nil)
		},
		want: endpointsForESM, cost: 4 * InterfaceEndpointPerAZMonth,
		rec: []string{
			"regional NAT gateway nat-r has no subnet to exclude",
			"aws ec2 create-vpc-block-public-access-exclusion --vpc-id vpc-1 --internet-gateway-exclusion-mode allow-egress --region us-east-1 && aws ec2 create-route --route-table-id rtb-a",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := target(esm(), tt.snapshot())
			p := For(tgt, Options{})
			if got := actions(p); !slices.Equal(got, tt.want) {
				t.Fatalf("changes:\n got %q\nwant %q\nunfixable %q\nrecommendations %q", got, tt.want, p.Unfixable, p.Recommendations)
			}
			if got := p.MonthlyCostUSD(); got < tt.cost-0.001 || got > tt.cost+0.001 {
				t.Errorf("cost = %.2f, want %.2f", got, tt.cost)
			}
			if errs := errorsOf(verify(t, tgt, p)); len(errs) > 0 || len(p.Unfixable) > 0 {
				t.Errorf("after the plan: %v; unfixable %q", errs, p.Unfixable)
			}
			for _, c := range p.Changes {
				if strings.Contains(c.Command, "block-public-access") {
					t.Errorf("change %s touches Block Public Access: %s", c.Action, c.Command)
				}
			}
			recs := strings.Join(p.Recommendations, "\n")
			for _, want := range tt.rec {
				if !strings.Contains(recs, want) {
					t.Errorf("recommendations %q, want one saying %q", p.Recommendations, want)
				}
			}
			if tt.norec != "" && strings.Contains(recs, tt.norec) {
				t.Errorf("recommendations %q say %q", p.Recommendations, tt.norec)
			}
			if len(tt.rec) == 0 && strings.Contains(recs, "block-public-access") {
				t.Errorf("recommendations %q change Block Public Access needlessly", p.Recommendations)
			}
		})
	}
}

func TestNATGatewaysUnderBlockPublicAccess(t *testing.T) {
	natPlan := []string{
		"allocate-address pub-a ", "create-nat-gateway pub-a ", "allocate-address pub-b ", "create-nat-gateway pub-b ",
		"create-route rtb-a ", "create-route rtb-b ",
	}
	tests := []struct {
		name       string
		exclusions map[string]string
		nat        bool
		note       string
	}{
		{name: "nothing excluded: no NAT gateway, and the reason is Block Public Access",
			note: "NAT gateways (about $73.00/month plus $0.045 per GB) would cost less than interface endpoints for sns, sqs, kms, ssm, secretsmanager, logs (about $87.60/month), but VPC Block Public Access is block-bidirectional and neither VPC vpc-1 nor subnet pub-a is excluded, so a NAT gateway there could not reach the internet (vpcmedic never changes Block Public Access)"},
		{name: "one zone's public subnet excluded: still none, the other zone's would be blocked",
			exclusions: map[string]string{"pub-a": network.BPAAllowEgress},
			note:       "neither VPC vpc-1 nor subnet pub-b is excluded, so a NAT gateway there could not reach the internet"},
		{name: "both public subnets excluded: the NAT gateways", exclusions: map[string]string{"pub-a": network.BPAAllowEgress, "pub-b": network.BPAAllowBidirectional}, nat: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := functionIn(blockPublicAccess(vpc(false), network.BPABlockBidirectional, tt.exclusions), manyServices, "priv-a", "priv-b")
			p := For(tgt, Options{AllowNATCreation: true})
			got := actions(p)
			if tt.nat != slices.Equal(got, natPlan) {
				t.Fatalf("changes %q, want NAT gateways: %v", got, tt.nat)
			}
			if !tt.nat && slices.ContainsFunc(p.Changes, func(c Change) bool { return c.Action == CreateNATGateway || c.Action == CreateRoute }) {
				t.Errorf("changes %q: a NAT gateway or route Block Public Access would block", got)
			}
			if errs := errorsOf(verify(t, tgt, p)); len(errs) > 0 || len(p.Unfixable) > 0 {
				t.Errorf("after the plan: %v; unfixable %q", errs, p.Unfixable)
			}
			if notes := strings.Join(p.Recommendations, "\n"); !strings.Contains(notes, tt.note) {
				t.Errorf("recommendations %q, want one saying %q", p.Recommendations, tt.note)
			}
		})
	}
}
