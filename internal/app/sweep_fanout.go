package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// A sweep of more accounts and Regions than one invocation can read fans
// out over an SQS queue (SWEEP_SHARD_QUEUE_URL) that feeds the sweep
// function, a few shards at a time (the event source's maximum
// concurrency): the scheduled run records the sweep in the alert memory and
// sends one message per account and Region; each shard sweeps its one
// target and stores the result; the shard that completes the count
// assembles every result into the sweep's one summary and alerts under the
// scheduled event's claim, so that on-call is paged once however often SQS
// delivers.

// ShardQueue is the part of the SQS API a fanned-out sweep sends its shards
// with.
type ShardQueue interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// ShardMessage is one shard of a fanned-out sweep: the account and Region
// to sweep, and where its result goes.
type ShardMessage struct {
	Sweep   string `json:"sweep"`
	Index   int    `json:"index"`
	Account string `json:"account"`
	Region  string `json:"region"`
}

// fannedOut begins the skip reason of a sweep whose shards do its work.
const fannedOut = "fanned out to"

// FannedOut reports whether the report is of a scheduled sweep that handed
// its work to shards: the shard completing it sends the summary.
func FannedOut(rep report.Report) bool {
	return rep.Trigger.Action == trail.ActionSweep && strings.HasPrefix(rep.Trigger.Skip, fannedOut)
}

// sendBatch is the most messages one SendMessageBatch call takes.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
const sendBatch = 10

// fansOut reports whether the trigger is a sweep this App fans out.
func (a *App) fansOut(t trail.Trigger) bool {
	return a.Config.SweepShardQueueURL != "" && a.Shards != nil && a.State != nil &&
		t.EventID != "" && a.sweepTargets(t) != nil
}

// fanOut sends the shards of a sweep of several targets and returns
// done=true; with one target it returns false and the sweep runs here.
// The sweep is recorded before any message is sent and its targets with
// it, so that a retry of the scheduled event sends the same shards (which
// their conditional writes deduplicate), and none once all were sent.
func (a *App) fanOut(ctx context.Context, log *slog.Logger, rep *report.Report) (done bool, err error) {
	t := rep.Trigger
	targets, err := a.sweepTargets(t)(ctx)
	if err != nil || len(targets) < 2 {
		return err != nil, err
	}
	trigger, err := json.Marshal(t)
	if err != nil {
		return true, err
	}
	listed, err := json.Marshal(targets)
	if err != nil {
		return true, err
	}
	run, err := a.State.StartSweep(ctx, alertstate.SweepRun{ID: t.EventID, Total: len(targets), Trigger: trigger, Targets: listed}, a.now())
	if err != nil {
		return true, err
	}
	if run.Dispatched {
		rep.Trigger.Skip = fmt.Sprintf(fannedOut+" %d shards before (a duplicate delivery of sweep %s)", run.Total, run.ID)
		log.Info("skipped", "reason", rep.Trigger.Skip)
		return true, nil
	}
	// The first try's targets stand: the shards count up to its total.
	if err := json.Unmarshal(run.Targets, &targets); err != nil || len(targets) != run.Total {
		return true, fmt.Errorf("sweep %s: the recorded targets do not match its %d shards: %v", run.ID, run.Total, err)
	}
	for start := 0; start < len(targets); start += sendBatch {
		if err := a.sendShards(ctx, run.ID, targets, start, min(start+sendBatch, len(targets))); err != nil {
			return true, err
		}
	}
	if err := a.State.MarkDispatched(ctx, run.ID); err != nil {
		return true, err
	}
	rep.Trigger.Skip = fmt.Sprintf(fannedOut+" %d shards, one per account and Region: the last to finish sends the summary", run.Total)
	log.Info("sweep fanned out", "sweep", run.ID, "shards", run.Total)
	return true, nil
}

// shardSendAttempts bounds how many times the entries SQS refused for its
// own reasons are sent again before the sweep gives up (and its scheduled
// event is retried, the shards sent before deduplicated by their writes).
const shardSendAttempts = 3

