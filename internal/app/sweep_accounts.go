package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// sweepWorkers bounds how many accounts and Regions a sweep reads at once:
// each reads its Region's workloads and VPCs, and the APIs throttle per
// account, so a few at a time keep a large organisation within the
// function's timeout without bursts.
const sweepWorkers = 4

// sweepTargets returns the accounts' lister when the trigger is a sweep
// that walks several accounts or Regions, else nil.
func (a *App) sweepTargets(t trail.Trigger) func(context.Context) ([]Target, error) {
	if t.Action != trail.ActionSweep || a.SweepTargets == nil {
		return nil
	}
	return a.SweepTargets
}

// sweepAccounts checks every workload of every account and Region the
// sweep walks, a few at a time, into one report: one summary alert for the
// whole sweep. An account that cannot be read (its role missing, a read
// refused) is named in the report and does not stop the others.
func (a *App) sweepAccounts(ctx context.Context, log *slog.Logger, rep *report.Report, list func(context.Context) ([]Target, error)) (remediationErr error, err error) {
	targets, err := list(ctx)
	if err != nil {
		return nil, err
	}
	type outcome struct {
		rep            report.Report
		remediationErr error
		err            error
	}
	outcomes := make([]outcome, len(targets))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(sweepWorkers, len(targets)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				o := &outcomes[i]
				o.rep = a.emptyReport(rep.Trigger)
				o.remediationErr, o.err = a.sweepOne(ctx, log, targets[i], &o.rep)
			}
		}()
	}
	for i := range targets {
		work <- i
	}
	close(work)
	wg.Wait()

	var remediationErrs []error
	for i, t := range targets {
		o := outcomes[i]
		run := report.AccountRun{Account: t.Account, Region: t.Region, Name: a.accountName(ctx, t.Account)}
		if o.err != nil {
			if ctx.Err() != nil {
				return nil, o.err
			}
			run.Error = o.err.Error()
			log.Warn("could not sweep the account", "account", t.Account, "region", t.Region, "error", o.err.Error())
			rep.Accounts = append(rep.Accounts, run)
			continue
		}
		for _, w := range o.rep.Workloads {
			w.Account, w.Region = t.Account, t.Region
			run.Checked++
			if w.Status == report.StatusBroken {
				run.Broken++
			}
			rep.Workloads = append(rep.Workloads, w)
		}
		rep.Changes = append(rep.Changes, o.rep.Changes...)
		rep.Networks = append(rep.Networks, o.rep.Networks...)
		rep.Accounts = append(rep.Accounts, run)
		if o.remediationErr != nil {
			remediationErrs = append(remediationErrs, o.remediationErr)
		}
	}
	return errors.Join(remediationErrs...), nil
}

// sweepOne checks every workload of one account and Region with the App
// that acts there.
func (a *App) sweepOne(ctx context.Context, log *slog.Logger, t Target, rep *report.Report) (remediationErr, err error) {
	m, err := a.For(ctx, t.Account, t.Region)
	if err != nil {
		return nil, err
	}
	workloads, err := m.Inventory.All(ctx, m.Lister)
	if err != nil {
		return nil, err
	}
	log = log.With("account", t.Account, "region", t.Region)
	log.Info("resolved workloads", "count", len(workloads))
	return m.check(ctx, log, rep, workloads)
}
