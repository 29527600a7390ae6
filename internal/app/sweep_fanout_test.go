package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// fanOutHub is a hub sweeping itself and two member accounts over a shard
// queue, its Lambda entry point and what it pages.
type fanOutHub struct {
	d        *runner.Deps
	entry    func(context.Context, json.RawMessage) (any, error)
	oncall   *oncall
	memory   *flakyMemory
	queueURL string
	sqs      *sqs.Client
	members  []memberWorkload
}

func newFanOutHub(t *testing.T) *fanOutHub {
	t.Helper()
	srv := emulator.Shared(t)
	h := &fanOutHub{members: []memberWorkload{seedMember(t, srv, memberA, "sweep-a"), seedMember(t, srv, memberB, "sweep-b")}}
	createTable(t, srv, "vpcmedic-state")
	h.oncall = newOncall(t, srv)
	h.sqs = sqs.NewFromConfig(srv.MustConfig(t))
	q, err := h.sqs.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("sweep-shards")})
	if err != nil {
		t.Fatal(err)
	}
	h.queueURL = aws.ToString(q.QueueUrl)
	h.d, _ = buildHub(t, srv, app.Sweep, map[string]string{
		"MEMBER_ACCOUNTS": memberA + "," + memberB, "ALERT_TOPIC_ARN": h.oncall.TopicARN,
		"ALERT_STATE_TABLE": "vpcmedic-state", "SWEEP_SHARD_QUEUE_URL": h.queueURL,
	})
	// Set before any member App copies the table.
	h.memory = &flakyMemory{DynamoDB: h.d.App.State.DynamoDB}
	h.d.App.State.DynamoDB = h.memory
	h.entry = runner.Entry(app.Sweep, h.d, slog.New(slog.NewTextHandler(t.Output(), nil)), io.Discard)
	return h
}

// shards takes every message off the shard queue, by index.
func (h *fanOutHub) shards(t *testing.T) map[int]events.SQSMessage {
	t.Helper()
	got := map[int]events.SQSMessage{}
	for range 5 {
		out, err := h.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.queueURL), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			var shard app.ShardMessage
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &shard); err != nil {
				t.Fatalf("shard message %s: %v", aws.ToString(m.Body), err)
			}
			if _, dup := got[shard.Index]; dup {
				t.Errorf("shard %d sent twice", shard.Index)
			}
			got[shard.Index] = events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), EventSource: "aws:sqs", AWSRegion: emulator.Region}
			if _, err := h.sqs.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(h.queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return got
}

