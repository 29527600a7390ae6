package app

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// pageHolds are the pages a run holds until it has told on-call and
// remembered what it told.
type pageHolds struct {
	a     *App
	log   *slog.Logger
	owner string
	held  []string
}

// holdPages takes the page of every workload the run is about to page, so
// that two runs that find the same problem at once (two events about one
// VPC, an event and the sweep) page it once. Under the hold it reads the
// problem again: a run that paged it meanwhile has remembered it, and the
// workload then stays quiet. Pages are taken in workload order, so that
// two runs never wait for each other.
func (a *App) holdPages(ctx context.Context, log *slog.Logger, claim *alertstate.Claim, rep *report.Report, memories []memory) (*pageHolds, []memory, error) {
	h := &pageHolds{a: a, log: log, owner: pageOwner(ctx, claim)}
	if a.State == nil {
		return h, memories, nil
	}
	var paging []int
	for i, w := range rep.Workloads {
		if alertstate.Pages(w.Problem) {
			paging = append(paging, i)
		}
	}
	slices.SortFunc(paging, func(x, y int) int { return strings.Compare(rep.Workloads[x].ID, rep.Workloads[y].ID) })
	for _, i := range paging {
		w := &rep.Workloads[i]
		if _, err := a.await(ctx, log, "workload", w.ID, "is being paged", func(now, until time.Time) (*alertstate.Lease, bool, error) {
			return a.State.HoldPage(ctx, w.ID, h.owner, now, until)
		}); err != nil {
			h.release(ctx)
			return nil, nil, err
		}
		h.held = append(h.held, w.ID)
		known, err := a.State.Problem(ctx, w.ID)
		if err != nil {
			h.release(ctx)
			return nil, nil, err
		}
		state, remember := alertstate.Classify(*w, known, a.now(), a.Config.RenotifyAfter)
		if state != w.Problem {
			log.Info("problem state changed under the page hold", "workload", w.ID, "was", w.Problem, "state", state)
			w.Problem = state
		}
		memories = slices.DeleteFunc(memories, func(m memory) bool { return m.workload == w.ID })
		if remember != known {
			memories = append(memories, memory{workload: w.ID, known: known, remember: remember})
		}
	}
	return h, memories, nil
}

// pageOwner names who holds a run's pages: the event it claimed, so that
// the retry of a run that paged but could not remember (a new invocation,
// perhaps with a new request ID) takes the pages it left held; without an
// event, the run itself.
func pageOwner(ctx context.Context, claim *alertstate.Claim) string {
	if claim != nil && claim.EventID != "" {
		return "event#" + claim.EventID
	}
	return runID(ctx)
}

// finish gives the pages back once what was told is remembered, or when
// nothing reached on-call. Pages told but not remembered stay held until
// the run's deadline, for its retry to remember them: another run would
// page them again.
func (h *pageHolds) finish(ctx context.Context, rep *report.Report, err error) {
	if err != nil && rep.Alert != nil && rep.Alert.MessageID != "" {
		h.log.Warn("keeping the pages until the retry remembers them", "messageId", rep.Alert.MessageID)
		return
	}
	h.release(ctx)
}

// release gives every page back.
func (h *pageHolds) release(ctx context.Context) {
	for _, id := range h.held {
		if err := h.a.State.ReleasePage(context.WithoutCancel(ctx), id, h.owner); err != nil {
			h.log.Warn("could not give back the page", "workload", id, "error", err.Error())
		}
	}
	h.held = nil
}
