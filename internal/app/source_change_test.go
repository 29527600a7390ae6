package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mq"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/inventory"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// The identifiers the broker and cluster samples name.
const (
	sampleBroker      = "b-2f1c7e4a-9d3b-4c58-a6e1-0b7d5f3a9c42"
	sampleBrokerGroup = "sg-0e4b7c1d9a2f63508"
	sampleClusterARN  = "arn:aws:rds:us-east-1:123456789012:cluster:shop"
)

// countingMQ counts the brokers described.
type countingMQ struct {
	inventory.MQ
	calls int
}

func (c *countingMQ) DescribeBroker(ctx context.Context, in *mq.DescribeBrokerInput, opts ...func(*mq.Options)) (*mq.DescribeBrokerOutput, error) {
	c.calls++
	return c.MQ.DescribeBroker(ctx, in, opts...)
}

// countingRDS counts the DB cluster reads.
type countingRDS struct {
	inventory.RDS
	calls int
}

func (c *countingRDS) DescribeDBClusters(ctx context.Context, in *rds.DescribeDBClustersInput, opts ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	c.calls++
	return c.RDS.DescribeDBClusters(ctx, in, opts...)
}

// An UpdateBroker that moves the broker to a group without the broker port
// from itself cuts the pollers off their broker: the mapping is checked in
// the broker's new group, found broken, and on-call is paged. The same
// event before the change finds it healthy.
func TestBrokerGroupChangeBreaksItsMappingAndPages(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	n := twoZones(s)
	n.VPC.NATPerAZ(n.Public, n.Private)
	esm := mqMapping(s, "ACTIVEMQ", n.Private, n.VPC.SecurityGroup("orders-mq").IngressSelf(61617))
	// The same web port, but not the OpenWire port from itself.
	unselfed := n.VPC.SecurityGroup("orders-mq-web").IngressSelf(8162)
	other := s.Function("audit-consumer", s.Role("audit-consumer", scenario.Inline(pollerConsumer)))
	otherBroker := s.MQBroker("audit", "ACTIVEMQ", n.Private, unselfed)
	s.MQESM(other, otherBroker, "audit", brokerSecret)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	brokerID := esm.EventSourceARN[strings.LastIndex(esm.EventSourceARN, ":")+1:]
	event := func(id string) []byte {
		return sample(t, "on-lambda-change/UpdateBroker-security-groups.json", sampleBroker, brokerID, sampleBrokerGroup, unselfed.ID,
			"4b8e1f27-6c3d-4a95-8e02-7f1d9c3b5a60", id)
	}
	oc := newOncall(t, srv)
	useEmulatorEnv(t, srv)
	t.Setenv("ALERT_TOPIC_ARN", oc.TopicARN)
	d := buildFromEnv(t, app.OnLambdaChange)
	brokers := &countingMQ{MQ: d.App.Inventory.MQ}
	d.App.Inventory.MQ = brokers

	before := handle(t, d, event("4b8e1f27-6c3d-4a95-8e02-000000000001"))
	// Only the mapping of the changed broker, not that of the other one.
	wantDiagnosis(t, before, esm.UUID, report.StatusOK, nil)
	if brokers.calls != 1 {
		t.Errorf("DescribeBroker called %d times, want once: to find the broker's ARN and read its mapping", brokers.calls)
	}
	if c := before.Trigger.SourceChange; before.Trigger.Source != trail.SourceMQ || c == nil || c.BrokerID != brokerID {
		t.Fatalf("trigger %s, source change %+v, want a change of broker %s", before.Trigger.Source, c, brokerID)
	}
	if alerts := oc.received(t); len(alerts) != 0 {
		t.Fatalf("a healthy mapping paged: %+v", alerts)
	}

	if _, err := mq.NewFromConfig(srv.MustConfig(t)).UpdateBroker(t.Context(), &mq.UpdateBrokerInput{
		BrokerId: aws.String(brokerID), SecurityGroups: []string{unselfed.ID},
	}); err != nil {
		t.Fatal(err)
	}
	rep := handle(t, d, event("4b8e1f27-6c3d-4a95-8e02-000000000002"))
	wantDiagnosis(t, rep, esm.UUID, report.StatusBroken, []wantFinding{sourceUnreachable(n.Private[0], "mq", "the broker", 61617)})
	if got := rep.Workloads[0].Kind; got != report.KindMQESM {
		t.Errorf("kind %s, want %s", got, report.KindMQESM)
	}
	alerts := oc.received(t)
	if len(alerts) != 1 || !strings.Contains(alerts[0].Subject, "BROKEN") || !strings.Contains(alerts[0].Message, "UpdateBroker") {
		t.Errorf("alerts = %+v, want one page naming the broken mapping and the UpdateBroker call", alerts)
	}
}