// deliver hands one message to the function as the SQS event source does
// (BatchSize 1) and returns the messages it asks to be delivered again.
func (h *fanOutHub) deliver(t *testing.T, m events.SQSMessage) []string {
	t.Helper()
	raw, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{m}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.entry(t.Context(), raw)
	if err != nil {
		t.Fatalf("shard invocation failed as a whole: %v", err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("shard invocation returned %T, want the SQS batch response", out)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

func (h *fanOutHub) done(t *testing.T, sweep string) int {
	t.Helper()
	run, err := h.d.App.State.Sweep(t.Context(), sweep)
	if err != nil || run == nil {
		t.Fatalf("sweep %s: %+v, %v", sweep, run, err)
	}
	return run.Done
}

// A sweep of three accounts fans out into three shards delivered in any
// order and more than once: on-call hears nothing until the last shard,
// then one summary naming every account; a duplicate changes nothing, and a
// final step that fails after paging is retried without paging again.
func TestFannedOutSweepSendsOneSummaryOnceAllShardsAreDone(t *testing.T) {
	h := newFanOutHub(t)
	scheduled := sample(t, "sweep/scheduled.json")
	const sweepID = "f6e5a472-0d54-59ec-b465-37ad1addd665"

	out, err := h.entry(t.Context(), scheduled)
	if err != nil {
		t.Fatal(err)
	}
	if rep := out.(report.Report); !app.FannedOut(rep) || len(rep.Workloads) != 0 || rep.Alert != nil {
		t.Fatalf("scheduled run: skip %q, %d workloads, alert %v; want it fanned out and nothing checked", rep.Trigger.Skip, len(rep.Workloads), rep.Alert)
	}
	// The scheduled event delivered again sends no shard twice.
	if out, err := h.entry(t.Context(), scheduled); err != nil || !app.FannedOut(out.(report.Report)) {
		t.Fatalf("scheduled event again: %v, %v", out, err)
	}
	shards := h.shards(t)
	if len(shards) != 3 {
		t.Fatalf("%d shard messages, want 3 (the hub and two members)", len(shards))
	}
	var accounts []string
	for i := range 3 {
		var m app.ShardMessage
		_ = json.Unmarshal([]byte(shards[i].Body), &m)
		accounts = append(accounts, m.Account)
	}
	if want := []string{emulator.Account, memberA, memberB}; !slices.Equal(accounts, want) {
		t.Errorf("shards sweep %v, want %v", accounts, want)
	}
	if got := h.oncall.received(t); len(got) != 0 {
		t.Fatalf("paged before any shard ran: %v", got)
	}

	// Shuffled, the first one delivered twice.
	for _, i := range []int{2, 0} {
		if failed := h.deliver(t, shards[i]); len(failed) != 0 {
			t.Fatalf("shard %d failed: %v", i, failed)
		}
	}
	if failed := h.deliver(t, shards[0]); len(failed) != 0 || h.done(t, sweepID) != 2 {
		t.Fatalf("duplicate of shard 0: failed %v, %d shards done; want nothing to change (2 done)", failed, h.done(t, sweepID))
	}
	if got := h.oncall.received(t); len(got) != 0 {
		t.Fatalf("paged before the last shard: %v", got)
	}

	// The last shard pages, then fails to remember: SQS delivers it again.
	h.memory.failProblemWrites.Store(1)
	if failed := h.deliver(t, shards[1]); !slices.Equal(failed, []string{shards[1].MessageId}) {
		t.Fatalf("last shard with the memory failing: failed %v, want its message retried", failed)
	}
	alerts := h.oncall.received(t)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts after the last shard, want the one summary", len(alerts))
	}
	if !strings.HasPrefix(alerts[0].Subject, "vpcmedic sweep:") {
		t.Errorf("subject %q, want one sweep summary", alerts[0].Subject)
	}
	for _, acct := range []string{memberA, memberB} {
		if !strings.Contains(alerts[0].Message, "- "+acct+" "+emulator.Region+": ") {
			t.Errorf("the summary has no line for account %s:\n%.1500s", acct, alerts[0].Message)
		}
	}
	for _, w := range h.members {
		if !strings.Contains(alerts[0].Message, w.ARN) {
			t.Errorf("the summary does not name the broken %s", w.ARN)
		}
	}

	if failed := h.deliver(t, shards[1]); len(failed) != 0 {
		t.Fatalf("retried last shard failed again: %v", failed)
	}
	for _, i := range []int{1, 2} {
		if failed := h.deliver(t, shards[i]); len(failed) != 0 {
			t.Fatalf("late duplicate of shard %d: %v", i, failed)
		}
	}
	if got := h.oncall.received(t); len(got) != 0 {
		t.Fatalf("the retry and late duplicates paged %d more times, want none", len(got))
	}
	for _, w := range h.members {
		if problemOf(t, h.d, w.ARN) == nil {
			t.Errorf("%s: the retry did not remember the problem it paged", w.ARN)
		}
	}
	if got := h.done(t, sweepID); got != 3 {
		t.Errorf("%d shards done, want 3", got)
	}
}

// A shard that is not one is parked, not retried.
func TestShardThatIsNoShardIsNotRetried(t *testing.T) {
	h := newFanOutHub(t)
	for _, body := range []string{`{"sweep":"never-recorded","index":0,"account":"` + memberA + `","region":"us-east-1"}`, `not json`} {
		if failed := h.deliver(t, events.SQSMessage{MessageId: "m-1", Body: body, EventSource: "aws:sqs"}); len(failed) != 0 {
			t.Errorf("%s: asked for a retry (%v) of a message that can never succeed", body, failed)
		}
	}
}

// With the queue configured, a sweep of one account and Region still runs
// in its one invocation: nothing is sent.
func TestSweepOfOneTargetIsNotFannedOut(t *testing.T) {
	srv := emulator.Shared(t)
	createTable(t, srv, "vpcmedic-state")
	client := sqs.NewFromConfig(srv.MustConfig(t))
	q, err := client.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("sweep-shards")})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := buildHub(t, srv, app.Sweep, map[string]string{
		"MEMBER_ACCOUNTS": emulator.Account, "ALERT_STATE_TABLE": "vpcmedic-state", "SWEEP_SHARD_QUEUE_URL": aws.ToString(q.QueueUrl),
	})
	sweep := trail.Sweep(emulator.Account, emulator.Region, time.Now().UTC())
	sweep.EventID = "one-target"
	rep, err := d.App.Run(t.Context(), sweep)
	if err != nil {
		t.Fatal(err)
	}
	if app.FannedOut(rep) || rep.Trigger.Skip != "" || len(rep.Accounts) != 1 || rep.Accounts[0].Account != emulator.Account {
		t.Errorf("skip %q, accounts %+v; want the one account swept here", rep.Trigger.Skip, rep.Accounts)
	}
	out, err := client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 0 {
		t.Errorf("%d shard messages sent (%v), want none", len(out.Messages), err)
	}
}

