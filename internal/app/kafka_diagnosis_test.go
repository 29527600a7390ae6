package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// The diagnosis of a Kafka event source mapping, end to end: a network is
// seeded in the emulator, and on-lambda-change handles the
// CreateEventSourceMapping event naming the mapping, as in Lambda.

// checkIDs are the stable IDs of the checks, by name. They are written out
// here, not read from the registry, so that a renumbered check fails.
var checkIDs = map[string]string{
	"workload-unverifiable":      "VM100",
	"vpc-dns-support":            "VM101",
	"service-path":               "VM102",
	"cross-zone-path":            "VM103",
	"kafka-broker-access":        "VM104",
	"custom-dns-servers":         "VM105",
	"subnet-free-ips":            "VM106",
	"execution-role-permissions": "VM107",
	"requirements-unknown":       "VM108",
	"database-access":            "VM109",
	"function-single-zone":       "VM110",
	"ipv6-dual-stack":            "VM111",
	"kafka-secret-region":        "VM113",
}

// wantFinding is one expected finding: its check, severity, zone and service
// must match exactly; its message must contain every fragment of Says; its
// resources must contain Subnet when set.
type wantFinding struct {
	Check    string
	Severity report.Severity
	AZ       string
	Service  string
	Subnet   string
	Says     []string
}

// unreachable expects service-path errors for each service in the zone of
// each subnet.
func unreachable(subnets scenario.Subnets, services []string, says ...string) []wantFinding {
	var out []wantFinding
	for _, sn := range subnets {
		for _, svc := range services {
			out = append(out, wantFinding{Check: "service-path", Severity: report.SeverityError, AZ: sn.AZ, Service: svc, Subnet: sn.ID, Says: says})
		}
	}
	return out
}

// crossZone expects cross-zone-path warnings for each service in the zone
// of each subnet.
func crossZone(subnets scenario.Subnets, services []string, says ...string) []wantFinding {
	var out []wantFinding
	for _, sn := range subnets {
		for _, svc := range services {
			out = append(out, wantFinding{Check: "cross-zone-path", Severity: report.SeverityWarning, AZ: sn.AZ, Service: svc, Subnet: sn.ID, Says: says})
		}
	}
	return out
}

// brokersUnreachable expects a kafka-broker-access error for the mapping's
// interfaces in a subnet.
func brokersUnreachable(sn *scenario.Subnet, port int) wantFinding {
	return wantFinding{Check: "kafka-broker-access", Severity: report.SeverityError, AZ: sn.AZ, Service: "kafka", Subnet: sn.ID,
		Says: []string{fmt.Sprintf("in %s (subnet %s) cannot reach the brokers on TCP %d", sn.AZ, sn.ID, port)}}
}

var lambdaAndSTS = []string{"lambda", "sts"}

// mskConsumerPolicy is everything an IAM-auth consumer needs beyond
// AWSLambdaMSKExecutionRole.
const mskConsumerPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka-cluster:Connect","kafka-cluster:DescribeGroup","kafka-cluster:AlterGroup","kafka-cluster:DescribeTopic","kafka-cluster:ReadData","kafka-cluster:DescribeClusterDynamicConfiguration"],"Resource":"*"}]}`

// consumerWithoutConnect is mskConsumerPolicy minus kafka-cluster:Connect.
const consumerWithoutConnect = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka-cluster:DescribeGroup","kafka-cluster:AlterGroup","kafka-cluster:DescribeTopic","kafka-cluster:ReadData","kafka-cluster:DescribeClusterDynamicConfiguration"],"Resource":"*"}]}`

