package alertstate

import (
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

func TestTableRemembersEventsAndProblems(t *testing.T) {
	tbl := newTable(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

	if seen, err := tbl.Handled(ctx, "evt-1"); err != nil || seen {
		t.Fatalf("unseen event: %v, %v", seen, err)
	}
	if err := tbl.MarkHandled(ctx, "evt-1", now); err != nil {
		t.Fatal(err)
	}
	if seen, err := tbl.Handled(ctx, "evt-1"); err != nil || !seen {
		t.Fatalf("handled event: %v, %v", seen, err)
	}

	if p, err := tbl.Problem(ctx, "esm-1"); err != nil || p != nil {
		t.Fatalf("no problem yet: %+v, %v", p, err)
	}
	want := &Problem{WorkloadID: "esm-1", Fingerprint: "abc", FirstSeen: now.Add(-time.Hour), LastNotified: now}
	if err := tbl.Remember(ctx, "esm-1", want, now); err != nil {
		t.Fatal(err)
	}
	got, err := tbl.Problem(ctx, "esm-1")
	if err != nil || got == nil || *got != *want {
		t.Fatalf("problem = %+v, %v; want %+v", got, err, want)
	}
	if err := tbl.Remember(ctx, "esm-1", nil, now); err != nil {
		t.Fatal(err)
	}
	if p, err := tbl.Problem(ctx, "esm-1"); err != nil || p != nil {
		t.Errorf("forgotten problem: %+v, %v", p, err)
	}
}

func TestTableErrorsNameTheTable(t *testing.T) {
	tbl := &Table{DynamoDB: dynamodb.NewFromConfig(emulator.Shared(t).MustConfig(t)), Name: "missing"}
	if _, err := tbl.Handled(t.Context(), "evt-1"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("err = %v", err)
	}
}
