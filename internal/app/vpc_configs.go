package app

import (
	"slices"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// A mapping on an MSK Serverless cluster with several VPC configurations is
// checked on each of them (Lambda may poll from any: see
// inventory.resolveMSK), and reported as one workload: its ID, alert
// memory and blast radius stay those of the mapping, and its findings name
// the configuration they are about (check.MergeConfigurations).
//
// vpcmedic does not remediate such a mapping: its result has no plan, and
// the plans of its broken configurations become recommendations.

// vpcsOf returns the VPCs of a workload's networks.
func vpcsOf(w *workload.Workload) []string {
	var out []string
	for _, n := range w.Networks() {
		if n.VPCID != "" && !slices.Contains(out, n.VPCID) {
			out = append(out, n.VPCID)
		}
	}
	return out
}

// checkedOnConfigs reports whether a workload is checked on each of several
// networks.
func checkedOnConfigs(w *workload.Workload) bool {
	return len(w.VPCConfigs) > 1 && w.Unresolved == ""
}

// finishConfigs checks a prepared mapping on each of its VPC
// configurations, in the snapshots of their VPCs, and merges the verdicts.
func (a *App) finishConfigs(p *prepared, snaps map[string]*network.Snapshot) *result {
	w := p.target.Workload
	r := &result{}
	for _, n := range w.VPCConfigs {
		one := *w
		one.Network, one.VPCConfigs = n, nil
		t := *p.target
		t.Workload = &one
		r.parts = append(r.parts, a.finish(&prepared{target: &t, inferred: p.inferred}, snaps[n.VPCID]))
	}
	t := *r.parts[0].target
	t.Workload = w
	r.target = &t
	r.report = r.parts[0].report
	r.merge()
	return r
}

// merge sets the result's verdict from those of its parts.
func (r *result) merge() {
	n := len(r.parts)
	configs := make([]check.Configuration, n)
	var recs, unfixable []string
	for i, p := range r.parts {
		vpc := p.target.Workload.Network.VPCID
		configs[i] = check.Configuration{VPCID: vpc, Findings: p.report.Findings, Passed: p.report.Passed}
		if p.report.Status != report.StatusBroken {
			continue
		}
		label := check.ConfigurationLabel(i, n, vpc) + ": "
		for _, c := range p.plan.Changes {
			rec := label + c.Reason
			if c.Command != "" {
				rec += " (" + c.Command + ")"
			}
			recs = append(recs, rec)
		}
		for _, s := range p.plan.Recommendations {
			recs = append(recs, label+s)
		}
		for _, s := range p.plan.Unfixable {
			unfixable = append(unfixable, label+s)
		}
	}
	r.target.Network = r.parts[0].target.Network
	r.report.Findings, r.report.Passed = check.MergeConfigurations(r.target.Describe(), configs)
	r.report.Status = report.StatusOf(r.report.Findings)
	r.report.Recommendations, r.report.Unfixable = recs, unfixable
	r.plan = plan.Plan{}
}

// refreshConfigs re-checks the parts of a merged result in vpc on its new
// snapshot, and merges again.
func (a *App) refreshConfigs(r *result, vpc string, snap *network.Snapshot) {
	for _, p := range r.parts {
		if p.target.Workload.Network.VPCID != vpc {
			continue
		}
		p.target.Network = snap
		p.report.Findings, p.report.Passed = check.Run(check.Fresh(p.target))
		p.report.Status = report.StatusOf(p.report.Findings)
		p.plan = plan.Plan{}
		if p.report.Status == report.StatusBroken {
			p.plan = plan.For(declaredOnly(p.target), plan.Options{AllowNATCreation: a.Config.AllowNATCreation})
		}
	}
	r.merge()
}

// partTargets returns the targets a result is checked on: those of its
// parts, or its own.
func (r *result) partTargets() []*check.Target {
	if r.parts == nil {
		return []*check.Target{r.target}
	}
	out := make([]*check.Target, len(r.parts))
	for i, p := range r.parts {
		out[i] = p.target
	}
	return out
}