// orgOnlyPolicy admits only principals of one organisation: Lambda's own
// service principal carries no organisation, so it is refused.
const orgOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`

const scramSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_orders-Xy12Ab"

// zonedVPC is a two-zone VPC: a public subnet per zone routed to the internet
// gateway, and a private subnet per zone with its own empty route table.
type zonedVPC struct {
	VPC     *scenario.VPC
	Public  scenario.Subnets
	Private scenario.Subnets
}

func twoZones(s *scenario.Scenario) zonedVPC {
	vpc := s.VPC("10.0.0.0/16")
	return zonedVPC{
		VPC:     vpc,
		Public:  vpc.PublicSubnets("10.0.0.0/24@a", "10.0.1.0/24@b"),
		Private: vpc.PrivateSubnets("10.0.10.0/24@a", "10.0.11.0/24@b"),
	}
}

// mskMapping creates a cluster in subnets with sg, a function whose role
// has the policies, and a mapping of the cluster's "orders" topic.
func mskMapping(s *scenario.Scenario, subnets scenario.Subnets, sg *scenario.SG, auth scenario.Auth, policies []scenario.Policy, opts ...scenario.ESMOption) (*scenario.Cluster, *scenario.Role, *scenario.ESM) {
	cluster := s.MSKCluster("orders", subnets, sg, auth)
	role := s.Role("orders-consumer", policies...)
	fn := s.Function("orders-consumer", role)
	return cluster, role, s.KafkaESM(fn, cluster, "orders", opts...)
}

func iamConsumer() []scenario.Policy {
	return []scenario.Policy{scenario.ManagedPolicy("AWSLambdaMSKExecutionRole"), scenario.Inline(mskConsumerPolicy)}
}

// docsEndpoints is the set-up of the AWS documentation: lambda and sts
// interface endpoints with private DNS in every client subnet, sharing the
// cluster's group, which admits 443 from itself.
func docsEndpoints(w *scenario.MSKWorkload, opts ...scenario.EndpointOption) (lambdaEndpoint, stsEndpoint *scenario.Endpoint) {
	w.ClusterSG.IngressSelf(443)
	return w.VPC.InterfaceEndpoint("lambda", w.Private, w.ClusterSG, opts...),
		w.VPC.InterfaceEndpoint("sts", w.Private, w.ClusterSG, opts...)
}

// mappingCase is a situation seeded in the emulator and the verdict
// on-lambda-change must give on the creation of its mapping.
type mappingCase struct {
	name   string
	status report.Status
	// seed builds the situation and returns the mapping and the findings
	// expected for it (none for a healthy mapping).
	seed func(s *scenario.Scenario) (*scenario.ESM, []wantFinding)
}

// checkMappings runs each case on a clean emulator.
func checkMappings(t *testing.T, tests []mappingCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mapping, want := seedCase(t, tt.seed)
			d := build(t, srv, app.OnLambdaChange)
			rep := handle(t, d, mappingCreated(t, mapping))
			wantDiagnosis(t, rep, mapping.UUID, tt.status, want)
		})
	}
}

func TestKafkaMappingDiagnosis(t *testing.T) {
	checkMappings(t, []mappingCase{
		{
			name: "on-demand MSK in private subnets with neither NAT gateway nor endpoints", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				var want []wantFinding
				for _, sn := range w.Private {
					for _, svc := range lambdaAndSTS {
						want = append(want, unreachable(scenario.Subnets{sn}, []string{svc},
							fmt.Sprintf("no %s interface endpoint with private DNS in VPC %s", svc, w.VPC.ID),
							fmt.Sprintf("route table %s has no 0.0.0.0/0 route", sn.RouteTableID))...)
					}
				}
				return w.ESM, want
			},
		},
		{
			name: "a NAT gateway per zone", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				return scenario.HealthyOnDemandMSK(s).ESM, nil
			},
		},
		{
			name: "NAT gateway missing in one zone", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				w.VPC.RouteToNAT(w.Private[0], w.VPC.NAT(w.Public[0]))
				b := w.Private[1]
				return w.ESM, unreachable(scenario.Subnets{b}, lambdaAndSTS,
					fmt.Sprintf("route table %s has no 0.0.0.0/0 route", b.RouteTableID))
			},
		},
		{
			name: "NAT gateway missing in one zone whose route goes to the other zone's", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				nat := w.VPC.NAT(w.Public[0])
				w.VPC.RouteToNAT(w.Private[0], nat)
				w.VPC.RouteToNAT(w.Private[1], nat)
				b := w.Private[1]
				return w.ESM, crossZone(scenario.Subnets{b}, lambdaAndSTS,
					fmt.Sprintf("route table %s sends us-east-1b's traffic to NAT gateway %s in us-east-1a", b.RouteTableID, nat.ID))
			},
		},
		{
			name: "NAT gateway deleted under its route (blackhole)", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.HealthyOnDemandMSK(s)
				s.DeleteNAT(w.NATs[0])
				a := w.Private[0]
				return w.ESM, unreachable(scenario.Subnets{a}, lambdaAndSTS,
					fmt.Sprintf("route table %s sends 0.0.0.0/0 to %s, which no longer exists (blackhole)", a.RouteTableID, w.NATs[0].ID))
			},
		},
		{
			name: "cluster in public subnets with only an internet gateway", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				// A NAT gateway in the VPC changes nothing: Lambda's
				// interfaces in a public subnet take PrivateLink only.
				n.VPC.NATPerAZ(n.Public, n.Private)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098)
				_, _, esm := mskMapping(s, n.Public, sg, scenario.AuthIAM, iamConsumer())
				return esm, unreachable(n.Public, lambdaAndSTS,
					"only a PrivateLink endpoint serves here", "is public", "a NAT gateway does not help")
			},
		},
		{
			name: "cluster in public subnets with lambda and sts endpoints", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098).IngressSelf(443)
				n.VPC.InterfaceEndpoint("lambda", n.Public, sg)
				n.VPC.InterfaceEndpoint("sts", n.Public, sg)
				_, _, esm := mskMapping(s, n.Public, sg, scenario.AuthIAM, iamConsumer())
				return esm, nil
			},
		},
		{
			name: "endpoints with private DNS off and no NAT gateway", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				lambdaEndpoint, stsEndpoint := docsEndpoints(w, scenario.WithoutPrivateDNS())
				var want []wantFinding
				for svc, e := range map[string]*scenario.Endpoint{"lambda": lambdaEndpoint, "sts": stsEndpoint} {
					want = append(want, unreachable(w.Private, []string{svc},
						fmt.Sprintf("endpoint %s exists but its private DNS is off", e.ID))...)
				}
				return w.ESM, want
			},
		},
		{
			name: "VPC DNS hostnames off with endpoints and no NAT gateway", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				lambdaEndpoint, stsEndpoint := docsEndpoints(w)
				w.VPC.DisableDNSHostnames()
				var want []wantFinding
				for svc, e := range map[string]*scenario.Endpoint{"lambda": lambdaEndpoint, "sts": stsEndpoint} {
					want = append(want, unreachable(w.Private, []string{svc},
						fmt.Sprintf("endpoint %s has private DNS, but VPC %s has DNS hostnames turned off", e.ID, w.VPC.ID))...)
				}
				return w.ESM, want
			},
		},
		{
			name: "sts endpoint group without 443 from the cluster group shadows working NAT gateways", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.HealthyOnDemandMSK(s)
				closed := w.VPC.SecurityGroup("sts-endpoint")
				sts := w.VPC.InterfaceEndpoint("sts", w.Private, closed)
				// lambda still goes through the NAT gateways.
				return w.ESM, unreachable(w.Private, []string{"sts"},
					fmt.Sprintf("the sts endpoint %s cannot be reached on TCP 443", sts.ID),
					closed.ID, "a NAT gateway cannot take over")
			},
		},
		{
			name: "sts endpoint policy limited to the organisation", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				w.ClusterSG.IngressSelf(443)
				w.VPC.InterfaceEndpoint("lambda", w.Private, w.ClusterSG)
				sts := w.VPC.InterfaceEndpoint("sts", w.Private, w.ClusterSG, scenario.EndpointPolicy(orgOnlyPolicy))
				return w.ESM, unreachable(w.Private, []string{"sts"},
					fmt.Sprintf("the policy of the sts endpoint %s refuses the request", sts.ID), "aws:PrincipalOrgID")
			},
		},
		{
			name: "provisioned mode with neither NAT gateway nor endpoints", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098)
				_, _, esm := mskMapping(s, n.Private, sg, scenario.AuthIAM, iamConsumer(), scenario.Provisioned(1, 2))
				return esm, nil
			},
		},
		{
			name: "SCRAM secret with lambda and sts endpoints but no secretsmanager endpoint", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9096).IngressSelf(443)
				n.VPC.InterfaceEndpoint("lambda", n.Private, sg)
				n.VPC.InterfaceEndpoint("sts", n.Private, sg)
				readSecret := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":%q}]}`, scramSecret)
				_, _, esm := mskMapping(s, n.Private, sg, scenario.AuthSCRAM,
					[]scenario.Policy{scenario.ManagedPolicy("AWSLambdaMSKExecutionRole"), scenario.Inline(readSecret)},
					scenario.Secret(scramSecret, "SASL_SCRAM_512_AUTH"))
				return esm, unreachable(n.Private, []string{"secretsmanager"},
					fmt.Sprintf("no secretsmanager interface endpoint with private DNS in VPC %s", n.VPC.ID), scramSecret)
			},
		},
		{
			name: "IAM auth without the self-referencing 9098 rule", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				n.VPC.NATPerAZ(n.Public, n.Private)
				// The SCRAM port is open, not the IAM one.
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9096)
				_, _, esm := mskMapping(s, n.Private, sg, scenario.AuthIAM, iamConsumer())
				return esm, []wantFinding{brokersUnreachable(n.Private[0], 9098), brokersUnreachable(n.Private[1], 9098)}
			},
		},
		{
			name: "IAM auth with a role lacking kafka-cluster:Connect", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				n.VPC.NATPerAZ(n.Public, n.Private)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098)
				cluster, role, esm := mskMapping(s, n.Private, sg, scenario.AuthIAM,
					[]scenario.Policy{scenario.ManagedPolicy("AWSLambdaMSKExecutionRole"), scenario.Inline(consumerWithoutConnect)})
				return esm, []wantFinding{{Check: "execution-role-permissions", Severity: report.SeverityError, Service: "kafka-cluster",
					Says: []string{fmt.Sprintf("execution role %s is not allowed kafka-cluster:Connect on %s", role.ARN, cluster.ARN)}}}
			},
		},
		{
			name: "self-managed Kafka reached from its VPC_SUBNET subnets", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				vpc := s.VPC("10.2.0.0/16")
				mapped := vpc.PrivateSubnets("10.2.10.0/24@a", "10.2.11.0/24@b")
				// A third zone of the VPC that the mapping does not use.
				other := vpc.PrivateSubnets("10.2.12.0/24@c")
				vpc.RouteToNAT(other[0], vpc.NAT(vpc.PublicSubnets("10.2.0.0/24@c")[0]))
				sg := vpc.SecurityGroup("inventory-kafka")
				fn := s.Function("inventory-sync", s.Role("inventory-sync", scenario.ManagedPolicy("AWSLambdaMSKExecutionRole")))
				esm := s.SelfManagedKafkaESM(fn, []string{"kafka-1.inventory.internal.example.com:9096", "kafka-2.inventory.internal.example.com:9096"},
					"inventory.changes", mapped, sg)
				var want []wantFinding
				for _, sn := range mapped {
					want = append(want, unreachable(scenario.Subnets{sn}, lambdaAndSTS,
						fmt.Sprintf("(subnet %s)", sn.ID), fmt.Sprintf("route table %s has no 0.0.0.0/0 route", sn.RouteTableID))...)
				}
				return esm, want
			},
		},
		{
			name: "VPC DNS support off", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.HealthyOnDemandMSK(s)
				w.VPC.DisableDNSSupport()
				return w.ESM, []wantFinding{{Check: "vpc-dns-support", Severity: report.SeverityError,
					Says: []string{fmt.Sprintf("VPC %s has DNS support turned off", w.VPC.ID)}}}
			},
		},
		{
			name: "lambda and sts endpoints as the AWS documentation sets them up", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				docsEndpoints(w)
				return w.ESM, nil
			},
		},
		{
			name: "dedicated endpoint group admitting 443 from the cluster group", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				endpoints := w.VPC.SecurityGroup("endpoints").Ingress(443, w.ClusterSG)
				w.VPC.InterfaceEndpoint("lambda", w.Private, endpoints)
				w.VPC.InterfaceEndpoint("sts", w.Private, endpoints)
				return w.ESM, nil
			},
		},
		{
			name: "endpoints with an interface in one zone only", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				w.ClusterSG.IngressSelf(443)
				oneZone := w.Private[:1]
				lambdaEndpoint := w.VPC.InterfaceEndpoint("lambda", oneZone, w.ClusterSG)
				stsEndpoint := w.VPC.InterfaceEndpoint("sts", oneZone, w.ClusterSG)
				b := w.Private[1:]
				return w.ESM, append(
					crossZone(b, []string{"lambda"}, fmt.Sprintf("the lambda endpoint %s has no network interface in us-east-1b", lambdaEndpoint.ID)),
					crossZone(b, []string{"sts"}, fmt.Sprintf("the sts endpoint %s has no network interface in us-east-1b", stsEndpoint.ID))...)
			},
		},
		{
			name: "custom DNS servers in front of the endpoints", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.BrokenOnDemandMSK(s)
				docsEndpoints(w)
				w.VPC.DHCPOptions("10.0.0.53")
				return w.ESM, []wantFinding{{Check: "custom-dns-servers", Severity: report.SeverityWarning,
					Says: []string{"relies on private endpoint names for lambda, sts", "10.0.0.53"}}}
			},
		},
		{
			name: "cluster group without 443 out despite NAT gateways", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				nats := n.VPC.NATPerAZ(n.Public, n.Private)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098).RevokeAllEgress().EgressSelf(9098)
				_, _, esm := mskMapping(s, n.Private, sg, scenario.AuthIAM, iamConsumer())
				var want []wantFinding
				for i, sn := range n.Private {
					want = append(want, unreachable(scenario.Subnets{sn}, lambdaAndSTS,
						fmt.Sprintf("do not allow TCP 443 out to the internet (needed through NAT gateway %s)", nats[i].ID))...)
				}
				return esm, want
			},
		},
		{
			name: "lambda through its endpoint, sts through the NAT gateways", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				w := scenario.HealthyOnDemandMSK(s)
				w.ClusterSG.IngressSelf(443)
				w.VPC.InterfaceEndpoint("lambda", w.Private, w.ClusterSG)
				return w.ESM, nil
			},
		},
		{
			name: "cluster group allowing 443 out only to the endpoint group", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098).RevokeAllEgress().EgressSelf(9098)
				endpoints := n.VPC.SecurityGroup("endpoints").Ingress(443, sg)
				sg.EgressTo(443, endpoints)
				n.VPC.InterfaceEndpoint("lambda", n.Private, endpoints)
				n.VPC.InterfaceEndpoint("sts", n.Private, endpoints)
				_, _, esm := mskMapping(s, n.Private, sg, scenario.AuthIAM, iamConsumer())
				return esm, nil
			},
		},
		{
			name: "network ACL refusing the replies from the NAT gateways", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				nats := n.VPC.NATPerAZ(n.Public, n.Private)
				// Everything out, but in only the broker port: the
				// replies on ephemeral ports are dropped.
				n.VPC.NACL("orders-private", n.Private...).AllowAllOut(100, "0.0.0.0/0").AllowIn(100, "10.0.0.0/16", 9098, 9098)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098)
				_, _, esm := mskMapping(s, n.Private, sg, scenario.AuthIAM, iamConsumer())
				var want []wantFinding
				for i, sn := range n.Private {
					want = append(want, unreachable(scenario.Subnets{sn}, lambdaAndSTS,
						fmt.Sprintf("network ACLs block TCP 443 to NAT gateway %s", nats[i].ID))...)
					// The brokers' replies across the two subnets are
					// dropped too.
					want = append(want, brokersUnreachable(sn, 9098))
				}
				return esm, want
			},
		},
		{
			name: "network ACL refusing the replies from the brokers of the other zone", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				n.VPC.NATPerAZ(n.Public, n.Private)
				// Replies from the internet come back (the NAT gateways
				// leave the internet host's address on them); from the
				// cluster's subnets only the broker port comes in.
				n.VPC.NACL("orders-private", n.Private...).AllowAllOut(100, "0.0.0.0/0").
					AllowIn(100, "10.0.10.0/23", 9098, 9098).DenyIn(110, "10.0.10.0/23", 0, 65535).AllowIn(120, "0.0.0.0/0", 1024, 65535)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098)
				_, _, esm := mskMapping(s, n.Private, sg, scenario.AuthIAM, iamConsumer())
				return esm, []wantFinding{brokersUnreachable(n.Private[0], 9098), brokersUnreachable(n.Private[1], 9098)}
			},
		},
		{
			name: "NAT gateway placed in a private subnet", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				spare := n.VPC.PrivateSubnets("10.0.20.0/24@a")
				nat := n.VPC.NAT(spare[0])
				for _, sn := range n.Private {
					n.VPC.RouteToNAT(sn, nat)
				}
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098)
				_, _, esm := mskMapping(s, n.Private, sg, scenario.AuthIAM, iamConsumer())
				return esm, unreachable(n.Private, lambdaAndSTS,
					fmt.Sprintf("NAT gateway %s sits in subnet %s, which is not public", nat.ID, spare[0].ID))
			},
		},
		{
			name: "serverless MSK with a NAT gateway per zone", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				n.VPC.NATPerAZ(n.Public, n.Private)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098)
				cluster := s.MSKServerless("orders", n.Private, sg)
				fn := s.Function("orders-consumer", s.Role("orders-consumer", iamConsumer()...))
				return s.KafkaESM(fn, cluster, "orders"), nil
			},
		},
		{
			name: "on-failure queue without a path from the cluster's subnets", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098).IngressSelf(443)
				n.VPC.InterfaceEndpoint("lambda", n.Private, sg)
				n.VPC.InterfaceEndpoint("sts", n.Private, sg)
				queue := "arn:aws:sqs:us-east-1:" + emulator.Account + ":orders-failures"
				_, _, esm := mskMapping(s, n.Private, sg, scenario.AuthIAM, append(iamConsumer(), allowOn([]string{"sqs:SendMessage"}, queue)), scenario.OnFailure(queue))
				return esm, unreachable(n.Private, []string{"sqs"},
					fmt.Sprintf("no sqs interface endpoint with private DNS in VPC %s", n.VPC.ID), queue)
			},
		},
		{
			name: "private subnets on the main route table routed to a NAT gateway", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				vpc := s.VPC("10.0.0.0/16")
				public := vpc.PublicSubnets("10.0.0.0/24@a")
				private := vpc.SubnetsOnMainTable("10.0.10.0/24@a")
				vpc.RouteToNAT(private[0], vpc.NAT(public[0]))
				sg := vpc.SecurityGroup("orders-msk").IngressSelf(9098)
				_, _, esm := mskMapping(s, private, sg, scenario.AuthIAM, iamConsumer())
				return esm, nil
			},
		},
	})
}

