package check

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/endpointpolicy"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// The benchmarks run every check of the registry on one healthy on-demand
// MSK mapping, as the pipeline does after reading its VPC, so that changes
// to the path engine or the checks can be compared with benchstat:
//
//	go test ./internal/check -run '^$' -bench . -count 10 > old.txt

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// benchNACLEntries is a realistic custom NACL: HTTPS and the broker port out
// and in, replies on every ephemeral port, and the final denies.
func benchNACLEntries(vpc netip.Prefix) []network.ACLEntry {
	anywhere := prefix("0.0.0.0/0")
	return []network.ACLEntry{
		{RuleNumber: 100, Egress: true, Allow: true, Protocol: "6", CIDR: anywhere, FromPort: 443, ToPort: 443},
		{RuleNumber: 110, Egress: true, Allow: true, Protocol: "6", CIDR: vpc, FromPort: 9092, ToPort: 9098},
		{RuleNumber: 120, Egress: true, Allow: true, Protocol: "6", CIDR: anywhere, FromPort: 1024, ToPort: 65535},
		{RuleNumber: 100, Allow: true, Protocol: "6", CIDR: vpc, FromPort: 443, ToPort: 443},
		{RuleNumber: 110, Allow: true, Protocol: "6", CIDR: vpc, FromPort: 9092, ToPort: 9098},
		{RuleNumber: 120, Allow: true, Protocol: "6", CIDR: anywhere, FromPort: 1024, ToPort: 65535},
		{RuleNumber: 32767, Egress: true, Protocol: "-1", CIDR: anywhere},
		{RuleNumber: 32767, Protocol: "-1", CIDR: anywhere},
	}
}

func allowAllEntries() []network.ACLEntry {
	anywhere := prefix("0.0.0.0/0")
	return []network.ACLEntry{
		{RuleNumber: 100, Allow: true, Protocol: "-1", CIDR: anywhere, ToPort: 65535},
		{RuleNumber: 100, Egress: true, Allow: true, Protocol: "-1", CIDR: anywhere, ToPort: 65535},
		{RuleNumber: 32767, Protocol: "-1", CIDR: anywhere},
		{RuleNumber: 32767, Egress: true, Protocol: "-1", CIDR: anywhere},
	}
}

const (
	benchClusterARN = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/5d0c3f6a-8b1e-4a27-9c4d-2e7f1b8a6d93-7"
	benchRoleARN    = "arn:aws:iam::123456789012:role/orders-consumer"
	benchSecretARN  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_orders-Xy12Ab"
)

// benchMapping is an on-demand SCRAM mapping (so Lambda, STS and Secrets
// Manager are all required) in the given subnets with sg-msk.
func benchMapping(vpcID string, subnetIDs []string) *workload.Workload {
	return &workload.Workload{
		Kind: workload.KindKafkaESM, ID: "3f1c8a52-9d4e-4b71-a0c6-7e25d9b4f183", Name: "orders-consumer <- MSK orders",
		FunctionARN:      "arn:aws:lambda:us-east-1:123456789012:function:orders-consumer",
		ExecutionRoleARN: benchRoleARN,
		Network:          workload.Network{VPCID: vpcID, SubnetIDs: subnetIDs, SecurityGroupIDs: []string{"sg-msk"}},
		Kafka: &workload.Kafka{
			Source: workload.SourceMSK, EventSourceARN: benchClusterARN, ClusterName: "orders", OnDemand: true,
			Topics: []string{"orders.v1"}, ConsumerGroupID: "orders-consumer", BrokerPorts: []int{9096},
			ClientAuthentication: []string{"scram"}, AuthTypes: []string{"SASL_SCRAM_512_AUTH"}, SecretARNs: []string{benchSecretARN},
		},
	}
}

// benchPolicy judges endpoint policies as the pipeline does for a Kafka
// mapping: by the requests Lambda's pollers send through each service.
func benchPolicy(service string, e network.Endpoint) (bool, string) {
	var r endpointpolicy.Request
	switch service {
	case "sts":
		r = endpointpolicy.STSRequest()
	case "lambda":
		r = endpointpolicy.LambdaRequest()
	case "secretsmanager":
		r = endpointpolicy.SecretsManagerRequest(benchRoleARN, benchSecretARN)
	default:
		r = endpointpolicy.Request{Action: service + ":*", Resource: "*"}
	}
	d, err := endpointpolicy.Evaluate(e.Policy, r)
	if err != nil {
		return false, err.Error()
	}
	return d.Allowed, d.Reason
}

