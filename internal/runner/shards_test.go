package runner

import (
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
)

// Only the sweep takes SQS events, and only events all of whose records
// come from SQS: anything else is an EventBridge event for Handler.
func TestShardBatchIsTheSweepsSQSEventsOnly(t *testing.T) {
	const sqsEvent = `{"Records":[{"messageId":"m-1","body":"{}","eventSource":"aws:sqs"}]}`
	tests := []struct {
		name, function, event string
		want                  bool
	}{
		{"shard", app.Sweep, sqsEvent, true},
		{"SQS event to another function", app.OnLambdaChange, sqsEvent, false},
		{"scheduled event", app.Sweep, `{"id":"e-1","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`, false},
		{"records of another source", app.Sweep, `{"Records":[{"eventSource":"aws:sqs"},{"eventSource":"aws:s3"}]}`, false},
		{"no records", app.Sweep, `{"Records":[]}`, false},
		{"not JSON", app.Sweep, `Records`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batch, ok := shardBatch(tt.function, []byte(tt.event))
			if ok != tt.want {
				t.Fatalf("shardBatch = %v, want %v", ok, tt.want)
			}
			if ok && (len(batch.Records) != 1 || batch.Records[0].MessageId != "m-1") {
				t.Errorf("records %+v, want message m-1", batch.Records)
			}
		})
	}
}