// sendShards sends the messages of targets[from:to] in one batch. A batch
// succeeds as a call even when some of its messages fail (the SQS API
// reference: check for batch errors even on HTTP 200): those SQS refused
// for its own reasons are sent again, without the ones it took; one refused
// through the sender's fault (SenderFault, a malformed message) ends it.
func (a *App) sendShards(ctx context.Context, sweep string, targets []Target, from, to int) error {
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := from; i < to; i++ {
		body, err := json.Marshal(ShardMessage{Sweep: sweep, Index: i, Account: targets[i].Account, Region: targets[i].Region})
		if err != nil {
			return err
		}
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(body))})
	}
	for attempt := 1; ; attempt++ {
		out, err := a.Shards.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(a.Config.SweepShardQueueURL), Entries: entries})
		if err != nil {
			return fmt.Errorf("send shards %d-%d of sweep %s: %w", from, to-1, sweep, err)
		}
		if len(out.Failed) == 0 {
			return nil
		}
		refused := map[string]bool{}
		for _, f := range out.Failed {
			if f.SenderFault || attempt == shardSendAttempts {
				return fmt.Errorf("send shards of sweep %s: %d of %d refused, shard %s: %s %s", sweep, len(out.Failed), len(entries), aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message))
			}
			refused[aws.ToString(f.Id)] = true
		}
		entries = slices.DeleteFunc(entries, func(e sqstypes.SendMessageBatchRequestEntry) bool { return !refused[aws.ToString(e.Id)] })
		if err := a.sleep(ctx, time.Duration(attempt)*100*time.Millisecond); err != nil {
			return err
		}
	}
}

// HandleShard runs one shard of a fanned-out sweep from its SQS message
// body: it sweeps the shard's account and Region unless a delivery before
// stored its result, counts it, and, when it completes the count, sends the
// sweep's summary. An account that cannot be read is the shard's result (as
// in a sweep in one invocation); what fails otherwise is returned for SQS
// to deliver the message again.
func (a *App) HandleShard(ctx context.Context, body []byte, deliveries int) (report.Report, error) {
	var m ShardMessage
	if err := json.Unmarshal(body, &m); err != nil || m.Sweep == "" {
		return a.emptyReport(trail.Trigger{}), &TerminalError{Err: fmt.Errorf("not a sweep shard: %q", truncated(body))}
	}
	if a.State == nil {
		return a.emptyReport(trail.Trigger{}), &TerminalError{Err: fmt.Errorf("shard %d of sweep %s: a fanned-out sweep needs the alert memory (ALERT_STATE_TABLE)", m.Index, m.Sweep)}
	}
	log := a.logger(ctx).With("sweep", m.Sweep, "shard", m.Index, "account", m.Account, "region", m.Region, "function", a.Function)
	run, err := a.State.Sweep(ctx, m.Sweep)
	if err != nil {
		return a.emptyReport(trail.Trigger{}), err
	}
	if run == nil {
		// Past the memory's two days, or never recorded.
		return a.emptyReport(trail.Trigger{}), &TerminalError{Err: fmt.Errorf("shard %d of sweep %s: the sweep is not recorded", m.Index, m.Sweep)}
	}
	var t trail.Trigger
	if err := json.Unmarshal(run.Trigger, &t); err != nil {
		return a.emptyReport(trail.Trigger{}), &TerminalError{Err: fmt.Errorf("sweep %s: its recorded trigger: %w", m.Sweep, err)}
	}
	rep := a.emptyReport(t)
	if m.Index < 0 || m.Index >= run.Total {
		return rep, &TerminalError{Err: fmt.Errorf("shard %d of sweep %s: the sweep has %d shards", m.Index, m.Sweep, run.Total)}
	}
	stored, err := a.State.Shard(ctx, m.Sweep, m.Index)
	if err != nil {
		return rep, err
	}
	if stored == nil {
		if err := a.sweepShard(ctx, log, m, rep, deliveries); err != nil {
			return rep, err
		}
	} else {
		log.Info("shard already swept: a duplicate delivery")
	}
	run, counted, err := a.State.CountShard(ctx, m.Sweep, m.Index)
	if err != nil {
		return rep, err
	}
	if !run.Complete() {
		rep.Trigger.Skip = fmt.Sprintf("shard %d of sweep %s swept: %d of %d done, the last sends the summary", m.Index, m.Sweep, run.Done, run.Total)
		log.Info("shard done", "done", run.Done, "total", run.Total, "counted", counted)
		return rep, nil
	}
	// The count is complete: this delivery, or a retry of the one that
	// completed it, sends the summary; the claim lets one run do so once.
	return a.summarise(ctx, log, t, run)
}

// sweepShard sweeps the shard's target and stores what it found.
func (a *App) sweepShard(ctx context.Context, log *slog.Logger, m ShardMessage, rep report.Report, deliveries int) error {
	t := Target{Account: m.Account, Region: m.Region}
	found := a.emptyReport(rep.Trigger)
	remediationErr, err := a.sweepOne(ctx, log, t, &found)
	if err != nil && (ctx.Err() != nil || transient(err) && deliveries < lastShardDelivery) {
		// Throttling, a 5xx or a timeout the SDK's own retries did not
		// outlast: SQS delivers the shard again rather than the summary
		// saying the account could not be read.
		return err
	}
	if remediationErr != nil {
		// The other shards cannot be redone with this one: the summary
		// names the failed change and the next sweep tries it again.
		log.Warn("a change failed; the summary reports it", "error", remediationErr.Error())
	}
	return a.storeShard(ctx, log, m, a.accountResult(ctx, log, t, found, remediationErr, err))
}

