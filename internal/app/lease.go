package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
)

// Waiting for another run's lease on a VPC.
const (
	leasePoll = 2 * time.Second
	// leaseMargin is the time a run keeps, after it gets a lease, to make
	// its changes and re-check before its deadline.
	leaseMargin = 30 * time.Second
)

// leaseVPCs takes the lease of every VPC the results plan to change, so
// that two runs never change one VPC at once. A run that finds another
// run's lease waits for it, then re-checks the workloads of that VPC (the
// other run may have fixed them); one that cannot get it before its
// deadline fails, to be retried. It returns what gives the leases back.
func (a *App) leaseVPCs(ctx context.Context, log *slog.Logger, results []*result) (func(), error) {
	owner := runID(ctx)
	var held []string
	release := func() {
		for _, vpc := range held {
			if err := a.State.Release(context.WithoutCancel(ctx), vpc, owner); err != nil {
				log.Warn("could not release the VPC", "vpcId", vpc, "error", err.Error())
			}
		}
	}
	if a.State == nil {
		return release, nil
	}
	for _, vpc := range plannedVPCs(results) {
		waited, err := a.lease(ctx, log, vpc, owner)
		if err != nil {
			release()
			return nil, err
		}
		held = append(held, vpc)
		if waited {
			if err := a.reevaluate(ctx, log, vpc, results); err != nil {
				release()
				return nil, err
			}
		}
	}
	return release, nil
}

func plannedVPCs(results []*result) []string {
	var vpcs []string
	for _, r := range results {
		if vpc := r.target.Workload.Network.VPCID; len(r.plan.Changes) > 0 && !slices.Contains(vpcs, vpc) {
			vpcs = append(vpcs, vpc)
		}
	}
	slices.Sort(vpcs) // one order for every run
	return vpcs
}

// lease takes one VPC, waiting while another run holds it; it reports
// whether it waited.
func (a *App) lease(ctx context.Context, log *slog.Logger, vpc, owner string) (bool, error) {
	return a.await(ctx, log, "vpcId", vpc, "is being changed", func(now, until time.Time) (*alertstate.Lease, bool, error) {
		return a.State.Lease(ctx, vpc, owner, now, until)
	})
}

// await takes a hold, waiting while another run has it, until this run's
// deadline leaves too little time to use it: then the run fails, to be
// retried. It reports whether it waited.
func (a *App) await(ctx context.Context, log *slog.Logger, kind, name, doing string, take func(now, until time.Time) (*alertstate.Lease, bool, error)) (bool, error) {
	until := a.until(ctx)
	// The polls are counted too, so that a clock that does not move (a
	// test's) cannot make the wait endless.
	maxPolls := int(until.Sub(a.now())/leasePoll) + 1
	for polls := 0; ; polls++ {
		waited := polls > 0
		other, held, err := take(a.now(), until)
		if err != nil || !held {
			return waited, err
		}
		if polls >= maxPolls || a.now().Add(leasePoll+leaseMargin).After(until) {
			return waited, fmt.Errorf("%s %s by %s until %s: try again later", name, doing, other.Owner, other.Until.Format(time.RFC3339))
		}
		log.Info("waiting for another run", kind, name, "owner", other.Owner)
		if err := a.sleep(ctx, leasePoll); err != nil {
			return waited, err
		}
	}
}

// reevaluate re-reads a VPC another run has just changed and checks and
// plans its workloads again: the verdict before this run's changes.
func (a *App) reevaluate(ctx context.Context, log *slog.Logger, vpc string, results []*result) error {
	snap, err := a.Topology.Read(ctx, vpc)
	if err != nil {
		return fmt.Errorf("re-read %s after another run changed it: %w", vpc, err)
	}
	roles, sim := a.scopedReaders()
	for _, r := range results {
		if r.parts != nil {
			if slices.Contains(vpcsOf(r.target.Workload), vpc) {
				a.refreshConfigs(r, vpc, snap)
				r.report.Before = r.report.Status
			}
			continue
		}
		if r.target.Workload.Network.VPCID != vpc {
			continue
		}
		fresh, err := a.evaluate(ctx, r.target.Workload, snap, roles, sim)
		if err != nil {
			return err
		}
		fresh.report.Before = fresh.report.Status
		log.Info("re-checked workload after another run's changes", "workload", r.target.Workload.ID, "status", fresh.report.Status)
		*r = *fresh
	}
	return nil
}
