package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/notify"
	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/remediate"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// countingSNS counts the alerts SNS accepted, failing the first failFirst
// publishes as SNS does when it throttles.
type countingSNS struct {
	notify.SNS
	failFirst int32
	calls     atomic.Int32
	accepted  atomic.Int32
}

func (c *countingSNS) Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error) {
	if c.calls.Add(1) <= c.failFirst {
		return nil, &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	}
	out, err := c.SNS.Publish(ctx, in, opts...)
	if err == nil {
		c.accepted.Add(1)
	}
	return out, err
}

// flakyMemory fails the first failProblemWrites writes of open problems;
// failPageRecords fails as many writes of an event's claim that record an
// alert's message ID, as throttling would; with slowProblemReads, reads of
// problems take that long, and the most at once is kept.
type flakyMemory struct {
	alertstate.DynamoDB
	failProblemWrites atomic.Int32
	failPageRecords   atomic.Int32
	// losePageRecordAnswers makes as many of those writes, then fails them.
	losePageRecordAnswers atomic.Int32

	slowProblemReads         time.Duration
	problemReads, mostAtOnce atomic.Int32
}

func (f *flakyMemory) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if pk, _ := in.Key["pk"].(*dbtypes.AttributeValueMemberS); pk != nil && strings.HasPrefix(pk.Value, "problem#") && f.slowProblemReads > 0 {
		now := f.problemReads.Add(1)
		defer f.problemReads.Add(-1)
		for most := f.mostAtOnce.Load(); now > most && !f.mostAtOnce.CompareAndSwap(most, now); most = f.mostAtOnce.Load() {
		}
		time.Sleep(f.slowProblemReads)
	}
	return f.DynamoDB.GetItem(ctx, in, opts...)
}

func (f *flakyMemory) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	pk, _ := in.Item["pk"].(*dbtypes.AttributeValueMemberS)
	if pk != nil && strings.HasPrefix(pk.Value, "problem#") && f.failProblemWrites.Add(-1) >= 0 {
		return nil, &smithy.GenericAPIError{Code: "InternalServerError", Message: "Internal server error"}
	}
	if _, records := in.Item["messageId"]; pk != nil && strings.HasPrefix(pk.Value, "event#") && records {
		if f.failPageRecords.Add(-1) >= 0 {
			return nil, &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Message: "Rate of requests exceeds the allowed throughput"}
		}
		if f.losePageRecordAnswers.Add(-1) >= 0 {
			if _, err := f.DynamoDB.PutItem(ctx, in, opts...); err != nil {
				return nil, err
			}
			return nil, &smithy.GenericAPIError{Code: "InternalServerError", Message: "Internal server error"}
		}
	}
	return f.DynamoDB.PutItem(ctx, in, opts...)
}

// newFlakyMemoryRun wires an alarm-mode function over a memory whose
// writes the test can make fail, counting what it publishes.
func newFlakyMemoryRun(t *testing.T) (*memoryAccount, *runner.Deps, *countingSNS, *flakyMemory) {
	t.Helper()
	m := newMemoryAccount(t)
	createTable(t, m.srv, "vpcmedic-state")
	publishes := &countingSNS{}
	d := m.deps(t, "vpcmedic-state", "alarm", publishes)
	flaky := &flakyMemory{DynamoDB: d.App.State.DynamoDB}
	d.App.State.DynamoDB = flaky
	return m, d, publishes, flaky
}

// memoryAccount is a broken mapping, an on-call topic and an alert memory.
type memoryAccount struct {
	srv   *emulator.Server
	w     *scenario.MSKWorkload
	topic string
}

func newMemoryAccount(t *testing.T) *memoryAccount {
	t.Helper()
	srv, w := seedBrokenMSK(t)
	return &memoryAccount{srv: srv, w: w, topic: newOncall(t, srv).TopicARN}
}

