package alertstate

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vpcmedic/vpcmedic/internal/emulator"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// newTable creates the table as template.yaml declares it.
func newTable(t *testing.T) *Table {
	t.Helper()
	srv := emulator.Shared(t)
	db := dynamodb.NewFromConfig(srv.MustConfig(t))
	_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String("vpcmedic-state"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &Table{DynamoDB: db, Name: "vpcmedic-state"}
}

func TestTableClaimsEvents(t *testing.T) {
	tbl := newTable(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	until := now.Add(2 * time.Minute)

	c, held, err := tbl.ClaimEvent(ctx, "evt-1", "run-a", now, until)
	if err != nil || held || c.Status != ClaimInProgress {
		t.Fatalf("first claim: %+v, held %v, %v", c, held, err)
	}
	if other, held, err := tbl.ClaimEvent(ctx, "evt-1", "run-b", now, until); err != nil || !held || other.Owner != "run-a" {
		t.Fatalf("second delivery: %+v, held %v, %v", other, held, err)
	}
	c.MessageID = "msg-1"
	if err := tbl.SaveClaim(ctx, c, now); err != nil {
		t.Fatal(err)
	}
	// run-a dies: past its deadline run-b takes over and sees the alert.
	taken, held, err := tbl.ClaimEvent(ctx, "evt-1", "run-b", until.Add(time.Second), until.Add(time.Hour))
	if err != nil || held || taken.MessageID != "msg-1" || taken.Owner != "run-b" {
		t.Fatalf("take over a lapsed claim: %+v, held %v, %v", taken, held, err)
	}
	// The stale run can no longer write the claim.
	c.Status = ClaimDone
	if err := tbl.SaveClaim(ctx, c, now); !errors.Is(err, ErrConflict) {
		t.Errorf("a stale run saved the claim: %v", err)
	}
	taken.Status = ClaimDone
	if err := tbl.SaveClaim(ctx, taken, now); err != nil {
		t.Fatal(err)
	}
	if _, held, err := tbl.ClaimEvent(ctx, "evt-1", "run-b", until.Add(2*time.Hour), until.Add(3*time.Hour)); err != nil || !held {
		t.Errorf("a done event was claimed again: held %v, %v", held, err)
	}
}

func TestTableRemembersProblemsConditionally(t *testing.T) {
	tbl := newTable(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

	if p, err := tbl.Problem(ctx, "esm-1"); err != nil || p != nil {
		t.Fatalf("no problem yet: %+v, %v", p, err)
	}
	want := &Problem{WorkloadID: "esm-1", Fingerprint: "abc", FirstSeen: now.Add(-time.Hour), LastNotified: now}
	if err := tbl.Remember(ctx, "esm-1", want, nil, now); err != nil {
		t.Fatal(err)
	}
	// A second run that also found no problem loses.
	if err := tbl.Remember(ctx, "esm-1", &Problem{WorkloadID: "esm-1", Fingerprint: "abc"}, nil, now); !errors.Is(err, ErrConflict) {
		t.Errorf("two runs both recorded a new problem: %v", err)
	}
	got, err := tbl.Problem(ctx, "esm-1")
	if err != nil || got == nil || *got != *want {
		t.Fatalf("problem = %+v, %v; want %+v", got, err, want)
	}
	stale := *got
	if err := tbl.Remember(ctx, "esm-1", nil, got, now); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Remember(ctx, "esm-1", &Problem{WorkloadID: "esm-1", Fingerprint: "def"}, &stale, now); !errors.Is(err, ErrConflict) {
		t.Errorf("a stale run rewrote a forgotten problem: %v", err)
	}
	if p, err := tbl.Problem(ctx, "esm-1"); err != nil || p != nil {
		t.Errorf("forgotten problem: %+v, %v", p, err)
	}
}

func TestTableErrorsNameTheTable(t *testing.T) {
	tbl := &Table{DynamoDB: dynamodb.NewFromConfig(emulator.Shared(t).MustConfig(t)), Name: "missing"}
	if _, _, err := tbl.ClaimEvent(t.Context(), "evt-1", "run-a", time.Now(), time.Now()); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("err = %v", err)
	}
}

func TestTableLeasesVPCs(t *testing.T) {
	tbl := newTable(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	until := now.Add(time.Minute)

	if _, held, err := tbl.Lease(ctx, "vpc-1", "run-a", now, until); err != nil || held {
		t.Fatalf("first lease: held %v, %v", held, err)
	}
	other, held, err := tbl.Lease(ctx, "vpc-1", "run-b", now, until)
	if err != nil || !held || other.Owner != "run-a" || !other.Until.Equal(until) {
		t.Fatalf("second run: %+v, held %v, %v", other, held, err)
	}
	if _, held, err := tbl.Lease(ctx, "vpc-2", "run-b", now, until); err != nil || held {
		t.Errorf("another VPC: held %v, %v", held, err)
	}
	// A stale release by another run does not free the VPC.
	if err := tbl.Release(ctx, "vpc-1", "run-b"); err != nil {
		t.Fatal(err)
	}
	if _, held, _ := tbl.Lease(ctx, "vpc-1", "run-b", now, until); !held {
		t.Error("run-b released run-a's lease")
	}
	if err := tbl.Release(ctx, "vpc-1", "run-a"); err != nil {
		t.Fatal(err)
	}
	if _, held, err := tbl.Lease(ctx, "vpc-1", "run-b", now, until); err != nil || held {
		t.Errorf("after release: held %v, %v", held, err)
	}
	// run-b dies holding it: past its time run-c takes it.
	if _, held, err := tbl.Lease(ctx, "vpc-1", "run-c", until.Add(time.Second), until.Add(time.Minute)); err != nil || held {
		t.Errorf("a lapsed lease: held %v, %v", held, err)
	}
}

func TestTableLeasesTheSameVPCIDOfTwoAccountsApart(t *testing.T) {
	hub := newTable(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	until := now.Add(time.Minute)
	member := hub.ForAccount("111111111111")
	if _, held, err := hub.Lease(ctx, "vpc-1", "run-a", now, until); err != nil || held {
		t.Fatalf("hub lease: held %v, %v", held, err)
	}
	if _, held, err := member.Lease(ctx, "vpc-1", "run-b", now, until); err != nil || held {
		t.Errorf("vpc-1 of another account is held by the hub's lease on its own vpc-1: held %v, %v", held, err)
	}
	if _, held, _ := hub.ForAccount("111111111111").Lease(ctx, "vpc-1", "run-c", now, until); !held {
		t.Error("a second run in the member account took the lease run-b holds")
	}
	// The hub's own keys are as before member accounts existed.
	out, err := hub.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(hub.Name), Key: key("lease#vpc-1")})
	if err != nil || len(out.Item) == 0 {
		t.Errorf("the hub's lease is not under lease#vpc-1: %v", err)
	}
}

// retriedAfterLostAnswers makes every write twice and answers with the
// second: the SDK's retry of a write whose first answer was lost.
type retriedAfterLostAnswers struct{ DynamoDB }

func (r retriedAfterLostAnswers) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if _, err := r.DynamoDB.PutItem(ctx, in, opts...); err != nil {
		return nil, err
	}
	return r.DynamoDB.PutItem(ctx, in, opts...)
}

func (r retriedAfterLostAnswers) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if _, err := r.DynamoDB.DeleteItem(ctx, in, opts...); err != nil {
		return nil, err
	}
	return r.DynamoDB.DeleteItem(ctx, in, opts...)
}