// wantDiagnosis checks the one workload of a report: its status, and that
// its findings are exactly the expected ones.
func wantDiagnosis(t *testing.T, rep report.Report, uuid string, status report.Status, want []wantFinding) {
	t.Helper()
	if rep.Trigger.Skip != "" {
		t.Fatalf("skipped: %s", rep.Trigger.Skip)
	}
	if len(rep.Workloads) != 1 || rep.Workloads[0].ID != uuid {
		t.Fatalf("workloads %+v, want mapping %s alone", rep.Workloads, uuid)
	}
	w := rep.Workloads[0]
	dump := func() string {
		var b strings.Builder
		for _, f := range w.Findings {
			fmt.Fprintf(&b, "\n  %s %s %s [%s] %s: %s (resources %v)", f.CheckID, f.Check, f.Severity, f.AZ, f.Service, f.Message, f.Resources)
		}
		return b.String()
	}
	if w.Status != status {
		t.Errorf("status %s, want %s; findings:%s", w.Status, status, dump())
	}
	if w.Passed == 0 {
		t.Errorf("no check passed: the mapping was not checked")
	}
	key := func(check, az, service string) string { return check + " [" + az + "] " + service }
	var gotKeys, wantKeys []string
	for _, f := range w.Findings {
		gotKeys = append(gotKeys, key(f.Check, f.AZ, f.Service))
	}
	for _, f := range want {
		wantKeys = append(wantKeys, key(f.Check, f.AZ, f.Service))
	}
	slices.Sort(gotKeys)
	slices.Sort(wantKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Fatalf("findings\n  %s\nwant\n  %s\nin full:%s", strings.Join(gotKeys, "\n  "), strings.Join(wantKeys, "\n  "), dump())
	}
	for _, wf := range want {
		i := slices.IndexFunc(w.Findings, func(f report.Finding) bool {
			return key(f.Check, f.AZ, f.Service) == key(wf.Check, wf.AZ, wf.Service)
		})
		f := w.Findings[i]
		if f.CheckID != checkIDs[wf.Check] {
			t.Errorf("%s has ID %q, want %s", f.Check, f.CheckID, checkIDs[wf.Check])
		}
		if f.Severity != wf.Severity {
			t.Errorf("%s [%s] %s: severity %s, want %s", f.Check, f.AZ, f.Service, f.Severity, wf.Severity)
		}
		for _, fragment := range wf.Says {
			if !strings.Contains(f.Message, fragment) {
				t.Errorf("%s [%s] %s says %q\nwant it to contain %q", f.Check, f.AZ, f.Service, f.Message, fragment)
			}
		}
		if wf.Subnet != "" && !slices.Contains(f.Resources, wf.Subnet) {
			t.Errorf("%s [%s] %s: resources %v, want subnet %s", f.Check, f.AZ, f.Service, f.Resources, wf.Subnet)
		}
		if f.Unverified {
			t.Errorf("%s [%s] %s is marked unverified: %s", f.Check, f.AZ, f.Service, f.Message)
		}
	}
}

