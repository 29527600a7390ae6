package runner

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/metrics"
)

// Entry is the Lambda handler of function. The sweep function also
// receives the shards of a fanned-out sweep, as events of its SQS event
// source; everything else goes to Handler.
func Entry(function string, deps *Deps, log *slog.Logger, out io.Writer) func(context.Context, json.RawMessage) (any, error) {
	handle := Handler(function, deps, log, out)
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		if batch, ok := shardBatch(function, raw); ok {
			return handleShards(ctx, function, deps, log, out, batch), nil
		}
		return handle(ctx, raw)
	}
}

// shardBatch returns the event as a batch of SQS messages, when it is one
// and function is the sweep.
func shardBatch(function string, raw json.RawMessage) (events.SQSEvent, bool) {
	var batch events.SQSEvent
	if function != app.Sweep || json.Unmarshal(raw, &batch) != nil || len(batch.Records) == 0 {
		return batch, false
	}
	for _, m := range batch.Records {
		if m.EventSource != "aws:sqs" {
			return batch, false
		}
	}
	return batch, true
}

// handleShards runs each shard of the batch and returns the messages to
// deliver again: those whose run failed for a transient reason. The event
// source reports them as batch item failures (ReportBatchItemFailures), so
// that SQS retries them alone; a message that can never succeed is parked
// in the dead-letter queue and not retried.
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
func handleShards(ctx context.Context, function string, deps *Deps, log *slog.Logger, out io.Writer, batch events.SQSEvent) events.SQSEventResponse {
	name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	if name == "" {
		name = function
	}
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	log = invocationLogger(ctx, log)
	for _, m := range batch.Records {
		start := time.Now()
		mlog := log.With("messageId", m.MessageId)
		// SQS counts the receives of a message; a missing count is a first.
		deliveries, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		rep, err := deps.App.HandleShard(app.WithLog(ctx, mlog), []byte(m.Body), max(deliveries, 1))
		runErr := err
		switch {
		case err != nil && !app.IsTerminal(err):
			mlog.Error("shard failed, SQS will deliver it again", "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		case err != nil:
			mlog.Error("rejected shard", "error", err.Error(), "body", truncate([]byte(m.Body), maxLoggedEvent))
			if perr := park(ctx, deps, []byte(m.Body), err); perr != nil {
				mlog.Error("could not park the rejected shard; SQS will deliver it again", "error", perr.Error())
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			} else {
				err = nil
			}
		}
		end := time.Now()
		// The sweep is complete when its summary went out: in the shard
		// that assembled it.
		summarised := runErr == nil && rep.Trigger.Skip == ""
		if werr := metrics.Write(out, metrics.Run{
			Function: name, Mode: deps.App.Config.Mode, Report: rep, Err: err,
			Duration: end.Sub(start), At: end, SweepCompleted: summarised,
		}); werr != nil {
			mlog.Error("could not write the run's metrics", "error", werr.Error())
		}
	}
	return resp
}
