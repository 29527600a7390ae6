package app_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// withEventID gives the mapping event of mappingCreated another event ID.
func withEventID(t *testing.T, raw []byte, id string) []byte {
	t.Helper()
	const fixed = "2b7c9e4d-1a3f-4e5b-9c8d-7f6a5b4c3d2e"
	if !bytes.Contains(raw, []byte(fixed)) {
		t.Fatal("the mapping event's ID changed")
	}
	return bytes.ReplaceAll(raw, []byte(fixed), []byte(id))
}

// The alert memory across runs: a new problem pages, the same event
// delivered again is skipped, the same problem an hour later stays quiet,
// a day later pages as a reminder, and the recovery pages once.
func TestAlertMemoryCycle(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg)
	w := scenario.BrokenOnDemandMSK(s)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName: aws.String("vpcmedic-state"), BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	oc := newOncall(t, srv)
	useEmulatorEnv(t, srv)
	t.Setenv("ALERT_TOPIC_ARN", oc.TopicARN)
	t.Setenv("ALERT_STATE_TABLE", "vpcmedic-state")
	d := buildFromEnv(t, app.OnLambdaChange)
	clock := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	d.App.Now = func() time.Time { return clock }

	run := func(eventID string) report.Report {
		t.Helper()
		return handle(t, d, withEventID(t, mappingCreated(t, w.ESM), eventID))
	}
	step := func(name string, rep report.Report, problem string, pages int) {
		t.Helper()
		got := ""
		if len(rep.Workloads) == 1 {
			got = rep.Workloads[0].Problem
		}
		if alerts := oc.received(t); got != problem || len(alerts) != pages {
			t.Errorf("%s: problem %q, %d alerts; want %q, %d (skip %q)", name, got, len(alerts), problem, pages, rep.Trigger.Skip)
		}
	}

	step("first delivery", run("e-1"), "new", 1)
	if dup := run("e-1"); dup.Trigger.Skip == "" || len(dup.Workloads) != 0 {
		t.Errorf("duplicate delivery: %+v", dup.Trigger)
	}
	step("duplicate delivery", report.Report{}, "", 0)
	clock = clock.Add(time.Hour)
	step("an hour later", run("e-2"), "ongoing", 0)
	clock = clock.Add(24 * time.Hour)
	step("a day later", run("e-3"), "renotify", 1)

	w.ClusterSG.IngressSelf(443)
	w.VPC.InterfaceEndpoint("lambda", w.Private, w.ClusterSG)
	w.VPC.InterfaceEndpoint("sts", w.Private, w.ClusterSG)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	step("fixed", run("e-4"), "recovered", 1)
	step("still fine", run("e-5"), "", 0)
}