// lastShardDelivery is the delivery of a shard after which a transient
// error is kept as the account's result: the queue's redrive policy parks
// a message after five receives, and a parked shard would stall the sweep.
const lastShardDelivery = 4

// transient reports whether the SDK counts err as throttling or as worth
// retrying (5xx, timeouts, dropped connections).
func transient(err error) bool {
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary ||
		retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

// storeShard stores a shard's result, cut down if it does not fit in an
// item: first the healthy workloads to their verdict and the networks left
// out, then, beyond that, the account's counts alone with the reason.
func (a *App) storeShard(ctx context.Context, log *slog.Logger, m ShardMessage, s shardResult) error {
	for try := 0; ; try++ {
		body, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = a.State.PutShard(ctx, m.Sweep, m.Index, body, a.now())
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, alertstate.ErrTooLarge) || try == 2:
			return err
		case try == 0:
			log.Warn("the shard's result is too large to store: keeping the healthy workloads' verdicts only", "bytes", len(body))
			s = s.trimmed()
		default:
			log.Warn("the shard's result is too large to store even trimmed: keeping its counts", "bytes", len(body), "workloads", len(s.Workloads))
			run := s.Run
			run.Error = fmt.Sprintf("checked %d workloads, %d broken: too many to report in the summary; see the sweep function's log", run.Checked, run.Broken)
			s = shardResult{Run: run, Trimmed: true, RemediationError: s.RemediationError}
		}
	}
}

// trimmed keeps what the summary and the alert memory need: every broken
// or unverifiable workload in full, the healthy ones' verdicts (a known
// problem of one is announced as recovered), the changes; not the networks.
func (s shardResult) trimmed() shardResult {
	out := s
	out.Networks, out.Trimmed, out.Workloads = nil, true, make([]report.Workload, 0, len(s.Workloads))
	for _, w := range s.Workloads {
		if w.Status == report.StatusOK {
			w = report.Workload{Kind: w.Kind, ID: w.ID, Name: w.Name, Account: w.Account, Region: w.Region, Status: w.Status, Before: w.Before, VPCID: w.VPCID, Passed: w.Passed}
		}
		out.Workloads = append(out.Workloads, w)
	}
	return out
}

// summarise assembles the sweep's report from every shard's result and
// alerts on it under the scheduled event's claim: of the deliveries that
// find the count complete one sends the summary, and a retry after the
// alert went out finds it sent (see alert).
func (a *App) summarise(ctx context.Context, log *slog.Logger, t trail.Trigger, run *alertstate.SweepRun) (report.Report, error) {
	rep := a.emptyReport(t)
	claim, skip, err := a.claimEvent(ctx, t)
	if err != nil {
		return rep, err
	}
	if skip != "" {
		rep.Trigger.Skip = skip
		log.Info("skipped", "reason", skip)
		return rep, nil
	}
	err = a.assemble(ctx, log, run, &rep)
	if err == nil {
		// Every account's workloads are compared with the memory: read a
		// few at a time, not one after the other.
		ids := make([]string, len(rep.Workloads))
		for i, w := range rep.Workloads {
			ids[i] = w.ID
		}
		known := a.readProblems(ctx, ids)
		defer known.stop()
		// A failed change is in the summary; failing here would only
		// repeat the summary (see sweepShard).
		err = a.alertRun(ctx, log, claim, &rep, known, nil)
	}
	return rep, a.finishClaim(ctx, log, claim, rep, err)
}

// assemble reads every shard's result into the report, in the order of the
// sweep's targets, as a sweep in one invocation reports them.
func (a *App) assemble(ctx context.Context, log *slog.Logger, run *alertstate.SweepRun, rep *report.Report) error {
	results := make([]shardResult, run.Total)
	err := each(ctx, run.Total, a.width(), func(ctx context.Context, i int) error {
		body, err := a.State.Shard(ctx, run.ID, i)
		if err != nil {
			return err
		}
		if body == nil {
			return fmt.Errorf("sweep %s: shard %d is counted but has no result", run.ID, i)
		}
		if err := json.Unmarshal(body, &results[i]); err != nil {
			return fmt.Errorf("sweep %s: the result of shard %d: %w", run.ID, i, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, s := range results {
		s.addTo(rep)
		if s.RemediationError != "" {
			log.Warn("a change of the sweep failed", "account", s.Run.Account, "region", s.Run.Region, "error", s.RemediationError)
		}
	}
	log.Info("sweep assembled", "sweep", run.ID, "shards", run.Total, "workloads", len(rep.Workloads))
	return nil
}

func truncated(b []byte) string {
	const n = 200
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}
