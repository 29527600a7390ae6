package app_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// The diagnosis of Amazon MQ and DocumentDB mappings, end to end. Their
// pollers take the broker's or cluster's subnets and groups; the Lambda
// guide's network pages say what they must reach: for Amazon MQ "an endpoint
// for Lambda, and, for ActiveMQ only, an endpoint for Amazon STS", plus
// Secrets Manager for an authenticated broker; for DocumentDB Lambda, STS
// and Secrets Manager in on-demand mode, nothing in provisioned mode.

const brokerSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders-broker-Ab12Cd"

func init() { checkIDs["event-source-access"] = "VM123" }

// pollerConsumer is the execution role permission list of the Lambda guide
// for Amazon MQ and DocumentDB mappings.
const pollerConsumer = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["mq:DescribeBroker","rds:DescribeDBClusters","rds:DescribeDBClusterParameters","rds:DescribeDBSubnetGroups","secretsmanager:GetSecretValue","ec2:CreateNetworkInterface","ec2:DeleteNetworkInterface","ec2:DescribeNetworkInterfaces","ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVpcs"],"Resource":"*"}]}`

// mqMapping creates a private broker of engine in the first of subnets
// with sg and a mapping of its "orders" queue.
func mqMapping(s *scenario.Scenario, engine string, subnets scenario.Subnets, sg *scenario.SG) *scenario.ESM {
	broker := s.MQBroker("orders", engine, subnets, sg)
	fn := s.Function("orders-consumer", s.Role("orders-consumer", scenario.Inline(pollerConsumer)))
	return s.MQESM(fn, broker, "orders", brokerSecret)
}

// docDBMapping creates a cluster in subnets with sg and a mapping of the
// change stream of its "shop" database.
func docDBMapping(s *scenario.Scenario, vpc *scenario.VPC, subnets scenario.Subnets, sg *scenario.SG, opts ...scenario.ESMOption) *scenario.ESM {
	cluster := vpc.DocDBCluster("shop", subnets, sg)
	fn := s.Function("shop-consumer", s.Role("shop-consumer", scenario.Inline(pollerConsumer)))
	return s.DocDBESM(fn, cluster, "shop", brokerSecret, opts...)
}

// sourceUnreachable expects an event-source-access error for the mapping's
// interfaces in a subnet.
func sourceUnreachable(sn *scenario.Subnet, service, what string, port int) wantFinding {
	return wantFinding{Check: "event-source-access", Severity: report.SeverityError, AZ: sn.AZ, Service: service, Subnet: sn.ID,
		Says: []string{fmt.Sprintf("in %s (subnet %s) cannot reach %s on TCP %d", sn.AZ, sn.ID, what, port)}}
}

func TestMQAndDocumentDBMappingDiagnosis(t *testing.T) {
	checkMappings(t, []mappingCase{
		{
			name: "on-demand ActiveMQ with neither NAT gateway nor endpoints", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				sg := n.VPC.SecurityGroup("orders-mq").IngressSelf(61617)
				esm := mqMapping(s, "ACTIVEMQ", n.Private, sg)
				a := n.Private[0]
				var want []wantFinding
				for _, svc := range []string{"lambda", "sts", "secretsmanager"} {
					want = append(want, unreachable(scenario.Subnets{a}, []string{svc},
						fmt.Sprintf("no %s interface endpoint with private DNS in VPC %s", svc, n.VPC.ID))...)
				}
				return esm, want
			},
		},
		{
			name: "RabbitMQ with neither NAT gateway nor endpoints needs no STS", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				sg := n.VPC.SecurityGroup("orders-mq").IngressSelf(5671)
				esm := mqMapping(s, "RABBITMQ", n.Private, sg)
				return esm, unreachable(n.Private[:1], []string{"lambda", "secretsmanager"})
			},
		},
		{
			name: "ActiveMQ behind a NAT gateway", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				n.VPC.NATPerAZ(n.Public, n.Private)
				sg := n.VPC.SecurityGroup("orders-mq").IngressSelf(61617)
				return mqMapping(s, "ACTIVEMQ", n.Private, sg), nil
			},
		},
		{
			name: "RabbitMQ with lambda and secretsmanager endpoints only", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				sg := n.VPC.SecurityGroup("orders-mq").IngressSelf(5671).IngressSelf(443)
				n.VPC.InterfaceEndpoint("lambda", n.Private, sg)
				n.VPC.InterfaceEndpoint("secretsmanager", n.Private, sg)
				return mqMapping(s, "RABBITMQ", n.Private, sg), nil
			},
		},
		{
			name: "ActiveMQ consumer role without mq:DescribeBroker", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				n.VPC.NATPerAZ(n.Public, n.Private)
				broker := s.MQBroker("orders", "ACTIVEMQ", n.Private, n.VPC.SecurityGroup("orders-mq").IngressSelf(61617))
				role := s.Role("orders-consumer", scenario.Inline(strings.Replace(pollerConsumer, `"mq:DescribeBroker",`, "", 1)))
				esm := s.MQESM(s.Function("orders-consumer", role), broker, "orders", brokerSecret)
				return esm, []wantFinding{{Check: "execution-role-permissions", Severity: report.SeverityError, Service: "mq", Says: []string{"mq:DescribeBroker", broker.ARN}}}
			},
		},
		{
			name: "ActiveMQ group without the broker port from itself", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				n.VPC.NATPerAZ(n.Public, n.Private)
				sg := n.VPC.SecurityGroup("orders-mq").IngressSelf(8162)
				return mqMapping(s, "ACTIVEMQ", n.Private, sg), []wantFinding{sourceUnreachable(n.Private[0], "mq", "the broker", 61617)}
			},
		},
		{
			name: "DocumentDB cluster group without 27017 from itself", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				n.VPC.NATPerAZ(n.Public, n.Private)
				sg := n.VPC.SecurityGroup("shop-docdb")
				esm := docDBMapping(s, n.VPC, n.Private, sg)
				var want []wantFinding
				for _, sn := range n.Private {
					want = append(want, sourceUnreachable(sn, "docdb", "the cluster", 27017))
				}
				return esm, want
			},
		},
		{
			name: "on-demand DocumentDB with neither NAT gateway nor endpoints", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				sg := n.VPC.SecurityGroup("shop-docdb").IngressSelf(27017)
				return docDBMapping(s, n.VPC, n.Private, sg), unreachable(n.Private, []string{"lambda", "sts", "secretsmanager"})
			},
		},
		{
			name: "provisioned DocumentDB with neither NAT gateway nor endpoints", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				sg := n.VPC.SecurityGroup("shop-docdb").IngressSelf(27017)
				return docDBMapping(s, n.VPC, n.Private, sg, scenario.Provisioned(1, 2)), nil
			},
		},
	})
}

// A healthy mapping of each source pages nobody.
func TestHealthyMQAndDocumentDBMappingsPageNobody(t *testing.T) {
	for _, engine := range []string{"ACTIVEMQ", "RABBITMQ", "docdb"} {
		t.Run(engine, func(t *testing.T) {
			srv := emulator.Shared(t)
			s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
			n := twoZones(s)
			n.VPC.NATPerAZ(n.Public, n.Private)
			var esm *scenario.ESM
			if engine == "docdb" {
				esm = docDBMapping(s, n.VPC, n.Private, n.VPC.SecurityGroup("shop-docdb").IngressSelf(27017))
			} else {
				// Only the engine's own port: ActiveMQ's OpenWire, RabbitMQ's AMQPS.
				port := map[string]int32{"ACTIVEMQ": 61617, "RABBITMQ": 5671}[engine]
				esm = mqMapping(s, engine, n.Private, n.VPC.SecurityGroup("orders-mq").IngressSelf(port))
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			oc := newOncall(t, srv)
			useEmulatorEnv(t, srv)
			t.Setenv("ALERT_TOPIC_ARN", oc.TopicARN)
			rep := handle(t, buildFromEnv(t, app.OnLambdaChange), mappingCreated(t, esm))
			wantDiagnosis(t, rep, esm.UUID, report.StatusOK, nil)
			if alerts := oc.received(t); len(alerts) != 0 || rep.Alert != nil {
				t.Errorf("a healthy mapping paged: %+v", alerts)
			}
		})
	}
}

// In remediate mode the broken ActiveMQ mapping gets its lambda, sts and
// secretsmanager endpoints and re-checks ok.
func TestRemediateFixesActiveMQMapping(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	n := twoZones(s)
	esm := mqMapping(s, "ACTIVEMQ", n.Private, n.VPC.SecurityGroup("orders-mq").IngressSelf(61617))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	rep, got, oc := remediateOne(t, srv, mappingCreated(t, esm))
	if got.Kind != report.KindMQESM || got.Before != report.StatusBroken || got.Status != report.StatusOK {
		t.Fatalf("%s: before %s -> after %s, findings %+v, changes %+v", got.Kind, got.Before, got.Status, got.Findings, rep.Changes)
	}
	var services []string
	for _, e := range liveEndpoints(t, srv, n.VPC.ID) {
		if !aws.ToBool(e.PrivateDnsEnabled) || e.VpcEndpointType != ec2types.VpcEndpointTypeInterface {
			t.Errorf("endpoint %s: private DNS %v, type %s", aws.ToString(e.VpcEndpointId), aws.ToBool(e.PrivateDnsEnabled), e.VpcEndpointType)
		}
		services = append(services, aws.ToString(e.ServiceName))
	}
	slices.Sort(services)
	want := []string{"com.amazonaws.us-east-1.lambda", "com.amazonaws.us-east-1.secretsmanager", "com.amazonaws.us-east-1.sts"}
	if !slices.Equal(services, want) {
		t.Errorf("endpoints after remediation %v, want %v", services, want)
	}
	if alerts := oc.received(t); len(alerts) != 1 {
		t.Errorf("alerts = %+v, want one saying what was fixed", alerts)
	}
}

// The sweep checks Amazon MQ and DocumentDB mappings along with the rest.
func TestSweepIncludesMQAndDocumentDBMappings(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	n := twoZones(s)
	mqESM := mqMapping(s, "RABBITMQ", n.Private, n.VPC.SecurityGroup("orders-mq").IngressSelf(5671))
	docESM := docDBMapping(s, n.VPC, n.Private, n.VPC.SecurityGroup("shop-docdb").IngressSelf(27017), scenario.Provisioned(1, 2))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	rep := handle(t, build(t, srv, app.Sweep), sample(t, "sweep/scheduled.json"))
	kinds := map[string]report.Status{}
	for _, w := range rep.Workloads {
		kinds[w.ID+" "+w.Kind] = w.Status
	}
	if st, ok := kinds[mqESM.UUID+" "+report.KindMQESM]; !ok || st != report.StatusBroken {
		t.Errorf("RabbitMQ mapping swept as %v (present %v), want broken; swept %v", st, ok, kinds)
	}
	if st, ok := kinds[docESM.UUID+" "+report.KindDocDBESM]; !ok || st != report.StatusOK {
		t.Errorf("DocumentDB mapping swept as %v (present %v), want ok; swept %v", st, ok, kinds)
	}
}
