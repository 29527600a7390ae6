package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/fakeruntime"
)

// alertTable creates the alert memory as template.yaml defines it.
func alertTable(t *testing.T, srv *emulator.Server, name string) string {
	t.Helper()
	_, err := dynamodb.NewFromConfig(srv.MustConfig(t)).CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName: aws.String(name), BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// invokeAll sends events[i] to fns[i], all at once, and waits for every
// answer.
func invokeAll(t *testing.T, fns []*function, events [][]byte) []fakeruntime.Result {
	t.Helper()
	results := make([]fakeruntime.Result, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { results[i] = fn.invoke(t, events[i]) })
	}
	wg.Wait()
	return results
}

// Lambda runs concurrent invocations in separate execution environments:
// separate processes of the real binary, each with its own runtime API,
// sharing only AWS. Whatever reaches them at once, on-call is paged once.
func TestConcurrentInvocationsOfTheBinaryPageOnce(t *testing.T) {
	srv, a := seededAccount(t)
	event := func(id string) []byte {
		return sample(t, "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json",
			sampleOrdersUUID, a.Orders.ESM.UUID, sampleOrdersCluster, a.Orders.Cluster.ARN, ordersEventID, id)
	}
	tests := []struct {
		name   string
		events func() [][]byte
	}{
		{"one event delivered to three environments", func() [][]byte {
			e := event("0b5e7a1c-0000-4000-8000-000000000001")
			return [][]byte{e, e, e}
		}},
		{"three events finding one problem", func() [][]byte {
			return [][]byte{event("0b5e7a1c-0000-4000-8000-000000000011"), event("0b5e7a1c-0000-4000-8000-000000000012"), event("0b5e7a1c-0000-4000-8000-000000000013")}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := alertTable(t, srv, fmt.Sprintf("vpcmedic-state-e2e-%d", i))
			events := tt.events()
			fns := make([]*function, len(events))
			for j := range fns {
				fns[j] = start(t, srv, a, app.OnLambdaChange, "ALERT_STATE_TABLE="+table)
			}
			paged := 0
			for j, res := range invokeAll(t, fns, events) {
				rep := decodeReport(t, res)
				if rep.Alert != nil {
					paged++
				}
				if rep.Trigger.Skipped == "" && (len(rep.Workloads) != 1 || rep.Workloads[0].Status != "broken") {
					t.Errorf("invocation %d: workloads %+v, want the mapping broken", j, rep.Workloads)
				}
			}
			got := messages(t, srv, a.Oncall)
			if len(got) != 1 || paged != 1 || !strings.Contains(got[0], a.Orders.ESM.UUID) {
				t.Errorf("%d reports with an alert, on-call received %d messages; want one page about %s", paged, len(got), a.Orders.ESM.UUID)
			}
		})
	}
}
