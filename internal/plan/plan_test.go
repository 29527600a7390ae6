package plan

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const region = "us-east-1"

func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// vpc is the two-zone VPC of the documentation: public subnets routed to
// igw-1, private subnets priv-a/priv-b with a route table each, the cluster
// group sg-msk, and NAT gateways in the public subnets that no private
// route uses yet (when withNATs).
func vpc(withNATs bool) *network.Snapshot {
	local := network.Route{Destination: prefix("10.0.0.0/16"), TargetKind: network.TargetLocal, TargetID: "local", Active: true}
	s := &network.Snapshot{
		VPC: network.VPC{ID: "vpc-1", CIDRs: []netip.Prefix{prefix("10.0.0.0/16")}, DNSSupport: true, DNSHostnames: true, DNSServers: []string{"AmazonProvidedDNS"}},
		Subnets: []network.Subnet{
			{ID: "pub-a", AvailabilityZone: "us-east-1a", CIDR: prefix("10.0.0.0/24"), FreeIPs: 250},
			{ID: "pub-b", AvailabilityZone: "us-east-1b", CIDR: prefix("10.0.1.0/24"), FreeIPs: 250},
			{ID: "priv-a", AvailabilityZone: "us-east-1a", CIDR: prefix("10.0.10.0/24"), FreeIPs: 250},
			{ID: "priv-b", AvailabilityZone: "us-east-1b", CIDR: prefix("10.0.11.0/24"), FreeIPs: 250},
		},
		RouteTables: []network.RouteTable{
			{ID: "rtb-main", Main: true, Routes: []network.Route{local}},
			{ID: "rtb-pub", SubnetIDs: []string{"pub-a", "pub-b"}, Routes: []network.Route{local,
				{Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetInternetGateway, TargetID: "igw-1", Active: true}}},
			{ID: "rtb-a", SubnetIDs: []string{"priv-a"}, Routes: []network.Route{local}},
			{ID: "rtb-b", SubnetIDs: []string{"priv-b"}, Routes: []network.Route{local}},
		},
		SecurityGroups: []network.SecurityGroup{{
			ID:      "sg-msk",
			Ingress: []network.Rule{{Protocol: "tcp", FromPort: 9098, ToPort: 9098, GroupID: "sg-msk"}},
			Egress:  []network.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: prefix("0.0.0.0/0")}},
		}},
	}
	if withNATs {
		s.NATGateways = []network.NATGateway{
			{ID: "nat-a", SubnetID: "pub-a", State: "available", Connectivity: "public"},
			{ID: "nat-b", SubnetID: "pub-b", State: "available", Connectivity: "public"},
		}
	}
	return s
}

func esm() *workload.Workload {
	return &workload.Workload{
		Kind: workload.KindKafkaESM, ID: "3f1c0d2e", Name: "consumer <- MSK orders", ExecutionRoleARN: "arn:aws:iam::123456789012:role/consumer",
		Network: workload.Network{VPCID: "vpc-1", SubnetIDs: []string{"priv-a", "priv-b"}, SecurityGroupIDs: []string{"sg-msk"}},
		Kafka:   &workload.Kafka{Source: workload.SourceMSK, OnDemand: true, BrokerPorts: []int{9098}, ClientAuthentication: []string{"iam"}},
	}
}

func target(w *workload.Workload, s *network.Snapshot) *check.Target {
	return &check.Target{Workload: w, Network: s, Region: region, Requirements: check.KafkaRequirements(w)}
}

// verify applies the plan to a copy of the network and re-runs every check:
// what the plan claims to fix must then hold.
func verify(t *testing.T, tgt *check.Target, p Plan) []report.Finding {
	t.Helper()
	s := clone(tgt.Network)
	for _, c := range p.Changes {
		apply(s, c, region)
	}
	after := *tgt
	after.Network = s
	findings, _ := check.Run(check.Fresh(&after))
	return findings
}

