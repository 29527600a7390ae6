package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now().UTC()
}

// duplicate says why an event needs no work when it was handled before
// (EventBridge delivers some events more than once).
func (a *App) duplicate(ctx context.Context, t trail.Trigger) (string, error) {
	if a.State == nil || t.EventID == "" {
		return "", nil
	}
	handled, err := a.State.Handled(ctx, t.EventID)
	if err != nil || !handled {
		return "", err
	}
	return "event " + t.EventID + " was already handled (a duplicate delivery)", nil
}

// markHandled records a run that went to the end.
func (a *App) markHandled(ctx context.Context, t trail.Trigger) error {
	if a.State == nil || t.EventID == "" {
		return nil
	}
	return a.State.MarkHandled(ctx, t.EventID, a.now())
}

// classify compares each workload's verdict with the problem remembered
// for it: the report says which problems are new, ongoing or recovered,
// and only those the paging rule cares about page.
func (a *App) classify(ctx context.Context, log *slog.Logger, rep *report.Report) error {
	if a.State == nil {
		return nil
	}
	for i := range rep.Workloads {
		w := &rep.Workloads[i]
		known, err := a.State.Problem(ctx, w.ID)
		if err != nil {
			return err
		}
		state, remember := alertstate.Classify(*w, known, a.now(), a.Config.RenotifyAfter)
		w.Problem = state
		if state != "" {
			log.Info("problem state", "workload", w.ID, "state", state)
		}
		if remember != known {
			if err := a.State.Remember(ctx, w.ID, remember, a.now()); err != nil {
				return err
			}
		}
	}
	return nil
}
