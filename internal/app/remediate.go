package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/remediate"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// Applier makes planned changes.
type Applier interface {
	Apply(context.Context, remediate.Request, []plan.Change) ([]remediate.Outcome, error)
}

// recordBefore sets every workload's before to the verdict found first: in
// remediate mode the report carries it whatever happens next (nothing to
// fix, opted out, out of scope, dry run, change limit reached).
func recordBefore(results []*result) {
	for _, r := range results {
		r.report.Before = r.report.Status
	}
}

// remediate applies the plans of the broken workloads within scope, then
// re-reads their networks and re-checks them. It returns a retryable error
// when a change failed (after recording every outcome), so the retry
// finishes the job; observe-first keeps it from creating anything twice.
func (a *App) remediate(ctx context.Context, log *slog.Logger, t trail.Trigger, results []*result) error {
	release, err := a.leaseVPCs(ctx, log, results)
	if err != nil {
		return err
	}
	defer release()
	scope := &plan.Scope{AllowedVPCs: a.Config.AllowedVPCs, MaxChanges: a.Config.MaxChanges}
	var errs []error
	touched := map[string]bool{}
	for _, r := range results {
		if len(r.plan.Changes) == 0 {
			continue
		}
		w := r.target.Workload
		allowed, refused := plan.Guard(r.target.Network, scope, r.plan.Changes)
		for _, ref := range refused {
			r.changes = append(r.changes, change(w, ref.Change, report.ChangeSkipped, ref.Reason+"; "+ref.Change.Reason))
			log.Info("change refused", "workload", w.ID, "action", ref.Change.Action, "target", ref.Change.Target, "reason", ref.Reason)
		}
		if len(allowed) == 0 {
			continue
		}
		outcomes, err := a.Applier.Apply(ctx, remediate.Request{EventID: t.EventID, DryRun: a.Config.DryRun}, allowed)
		if err != nil {
			errs = append(errs, fmt.Errorf("remediate %s: %w", w.ID, err))
		}
		for _, o := range outcomes {
			reason := o.Change.Reason
			if o.Detail != "" {
				reason += " (" + o.Detail + ")"
			}
			r.changes = append(r.changes, change(w, o.Change, o.Status, reason))
			log.Info("change applied", "workload", w.ID, "action", o.Change.Action, "target", o.Change.Target, "status", o.Status, "resource", o.ResourceID)
			if o.Status == report.ChangeCreated {
				touched[w.Network.VPCID] = true
			}
		}
	}
	if err := a.recheck(ctx, log, results, touched); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// recheck re-reads the VPCs that changed and re-checks their workloads:
// the report shows before -> after, and a fix that did not close the gap
// is failed.
func (a *App) recheck(ctx context.Context, log *slog.Logger, results []*result, touched map[string]bool) error {
	fresh := map[string]*network.Snapshot{}
	reread := func(vpc string) (*network.Snapshot, error) {
		if snap := fresh[vpc]; snap != nil {
			return snap, nil
		}
		snap, err := a.Topology.Read(ctx, vpc)
		if err != nil {
			return nil, fmt.Errorf("re-read %s after remediation: %w", vpc, err)
		}
		for _, other := range results {
			if other.parts == nil && other.target.Workload.Network.VPCID == vpc {
				other.target.Network = snap
			}
		}
		fresh[vpc] = snap
		return snap, nil
	}
	var stillBroken []error
	for _, r := range results {
		if r.parts != nil {
			for _, vpc := range vpcsOf(r.target.Workload) {
				if !touched[vpc] {
					continue
				}
				snap, err := reread(vpc)
				if err != nil {
					return err
				}
				a.refreshConfigs(r, vpc, snap)
				log.Info("re-checked workload", "workload", r.target.Workload.ID, "vpcId", vpc, "before", r.report.Before, "status", r.report.Status)
			}
			continue
		}
		vpc := r.target.Workload.Network.VPCID
		if !touched[vpc] {
			continue
		}
		if _, err := reread(vpc); err != nil {
			return err
		}
		before := r.report.Status
		r.report.Findings, r.report.Passed = check.Run(check.Fresh(r.target))
		r.report.Status = report.StatusOf(r.report.Findings)
		r.report.Before = before
		log.Info("re-checked workload", "workload", r.target.Workload.ID, "before", before, "status", r.report.Status)
		if r.report.Status != report.StatusBroken {
			r.report.Recommendations, r.report.Unfixable = nil, nil
			continue
		}
		var left []string
		for _, f := range r.report.Findings {
			if f.Severity == report.SeverityError {
				left = append(left, f.Check)
			}
		}
		failed := 0
		for i, c := range r.changes {
			if c.Status == report.ChangeCreated {
				r.changes[i].Status = report.ChangeFailed
				r.changes[i].Reason += "; made, but the re-check still finds " + strings.Join(left, ", ")
				failed++
			}
		}
		if failed > 0 && answered(r.plan.Changes, r.report.Findings) {
			// A gap the changes were made for is still open: fail the run
			// so that it is retried or dead-lettered.
			stillBroken = append(stillBroken, fmt.Errorf("%s is still broken after %d changes: %s", r.target.Workload.ID, failed, strings.Join(left, ", ")))
		}
	}
	return errors.Join(stillBroken...)
}

// answered reports whether an error finding left is one the planned
// changes were made for (and not, say, a gap vpcmedic only recommends
// closing).
func answered(changes []plan.Change, findings []report.Finding) bool {
	for _, f := range findings {
		if f.Severity != report.SeverityError {
			continue
		}
		for _, c := range changes {
			if slices.Contains(c.CheckIDs, f.CheckID) {
				return true
			}
		}
	}
	return false
}
