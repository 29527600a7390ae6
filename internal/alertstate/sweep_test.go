package alertstate

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A fanned-out sweep: its run is recorded once, each shard's result is
// stored once and counted once whatever the deliveries, and the count
// reaches the total exactly when the last shard is counted.
func TestTableCountsEachShardOfASweepOnce(t *testing.T) {
	tbl := newTable(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

	run, err := tbl.StartSweep(ctx, SweepRun{ID: "evt-1", Total: 2, Trigger: []byte(`{"eventId":"evt-1"}`), Targets: []byte(`[1,2]`)}, now)
	if err != nil || run.Total != 2 || run.Done != 0 || run.Dispatched || string(run.Trigger) != `{"eventId":"evt-1"}` {
		t.Fatalf("start: %+v, %v", run, err)
	}
	if err := tbl.MarkDispatched(ctx, "evt-1"); err != nil {
		t.Fatal(err)
	}
	// A retry of the scheduled event keeps the first record.
	again, err := tbl.StartSweep(ctx, SweepRun{ID: "evt-1", Total: 5}, now)
	if err != nil || again.Total != 2 || !again.Dispatched || string(again.Targets) != `[1,2]` {
		t.Fatalf("restart: %+v, %v", again, err)
	}

	if stored, err := tbl.PutShard(ctx, "evt-1", 1, []byte(`first`), now); err != nil || !stored {
		t.Fatalf("put shard 1: stored %v, %v", stored, err)
	}
	if stored, err := tbl.PutShard(ctx, "evt-1", 1, []byte(`second`), now); err != nil || stored {
		t.Fatalf("put shard 1 again: stored %v, %v; want the first result to stand", stored, err)
	}
	if got, err := tbl.Shard(ctx, "evt-1", 1); err != nil || string(got) != "first" {
		t.Fatalf("shard 1 = %q, %v; want the first result", got, err)
	}
	if got, err := tbl.Shard(ctx, "evt-1", 0); err != nil || got != nil {
		t.Fatalf("shard 0 = %q, %v; want none yet", got, err)
	}

	run, counted, err := tbl.CountShard(ctx, "evt-1", 1)
	if err != nil || !counted || run.Done != 1 || run.Complete() {
		t.Fatalf("count shard 1: %+v, counted %v, %v", run, counted, err)
	}
	run, counted, err = tbl.CountShard(ctx, "evt-1", 1)
	if err != nil || counted || run.Done != 1 {
		t.Fatalf("count shard 1 again: %+v, counted %v, %v; want it counted once", run, counted, err)
	}
	run, counted, err = tbl.CountShard(ctx, "evt-1", 0)
	if err != nil || !counted || run.Done != 2 || !run.Complete() {
		t.Fatalf("count shard 0: %+v, counted %v, %v; want the sweep complete", run, counted, err)
	}
	if _, _, err := tbl.CountShard(ctx, "evt-unknown", 0); err == nil {
		t.Error("counted a shard of a sweep never recorded")
	}
}

// A result that does not fit in an item even compressed is refused
// before DynamoDB refuses it; a large but compressible one is stored.
func TestTableRefusesAShardTooLargeForAnItem(t *testing.T) {
	tbl := newTable(t)
	now := time.Now()
	if _, err := tbl.StartSweep(t.Context(), SweepRun{ID: "evt-big", Total: 2}, now); err != nil {
		t.Fatal(err)
	}
	repetitive := bytes.Repeat([]byte(`{"status":"ok","findings":[]},`), 40000) // 1.2 MB
	if stored, err := tbl.PutShard(t.Context(), "evt-big", 0, repetitive, now); err != nil || !stored {
		t.Fatalf("compressible 1.2 MB result: stored %v, %v", stored, err)
	}
	if got, err := tbl.Shard(t.Context(), "evt-big", 0); err != nil || !bytes.Equal(got, repetitive) {
		t.Fatalf("read back %d bytes, %v; want the %d stored", len(got), err, len(repetitive))
	}
	random := make([]byte, MaxShardBytes+1024)
	_, _ = rand.Read(random)
	if _, err := tbl.PutShard(t.Context(), "evt-big", 1, random, now); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("incompressible result over the limit: %v, want ErrTooLarge", err)
	}
}

// The targets of an organisation-wide sweep, 12,000 account and Region
// pairs (about 840 KB of JSON, twice what an item holds), are recorded
// and read back whole.
func TestTableRecordsTheTargetsOfALargeOrganisation(t *testing.T) {
	tbl := newTable(t)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	regions := []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}
	var targets []map[string]string
	for i := range 2000 {
		for _, r := range regions {
			targets = append(targets, map[string]string{"Account": fmt.Sprintf("%012d", 100000000000+i*7919), "Region": r, "Partition": "aws"})
		}
	}
	listed, err := json.Marshal(targets)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) < 400<<10 {
		t.Fatalf("%d bytes of targets: the test needs more than an item holds", len(listed))
	}
	if _, err := tbl.StartSweep(t.Context(), SweepRun{ID: "evt-org", Total: len(targets), Targets: listed}, now); err != nil {
		t.Fatalf("record %d targets: %v", len(targets), err)
	}
	run, err := tbl.Sweep(t.Context(), "evt-org")
	if err != nil || run == nil || !bytes.Equal(run.Targets, listed) || run.Total != len(targets) {
		t.Fatalf("read back: %v; targets equal %v", err, run != nil && bytes.Equal(run.Targets, listed))
	}
	run, counted, err := tbl.CountShard(t.Context(), "evt-org", 11999)
	if err != nil || !counted || run.Done != 1 || !bytes.Equal(run.Targets, listed) {
		t.Errorf("count a shard: %v, counted %v", err, counted)
	}
}

// A sweep recorded by an earlier version, its targets in plain JSON, is
// still read.
func TestTableReadsASweepRecordedWithPlainTargets(t *testing.T) {
	tbl := newTable(t)
	item := sweepKey("evt-old")
	item["total"] = &types.AttributeValueMemberN{Value: "2"}
	item["done"] = &types.AttributeValueMemberN{Value: "0"}
	item["targets"] = &types.AttributeValueMemberS{Value: `[{"Account":"111111111111"},{"Account":"222222222222"}]`}
	if _, err := tbl.DynamoDB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(tbl.Name), Item: item}); err != nil {
		t.Fatal(err)
	}
	run, err := tbl.Sweep(t.Context(), "evt-old")
	if err != nil || run == nil || !strings.Contains(string(run.Targets), "222222222222") {
		t.Errorf("sweep %+v, %v; want its plain targets", run, err)
	}
}
