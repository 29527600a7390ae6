package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// accountFixture is an account with workloads in three VPCs and a fourth VPC
// with none, seeded once for the tests that only read it.
type accountFixture struct {
	// Orders is an on-demand MSK mapping in VPC A (two AZs, a NAT gateway
	// per AZ); the NAT of the first AZ has been deleted since.
	Orders     *scenario.MSKWorkload
	DeletedNAT *scenario.NAT
	// Billing is a function attached to VPC B.
	BillingVPC *scenario.VPC
	BillingNet scenario.Subnets
	BillingSG  *scenario.SG
	Billing    *scenario.Function
	// Inventory is a self-managed Kafka mapping reaching its brokers from
	// VPC C.
	InventoryVPC *scenario.VPC
	InventoryNet scenario.Subnets
	InventorySG  *scenario.SG
	Inventory    *scenario.ESM
	// Payments is an MSK mapping through a managed VPC connection to a
	// cluster of another account.
	Payments       string
	PaymentsSource string
	// Idle is VPC D: a NAT gateway and a private route table, no workload.
	Idle           *scenario.VPC
	IdleNAT        *scenario.NAT
	IdleRouteTable string
	// SQSMapping is a mapping vpcmedic must ignore (not Kafka).
	SQSMapping string
	// VPCMedicRole is a role vpcmedic can run as, as it does in Lambda.
	VPCMedicRole *scenario.Role
}

var fixture *accountFixture

// crossAccountConsumerPolicy lets a function consume from a cluster of
// another account through a managed VPC connection.
const crossAccountConsumerPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka:DescribeVpcConnection","kafka-cluster:Connect","kafka-cluster:DescribeGroup","kafka-cluster:AlterGroup","kafka-cluster:DescribeTopic","kafka-cluster:ReadData","kafka-cluster:DescribeClusterDynamicConfiguration"],"Resource":"*"}]}`

// paymentsCluster is the cluster of another account the payments mapping
// reads through its managed VPC connection.
const paymentsCluster = "arn:aws:kafka:us-east-1:210987654321:cluster/payments/7d1c2b3a-4e5f-6a7b-8c9d-0e1f2a3b4c5d-3"

const fnARNPrefix = "arn:aws:lambda:" + emulator.Region + ":" + emulator.Account + ":function:"

// seededAccount returns the emulator holding accountFixture.
func seededAccount(t *testing.T) (*emulator.Server, *accountFixture) {
	t.Helper()
	srv := emulator.Seeded(t, "workloads in four VPCs", func(tb testing.TB, srv *emulator.Server) {
		tb.Helper()
		fixture = seedAccount(tb, srv)
	})
	return srv, fixture
}

func seedAccount(tb testing.TB, srv *emulator.Server) *accountFixture {
	tb.Helper()
	ctx := context.Background()
	cfg := srv.MustConfig(tb)
	s := scenario.New(cfg)
	f := &accountFixture{}

	f.Orders = scenario.HealthyOnDemandMSK(s)
	if len(f.Orders.NATs) == 2 {
		f.DeletedNAT = f.Orders.NATs[0]
		s.DeleteNAT(f.DeletedNAT)
	}

	vpcRole := s.Role("billing-api-execution", scenario.ManagedPolicy("AWSLambdaVPCAccessExecutionRole"))
	f.BillingVPC = s.VPC("10.1.0.0/16")
	f.BillingNet = f.BillingVPC.PrivateSubnets("10.1.10.0/24@a", "10.1.11.0/24@b")
	f.BillingSG = f.BillingVPC.SecurityGroup("billing-api")
	f.Billing = s.Function("billing-api", vpcRole, scenario.InVPC(f.BillingNet, f.BillingSG))

	f.InventoryVPC = s.VPC("10.2.0.0/16")
	f.InventoryNet = f.InventoryVPC.PrivateSubnets("10.2.10.0/24@a", "10.2.11.0/24@b")
	f.InventorySG = f.InventoryVPC.SecurityGroup("inventory-kafka").IngressSelf(9096)
	inventoryFn := s.Function("inventory-sync", f.Orders.Role)
	f.Inventory = s.SelfManagedKafkaESM(inventoryFn,
		[]string{"kafka-1.inventory.internal.example.com:9096", "kafka-2.inventory.internal.example.com:9096"},
		"inventory.changes", f.InventoryNet, f.InventorySG)

	f.Idle = s.VPC("10.3.0.0/16")
	idlePublic := f.Idle.PublicSubnets("10.3.0.0/24@a")
	f.IdleNAT = f.Idle.NAT(idlePublic[0])
	f.IdleRouteTable = f.Idle.RouteTable("idle-private")

	payments := s.Function("payments-ledger", s.Role("payments-ledger", scenario.Inline(crossAccountConsumerPolicy)))
	f.VPCMedicRole = s.Role("vpcmedic-OnLambdaChangeRole")
	if err := s.Err(); err != nil {
		tb.Fatalf("seed the account: %v", err)
	}

	lc := lambda.NewFromConfig(cfg)
	f.PaymentsSource = "arn:aws:kafka:us-east-1:" + emulator.Account + ":vpc-connection/210987654321/payments/c83f1d2e-7a6b-4e05-9d14-b2a8e6f03c71-3"
	if err := srv.SeedVPCConnection(ctx, emulator.VPCConnection{ARN: f.PaymentsSource, TargetClusterARN: paymentsCluster, State: "AVAILABLE"}); err != nil {
		tb.Fatal(err)
	}
	out, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String(payments.ARN), EventSourceArn: aws.String(f.PaymentsSource),
		Topics: []string{"payments.settled"}, StartingPosition: lambdatypes.EventSourcePositionLatest,
	})
	if err != nil {
		tb.Fatalf("the emulator refuses a mapping on a managed VPC connection: %v", err)
	}
	f.Payments = aws.ToString(out.UUID)
	if got, err := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: out.UUID}); err != nil || aws.ToString(got.EventSourceArn) != f.PaymentsSource {
		tb.Fatalf("the emulator does not keep the VPC connection ARN of mapping %s: %v", f.Payments, err)
	}

	queue, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders-replay")})
	if err != nil {
		tb.Fatal(err)
	}
	attrs, err := sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		tb.Fatal(err)
	}
	sqsMapping, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String(f.Orders.Function.ARN), EventSourceArn: aws.String(attrs.Attributes["QueueArn"]),
	})
	if err != nil {
		tb.Fatalf("create an SQS mapping: %v", err)
	}
	f.SQSMapping = aws.ToString(sqsMapping.UUID)
	return f
}