func actions(p Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Action+" "+c.Target+" "+c.Service)
	}
	return out
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name      string
		workload  func() *workload.Workload
		snapshot  func() *network.Snapshot
		want      []string
		cost      float64
		unfixable string
	}{{
		name:     "no NAT and no endpoints: endpoints in both zones, the cluster group opened to itself on 443",
		workload: esm, snapshot: func() *network.Snapshot { return vpc(false) },
		want: []string{
			"create-security-group vpc-1 lambda", "create-interface-endpoint vpc-1 lambda",
			"create-interface-endpoint vpc-1 sts",
		},
		cost: 4 * InterfaceEndpointPerAZMonth,
	}, {
		name:     "NAT gateways in each zone but no route: routes, free",
		workload: esm, snapshot: func() *network.Snapshot { return vpc(true) },
		want: []string{"create-route rtb-a lambda", "create-route rtb-b lambda"},
	}, {
		name:     "a NAT gateway in one zone only: endpoints, never a cross-zone route",
		workload: esm,
		snapshot: func() *network.Snapshot {
			s := vpc(true)
			s.NATGateways = s.NATGateways[:1]
			return s
		},
		want: []string{
			"create-security-group vpc-1 lambda", "create-interface-endpoint vpc-1 lambda",
			"create-interface-endpoint vpc-1 sts",
		},
		cost: 4 * InterfaceEndpointPerAZMonth,
	}, {
		name: "public cluster subnets: endpoints, a NAT route would not help",
		workload: func() *workload.Workload {
			w := esm()
			w.Network.SubnetIDs = []string{"pub-a", "pub-b"}
			return w
		},
		snapshot: func() *network.Snapshot { return vpc(true) },
		want: []string{
			"create-security-group vpc-1 lambda", "create-interface-endpoint vpc-1 lambda",
			"create-interface-endpoint vpc-1 sts",
		},
		cost: 4 * InterfaceEndpointPerAZMonth,
	}, {
		name:     "an endpoint with private DNS off is repaired, not duplicated",
		workload: esm,
		snapshot: func() *network.Snapshot {
			s := vpc(false)
			s.SecurityGroups[0].Ingress = append(s.SecurityGroups[0].Ingress, network.Rule{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupID: "sg-msk"})
			for _, svc := range []string{"lambda", "sts"} {
				s.Endpoints = append(s.Endpoints, network.Endpoint{ID: "vpce-" + svc, ServiceName: "com.amazonaws.us-east-1." + svc, Type: "Interface", State: "available",
					SubnetIDs: []string{"priv-a", "priv-b"}, SecurityGroupIDs: []string{"sg-msk"}})
			}
			return s
		},
		want: []string{"enable-endpoint-private-dns vpce-lambda lambda", "enable-endpoint-private-dns vpce-sts sts"},
	}, {
		name:     "an endpoint group without 443 from the workload: one ingress rule from its group",
		workload: esm,
		snapshot: func() *network.Snapshot {
			s := vpc(true)
			s.SecurityGroups = append(s.SecurityGroups, network.SecurityGroup{ID: "sg-ep"})
			s.Endpoints = []network.Endpoint{{ID: "vpce-sts", ServiceName: "com.amazonaws.us-east-1.sts", Type: "Interface", State: "available",
				SubnetIDs: []string{"priv-a", "priv-b"}, SecurityGroupIDs: []string{"sg-ep"}, PrivateDNS: true}}
			return s
		},
		want: []string{"create-route rtb-a lambda", "create-route rtb-b lambda", "authorize-security-group-ingress sg-ep sts"},
	}, {
		name:     "restricted egress: an egress rule to the endpoint group as well",
		workload: esm,
		snapshot: func() *network.Snapshot {
			s := vpc(false)
			s.SecurityGroups[0].Egress = []network.Rule{{Protocol: "tcp", FromPort: 9098, ToPort: 9098, GroupID: "sg-msk"}}
			return s
		},
		want: []string{
			"create-security-group vpc-1 lambda", "create-interface-endpoint vpc-1 lambda", "authorize-security-group-egress sg-msk lambda",
			"create-interface-endpoint vpc-1 sts",
		},
		cost: 4 * InterfaceEndpointPerAZMonth,
	}, {
		name:     "NAT gateways in each zone, but egress restricted to the VPC: routes would not verify, so endpoints",
		workload: esm,
		snapshot: func() *network.Snapshot {
			s := vpc(true)
			s.SecurityGroups[0].Egress = []network.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: prefix("10.0.0.0/16")}}
			return s
		},
		want: []string{
			"create-security-group vpc-1 lambda", "create-interface-endpoint vpc-1 lambda",
			"create-interface-endpoint vpc-1 sts",
		},
		cost: 4 * InterfaceEndpointPerAZMonth,
	}, {
		name:     "DNS support off comes first",
		workload: esm,
		snapshot: func() *network.Snapshot {
			s := vpc(true)
			s.VPC.DNSSupport = false
			return s
		},
		want: []string{"enable-vpc-attribute vpc-1 ", "create-route rtb-a lambda", "create-route rtb-b lambda"},
	}, {
		name:     "the broker port missing from the cluster group",
		workload: esm,
		snapshot: func() *network.Snapshot {
			s := vpc(true)
			s.SecurityGroups[0].Ingress = nil
			return s
		},
		want: []string{"create-route rtb-a lambda", "create-route rtb-b lambda", "authorize-security-group-ingress sg-msk kafka"},
	}, {
		name: "provisioned mode with reachable brokers: nothing to do",
		workload: func() *workload.Workload {
			w := esm()
			w.Kafka.OnDemand = false
			return w
		},
		snapshot: func() *network.Snapshot { return vpc(false) },
	}, {
		name:     "a default route to a transit gateway is left alone",
		workload: esm,
		snapshot: func() *network.Snapshot {
			s := vpc(false)
			for i := 2; i < 4; i++ {
				s.RouteTables[i].Routes = append(s.RouteTables[i].Routes, network.Route{Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetTransitGateway, TargetID: "tgw-1", Active: true})
			}
			return s
		},
	}, {
		name:     "a NACL dropping 443 to the internet: endpoints in the workload subnets cross no NACL",
		workload: esm,
		snapshot: func() *network.Snapshot {
			s := vpc(true)
			s.RouteTables[2].Routes = append(s.RouteTables[2].Routes, network.Route{Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetNATGateway, TargetID: "nat-a", Active: true})
			s.RouteTables[3].Routes = append(s.RouteTables[3].Routes, network.Route{Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetNATGateway, TargetID: "nat-b", Active: true})
			s.NetworkACLs = []network.NetworkACL{{ID: "acl-1", Default: true, Entries: []network.ACLEntry{
				{RuleNumber: 100, Egress: true, Allow: false, Protocol: "6", CIDR: prefix("0.0.0.0/0"), FromPort: 443, ToPort: 443},
				{RuleNumber: 200, Egress: true, Allow: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), FromPort: 0, ToPort: 65535},
				{RuleNumber: 200, Allow: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), FromPort: 0, ToPort: 65535},
			}}}
			return s
		},
		want: []string{
			"create-security-group vpc-1 lambda", "create-interface-endpoint vpc-1 lambda",
			"create-interface-endpoint vpc-1 sts",
		},
		cost: 4 * InterfaceEndpointPerAZMonth,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := target(tt.workload(), tt.snapshot())
			p := For(tgt, Options{})
			if got := actions(p); !slices.Equal(got, tt.want) {
				t.Fatalf("changes:\n got %q\nwant %q\nunfixable %q", got, tt.want, p.Unfixable)
			}
			if got := p.MonthlyCostUSD(); got < tt.cost-0.001 || got > tt.cost+0.001 {
				t.Errorf("cost = %.2f, want %.2f", got, tt.cost)
			}
			for _, c := range p.Changes {
				if c.Command == "" || !strings.HasPrefix(c.Command, "aws ec2 ") || !strings.HasSuffix(c.Command, "--region us-east-1") || c.Reason == "" {
					t.Errorf("change %s: command %q reason %q", c.Action, c.Command, c.Reason)
				}
			}
			if len(p.Changes) > 0 || len(tt.want) == 0 && len(p.Unfixable) == 0 {
				for _, f := range verify(t, tgt, p) {
					if f.Severity == report.SeverityError {
						t.Errorf("the plan leaves %s: %s", f.Check, f.Message)
					}
				}
			}
			if len(p.Unfixable) != 0 {
				t.Errorf("unfixable: %q", p.Unfixable)
			}
		})
	}
}

