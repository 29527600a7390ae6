package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// manyServices cost more as interface endpoints in two zones (6 × 2 ×
// $7.30 = $87.60) than as two NAT gateways with their addresses ($73.00).
var manyServices = []string{"sns", "sqs", "kms", "ssm", "secretsmanager", "logs"}

func withRequirements(tgt *check.Target, services ...string) *check.Target {
	for _, svc := range services {
		tgt.Requirements = append(tgt.Requirements, check.Requirement{Service: svc, Why: "the test needs " + svc})
	}
	return tgt
}

func TestPlanNATGateways(t *testing.T) {
	natPlan := []string{
		"allocate-address pub-a ", "create-nat-gateway pub-a ", "allocate-address pub-b ", "create-nat-gateway pub-b ",
		"create-route rtb-a ", "create-route rtb-b ",
	}
	endpoints := func(services ...string) []string {
		var out []string
		for i, svc := range services {
			if i == 0 {
				out = append(out, "create-security-group vpc-1 "+svc)
			}
			out = append(out, "create-interface-endpoint vpc-1 "+svc)
		}
		return out
	}
	tests := []struct {
		name   string
		target func() *check.Target
		allow  bool
		want   []string
		cost   float64
		// note is in a recommendation when NAT gateways were cheaper but
		// could not be planned.
		note string
	}{{
		name:   "many services, NAT gateways cheaper and allowed: one per zone, with its address and the routes",
		target: func() *check.Target { return functionIn(vpc(false), manyServices, "priv-a", "priv-b") },
		allow:  true, want: natPlan, cost: 2 * (NATGatewayMonth + PublicIPv4Month),
	}, {
		name:   "many services without AllowNatCreation: the endpoints",
		target: func() *check.Target { return functionIn(vpc(false), manyServices, "priv-a", "priv-b") },
		want:   endpoints(manyServices...), cost: 12 * InterfaceEndpointPerAZMonth,
	}, {
		name:   "one service: its endpoint is cheaper even when NAT gateways are allowed",
		target: func() *check.Target { return functionIn(vpc(false), []string{"sns"}, "priv-a", "priv-b") },
		allow:  true, want: endpoints("sns"), cost: 2 * InterfaceEndpointPerAZMonth,
	}, {
		name:   "five services in two zones cost the same either way: the endpoints, which expose nothing",
		target: func() *check.Target { return functionIn(vpc(false), manyServices[:5], "priv-a", "priv-b") },
		allow:  true, want: endpoints(manyServices[:5]...), cost: 10 * InterfaceEndpointPerAZMonth,
	}, {
		name: "S3 keeps its free gateway endpoint, the other services take the NAT gateways",
		target: func() *check.Target {
			return functionIn(vpc(false), append([]string{"s3"}, manyServices...), "priv-a", "priv-b")
		},
		allow: true, want: append([]string{"create-gateway-endpoint vpc-1 s3"}, natPlan...), cost: 2 * (NATGatewayMonth + PublicIPv4Month),
	}, {
		name: "an available NAT gateway in one zone is reused: a new one in the other zone only",
		target: func() *check.Target {
			s := vpc(true)
			s.NATGateways = s.NATGateways[:1]
			return functionIn(s, []string{"sns", "sqs", "kms"}, "priv-a", "priv-b")
		},
		allow: true, want: []string{"allocate-address pub-b ", "create-nat-gateway pub-b ", "create-route rtb-a ", "create-route rtb-b "},
		cost: NATGatewayMonth + PublicIPv4Month,
	}, {
		name: "an on-demand mapping in public subnets: PrivateLink only",
		target: func() *check.Target {
			w := esm()
			w.Network.SubnetIDs = []string{"pub-a", "pub-b"}
			return withRequirements(target(w, vpc(false)), "sns", "sqs", "kms", "ssm")
		},
		allow: true,
		want: []string{
			"create-security-group vpc-1 lambda", "create-interface-endpoint vpc-1 lambda", "create-interface-endpoint vpc-1 sts",
			"create-interface-endpoint vpc-1 sns", "create-interface-endpoint vpc-1 sqs", "create-interface-endpoint vpc-1 kms", "create-interface-endpoint vpc-1 ssm",
		},
		cost: 12 * InterfaceEndpointPerAZMonth, note: "subnet pub-a is public, where an on-demand mapping is served by PrivateLink only",
	}, {
		name: "an on-demand mapping in private subnets with many services: NAT gateways",
		target: func() *check.Target {
			return withRequirements(target(esm(), vpc(false)), "sns", "sqs", "kms", "ssm")
		},
		allow: true, want: natPlan, cost: 2 * (NATGatewayMonth + PublicIPv4Month),
	}, {
		name: "a zone without a public subnet: no NAT gateway there, so the endpoints",
		target: func() *check.Target {
			s := vpc(false)
			s.RouteTables[1].SubnetIDs = []string{"pub-a"} // pub-b falls back to the main table: private
			return functionIn(s, manyServices, "priv-a", "priv-b")
		},
		allow: true, want: endpoints(manyServices...), cost: 12 * InterfaceEndpointPerAZMonth,
		note: "zone us-east-1b has no public subnet to hold a NAT gateway",
	}, {
		name: "one route table for both zones: it cannot lead to each zone's NAT gateway, so the endpoints",
		target: func() *check.Target {
			s := vpc(false)
			s.RouteTables[2].SubnetIDs = []string{"priv-a", "priv-b"}
			s.RouteTables = s.RouteTables[:3]
			return functionIn(s, manyServices, "priv-a", "priv-b")
		},
		allow: true, want: endpoints(manyServices...), cost: 12 * InterfaceEndpointPerAZMonth,
		note: "route table rtb-a serves subnets in us-east-1a and us-east-1b",
	}, {
		name: "egress restricted to the VPC: a NAT path would not close the gap, so the endpoints",
		target: func() *check.Target {
			tgt := functionIn(vpc(false), manyServices, "priv-a", "priv-b")
			g := &tgt.Network.SecurityGroups[len(tgt.Network.SecurityGroups)-2]
			g.Egress = []network.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: prefix("10.0.0.0/16")}}
			return tgt
		},
		allow: true, want: endpoints(manyServices...), cost: 12 * InterfaceEndpointPerAZMonth,
		note: "through a NAT gateway sns would still be unreachable",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := tt.target()
			p := For(tgt, Options{AllowNATCreation: tt.allow})
			if got := actions(p); !slices.Equal(got, tt.want) {
				t.Fatalf("changes:\n got %q\nwant %q\nunfixable %q\nrecommendations %q", got, tt.want, p.Unfixable, p.Recommendations)
			}
			if got := p.MonthlyCostUSD(); got < tt.cost-0.001 || got > tt.cost+0.001 {
				t.Errorf("cost = %.2f, want %.2f", got, tt.cost)
			}
			if errs := errorsOf(verify(t, tgt, p)); len(errs) > 0 || len(p.Unfixable) > 0 {
				t.Errorf("after the plan: %v; unfixable %q", errs, p.Unfixable)
			}
			notes := strings.Join(p.Recommendations, "\n")
			if tt.note != "" && !strings.Contains(notes, tt.note) {
				t.Errorf("recommendations %q, want one saying %q", p.Recommendations, tt.note)
			}
			if tt.note == "" && strings.Contains(notes, "NAT gateways (") {
				t.Errorf("recommendations %q mention NAT gateways", p.Recommendations)
			}
			for _, c := range p.Changes {
				if c.Command == "" || !strings.HasPrefix(c.Command, "aws ec2 ") || !strings.HasSuffix(c.Command, "--region us-east-1") || c.Reason == "" {
					t.Errorf("change %s: command %q reason %q", c.Action, c.Command, c.Reason)
				}
			}
		})
	}
}

