package check

import (
	"net/netip"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// The fixtures describe a two-zone VPC the way DOMAIN.md's examples do:
// public subnets pub-a/pub-b routed to igw-1, private subnets priv-a/priv-b
// with a route table each, the cluster group sg-msk (broker port from
// itself, all egress), and the default NACL allowing everything.

const region = "us-east-1"

func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func baseVPC() *network.Snapshot {
	allowAll := []network.ACLEntry{
		{RuleNumber: 100, Allow: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), FromPort: 0, ToPort: 65535},
		{RuleNumber: 100, Egress: true, Allow: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), FromPort: 0, ToPort: 65535},
		{RuleNumber: 32767, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), FromPort: 0, ToPort: 65535},
		{RuleNumber: 32767, Egress: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), FromPort: 0, ToPort: 65535},
	}
	local := network.Route{Destination: prefix("10.0.0.0/16"), TargetKind: network.TargetLocal, TargetID: "local", Active: true}
	return &network.Snapshot{
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
		InternetGateways: []network.InternetGateway{{ID: "igw-1", Attached: true}},
		SecurityGroups: []network.SecurityGroup{{
			ID:      "sg-msk",
			Ingress: []network.Rule{{Protocol: "tcp", FromPort: 9098, ToPort: 9098, GroupID: "sg-msk"}},
			Egress:  []network.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: prefix("0.0.0.0/0")}},
		}},
		NetworkACLs: []network.NetworkACL{{ID: "acl-default", Default: true, Entries: allowAll}},
	}
}

// withNATs adds a NAT gateway per zone and routes each private subnet to
// the one in its zone (cross: to the other zone's).
func withNATs(s *network.Snapshot, cross bool) *network.Snapshot {
	s.NATGateways = []network.NATGateway{
		{ID: "nat-a", SubnetID: "pub-a", State: "available", Connectivity: "public"},
		{ID: "nat-b", SubnetID: "pub-b", State: "available", Connectivity: "public"},
	}
	targets := map[string]string{"rtb-a": "nat-a", "rtb-b": "nat-b"}
	if cross {
		targets = map[string]string{"rtb-a": "nat-b", "rtb-b": "nat-b"}
	}
	for i, rt := range s.RouteTables {
		if nat, ok := targets[rt.ID]; ok {
			s.RouteTables[i].Routes = append(s.RouteTables[i].Routes, network.Route{Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetNATGateway, TargetID: nat, Active: true})
		}
	}
	return s
}

// withEndpoints adds interface endpoints with private DNS in both private
// subnets, carrying sg-msk (the set-up of the AWS documentation).
func withEndpoints(s *network.Snapshot, services ...string) *network.Snapshot {
	for _, svc := range services {
		s.Endpoints = append(s.Endpoints, network.Endpoint{
			ID: "vpce-" + svc, ServiceName: "com.amazonaws." + region + "." + svc, Type: "Interface", State: "available",
			SubnetIDs: []string{"priv-a", "priv-b"}, SecurityGroupIDs: []string{"sg-msk"}, PrivateDNS: true,
		})
	}
	// The endpoints share the cluster group: it must admit 443 from itself.
	for i := range s.SecurityGroups {
		if s.SecurityGroups[i].ID == "sg-msk" {
			s.SecurityGroups[i].Ingress = append(s.SecurityGroups[i].Ingress, network.Rule{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupID: "sg-msk"})
		}
	}
	return s
}

func onDemandESM() *workload.Workload {
	return &workload.Workload{
		Kind: workload.KindKafkaESM, ID: "3f1c0d2e", Name: "consumer <- MSK orders",
		Network: workload.Network{VPCID: "vpc-1", SubnetIDs: []string{"priv-a", "priv-b"}, SecurityGroupIDs: []string{"sg-msk"}},
		Kafka:   &workload.Kafka{Source: workload.SourceMSK, OnDemand: true, BrokerPorts: []int{9098}, ClientAuthentication: []string{"iam"}},
	}
}

func target(w *workload.Workload, s *network.Snapshot) *Target {
	return &Target{Workload: w, Network: s, Region: region, Requirements: KafkaRequirements(w)}
}

// results runs one check and returns its failures and passes.
func results(t *testing.T, c Check, tgt *Target) ([]report.Finding, int) {
	t.Helper()
	if c.Applies != nil && !c.Applies(tgt) {
		return nil, 0
	}
	return RunChecks([]Check{c}, tgt)
}

// vpcFunction is a function attached to subnets with the group sg-fn,
// which allows all egress (the Lambda console's default).
func vpcFunction(subnets ...string) *workload.Workload {
	return &workload.Workload{
		Kind: workload.KindFunction, ID: "arn:aws:lambda:us-east-1:123456789012:function:api", Name: "api",
		FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:api", ExecutionRoleARN: roleARN,
		Network:  workload.Network{VPCID: "vpc-1", SubnetIDs: subnets, SecurityGroupIDs: []string{"sg-fn"}},
		Function: &workload.Function{RoleARN: roleARN},
	}
}

// withFunctionGroups adds sg-fn (all egress) and sg-db (no rule yet).
func withFunctionGroups(s *network.Snapshot) *network.Snapshot {
	s.SecurityGroups = append(s.SecurityGroups,
		network.SecurityGroup{ID: "sg-fn", Egress: []network.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: prefix("0.0.0.0/0")}}},
		network.SecurityGroup{ID: "sg-db"},
	)
	return s
}

// functionTarget is a function's target with the given requirements.
func functionTarget(w *workload.Workload, s *network.Snapshot, services ...string) *Target {
	t := &Target{Workload: w, Network: s, Region: region}
	for _, svc := range services {
		t.Requirements = append(t.Requirements, Requirement{Service: svc, Why: "policy app allows " + svc + ":*"})
	}
	return t
}