// mappingCreated is the event CloudTrail delivers for the creation of a
// seeded mapping, by a deployment role that is not vpcmedic's.
func mappingCreated(t *testing.T, e *scenario.ESM) []byte {
	t.Helper()
	return mappingEvent(t, "CreateEventSourceMapping20150331", e, nil)
}

// mappingEvent is the event of a Lambda call on a seeded mapping; request
// adds to or overrides its request parameters.
func mappingEvent(t *testing.T, eventName string, e *scenario.ESM, request map[string]any) []byte {
	t.Helper()
	params := map[string]any{
		"functionName": e.FunctionARN, "topics": []string{e.Topic}, "startingPosition": "LATEST", "enabled": true,
	}
	if e.EventSourceARN != "" {
		params["eventSourceArn"] = e.EventSourceARN
	} else {
		params["selfManagedEventSource"] = map[string]any{"endpoints": map[string]any{"KAFKA_BOOTSTRAP_SERVERS": e.Brokers}}
	}
	var access []map[string]string
	for _, kind := range slices.Sorted(maps.Keys(e.SourceAccess)) {
		for _, uri := range e.SourceAccess[kind] {
			access = append(access, map[string]string{"type": kind, "uRI": uri})
		}
	}
	if len(access) > 0 {
		params["sourceAccessConfigurations"] = access
	}
	if e.Provisioned {
		params["provisionedPollerConfig"] = map[string]any{"minimumPollers": e.MinPollers, "maximumPollers": e.MaxPollers}
	}
	response := maps.Clone(params)
	delete(response, "functionName")
	delete(response, "enabled")
	maps.Copy(params, request)
	response["uUID"] = e.UUID
	response["functionArn"] = e.FunctionARN
	response["state"] = "Creating"
	response["stateTransitionReason"] = "USER_INITIATED"

	const deployer = "arn:aws:iam::" + emulator.Account + ":role/PlatformDeploy"
	event := map[string]any{
		"version": "0", "id": "7d4e2f1a-5b3c-4d6e-8f9a-0b1c2d3e4f5a", "detail-type": "AWS API Call via CloudTrail",
		"source": "aws.lambda", "account": emulator.Account, "time": "2025-03-14T08:59:22Z", "region": emulator.Region,
		"resources": []string{},
		"detail": map[string]any{
			"eventVersion": "1.09",
			"userIdentity": map[string]any{
				"type": "AssumedRole", "principalId": "AROAEXAMPLEDEPLOY:ci",
				"arn":       "arn:aws:sts::" + emulator.Account + ":assumed-role/PlatformDeploy/ci",
				"accountId": emulator.Account,
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{
					"type": "Role", "principalId": "AROAEXAMPLEDEPLOY", "arn": deployer, "accountId": emulator.Account, "userName": "PlatformDeploy",
				}},
			},
			"eventTime": "2025-03-14T08:59:20Z", "eventSource": "lambda.amazonaws.com",
			"eventName": eventName, "awsRegion": emulator.Region,
			"requestParameters": params, "responseElements": response,
			"eventID": "2b7c9e4d-1a3f-4e5b-9c8d-7f6a5b4c3d2e", "readOnly": false, "eventType": "AwsApiCall",
			"managementEvent": true, "recipientAccountId": emulator.Account,
		},
	}
	raw, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestKafkaMappingSwitchedBetweenModesIsCheckedInItsCurrentMode(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	n := twoZones(s)
	sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098)
	_, _, mapping := mskMapping(s, n.Private, sg, scenario.AuthIAM, iamConsumer(), scenario.Provisioned(1, 2))
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	d := build(t, srv, app.OnLambdaChange)

	rep := handle(t, d, mappingCreated(t, mapping))
	wantDiagnosis(t, rep, mapping.UUID, report.StatusOK, nil)

	// An empty ProvisionedPollerConfig switches the mapping to on-demand:
	// its pollers now need Lambda and STS from the private subnets.
	if _, err := lambda.NewFromConfig(cfg).UpdateEventSourceMapping(t.Context(), &lambda.UpdateEventSourceMappingInput{
		UUID: aws.String(mapping.UUID), ProvisionedPollerConfig: &lambdatypes.ProvisionedPollerConfig{},
	}); err != nil {
		t.Fatal(err)
	}
	mapping.Provisioned = false
	// The event still carries the request's (empty) poller configuration:
	// only the mapping as it is now may decide the mode.
	rep = handle(t, d, mappingEvent(t, "UpdateEventSourceMapping20150331", mapping,
		map[string]any{"uUID": mapping.UUID, "provisionedPollerConfig": map[string]any{}}))
	var want []wantFinding
	for _, sn := range n.Private {
		want = append(want, unreachable(scenario.Subnets{sn}, lambdaAndSTS, fmt.Sprintf("route table %s has no 0.0.0.0/0 route", sn.RouteTableID))...)
	}
	wantDiagnosis(t, rep, mapping.UUID, report.StatusBroken, want)
}

