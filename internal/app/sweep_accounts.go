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
		if o.err != nil && ctx.Err() != nil {
			return nil, o.err
		}
		a.accountResult(ctx, log, t, o.rep, o.remediationErr, o.err).addTo(rep)
		if o.remediationErr != nil {
			remediationErrs = append(remediationErrs, o.remediationErr)
		}
	}
	return errors.Join(remediationErrs...), nil
}

// accountResult is what the sweep of one account and Region found, as the
// summary shows it: its workloads named by account and Region, or the error
// that kept it from being read.
func (a *App) accountResult(ctx context.Context, log *slog.Logger, t Target, found report.Report, remediationErr, err error) shardResult {
	run := report.AccountRun{Account: t.Account, Region: t.Region, Name: a.accountName(ctx, t.Account)}
	if err != nil {
		run.Error = err.Error()
		log.Warn("could not sweep the account", "account", t.Account, "region", t.Region, "error", err.Error())
		return shardResult{Run: run}
	}
	s := shardResult{Changes: found.Changes, Networks: found.Networks}
	for _, w := range found.Workloads {
		w.Account, w.Region = t.Account, t.Region
		run.Checked++
		if w.Status == report.StatusBroken {
			run.Broken++
		}
		s.Workloads = append(s.Workloads, w)
	}
	s.Run = run
	if remediationErr != nil {
		s.RemediationError = remediationErr.Error()
	}
	return s
}

// shardResult is one account and Region of a sweep: a shard of a
// fanned-out sweep stores it for the summary.
type shardResult struct {
	Run       report.AccountRun `json:"run"`
	Workloads []report.Workload `json:"workloads,omitempty"`
	Changes   []report.Change   `json:"changes,omitempty"`
	Networks  []report.Network  `json:"networks,omitempty"`
	// RemediationError is why a planned change failed.
	RemediationError string `json:"remediationError,omitempty"`
	// Trimmed says the healthy workloads were cut to their verdict and the
	// networks left out, for the result to fit in the table.
	Trimmed bool `json:"trimmed,omitempty"`
}

// addTo adds the account's findings to the sweep's report.
func (s shardResult) addTo(rep *report.Report) {
	rep.Workloads = append(rep.Workloads, s.Workloads...)
	rep.Changes = append(rep.Changes, s.Changes...)
	rep.Networks = append(rep.Networks, s.Networks...)
	rep.Accounts = append(rep.Accounts, s.Run)
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
