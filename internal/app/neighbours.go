package app

import (
	"context"
	"log/slog"
	"slices"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// remediateVPCs remediates with every workload of the changed VPCs in view,
// not only those of the trigger: a private-DNS endpoint takes its service's
// traffic for the whole VPC. Each plan is verified against all of them
// first, all of them are re-checked after, and the report gains every
// other workload whose verdict changed.
func (a *App) remediateVPCs(ctx context.Context, log *slog.Logger, t trail.Trigger, results []*result) ([]*result, error) {
	nearby, err := a.neighbours(ctx, results)
	if err != nil {
		return results, err
	}
	all := append(append([]*result(nil), results...), nearby...)
	for _, r := range results {
		if len(r.plan.Changes) == 0 {
			continue
		}
		r.plan = plan.Verify(r.target, r.plan, targetsIn(all, r.target.Workload.Network.VPCID))
		r.report.Recommendations, r.report.Unfixable = r.plan.Recommendations, r.plan.Unfixable
	}
	applyErr := a.remediate(ctx, log, t, all)
	for _, n := range nearby {
		if n.report.Before != n.report.Status {
			log.Info("verdict changed by another workload's fix", "workload", n.target.Workload.ID, "before", n.report.Before, "status", n.report.Status)
			results = append(results, n)
		}
	}
	return results, applyErr
}

// neighbours evaluates the workloads of the VPCs the plans change that the
// run did not check, on the same snapshots (the way the sweep gathers all
// workloads of a VPC). They are never fixed here: their plans are dropped.
func (a *App) neighbours(ctx context.Context, results []*result) ([]*result, error) {
	snaps := map[string]*network.Snapshot{}
	known := map[string]bool{}
	for _, r := range results {
		known[r.target.Workload.ID] = true
		if len(r.plan.Changes) > 0 && r.target.Network != nil {
			snaps[r.target.Workload.Network.VPCID] = r.target.Network
		}
	}
	if len(snaps) == 0 {
		return nil, nil
	}
	all, err := a.Inventory.All(ctx, a.Lister)
	if err != nil {
		return nil, err
	}
	roles, sim := a.scopedReaders()
	var out []*result
	for _, w := range all {
		snap, ok := snaps[w.Network.VPCID]
		if checkedOnConfigs(w) {
			// Checked only when every VPC it may poll from is in view.
			ok = !slices.ContainsFunc(vpcsOf(w), func(vpc string) bool { return snaps[vpc] == nil })
		}
		if !ok || known[w.ID] || w.Unresolved != "" {
			continue
		}
		var n *result
		var err error
		if checkedOnConfigs(w) {
			var p *prepared
			if p, err = a.prepare(ctx, w, true, roles, sim); err == nil {
				n = a.finishConfigs(p, snaps)
			}
		} else {
			n, err = a.evaluate(ctx, w, snap, roles, sim)
		}
		if err != nil {
			return nil, err
		}
		n.plan = plan.Plan{}
		n.report.Recommendations, n.report.Unfixable = nil, nil
		n.report.Before = n.report.Status
		out = append(out, n)
	}
	return out, nil
}

// targetsIn are the targets of the results in vpc.
func targetsIn(results []*result, vpc string) []*check.Target {
	var out []*check.Target
	for _, r := range results {
		for _, t := range r.partTargets() {
			if t.Workload.Network.VPCID == vpc {
				out = append(out, t)
			}
		}
	}
	return out
}