func TestPlanNeverOpensIngressToCIDRs(t *testing.T) {
	for _, s := range []*network.Snapshot{vpc(false), vpc(true)} {
		s.SecurityGroups[0].Ingress = nil
		for _, c := range For(target(esm(), s), Options{}).Changes {
			if (c.Action == AuthorizeIngress || c.Action == AuthorizeEgress) && c.PeerGroupID == "" {
				t.Errorf("%s on %s without a peer group", c.Action, c.GroupID)
			}
			if strings.Contains(c.Command, "0.0.0.0/0") && c.Action != CreateRoute {
				t.Errorf("command opens to the world: %s", c.Command)
			}
		}
	}
}

func TestPlanPolicyAndCommand(t *testing.T) {
	p := For(target(esm(), vpc(false)), Options{})
	sts := p.Changes[2]
	if sts.ServiceName != "com.amazonaws.us-east-1.sts" || !slices.Equal(sts.SubnetIDs, []string{"priv-a", "priv-b"}) || !sts.PrivateDNS {
		t.Fatalf("sts endpoint = %+v", sts)
	}
	if !strings.Contains(sts.Policy, "sts:AssumeRole") || !strings.Contains(sts.Policy, "lambda.amazonaws.com") {
		t.Errorf("policy = %s", sts.Policy)
	}
	want := "aws ec2 create-vpc-endpoint --vpc-id vpc-1 --vpc-endpoint-type Interface --service-name com.amazonaws.us-east-1.sts --subnet-ids priv-a priv-b --security-group-ids sg-planned1 --private-dns-enabled --policy-document '"
	if !strings.HasPrefix(sts.Command, want) {
		t.Errorf("command = %s", sts.Command)
	}
	if len(p.Recommendations) != 1 || !strings.Contains(p.Recommendations[0], "provisioned mode") {
		t.Errorf("recommendations = %q", p.Recommendations)
	}
}