// A shard whose account cannot be reached reports it as the account's
// result, like a sweep in one invocation, and the sweep still completes.
func TestFannedOutSweepNamesTheAccountItCouldNotReach(t *testing.T) {
	h := newFanOutHub(t)
	connect := h.d.App.Connect
	h.d.App.Connect = func(ctx context.Context, target app.Target) (*app.Clients, error) {
		if target.Account == memberB {
			return nil, errors.New("AccessDenied: not authorized to perform sts:AssumeRole")
		}
		return connect(ctx, target)
	}
	if _, err := h.entry(t.Context(), sample(t, "sweep/scheduled.json")); err != nil {
		t.Fatal(err)
	}
	shards := h.shards(t)
	for i := range len(shards) {
		if failed := h.deliver(t, shards[i]); len(failed) != 0 {
			t.Fatalf("shard %d asked for a retry (%v): an unreachable account is its result", i, failed)
		}
	}
	alerts := h.oncall.received(t)
	if len(shards) != 3 || len(alerts) != 1 {
		t.Fatalf("%d shards, %d alerts; want 3 and the one summary", len(shards), len(alerts))
	}
	if !strings.Contains(alerts[0].Message, "- "+memberB+" "+emulator.Region+": not swept: ") || !strings.Contains(alerts[0].Message, "AccessDenied") {
		t.Errorf("the summary does not say why %s was not swept:\n%.1500s", memberB, alerts[0].Message)
	}
	if !strings.Contains(alerts[0].Message, h.members[0].ARN) {
		t.Errorf("the summary lost the reachable account's broken %s", h.members[0].ARN)
	}
}

// refusingQueue has SQS refuse some entries of a batch call, as
// SendMessageBatch does with HTTP 200, and records what each call sent.
type refusingQueue struct {
	app.ShardQueue
	refuse []sqstypes.BatchResultErrorEntry // entries the next call refuses, by Id
	sent   [][]string                       // Ids of each call
}