func TestPlanNATGatewaysChainTheirIDs(t *testing.T) {
	p := For(functionIn(vpc(false), manyServices, "priv-a", "priv-b"), Options{AllowNATCreation: true})
	if len(p.Changes) != 6 {
		t.Fatalf("changes %q, want the NAT plan", actions(p))
	}
	eipA, natA, routeA := p.Changes[0], p.Changes[1], p.Changes[4]
	if !strings.HasPrefix(eipA.AllocationID, "eipalloc-") || natA.AllocationID != eipA.AllocationID {
		t.Errorf("NAT gateway uses address %q, the allocation planned is %q", natA.AllocationID, eipA.AllocationID)
	}
	if !strings.HasPrefix(natA.NATGatewayID, "nat-") || routeA.NATGatewayID != natA.NATGatewayID || !slices.Equal(routeA.RouteTableIDs, []string{"rtb-a"}) {
		t.Errorf("route of rtb-a leads to %q, the NAT gateway of us-east-1a is %q", routeA.NATGatewayID, natA.NATGatewayID)
	}
	if p.Changes[5].NATGatewayID == natA.NATGatewayID {
		t.Errorf("rtb-b routes to the NAT gateway of the other zone")
	}
	for _, c := range p.Changes {
		if c.Group == "" {
			t.Errorf("%s %s is not in the NAT gateways' group", c.Action, c.Target)
		}
	}
	wantCommands := map[string]string{
		AllocateAddress:  "aws ec2 allocate-address --domain vpc --tag-specifications 'ResourceType=elastic-ip,Tags=[{Key=vpcmedic:managed,Value=true}]' --region us-east-1",
		CreateNATGateway: "aws ec2 create-nat-gateway --subnet-id pub-a --allocation-id " + eipA.AllocationID + " --connectivity-type public --tag-specifications 'ResourceType=natgateway,Tags=[{Key=vpcmedic:managed,Value=true}]' --region us-east-1",
		CreateRoute:      "aws ec2 create-route --route-table-id rtb-a --destination-cidr-block 0.0.0.0/0 --nat-gateway-id " + natA.NATGatewayID + " --region us-east-1",
	}
	for _, c := range []Change{eipA, natA, routeA} {
		if c.Command != wantCommands[c.Action] {
			t.Errorf("%s command:\n got %s\nwant %s", c.Action, c.Command, wantCommands[c.Action])
		}
	}
	if !strings.Contains(natA.Reason, "$32.85/month plus $0.045 per GB") || !strings.Contains(natA.Reason, "$87.60/month") || !strings.Contains(natA.Reason, "sns, sqs, kms, ssm, secretsmanager, logs") {
		t.Errorf("NAT gateway reason %q should quote its cost, the endpoints' and the services", natA.Reason)
	}
	if eipA.MonthlyCostUSD != PublicIPv4Month || natA.MonthlyCostUSD != NATGatewayMonth || routeA.MonthlyCostUSD != 0 {
		t.Errorf("costs %.2f, %.2f, %.2f", eipA.MonthlyCostUSD, natA.MonthlyCostUSD, routeA.MonthlyCostUSD)
	}
}

