package samtemplate_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/samtemplate"
)

// The sweep's fan-out is opt-in: with SweepFanOut a shard queue (encrypted, its failures to the
// dead-letter queue, its visibility timeout six times the sweep's timeout) feeds the sweep
// function one message at a time with bounded concurrency and partial batch failures, and the
// function learns the queue's URL; without it nothing of the fan-out exists.
func TestSweepFanOutIsAQueueFeedingTheSweepWithBoundedConcurrency(t *testing.T) {
	tmpl := projectTemplate(t)
	if p := tmpl.Parameters["SweepFanOut"]; p.Default != "false" || !slices.Equal(p.AllowedValues, []string{"true", "false"}) {
		t.Errorf("SweepFanOut: default %q, allowed %v; want false of true/false", p.Default, p.AllowedValues)
	}
	// ScalingConfig MaximumConcurrency is 2 to 1000 (Lambda API reference).
	if p := tmpl.Parameters["SweepShardConcurrency"]; p.Type != "Number" || p.Default != "5" || p.MinValue != "2" || p.MaxValue != "1000" {
		t.Errorf("SweepShardConcurrency: %s, default %q, min %q, max %q; want a Number, 5, 2 to 1000", p.Type, p.Default, p.MinValue, p.MaxValue)
	}
	if got := compactJSON(t, tmpl.Conditions["SweepFanOut"].JSON()); got != `{"Fn::Equals":[{"Ref":"SweepFanOut"},"true"]}` {
		t.Errorf("condition SweepFanOut = %s", got)
	}
	for _, id := range []string{"SweepShardQueue", "SweepShardEventSource", "SweepFanOutPolicy"} {
		if got := tmpl.Resources[id].Condition; got != "SweepFanOut" {
			t.Errorf("%s exists under %q, want SweepFanOut", id, got)
		}
	}

	var queue struct {
		VisibilityTimeout    samtemplate.Value
		SqsManagedSseEnabled bool
		RedrivePolicy        struct {
			DeadLetterTargetArn samtemplate.Value `json:"deadLetterTargetArn"`
			MaxReceiveCount     int               `json:"maxReceiveCount"`
		}
	}
	decode(t, tmpl.Resources["SweepShardQueue"].Properties, &queue)
	// Lambda advises at least six times the function's timeout (Globals: 300 s in remediate
	// mode, 120 s otherwise).
	if got := compactJSON(t, queue.VisibilityTimeout.JSON()); got != `{"Fn::If":["Remediate",1800,720]}` {
		t.Errorf("visibility timeout %s, want six times the sweep's timeout in each mode", got)
	}
	if got := compactJSON(t, globalTimeout(t, tmpl)); got != `{"Fn::If":["Remediate",300,120]}` {
		t.Errorf("the functions' timeout changed to %s: the shard queue's visibility timeout must follow", got)
	}
	if id, att := queue.RedrivePolicy.DeadLetterTargetArn.GetAtt(); !queue.SqsManagedSseEnabled || id != "DeadLetterQueue" || att != "Arn" || queue.RedrivePolicy.MaxReceiveCount < 1 {
		t.Errorf("shard queue: SSE %v, redrive %+v; want encrypted, its failures to the DeadLetterQueue", queue.SqsManagedSseEnabled, queue.RedrivePolicy)
	}

	var source struct {
		FunctionName          samtemplate.Value
		EventSourceArn        samtemplate.Value
		BatchSize             int
		FunctionResponseTypes []string
		ScalingConfig         struct{ MaximumConcurrency samtemplate.Value }
	}
	res := tmpl.Resources["SweepShardEventSource"]
	if res.Type != "AWS::Lambda::EventSourceMapping" {
		t.Fatalf("SweepShardEventSource is %q", res.Type)
	}
	decode(t, res.Properties, &source)
	if id, att := source.EventSourceArn.GetAtt(); source.FunctionName.Ref() != "SweepFunction" || id != "SweepShardQueue" || att != "Arn" {
		t.Errorf("event source maps %s to %s, want the SweepShardQueue to the SweepFunction", source.EventSourceArn, source.FunctionName)
	}
	if source.BatchSize != 1 || !slices.Equal(source.FunctionResponseTypes, []string{"ReportBatchItemFailures"}) || source.ScalingConfig.MaximumConcurrency.Ref() != "SweepShardConcurrency" {
		t.Errorf("event source: batch %d, responses %v, concurrency %s; want 1 shard per invocation, partial failures, SweepShardConcurrency",
			source.BatchSize, source.FunctionResponseTypes, source.ScalingConfig.MaximumConcurrency)
	}

	for _, fn := range tmpl.Functions {
		v, ok := fn.Environment["SWEEP_SHARD_QUEUE_URL"]
		switch {
		case fn.LogicalID == "SweepFunction":
			if got := compactJSON(t, v.JSON()); got != `{"Fn::If":["SweepFanOut",{"Ref":"SweepShardQueue"},""]}` {
				t.Errorf("SweepFunction: SWEEP_SHARD_QUEUE_URL = %s, want the shard queue with SweepFanOut", got)
			}
			// The SAM-generated variables of Globals stay beside it.
			if fn.Environment["ALERT_STATE_TABLE"].Ref() != "AlertStateTable" {
				t.Error("SweepFunction lost the alert memory's variable: the shards are counted there")
			}
		case ok:
			t.Errorf("%s has SWEEP_SHARD_QUEUE_URL, which only the sweep reads", fn.LogicalID)
		}
		// Counting shards updates the sweep records in place, and nothing else.
		for _, st := range fn.Statements {
			if !slices.Contains(st.Actions, "dynamodb:UpdateItem") {
				continue
			}
			if got := compactJSON(t, st.Condition); got != `{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["sweep#*"]}}` {
				t.Errorf("%s: %s allows dynamodb:UpdateItem under %s, want only on the sweep records' keys", fn.LogicalID, st.Sid, got)
			}
		}
	}
}

func globalTimeout(t *testing.T, tmpl *samtemplate.Template) json.RawMessage {
	t.Helper()
	for _, fn := range tmpl.Functions {
		if fn.LogicalID == "SweepFunction" {
			return fn.Timeout.JSON()
		}
	}
	t.Fatal("no SweepFunction")
	return nil
}