// callLog records the AWS operations the SDK sends, as Service.Operation,
// and the resources of each IAM simulation. With a delay it also stands
// for a slow network: every call waits that long before it is sent, and
// the log measures how many calls the run made one after another.
type callLog struct {
	mu        sync.Mutex
	calls     map[string]int
	simulated [][]string

	// delay is added to every call (none when zero).
	delay time.Duration
	// depthDone is the greatest dependency depth of the calls finished so
	// far; rounds the greatest of all calls; trace each call as op@depth.
	depthDone, rounds int
	trace             []string
}

// instrument adds the recording middleware to an SDK configuration; it is
// what runner.Build calls before it makes its clients.
func (l *callLog) instrument(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("vpcmedicCallLog",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				op := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
				l.mu.Lock()
				if l.calls == nil {
					l.calls = map[string]int{}
				}
				l.calls[op]++
				if p, ok := in.Parameters.(*iam.SimulatePrincipalPolicyInput); ok {
					l.simulated = append(l.simulated, slices.Clone(p.ResourceArns))
				}
				// A call may depend on any call that finished before it
				// started, and on none that had not.
				depth := l.depthDone + 1
				l.rounds = max(l.rounds, depth)
				l.trace = append(l.trace, fmt.Sprintf("%s@%d", op, depth))
				l.mu.Unlock()
				if l.delay > 0 {
					select {
					case <-time.After(l.delay):
					case <-ctx.Done():
					}
				}
				out, md, err := next.HandleInitialize(ctx, in)
				l.mu.Lock()
				l.depthDone = max(l.depthDone, depth)
				l.mu.Unlock()
				return out, md, err
			}), middleware.After)
	})
}