// allowedPermissions is a simulation that allowed every need.
func allowedPermissions(needs []PermissionNeed) *Permissions {
	p := &Permissions{RoleARN: benchRoleARN, Decisions: map[[2]string]string{}}
	for _, n := range needs {
		for _, a := range n.AnyOf {
			for _, r := range n.On() {
				p.Decisions[[2]string{a, r}] = DecisionAllowed
			}
		}
	}
	return p
}

// benchEndpoints are the mapping's interface endpoints: lambda and sts with
// their least-privilege policies, secretsmanager with the default one, all
// with private DNS in the given subnets behind sg-vpce.
func benchEndpoints(subnetIDs []string) []network.Endpoint {
	var out []network.Endpoint
	for _, svc := range []struct{ name, policy string }{
		{"lambda", endpointpolicy.Lambda()}, {"sts", endpointpolicy.STS()}, {"secretsmanager", ""},
	} {
		out = append(out, network.Endpoint{
			ID: "vpce-" + svc.name, ServiceName: "com.amazonaws." + region + "." + svc.name, Type: "Interface", State: "available",
			SubnetIDs: subnetIDs, SecurityGroupIDs: []string{"sg-vpce"}, PrivateDNS: true, Policy: svc.policy,
		})
	}
	return out
}

// benchGroups are the mapping's groups: sg-msk admits the broker port from
// itself and sends anything anywhere; sg-vpce admits 443 from sg-msk.
func benchGroups() []network.SecurityGroup {
	return []network.SecurityGroup{
		{
			ID:      "sg-msk",
			Ingress: []network.Rule{{Protocol: "tcp", FromPort: 9096, ToPort: 9096, GroupID: "sg-msk"}},
			Egress:  []network.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: prefix("0.0.0.0/0")}},
		},
		{
			ID:      "sg-vpce",
			Ingress: []network.Rule{{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupID: "sg-msk"}},
			Egress:  []network.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: prefix("0.0.0.0/0")}},
		},
	}
}

// threeZoneVPC is the documented set-up in three zones: a public subnet per
// zone with a NAT gateway, a private subnet per zone with its own route
// table to the NAT of its zone and a custom NACL, and lambda, sts and
// secretsmanager endpoints in the private subnets.
func threeZoneVPC() (*network.Snapshot, *workload.Workload) {
	vpcCIDR := prefix("10.0.0.0/16")
	local := network.Route{Destination: vpcCIDR, TargetKind: network.TargetLocal, TargetID: "local", Active: true}
	s := &network.Snapshot{
		VPC:              network.VPC{ID: "vpc-1", CIDRs: []netip.Prefix{vpcCIDR}, DNSSupport: true, DNSHostnames: true, DNSServers: []string{"AmazonProvidedDNS"}},
		InternetGateways: []network.InternetGateway{{ID: "igw-1", Attached: true}},
		SecurityGroups:   benchGroups(),
		RouteTables: []network.RouteTable{
			{ID: "rtb-main", Main: true, Routes: []network.Route{local}},
			{ID: "rtb-pub", Routes: []network.Route{local, {Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetInternetGateway, TargetID: "igw-1", Active: true}}},
		},
		NetworkACLs: []network.NetworkACL{
			{ID: "acl-default", Default: true, Entries: allowAllEntries()},
			{ID: "acl-private", Entries: benchNACLEntries(vpcCIDR)},
		},
	}
	var private []string
	for i, az := range zones {
		pub, priv := fmt.Sprintf("subnet-pub-%d", i), fmt.Sprintf("subnet-priv-%d", i)
		nat, rtb := fmt.Sprintf("nat-%d", i), fmt.Sprintf("rtb-priv-%d", i)
		private = append(private, priv)
		s.Subnets = append(s.Subnets,
			network.Subnet{ID: pub, AvailabilityZone: az, CIDR: prefix(fmt.Sprintf("10.0.%d.0/24", i)), FreeIPs: 250},
			network.Subnet{ID: priv, AvailabilityZone: az, CIDR: prefix(fmt.Sprintf("10.0.%d.0/24", 10+i)), FreeIPs: 240})
		s.NATGateways = append(s.NATGateways, network.NATGateway{ID: nat, SubnetID: pub, State: "available", Connectivity: "public"})
		s.RouteTables[1].SubnetIDs = append(s.RouteTables[1].SubnetIDs, pub)
		s.RouteTables = append(s.RouteTables, network.RouteTable{ID: rtb, SubnetIDs: []string{priv}, Routes: []network.Route{local,
			{Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetNATGateway, TargetID: nat, Active: true}}})
		s.NetworkACLs[1].SubnetIDs = append(s.NetworkACLs[1].SubnetIDs, priv)
	}
	s.Endpoints = benchEndpoints(private)
	return s, benchMapping(s.VPC.ID, private)
}

