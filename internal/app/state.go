package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// longestRun is the longest a Lambda function runs (its largest timeout):
// the claim of a run without a deadline lapses after it.
const longestRun = 15 * time.Minute

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now().UTC()
}

// runID names this run in the claims it takes: the Lambda request ID,
// which Lambda keeps when it retries a failed invocation, so that a retry
// takes over the claim its first try left.
func runID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "run-" + hex.EncodeToString(b)
}

// until is when what this run holds lapses: its deadline, after which
// Lambda has stopped it.
func (a *App) until(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d.UTC()
	}
	return a.now().Add(longestRun)
}

// claimEvent takes the event for this run before anything is done, so
// that of several deliveries of one event (EventBridge delivers some more
// than once, at once) one acts. It returns why there is nothing to do when
// another run has the event.
func (a *App) claimEvent(ctx context.Context, t trail.Trigger) (*alertstate.Claim, string, error) {
	if a.State == nil || t.EventID == "" {
		return nil, "", nil
	}
	c, held, err := a.State.ClaimEvent(ctx, t.EventID, runID(ctx), a.now(), a.until(ctx))
	if err != nil || !held {
		return c, "", err
	}
	how := "being handled"
	if c.Status != alertstate.ClaimInProgress {
		how = "already handled"
	}
	return nil, fmt.Sprintf("event %s is %s by %s (a duplicate delivery)", t.EventID, how, orUnknown(c.Owner)), nil
}

func orUnknown(s string) string {
	if s == "" {
		return "an earlier run"
	}
	return s
}

// finishClaim marks the event done with the run's outcome, or failed so
// that Lambda's retry takes it over; it returns the run's error.
func (a *App) finishClaim(ctx context.Context, log *slog.Logger, c *alertstate.Claim, rep report.Report, runErr error) error {
	if c == nil {
		return runErr
	}
	c.Status, c.Outcome = alertstate.ClaimDone, outcome(rep)
	if runErr != nil && !IsTerminal(runErr) {
		c.Status, c.Outcome = alertstate.ClaimFailed, runErr.Error()
	}
	if err := a.State.SaveClaim(ctx, c, a.now()); err != nil {
		if runErr != nil {
			// The retry, under the same request ID, takes the claim over.
			log.Warn("could not release the event", "error", err.Error())
			return runErr
		}
		return err
	}
	return runErr
}

func outcome(rep report.Report) string {
	if rep.Trigger.Skip != "" {
		return "skipped: " + rep.Trigger.Skip
	}
	s := fmt.Sprintf("checked %d workloads", len(rep.Workloads))
	if rep.Alert != nil {
		s += ", alert " + rep.Alert.MessageID
	}
	return s
}

// memory is what a run will remember of one workload once on-call has
// been told.
type memory struct {
	workload        string
	known, remember *alertstate.Problem
}

// classify compares each workload's verdict with the problem remembered
// for it: the report says which problems are new, ongoing or recovered,
// and only those the paging rule cares about page. It writes nothing: the
// memory is written after the alert went out.
func (a *App) classify(ctx context.Context, log *slog.Logger, rep *report.Report, read *problems) ([]memory, error) {
	if a.State == nil {
		return nil, nil
	}
	var out []memory
	for i := range rep.Workloads {
		w := &rep.Workloads[i]
		known, err := read.of(ctx, a.State, w.ID)
		if err != nil {
			return nil, err
		}
		state, remember := alertstate.Classify(*w, known, a.now(), a.Config.RenotifyAfter)
		w.Problem = state
		if state != "" {
			log.Info("problem state", "workload", w.ID, "state", state)
		}
		if remember != known {
			out = append(out, memory{workload: w.ID, known: known, remember: remember})
		}
	}
	return out, nil
}

// problems are the remembered problems of a run's workloads, read a few at
// a time while they are checked. A read is only compared with the record
// when the problem is remembered (alertstate.Table.Remember), so reading
// it early changes nothing: a record another run wrote since is kept.
type problems struct {
	cancel context.CancelFunc
	done   chan struct{}
	read   map[string]problemRead
}

type problemRead struct {
	problem *alertstate.Problem
	err     error
}