// useEmulatorEnv points the standard AWS variables, which runner.Build
// reads, at the emulator, away from any shared configuration of the host.
func useEmulatorEnv(t *testing.T, srv *emulator.Server) {
	t.Helper()
	srv.UseEnv(t)
}

// build wires a function's pipeline against the emulator as Lambda does:
// runner.Build reading the environment.
// seedCase seeds the shared emulator with a diagnosis case: the workload it
// creates (a function, a mapping) and the findings it expects.
func seedCase[W any](t *testing.T, seed func(*scenario.Scenario) (W, []wantFinding)) (*emulator.Server, W, []wantFinding) {
	t.Helper()
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	fn, want := seed(s)
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return srv, fn, want
}

func build(t *testing.T, srv *emulator.Server, function string) *runner.Deps {
	t.Helper()
	useEmulatorEnv(t, srv)
	return buildFromEnv(t, function)
}

func buildFromEnv(t *testing.T, function string) *runner.Deps {
	t.Helper()
	d, err := runner.Build(t.Context(), function, slog.New(slog.NewTextHandler(t.Output(), nil)), nil)
	if err != nil {
		t.Fatalf("build %s: %v", function, err)
	}
	return d
}

// handle runs the function on an event and fails the test on any error.
func handle(t *testing.T, d *runner.Deps, event []byte) report.Report {
	t.Helper()
	rep, err := d.App.Handle(t.Context(), event)
	if err != nil {
		t.Fatalf("%s: %v", d.App.Function, err)
	}
	return rep
}

// sample reads a sample event from events/ and replaces the identifiers it
// names with those of seeded resources. Every old value must occur, so that
// a sample that changes does not silently stop pointing at the fixture.
func sample(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	return emulator.Sample(t, name, replace...)
}

// withIdentity replaces the event's detail.userIdentity.
func withIdentity(t *testing.T, raw []byte, identity map[string]any) []byte {
	t.Helper()
	var event map[string]any
	if err := json.Unmarshal(raw, &event); err != nil {
		t.Fatal(err)
	}
	event["detail"].(map[string]any)["userIdentity"] = identity
	out, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// workloadKey is what identifies a resolved workload in assertions.
type workloadKey struct{ Kind, ID, VPCID string }

func workloadKeys(rep report.Report) []workloadKey {
	var out []workloadKey
	for _, w := range rep.Workloads {
		out = append(out, workloadKey{w.Kind, w.ID, w.VPCID})
	}
	slices.SortFunc(out, func(a, b workloadKey) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func sortedKeys(keys ...workloadKey) []workloadKey {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b workloadKey) int { return strings.Compare(a.ID, b.ID) })
	return keys
}

func networkVPCs(rep report.Report) []string {
	var out []string
	for _, n := range rep.Networks {
		out = append(out, n.VPCID)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// wantWorkloads checks the resolved workloads, and that the run read the
// network of each VPC they are in exactly once.
func wantWorkloads(t *testing.T, rep report.Report, want ...workloadKey) {
	t.Helper()
	if rep.Trigger.Skip != "" {
		t.Fatalf("skipped (%s), want workloads %v", rep.Trigger.Skip, want)
	}
	if got := workloadKeys(rep); !slices.Equal(got, sortedKeys(want...)) {
		t.Errorf("workloads %+v, want %+v", got, sortedKeys(want...))
	}
	var vpcs []string
	for _, w := range want {
		if w.VPCID != "" && !slices.Contains(vpcs, w.VPCID) {
			vpcs = append(vpcs, w.VPCID)
		}
	}
	if got := networkVPCs(rep); !slices.Equal(got, sorted(vpcs...)) {
		t.Errorf("networks read %v, want %v", got, sorted(vpcs...))
	}
}

// wantSkipped checks that a run did nothing, for a reason containing want.
func wantSkipped(t *testing.T, rep report.Report, want string) {
	t.Helper()
	if !strings.Contains(rep.Trigger.Skip, want) {
		t.Errorf("skip reason %q, want one containing %q", rep.Trigger.Skip, want)
	}
	if len(rep.Workloads) != 0 || len(rep.Networks) != 0 || rep.Alert != nil {
		t.Errorf("a skipped run checked %d workloads, read %d networks, sent alert %v", len(rep.Workloads), len(rep.Networks), rep.Alert)
	}
}

func esm(uuid, vpc string) workloadKey { return workloadKey{report.KindKafkaESM, uuid, vpc} }
func vpcFunction(name, vpc string) workloadKey {
	return workloadKey{report.KindFunction, fnARNPrefix + name, vpc}
}