// largeVPC is a VPC of n subnets (n/1024 rounded up /16 blocks, /26
// subnets) in three zones: a route table per 4 subnets, a NACL per 50, a
// group per 5 (each referencing its neighbour), an interface endpoint per
// 100 subnets (60 other services), and a NAT gateway per zone. The mapping
// sits in the last 3 subnets, one per zone, so that every lookup by ID
// scans everything before it.
func largeVPC(n int) (*network.Snapshot, *workload.Workload) {
	var blocks []netip.Prefix
	for i := range (n + 1023) / 1024 {
		blocks = append(blocks, prefix(fmt.Sprintf("10.%d.0.0/16", i)))
	}
	var locals []network.Route
	for _, b := range blocks {
		locals = append(locals, network.Route{Destination: b, TargetKind: network.TargetLocal, TargetID: "local", Active: true})
	}
	withDefault := func(kind, target string) []network.Route {
		return append(append([]network.Route(nil), locals...), network.Route{Destination: prefix("0.0.0.0/0"), TargetKind: kind, TargetID: target, Active: true})
	}
	s := &network.Snapshot{
		VPC:              network.VPC{ID: "vpc-large", CIDRs: blocks, DNSSupport: true, DNSHostnames: true, DNSServers: []string{"AmazonProvidedDNS"}},
		InternetGateways: []network.InternetGateway{{ID: "igw-1", Attached: true}},
		RouteTables: []network.RouteTable{
			{ID: "rtb-main", Main: true, Routes: locals},
			{ID: "rtb-pub", Routes: withDefault(network.TargetInternetGateway, "igw-1")},
		},
		NetworkACLs: []network.NetworkACL{{ID: "acl-default", Default: true, Entries: allowAllEntries()}},
	}
	for i := range n {
		block := blocks[i/1024]
		addr := block.Addr().As4()
		offset := (i % 1024) * 64
		addr[2], addr[3] = byte(offset>>8), byte(offset)
		s.Subnets = append(s.Subnets, network.Subnet{
			ID: fmt.Sprintf("subnet-%05d", i), AvailabilityZone: zones[i%3],
			CIDR: netip.PrefixFrom(netip.AddrFrom4(addr), 26), FreeIPs: 40,
		})
	}
	// The first subnet of each zone is public and holds its NAT gateway.
	for z := range zones {
		id := s.Subnets[z].ID
		s.RouteTables[1].SubnetIDs = append(s.RouteTables[1].SubnetIDs, id)
		s.NATGateways = append(s.NATGateways, network.NATGateway{ID: fmt.Sprintf("nat-%d", z), SubnetID: id, State: "available", Connectivity: "public"})
	}
	// The others share a route table per 4 subnets of one zone, to the NAT
	// gateway of that zone.
	for z := range zones {
		var table *network.RouteTable
		for i := len(zones) + z; i < n; i += 3 {
			if table == nil || len(table.SubnetIDs) == 4 {
				s.RouteTables = append(s.RouteTables, network.RouteTable{
					ID: fmt.Sprintf("rtb-%d-%05d", z, i), Routes: withDefault(network.TargetNATGateway, fmt.Sprintf("nat-%d", z)),
				})
				table = &s.RouteTables[len(s.RouteTables)-1]
			}
			table.SubnetIDs = append(table.SubnetIDs, s.Subnets[i].ID)
		}
	}
	for i := 0; i < n; i += 50 {
		acl := network.NetworkACL{ID: fmt.Sprintf("acl-%05d", i), Entries: benchNACLEntries(prefix("10.0.0.0/8"))}
		for j := i; j < min(i+50, n); j++ {
			acl.SubnetIDs = append(acl.SubnetIDs, s.Subnets[j].ID)
		}
		s.NetworkACLs = append(s.NetworkACLs, acl)
	}
	for i := range n / 5 {
		peer := fmt.Sprintf("sg-%05d", max(i-1, 0))
		s.SecurityGroups = append(s.SecurityGroups, network.SecurityGroup{
			ID: fmt.Sprintf("sg-%05d", i),
			Ingress: []network.Rule{
				{Protocol: "tcp", FromPort: 5432, ToPort: 5432, GroupID: peer},
				{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: s.Subnets[i%n].CIDR},
			},
			Egress: []network.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: prefix("0.0.0.0/0")}},
		})
	}
	s.SecurityGroups = append(s.SecurityGroups, benchGroups()...)
	for i := range n / 100 {
		svc := fmt.Sprintf("service%02d", i%60)
		s.Endpoints = append(s.Endpoints, network.Endpoint{
			ID: fmt.Sprintf("vpce-%05d", i), ServiceName: "com.amazonaws." + region + "." + svc, Type: "Interface", State: "available",
			SubnetIDs:        []string{s.Subnets[i*3%n].ID, s.Subnets[(i*3+1)%n].ID, s.Subnets[(i*3+2)%n].ID},
			SecurityGroupIDs: []string{fmt.Sprintf("sg-%05d", i%(n/5))}, PrivateDNS: true,
		})
	}
	var mapped []string
	for i := n - 3; i < n; i++ {
		mapped = append(mapped, s.Subnets[i].ID)
	}
	s.Endpoints = append(s.Endpoints, benchEndpoints(mapped)...)
	return s, benchMapping(s.VPC.ID, mapped)
}