// readProblems starts reading the problems of the workloads, a few at a
// time (nil without a memory).
func (a *App) readProblems(ctx context.Context, workloadIDs []string) *problems {
	if a.State == nil || len(workloadIDs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &problems{cancel: cancel, done: make(chan struct{}), read: make(map[string]problemRead, len(workloadIDs))}
	reads := make([]problemRead, len(workloadIDs))
	go func() {
		defer close(p.done)
		_ = each(ctx, len(workloadIDs), a.width(), func(ctx context.Context, i int) error {
			known, err := a.State.Problem(ctx, workloadIDs[i])
			reads[i] = problemRead{known, err}
			return nil
		})
		for i, id := range workloadIDs {
			p.read[id] = reads[i]
		}
	}()
	return p
}

// of returns a workload's problem as read, or reads it.
func (p *problems) of(ctx context.Context, table *alertstate.Table, workloadID string) (*alertstate.Problem, error) {
	if p != nil {
		<-p.done
		if r, ok := p.read[workloadID]; ok {
			return r.problem, r.err
		}
	}
	return table.Problem(ctx, workloadID)
}

// stop ends the reads once the run is over.
func (p *problems) stop() {
	if p == nil {
		return
	}
	p.cancel()
	<-p.done
}

// alert publishes the run's alert, unless an earlier try of the event
// already did and failed before remembering it: that alert stands. The
// claim records the message ID as soon as SNS accepted it.
func (a *App) alert(ctx context.Context, log *slog.Logger, c *alertstate.Claim, rep *report.Report) error {
	if c != nil && c.MessageID != "" && !c.Remembered {
		log.Info("alert already sent for this event", "messageId", c.MessageID)
		rep.Alert = &report.Alert{MessageID: c.MessageID, Earlier: true}
		return nil
	}
	alert, err := a.Notifier.Send(ctx, a.Config.Mode, *rep)
	if err != nil {
		rep.Alert = &report.Alert{Error: err.Error()}
		return err
	}
	if alert == nil {
		return nil
	}
	rep.Alert = alert
	log.Info("alert sent", "subject", alert.Subject, "messageId", alert.MessageID)
	if c == nil {
		return nil
	}
	c.MessageID, c.Remembered = alert.MessageID, false
	return a.recordPage(ctx, log, c)
}

// pageRecordTries bounds the writes of a sent alert's message ID: past the
// SDK's own retries, a few more, three seconds of waits in all, ride out a
// burst of throttling or 5xx that would otherwise fail the run and have its
// retry page a second time.
const pageRecordTries = 5

// recordPage writes the message ID of an alert SNS accepted into the
// event's claim, trying harder than any other write: it is what keeps a
// retry of this event from paging again. A claim another run took over
// meanwhile (ErrConflict) is not retried.
func (a *App) recordPage(ctx context.Context, log *slog.Logger, c *alertstate.Claim) error {
	// One time for every try: a try whose answer was lost then wrote
	// exactly what the next one writes, which DynamoDB shows it (putIf).
	now := a.now()
	var err error
	for try := 1; try <= pageRecordTries; try++ {
		if err = a.State.SaveClaim(ctx, c, now); err == nil || errors.Is(err, alertstate.ErrConflict) {
			return err
		}
		log.Warn("could not record the alert sent; trying again", "messageId", c.MessageID, "try", try, "error", err.Error())
		if try < pageRecordTries {
			if serr := a.sleep(ctx, time.Duration(200<<(try-1))*time.Millisecond); serr != nil {
				return err
			}
		}
	}
	return err
}

// remember writes the open problems once on-call was told. A record
// another run changed first is left as that run wrote it.
//
// Each workload's record is its own: they are written a few at a time.
func (a *App) remember(ctx context.Context, log *slog.Logger, c *alertstate.Claim, memories []memory) error {
	err := each(ctx, len(memories), a.width(), func(ctx context.Context, i int) error {
		m := memories[i]
		err := a.State.Remember(ctx, m.workload, m.remember, m.known, a.now())
		if errors.Is(err, alertstate.ErrConflict) {
			log.Info("problem recorded by another run first", "workload", m.workload)
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if c == nil || c.MessageID == "" || c.Remembered {
		return nil
	}
	c.Remembered = true
	return a.State.SaveClaim(ctx, c, a.now())
}