// slowCalls is the latency the round tests add to every call: enough to
// dwarf the scheduling of a goroutine, so that calls issued together start
// before any of them finishes.
const slowCalls = 30 * time.Millisecond

// roundsSoFar returns the sequential rounds of calls made so far and the
// calls by depth, and starts counting afresh.
func (l *callLog) roundsSoFar() (int, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rounds, trace := l.rounds, l.trace
	l.rounds, l.depthDone, l.trace = 0, 0, nil
	l.calls, l.simulated = nil, nil
	return rounds, trace
}

// callBudget is what one check of an on-demand IAM-auth MSK mapping may
// call, whatever the size of its VPC. From the implementation:
//
//	own-change test   STS.GetCallerIdentity            1 (once per function instance)
//	inventory         Lambda.GetEventSourceMapping     1
//	                  Kafka.DescribeClusterV2          1
//	                  Kafka.GetBootstrapBrokers        1
//	                  Lambda.GetFunctionConfiguration  1 (the execution role)
//	                  EC2.DescribeSubnets              1 (the VPC of the client subnets, 200 subnets a call)
//	topology          EC2.DescribeVpcs, DescribeDhcpOptions (when the VPC has a DHCP options set),
//	                  DescribeVpcAttribute ×2 (DNS support, hostnames), DescribeSubnets,
//	                  DescribeRouteTables, DescribeNatGateways, DescribeInternetGateways,
//	                  DescribeVpcEndpoints, DescribeSecurityGroups, DescribeNetworkAcls: 11, one page each here
//	                  EC2.GetManagedPrefixListEntries  one per prefix list the groups or gateway routes name (none here)
//	                  EC2.DescribeVpcBlockPublicAccessOptions 1 (the exclusions only when it is on)
//	role              IAM.SimulatePrincipalPolicy      2: the actions on "*" (Describe actions), and
//	                  every action on the ARNs the needs name at once (the client subnets, the
//	                  cluster's group and network interfaces, the cluster, its topic, the group)
//
// No alert topic is configured, so nothing is published. Total: 20.
var callBudget = map[string]int{
	"STS.GetCallerIdentity":           1,
	"Lambda.GetEventSourceMapping":    1,
	"Kafka.DescribeClusterV2":         1,
	"Kafka.GetBootstrapBrokers":       1,
	"Lambda.GetFunctionConfiguration": 1,
	"EC2.DescribeSubnets":             2,
	"EC2.DescribeVpcs":                1,
	"EC2.DescribeDhcpOptions":         1,
	"EC2.DescribeVpcAttribute":        2,
	"EC2.DescribeRouteTables":         1,
	"EC2.DescribeNatGateways":         1,
	"EC2.DescribeInternetGateways":    1,
	"EC2.DescribeVpcEndpoints":        1,
	"EC2.DescribeSecurityGroups":      1,
	"EC2.DescribeNetworkAcls":         1,
	// The account's Block Public Access mode; its exclusions are listed
	// only when the mode is not off.
	"EC2.DescribeVpcBlockPublicAccessOptions": 1,
	"IAM.SimulatePrincipalPolicy":             2,
}