// A conditional write retried after its answer was lost fails its
// condition against its own first attempt; that is no conflict. Another
// run's write still is.
func TestTableWriteRetriedAfterALostAnswerStands(t *testing.T) {
	tbl := newTable(t)
	retried := &Table{DynamoDB: retriedAfterLostAnswers{tbl.DynamoDB}, Name: tbl.Name}
	ctx := t.Context()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

	c, held, err := retried.ClaimEvent(ctx, "evt-1", "run-a", now, now.Add(time.Minute))
	if err != nil || held || c.Owner != "run-a" {
		t.Fatalf("first claim, retried: %+v, held %v, %v; want it taken", c, held, err)
	}
	c.MessageID = "msg-1"
	if err := retried.SaveClaim(ctx, c, now); err != nil {
		t.Fatalf("save the message ID, retried: %v", err)
	}
	if stored, err := tbl.readClaim(ctx, "evt-1"); err != nil || stored.MessageID != "msg-1" || stored.version != c.version {
		t.Fatalf("stored claim %+v (%v), want msg-1 at version %d", stored, err, c.version)
	}

	p := &Problem{WorkloadID: "esm-1", Fingerprint: "f1", FirstSeen: now, LastNotified: now}
	if err := retried.Remember(ctx, "esm-1", p, nil, now); err != nil {
		t.Fatalf("remember, retried: %v", err)
	}
	known, err := tbl.Problem(ctx, "esm-1")
	if err != nil || known == nil {
		t.Fatalf("problem %+v, %v", known, err)
	}
	if err := retried.Remember(ctx, "esm-1", nil, known, now); err != nil {
		t.Fatalf("forget, retried: %v", err)
	}

	// A stale writer still loses to the run that wrote after it.
	other := *c
	c.Outcome = "checked 1 workloads"
	if err := tbl.SaveClaim(ctx, c, now); err != nil {
		t.Fatal(err)
	}
	other.Outcome = "stale"
	if err := retried.SaveClaim(ctx, &other, now); !errors.Is(err, ErrConflict) {
		t.Errorf("a stale write: %v, want ErrConflict", err)
	}
}