func benchTarget(w *workload.Workload, s *network.Snapshot) *Target {
	needs := KafkaPermissionNeeds(w)
	return &Target{
		Workload: w, Network: s, Region: region, Requirements: KafkaRequirements(w),
		Policy: benchPolicy, PermissionNeeds: needs, Permissions: allowedPermissions(needs),
	}
}

// benchRun checks that the fixture is healthy (a benchmark of a broken
// fixture would measure an early exit), then times Run on a fresh target
// each time: a target remembers the paths it computed.
func benchRun(b *testing.B, s *network.Snapshot, w *workload.Workload) {
	b.Helper()
	findings, passed := Run(benchTarget(w, s))
	if len(findings) != 0 || passed == 0 {
		b.Fatalf("the fixture is not healthy: %d passed, findings %+v", passed, findings)
	}
	b.ReportAllocs()
	for b.Loop() {
		findings, _ = Run(benchTarget(w, s))
	}
	if len(findings) != 0 {
		b.Fatalf("findings %+v", findings)
	}
}

func BenchmarkRunThreeZones(b *testing.B) {
	s, w := threeZoneVPC()
	benchRun(b, s, w)
}

func BenchmarkRunFiveThousandSubnets(b *testing.B) {
	s, w := largeVPC(5000)
	benchRun(b, s, w)
}

// TestBenchmarkFixturesAreHealthy keeps the fixtures honest in every test
// run: the benchmarks are only worth comparing while they measure the full
// healthy path.
func TestBenchmarkFixturesAreHealthy(t *testing.T) {
	for name, build := range map[string]func() (*network.Snapshot, *workload.Workload){
		"three zones":   threeZoneVPC,
		"5,000 subnets": func() (*network.Snapshot, *workload.Workload) { return largeVPC(5000) },
	} {
		t.Run(name, func(t *testing.T) {
			s, w := build()
			findings, passed := Run(benchTarget(w, s))
			if len(findings) != 0 {
				t.Fatalf("findings %+v", findings)
			}
			// 3 zones × (3 services × 2 path checks + 1 broker port + 1
			// free-IP) + DNS support + custom DNS + the role's needs +
			// the secret's Region.
			if want := 3*(3*2+1+1) + 2 + len(KafkaPermissionNeeds(w)) + len(w.Kafka.SecretARNs); passed != want {
				t.Errorf("%d checks passed, want %d", passed, want)
			}
		})
	}
	s, _ := largeVPC(5000)
	if len(s.Subnets) != 5000 || len(s.RouteTables) < 1000 || len(s.SecurityGroups) < 1000 || len(s.Endpoints) < 50 || len(s.NetworkACLs) < 100 {
		t.Errorf("large VPC: %d subnets, %d route tables, %d groups, %d endpoints, %d NACLs",
			len(s.Subnets), len(s.RouteTables), len(s.SecurityGroups), len(s.Endpoints), len(s.NetworkACLs))
	}
}

// BenchmarkSweepTenThousandSubnets analyses an account the way the sweep
// does: 100 VPCs of 100 subnets each (10,000 subnets in all), each with
// three mappings, every check run on every mapping of every VPC.
func BenchmarkSweepTenThousandSubnets(b *testing.B) {
	type vpcWork struct {
		s  *network.Snapshot
		ws []*workload.Workload
	}
	var account []vpcWork
	for range 100 {
		s, w := largeVPC(100)
		ws := []*workload.Workload{w}
		for i := range 2 {
			other := *w
			other.ID = fmt.Sprintf("%s-%d", w.ID, i)
			ws = append(ws, &other)
		}
		account = append(account, vpcWork{s, ws})
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range account {
			for _, w := range v.ws {
				if findings, _ := Run(benchTarget(w, v.s)); len(findings) != 0 {
					b.Fatalf("findings %+v", findings)
				}
			}
		}
	}
}