const callBudgetTotal = 20

func TestKafkaMappingCheckStaysWithinItsCallBudget(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	w := scenario.HealthyOnDemandMSK(s)
	docsEndpoints(w)
	// Clutter that a per-subnet, per-table or per-group read would pay
	// for: 24 more subnets in three zones, each with its own route table,
	// and 12 more groups.
	for i := range 24 {
		w.VPC.PrivateSubnets(fmt.Sprintf("10.0.%d.0/24@%c", 100+i, 'a'+i%3))
	}
	for i := range 12 {
		w.VPC.SecurityGroup(fmt.Sprintf("clutter-%d", i)).Ingress(5432, w.ClusterSG)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}

	useEmulatorEnv(t, srv)
	var log callLog
	d, err := runner.Build(t.Context(), app.OnLambdaChange, slog.New(slog.NewTextHandler(t.Output(), nil)), log.instrument)
	if err != nil {
		t.Fatal(err)
	}
	rep := handle(t, d, mappingCreated(t, w.ESM))
	wantDiagnosis(t, rep, w.ESM.UUID, report.StatusOK, nil)

	total := 0
	for _, op := range slices.Sorted(maps.Keys(log.calls)) {
		n := log.calls[op]
		total += n
		budget, ok := callBudget[op]
		switch {
		case !ok:
			t.Errorf("%s called %d times: not in the budget", op, n)
		case n > budget:
			t.Errorf("%s called %d times, budget %d", op, n, budget)
		}
	}
	if total > callBudgetTotal {
		t.Errorf("%d calls in all, budget %d: %v", total, callBudgetTotal, log.calls)
	}
	// The mapping's own reads must have happened: a budget met by reading
	// nothing would prove nothing.
	for _, op := range []string{"Lambda.GetEventSourceMapping", "EC2.DescribeRouteTables", "EC2.DescribeSecurityGroups", "IAM.SimulatePrincipalPolicy"} {
		if log.calls[op] == 0 {
			t.Errorf("%s never called: %v", op, log.calls)
		}
	}
	var resources []string
	for _, r := range log.simulated {
		key := strings.Join(r, ",")
		if slices.Contains(resources, key) {
			t.Errorf("resource set %q simulated more than once", key)
		}
		resources = append(resources, key)
	}
	t.Logf("%d calls: %v", total, log.calls)
}