func TestPlanNATGatewaysBeforeVerification(t *testing.T) {
	// The NAT gateways and routes alone, without the endpoints, must be
	// what makes the checks pass.
	tgt := functionIn(vpc(false), manyServices, "priv-a", "priv-b")
	p := For(tgt, Options{AllowNATCreation: true})
	withoutRoutes := Plan{Changes: slices.DeleteFunc(slices.Clone(p.Changes), func(c Change) bool { return c.Action == CreateRoute })}
	var broken int
	for _, f := range verify(t, tgt, withoutRoutes) {
		if f.Severity == report.SeverityError {
			broken++
		}
	}
	if broken == 0 {
		t.Error("the NAT gateways without routes pass the checks: the verification proves nothing")
	}
}

func TestGuardKeepsNATGatewaysTogether(t *testing.T) {
	changes := For(functionIn(vpc(false), manyServices, "priv-a", "priv-b"), Options{AllowNATCreation: true}).Changes
	tests := []struct {
		name        string
		optOut      string
		scope       Scope
		wantAllowed int
		wantReason  string
	}{
		{"in scope", "", Scope{MaxChanges: 10}, 6, ""},
		{"the public subnet of one NAT gateway opted out", "pub-b", Scope{MaxChanges: 10}, 0, "subnet pub-b is tagged vpcmedic:remediate=false, and the nat-gateways changes are made together"},
		{"a private subnet opted out", "priv-a", Scope{MaxChanges: 10}, 0, "route table rtb-a serves subnet priv-a"},
		{"room for part of them only", "", Scope{MaxChanges: 10, Used: 5}, 0, "leaves no room for the 6 nat-gateways changes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := vpc(false)
			for i := range s.Subnets {
				if s.Subnets[i].ID == tt.optOut {
					s.Subnets[i].Tags = map[string]string{OptOutTag: "false"}
				}
			}
			scope := tt.scope
			used := scope.Used
			allowed, refused := Guard(s, &scope, changes)
			if len(allowed) != tt.wantAllowed || len(allowed)+len(refused) != len(changes) {
				t.Fatalf("allowed %d, refused %d, want %d allowed of %d", len(allowed), len(refused), tt.wantAllowed, len(changes))
			}
			if scope.Used != used+len(allowed) {
				t.Errorf("used %d after the guard, want %d", scope.Used, used+len(allowed))
			}
			for _, r := range refused {
				if !strings.Contains(r.Reason, tt.wantReason) {
					t.Errorf("reason = %q, want %q", r.Reason, tt.wantReason)
				}
			}
		})
	}
}