// A DB subnet group names no cluster: the change reaches the mappings of
// the DocumentDB clusters in that group.
func TestSubnetGroupChangeResolvesTheMappingsOfItsClusters(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	n := twoZones(s)
	n.VPC.NATPerAZ(n.Public, n.Private)
	esm := docDBMapping(s, n.VPC, n.Private, n.VPC.SecurityGroup("shop-docdb").IngressSelf(27017))
	// A cluster in another group, with its own mapping, is not touched.
	n.VPC.DocDBCluster("ledger", n.Private, n.VPC.SecurityGroup("ledger-docdb").IngressSelf(27017))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	d := build(t, srv, app.OnLambdaChange)
	clusters := &countingRDS{RDS: d.App.Inventory.RDS}
	d.App.Inventory.RDS = clusters

	rep := handle(t, d, sample(t, "on-lambda-change/ModifyDBSubnetGroup-subnets.json"))
	wantWorkloads(t, rep, workloadKey{report.KindDocDBESM, esm.UUID, n.VPC.ID})
	if clusters.calls != 1 {
		t.Errorf("DescribeDBClusters called %d times, want once: the listing that finds the group's clusters serves their mappings", clusters.calls)
	}

	rep = handle(t, d, sample(t, "on-lambda-change/ModifyDBSubnetGroup-subnets.json", `"shop-subnets"`, `"ledger-subnets"`))
	wantSkipped(t, rep, "no event source mapping of this account reads from arn:aws:rds:us-east-1:123456789012:cluster:ledger")

	rep = handle(t, d, sample(t, "on-lambda-change/ModifyDBSubnetGroup-subnets.json", `"shop-subnets"`, `"nobody-subnets"`))
	wantSkipped(t, rep, "no DocumentDB cluster of this account is in DB subnet group nobody-subnets")
}

func TestDocumentDBClusterChangeResolvesItsMappings(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	n := twoZones(s)
	esm := docDBMapping(s, n.VPC, n.Private, n.VPC.SecurityGroup("shop-docdb").IngressSelf(27017))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if esm.EventSourceARN != sampleClusterARN {
		t.Fatalf("the fixture's cluster %s is not the sample's", esm.EventSourceARN)
	}
	rep := handle(t, build(t, srv, app.OnLambdaChange), sample(t, "on-lambda-change/ModifyDBCluster-security-groups.json"))
	if c := rep.Trigger.SourceChange; rep.Trigger.Source != trail.SourceRDS || c == nil || c.ClusterARN != sampleClusterARN {
		t.Fatalf("trigger %s, source change %+v, want a change of %s", rep.Trigger.Source, c, sampleClusterARN)
	}
	// No NAT gateway and no endpoints: the on-demand pollers are broken.
	wantDiagnosis(t, rep, esm.UUID, report.StatusBroken, unreachable(n.Private, []string{"lambda", "sts", "secretsmanager"}))
}

func TestDocumentDBClusterChangeWithoutMappingsIsSkipped(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	n := twoZones(s)
	cluster := n.VPC.DocDBCluster("shop", n.Private, n.VPC.SecurityGroup("shop-docdb").IngressSelf(27017))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if cluster.ARN != sampleClusterARN {
		t.Fatalf("the fixture's cluster %s is not the sample's", cluster.ARN)
	}
	d := build(t, srv, app.OnLambdaChange)

	rep := handle(t, d, sample(t, "on-lambda-change/ModifyDBCluster-security-groups.json"))
	wantSkipped(t, rep, "no event source mapping of this account reads from "+sampleClusterARN)

	// An Aurora cluster is never an event source: said without a lookup.
	rep = handle(t, d, sample(t, "on-lambda-change/ModifyDBCluster-security-groups.json", `"engine": "docdb"`, `"engine": "aurora-postgresql"`,
		"e7d3b9a1-4c62-4f08-8d5e-0a9b6c2f3e71", "e7d3b9a1-4c62-4f08-8d5e-000000000001"))
	wantSkipped(t, rep, "runs aurora-postgresql, not DocumentDB")
}

// Failed broker and cluster calls changed nothing.
func TestFailedBrokerAndClusterCallsAreSkipped(t *testing.T) {
	srv, _ := seededAccount(t)
	d := build(t, srv, app.OnLambdaChange)
	for name, code := range map[string]string{
		"unmatched/UpdateBroker-rabbitmq-security-groups.json": "BadRequestException",
		"unmatched/ModifyDBCluster-invalid-state.json":         "InvalidDBClusterStateFault",
	} {
		t.Run(name, func(t *testing.T) {
			wantSkipped(t, handle(t, d, sample(t, name)), "the call failed with "+code)
		})
	}
}

func TestBrokerThatIsGoneIsSkipped(t *testing.T) {
	srv, _ := seededAccount(t)
	rep := handle(t, build(t, srv, app.OnLambdaChange), sample(t, "on-lambda-change/UpdateBroker-security-groups.json"))
	wantSkipped(t, rep, "Amazon MQ broker "+sampleBroker+" no longer exists")
}