// deps wires a function to a fresh memory table (named table) and counts
// what it publishes.
func (m *memoryAccount) deps(t *testing.T, table, mode string, publishes *countingSNS) *runner.Deps {
	t.Helper()
	useEmulatorEnv(t, m.srv)
	t.Setenv("MODE", mode)
	t.Setenv("ALERT_TOPIC_ARN", m.topic)
	t.Setenv("ALERT_STATE_TABLE", table)
	d := buildFromEnv(t, app.OnLambdaChange)
	publishes.SNS = d.App.Notifier.SNS
	d.App.Notifier.SNS = publishes
	return d
}

func createTable(t *testing.T, srv *emulator.Server, name string) {
	t.Helper()
	if _, err := dynamodb.NewFromConfig(srv.MustConfig(t)).CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName: aws.String(name), BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
}

func problemOf(t *testing.T, d *runner.Deps, workload string) *alertstate.Problem {
	t.Helper()
	p, err := d.App.State.Problem(t.Context(), workload)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A throttled publish fails the run and remembers nothing, so that the
// retry pages the problem as new rather than staying quiet about it.
func TestMemoryThrottledPublishIsRetried(t *testing.T) {
	m := newMemoryAccount(t)
	createTable(t, m.srv, "vpcmedic-state")
	publishes := &countingSNS{failFirst: 1}
	d := m.deps(t, "vpcmedic-state", "alarm", publishes)
	event := withEventID(t, mappingCreated(t, m.w.ESM), "e-throttled")

	if _, err := d.App.Handle(t.Context(), event); err == nil || !strings.Contains(err.Error(), "Throttling") {
		t.Fatalf("a throttled publish did not fail the run: %v", err)
	}
	if p := problemOf(t, d, m.w.ESM.UUID); p != nil {
		t.Fatalf("remembered %+v though on-call was not told", p)
	}
	rep := handle(t, d, event)
	if len(rep.Workloads) != 1 || rep.Workloads[0].Problem != alertstate.New || rep.Alert == nil {
		t.Fatalf("retry: skip %q, workloads %+v, alert %+v", rep.Trigger.Skip, rep.Workloads, rep.Alert)
	}
	if n := publishes.accepted.Load(); n != 1 {
		t.Errorf("%d alerts accepted, want 1", n)
	}
	if p := problemOf(t, d, m.w.ESM.UUID); p == nil {
		t.Error("the problem paged by the retry is not remembered")
	}
}

// When SNS accepted the alert but the memory write failed, the retry
// writes the memory and does not page again; nor does a later event.
func TestMemoryWriteFailureIsRetriedWithoutRepaging(t *testing.T) {
	m, d, publishes, flaky := newFlakyMemoryRun(t)
	flaky.failProblemWrites.Store(1)
	clock := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	d.App.Now = func() time.Time { return clock }
	event := withEventID(t, mappingCreated(t, m.w.ESM), "e-memory")

	if _, err := d.App.Handle(t.Context(), event); err == nil {
		t.Fatal("a failed memory write did not fail the run")
	}
	if n := publishes.accepted.Load(); n != 1 {
		t.Fatalf("%d alerts accepted by the first try, want 1", n)
	}
	rep := handle(t, d, event)
	if rep.Alert == nil || rep.Alert.MessageID == "" {
		t.Errorf("the retry does not report the alert already sent: %+v", rep.Alert)
	}
	if p := problemOf(t, d, m.w.ESM.UUID); p == nil {
		t.Fatal("the retry did not remember the problem")
	}
	clock = clock.Add(time.Hour)
	later := handle(t, d, withEventID(t, mappingCreated(t, m.w.ESM), "e-later"))
	if len(later.Workloads) != 1 || later.Workloads[0].Problem != alertstate.Ongoing {
		t.Errorf("an hour later: %+v", later.Workloads)
	}
	if n := publishes.accepted.Load(); n != 1 {
		t.Errorf("%d alerts accepted in all, want 1", n)
	}
}

// When recording the sent alert in the event's claim meets throttling, the
// run tries again rather than failing: a failed run's retry would page again.
func TestThrottledRecordOfASentAlertIsTriedAgain(t *testing.T) {
	m, d, publishes, flaky := newFlakyMemoryRun(t)
	flaky.failPageRecords.Store(3)
	var waits []time.Duration
	d.App.Sleep = func(_ context.Context, w time.Duration) error { waits = append(waits, w); return nil }
	event := withEventID(t, mappingCreated(t, m.w.ESM), "e-throttled")

	rep := handle(t, d, event)
	if rep.Alert == nil || rep.Alert.MessageID == "" || publishes.accepted.Load() != 1 {
		t.Fatalf("alert %+v, %d accepted; want one sent", rep.Alert, publishes.accepted.Load())
	}
	if len(waits) != 3 {
		t.Errorf("waited %v between tries, want 3 waits for 3 throttled writes", waits)
	}
	// A duplicate delivery finds the event handled and pages nobody.
	again := handle(t, d, event)
	if !strings.Contains(again.Trigger.Skip, "already handled") || publishes.accepted.Load() != 1 {
		t.Errorf("duplicate: skip %q, %d accepted; want it skipped, one page in all", again.Trigger.Skip, publishes.accepted.Load())
	}
}

// A record of the sent alert that DynamoDB made although the run saw it
// fail is found made by the next try: the run succeeds, one page.
func TestRecordOfASentAlertWhoseAnswerWasLostStands(t *testing.T) {
	m, d, publishes, flaky := newFlakyMemoryRun(t)
	flaky.losePageRecordAnswers.Store(1)
	// Time passes between the tries, as it does.
	clock := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	d.App.Now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	d.App.Sleep = func(context.Context, time.Duration) error { return nil }
	event := withEventID(t, mappingCreated(t, m.w.ESM), "e-lost-record")

	rep := handle(t, d, event)
	if rep.Alert == nil || publishes.accepted.Load() != 1 {
		t.Fatalf("alert %+v, %d accepted; want one sent", rep.Alert, publishes.accepted.Load())
	}
	if again := handle(t, d, event); !strings.Contains(again.Trigger.Skip, "already handled") || publishes.accepted.Load() != 1 {
		t.Errorf("duplicate: skip %q, %d accepted; want it skipped, one page in all", again.Trigger.Skip, publishes.accepted.Load())
	}
}

// The same event delivered to several invocations at once pages once; the
// others stop at the claim.
func TestMemoryConcurrentDeliveriesPageOnce(t *testing.T) {
	m := newMemoryAccount(t)
	for _, n := range []int{2, 3, 4} {
		t.Run(fmt.Sprintf("%d deliveries", n), func(t *testing.T) {
			table := fmt.Sprintf("vpcmedic-state-%d", n)
			createTable(t, m.srv, table)
			publishes := &countingSNS{}
			event := withEventID(t, mappingCreated(t, m.w.ESM), fmt.Sprintf("e-concurrent-%d", n))
			runs := make([]*runner.Deps, n)
			for i := range runs {
				runs[i] = m.deps(t, table, "alarm", publishes)
			}
			reports := make([]report.Report, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i, d := range runs {
				wg.Go(func() { reports[i], errs[i] = d.App.Handle(t.Context(), event) })
			}
			wg.Wait()
			skipped := 0
			for i := range runs {
				if errs[i] != nil {
					t.Fatalf("delivery %d: %v", i, errs[i])
				}
				if strings.Contains(reports[i].Trigger.Skip, "duplicate delivery") {
					skipped++
				}
			}
			if got := publishes.accepted.Load(); got != 1 || skipped != n-1 {
				t.Errorf("%d alerts, %d deliveries skipped; want 1 and %d", got, skipped, n-1)
			}
		})
	}
}

// A remediation whose re-check is still broken fails the run with its
// changes failed; the retry does not page again.
func TestMemoryStillBrokenAfterRemediationFailsOnce(t *testing.T) {
	m := newMemoryAccount(t)
	createTable(t, m.srv, "vpcmedic-state")
	publishes := &countingSNS{}
	d := m.deps(t, "vpcmedic-state", "remediate", publishes)
	d.App.Applier = &uselessApplier{Applier: d.App.Applier}
	event := withEventID(t, mappingCreated(t, m.w.ESM), "e-still-broken")

	rep, err := d.App.Handle(t.Context(), event)
	if err == nil || !strings.Contains(err.Error(), "still broken") {
		t.Fatalf("a remediation that did not fix the mapping did not fail the run: %v", err)
	}
	if n := changeStatuses(rep); n[report.ChangeFailed] == 0 {
		t.Errorf("changes %+v, want failed ones", rep.Changes)
	}
	if n := publishes.accepted.Load(); n != 1 {
		t.Fatalf("%d alerts, want 1", n)
	}
	var errs []error
	for range 2 { // Lambda's two retries
		_, err := d.App.Handle(t.Context(), event)
		errs = append(errs, err)
	}
	if n := publishes.accepted.Load(); n != 1 {
		t.Errorf("%d alerts after the retries (%v), want 1", n, errors.Join(errs...))
	}
}

// uselessApplier reports its changes made the first time and found made
// afterwards (as observe-first does), while changing nothing: the re-check
// still finds the mapping broken.
type uselessApplier struct {
	app.Applier
	applied bool
}

func (u *uselessApplier) Apply(_ context.Context, _ remediate.Request, changes []plan.Change) ([]remediate.Outcome, error) {
	status := report.ChangeCreated
	if u.applied {
		status = report.ChangeUnchanged
	}
	u.applied = true
	var out []remediate.Outcome
	for _, c := range changes {
		out = append(out, remediate.Outcome{Change: c, Status: status})
	}
	return out, nil
}

// gatedApplier lets a test hold a run inside its changes.
type gatedApplier struct {
	app.Applier
	started chan struct{}
	proceed chan struct{}
	calls   atomic.Int32
}

func (g *gatedApplier) Apply(ctx context.Context, req remediate.Request, changes []plan.Change) ([]remediate.Outcome, error) {
	if g.calls.Add(1) == 1 && g.started != nil {
		close(g.started)
		<-g.proceed
	}
	return g.Applier.Apply(ctx, req, changes)
}

// Two remediations of one VPC at once: the first changes it; the second
// waits for the first run's lease, re-checks, finds the mapping fixed and
// changes nothing.
func TestMemoryRemediationsOfOneVPCTakeTurns(t *testing.T) {
	m := newMemoryAccount(t)
	createTable(t, m.srv, "vpcmedic-state")
	first := m.deps(t, "vpcmedic-state", "remediate", &countingSNS{})
	second := m.deps(t, "vpcmedic-state", "remediate", &countingSNS{})
	gateA := &gatedApplier{Applier: first.App.Applier, started: make(chan struct{}), proceed: make(chan struct{})}
	first.App.Applier = gateA
	gateB := &gatedApplier{Applier: second.App.Applier}
	second.App.Applier = gateB
	firstDone := make(chan struct{})
	var letFirstGoOn sync.Once
	proceed := func() { letFirstGoOn.Do(func() { close(gateA.proceed) }) }
	waits := 0
	second.App.Sleep = func(ctx context.Context, _ time.Duration) error {
		waits++
		proceed() // the first run goes on while the second waits
		select {
		case <-firstDone:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	var firstRep report.Report
	var firstErr error
	go func() {
		defer close(firstDone)
		firstRep, firstErr = first.App.Handle(t.Context(), withEventID(t, mappingCreated(t, m.w.ESM), "e-first"))
	}()
	select {
	case <-gateA.started:
	case <-firstDone:
		t.Fatalf("the first run made no change: %v", firstErr)
	}
	rep, err := second.App.Handle(t.Context(), withEventID(t, mappingCreated(t, m.w.ESM), "e-second"))
	proceed() // a second run that never waited must not leave the first one stuck
	<-firstDone
	if firstErr != nil || err != nil {
		t.Fatalf("runs failed: %v; %v", firstErr, err)
	}
	if len(firstRep.Workloads) != 1 || firstRep.Workloads[0].Status != report.StatusOK || changeStatuses(firstRep)[report.ChangeCreated] == 0 {
		t.Errorf("first run: workloads %+v, changes %+v; want it fixed", firstRep.Workloads, firstRep.Changes)
	}
	if waits == 0 {
		t.Error("the second run did not wait for the first run's lease")
	}
	if gateB.calls.Load() != 0 || len(rep.Changes) != 0 {
		t.Errorf("the second run changed the VPC again: %+v", rep.Changes)
	}
	if len(rep.Workloads) != 1 || rep.Workloads[0].Before != report.StatusOK || rep.Workloads[0].Status != report.StatusOK {
		t.Errorf("second run: %+v, want the mapping re-checked ok", rep.Workloads)
	}
	if eps := liveEndpoints(t, m.srv, m.w.VPC.ID); len(eps) != 2 {
		t.Errorf("%d endpoints, want lambda and sts once", len(eps))
	}
}

// problemReads counts the reads of open problems and lets a test wait
// until a number of them happened.
type problemReads struct {
	alertstate.DynamoDB
	mu    sync.Mutex
	n     int
	ready chan struct{}
	want  int
}

func (p *problemReads) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := p.DynamoDB.GetItem(ctx, in, opts...)
	if pk, ok := in.Key["pk"].(*dbtypes.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, "problem#") {
		p.mu.Lock()
		if p.n++; p.n == p.want {
			close(p.ready)
		}
		p.mu.Unlock()
	}
	return out, err
}

// heldSNS holds every publish until ready is closed (or a while passed).
type heldSNS struct {
	notify.SNS
	ready <-chan struct{}
}

func (h *heldSNS) Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error) {
	select {
	case <-h.ready:
	case <-time.After(10 * time.Second):
	}
	return h.SNS.Publish(ctx, in, opts...)
}

// Two different events that find the same new problem at once (an ESM
// change and a network change in its VPC, say) page it once: both read
// the problem as unknown before either has paged, and the page hold lets
// only one of them tell on-call.
func TestMemoryTwoEventsFindingOneProblemPageOnce(t *testing.T) {
	m := newMemoryAccount(t)
	createTable(t, m.srv, "vpcmedic-state")
	publishes := &countingSNS{}
	reads := &problemReads{ready: make(chan struct{}), want: 2}
	runs := []*runner.Deps{m.deps(t, "vpcmedic-state", "alarm", publishes), m.deps(t, "vpcmedic-state", "alarm", publishes)}
	for _, d := range runs {
		reads.DynamoDB = d.App.State.DynamoDB
		d.App.State.DynamoDB = reads
		d.App.Notifier.SNS = &heldSNS{SNS: d.App.Notifier.SNS, ready: reads.ready}
		d.App.Sleep = func(ctx context.Context, _ time.Duration) error {
			select {
			case <-time.After(20 * time.Millisecond):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	reports := make([]report.Report, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, d := range runs {
		wg.Go(func() {
			reports[i], errs[i] = d.App.Handle(t.Context(), withEventID(t, mappingCreated(t, m.w.ESM), fmt.Sprintf("e-finding-%d", i)))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, rep := range reports {
		for _, w := range rep.Workloads {
			states = append(states, w.Problem)
		}
	}
	slices.Sort(states)
	if got := publishes.accepted.Load(); got != 1 || !slices.Equal(states, []string{alertstate.New, alertstate.Ongoing}) {
		t.Errorf("%d alerts, problem states %v; want 1 alert, one run paging it new and the other finding it ongoing", got, states)
	}
	if p := problemOf(t, runs[0], m.w.ESM.UUID); p == nil {
		t.Error("the problem is not remembered")
	}
}
