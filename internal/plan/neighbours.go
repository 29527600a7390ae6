package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// Verify tries a workload's plan on a copy of its network and re-checks
// every other workload of the VPC there (others may include the workload
// itself, and workloads of other VPCs: both are skipped). A private-DNS
// endpoint takes its service's traffic for the whole VPC, so a fix for one
// workload can break another that reached the service through NAT:
//
//   - another workload that would fail a service the plan creates an
//     endpoint for is given the egress rule to the endpoint's group it
//     lacks, and named in a recommendation when that is not enough;
//   - a plan that still turns another workload from not broken to broken
//     is refused, and left to a person with its commands.
func Verify(t *check.Target, p Plan, others []*check.Target) Plan {
	if len(p.Changes) == 0 || t.Network == nil {
		return p
	}
	patched := patch(t.Network, p.Changes, t.Region)
	nearby := neighbours(t, others)
	for _, o := range nearby {
		p = adjust(t, p, o, patched)
	}
	var harmed []string
	for _, o := range nearby {
		if before := statusOn(o, t.Network); before != report.StatusBroken && statusOn(o, patched) == report.StatusBroken {
			harmed = append(harmed, fmt.Sprintf("%s %q (now %s, then broken: %s)", o.Workload.Kind, o.Workload.Name, before, firstError(o, patched)))
		}
	}
	if len(harmed) == 0 {
		return p
	}
	var commands []string
	for _, c := range p.Changes {
		commands = append(commands, c.Command)
	}
	return Plan{
		Unfixable: append(slices.Clone(p.Unfixable), fmt.Sprintf("the fix would break other workloads of VPC %s: %s", t.Network.VPC.ID, strings.Join(harmed, "; "))),
		Recommendations: append(slices.Clone(p.Recommendations), fmt.Sprintf(
			"vpcmedic made no change, since it would break %d other workload(s) of VPC %s. Once they have another path to the services, the fix is: %s",
			len(harmed), t.Network.VPC.ID, strings.Join(commands, " && "))),
	}
}

// adjust gives another workload that is broken on a service of an endpoint
// the plan creates the egress it lacks to the endpoint's group, and names
// what still fails.
func adjust(t *check.Target, p Plan, o *check.Target, patched *network.Snapshot) Plan {
	for _, c := range slices.Clone(p.Changes) {
		if c.Action != CreateInterfaceEndpoint || len(c.GroupIDs) == 0 || !requires(o, c.Service) {
			continue
		}
		gaps := failingOn(o, patched, c.Service)
		if len(gaps) == 0 {
			continue
		}
		group := o.Workload.Network.SecurityGroupIDs
		if len(group) > 0 && !egressToGroup(patched, group[0], c.GroupIDs[0], reach.HTTPS) {
			rule := Change{Action: AuthorizeEgress, Target: group[0], GroupID: group[0], PeerGroupID: c.GroupIDs[0], Port: reach.HTTPS, Service: c.Service, CheckIDs: []string{"VM102"},
				Reason: fmt.Sprintf("allow TCP 443 out of %s (the group of %q, whose egress is restricted) to %s, so it reaches the new %s endpoint too", group[0], o.Workload.Name, c.GroupIDs[0], c.Service)}
			rule.Command = command(t.Region, rule)
			p.Changes = append(p.Changes, rule)
			apply(patched, rule, t.Region)
			gaps = failingOn(o, patched, c.Service)
		}
		for _, g := range gaps {
			p.Recommendations = append(p.Recommendations, fmt.Sprintf("%s %q still cannot reach %s in %s (subnet %s) once the %s endpoint exists: %s",
				o.Workload.Kind, o.Workload.Name, c.Service, g.AZ, g.SubnetID, c.Service, g.Problem))
		}
	}
	return p
}

// neighbours are the other workloads of t's VPC.
func neighbours(t *check.Target, others []*check.Target) []*check.Target {
	var out []*check.Target
	for _, o := range others {
		if o != nil && o.Workload != nil && o.Workload.ID != t.Workload.ID && o.Workload.Unresolved == "" &&
			o.Workload.Network.VPCID == t.Network.VPC.ID {
			out = append(out, o)
		}
	}
	return out
}

// patch is a copy of s with the changes made.
func patch(s *network.Snapshot, changes []Change, region string) *network.Snapshot {
	c := clone(s)
	for _, ch := range changes {
		apply(c, ch, region)
	}
	return c
}

// on is o's view of network s.
func on(o *check.Target, s *network.Snapshot) *check.Target {
	c := *o
	c.Network = s
	return check.Fresh(&c)
}

func statusOn(o *check.Target, s *network.Snapshot) report.Status {
	findings, _ := check.Run(on(o, s))
	return report.StatusOf(findings)
}

func firstError(o *check.Target, s *network.Snapshot) string {
	findings, _ := check.Run(on(o, s))
	for _, f := range findings {
		if f.Severity == report.SeverityError {
			return f.Check + " " + f.Message
		}
	}
	return ""
}

func requires(o *check.Target, service string) bool {
	return slices.ContainsFunc(o.Requirements, func(r check.Requirement) bool { return r.Service == service })
}

// failingOn returns o's subnets where service has no verified-broken path
// on s.
func failingOn(o *check.Target, s *network.Snapshot, service string) []reach.ServicePath {
	t := on(o, s)
	var out []reach.ServicePath
	for _, sn := range t.Subnets() {
		if path := t.ServicePath(sn.ID, service); !path.OK && !path.Unverified {
			out = append(out, path)
		}
	}
	return out
}