func (q *refusingQueue) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	var ids []string
	for _, e := range in.Entries {
		ids = append(ids, aws.ToString(e.Id))
	}
	q.sent = append(q.sent, ids)
	refuse := q.refuse
	q.refuse = nil
	taken := *in
	taken.Entries = slices.DeleteFunc(slices.Clone(in.Entries), func(e sqstypes.SendMessageBatchRequestEntry) bool {
		return slices.ContainsFunc(refuse, func(f sqstypes.BatchResultErrorEntry) bool { return aws.ToString(f.Id) == aws.ToString(e.Id) })
	})
	out, err := q.ShardQueue.SendMessageBatch(ctx, &taken, opts...)
	if err != nil {
		return nil, err
	}
	out.Failed = append(out.Failed, refuse...)
	return out, nil
}

// A batch in which SQS refused one message for its own reasons sends that
// message again and only it: every shard arrives once.
func TestShardRefusedInABatchIsSentAgainAlone(t *testing.T) {
	h := newFanOutHub(t)
	q := &refusingQueue{ShardQueue: h.d.App.Shards, refuse: []sqstypes.BatchResultErrorEntry{{Id: aws.String("1"), Code: aws.String("InternalError"), SenderFault: false}}}
	h.d.App.Shards = q
	h.d.App.Sleep = func(context.Context, time.Duration) error { return nil }
	out, err := h.entry(t.Context(), sample(t, "sweep/scheduled.json"))
	if err != nil || !app.FannedOut(out.(report.Report)) {
		t.Fatalf("scheduled run: %v, %v; want it fanned out", out, err)
	}
	if want := [][]string{{"0", "1", "2"}, {"1"}}; !slices.EqualFunc(q.sent, want, slices.Equal) {
		t.Errorf("batches sent %v, want %v", q.sent, want)
	}
	if shards := h.shards(t); len(shards) != 3 {
		t.Errorf("%d shard messages, want 3", len(shards))
	}
}

// A message SQS refuses through the sender's fault is not sent again: the
// scheduled run fails, naming the shard, and Lambda retries it.
func TestShardRefusedThroughTheSendersFaultFailsTheSweep(t *testing.T) {
	h := newFanOutHub(t)
	q := &refusingQueue{ShardQueue: h.d.App.Shards, refuse: []sqstypes.BatchResultErrorEntry{{Id: aws.String("2"), Code: aws.String("InvalidMessageContents"), SenderFault: true}}}
	h.d.App.Shards = q
	_, err := h.entry(t.Context(), sample(t, "sweep/scheduled.json"))
	if err == nil || !strings.Contains(err.Error(), "shard 2: InvalidMessageContents") {
		t.Fatalf("err %v, want the refused shard named", err)
	}
	if len(q.sent) != 1 {
		t.Errorf("%d batch calls, want 1: a sender's fault is not retried", len(q.sent))
	}
}

// The shard completing a sweep compares every account's workloads with the
// memory a few at a time, not one after the other: an organisation's
// summary has thousands of them within one invocation.
func TestFannedOutSummaryReadsTheMemoryAFewAtATime(t *testing.T) {
	h := newFanOutHub(t)
	h.memory.slowProblemReads = 50 * time.Millisecond
	if _, err := h.entry(t.Context(), sample(t, "sweep/scheduled.json")); err != nil {
		t.Fatal(err)
	}
	shards := h.shards(t)
	for i := range len(shards) {
		if i == len(shards)-1 {
			// The last shard sweeps one member's one workload, then
			// the summary compares all of them.
			h.memory.mostAtOnce.Store(0)
		}
		if failed := h.deliver(t, shards[i]); len(failed) != 0 {
			t.Fatalf("shard %d: %v", i, failed)
		}
	}
	if alerts := h.oncall.received(t); len(alerts) != 1 {
		t.Fatalf("%d alerts, want the summary", len(alerts))
	}
	if most := h.memory.mostAtOnce.Load(); most < 2 {
		t.Errorf("at most %d problem read at once while the summary classified %d broken workloads, want them read together", most, len(h.members))
	}
}
