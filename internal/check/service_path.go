package check

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/needs"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

var servicePath = Check{
	ID:          "VM102",
	Name:        "service-path",
	Title:       "A required AWS service is unreachable from the workload's subnet",
	Impact:      "Calls to the service time out: an on-demand Kafka mapping delivers no record and Lambda reports only \"PROBLEM: Connection error\".",
	Remediation: "Create an interface endpoint for the service with private DNS in every zone of the workload (cheapest), or route the private subnets' 0.0.0.0/0 to a NAT gateway in the same zone.",
	Severity:    report.SeverityError,
	// With DNS support off every path fails for that one reason, which
	// vpc-dns-support reports once.
	Applies: func(t *Target) bool { return resolved(t) && t.Network.VPC.DNSSupport && len(t.Requirements) > 0 },
	Run: func(t *Target) []Result {
		var out []Result
		for _, sn := range t.Subnets() {
			for _, req := range t.Requirements {
				p := t.ServicePath(sn.ID, req.Service)
				if p.OK && len(p.Partial) == 0 {
					out = append(out, Result{Pass: true})
					continue
				}
				if p.OK {
					out = append(out, Result{
						Severity:  report.SeverityWarning,
						Message:   fmt.Sprintf("%s in %s (subnet %s) reaches %s only in part: %s", t.Describe(), sn.AvailabilityZone, sn.ID, req.Service, strings.Join(p.Partial, "; ")),
						AZ:        sn.AvailabilityZone,
						Service:   req.Service,
						Resources: append([]string{sn.ID}, p.Evidence...),
					})
					continue
				}
				out = append(out, missingPath(t, sn, req, p))
			}
		}
		return out
	},
}

// missingPath reports a service a subnet cannot reach: an error when the
// need is declared, a warning that says how to declare or dismiss it when
// only a broad grant suggests it.
func missingPath(t *Target, sn network.Subnet, req Requirement, p reach.ServicePath) Result {
	r := Result{
		Message:    fmt.Sprintf("%s in %s (subnet %s) cannot reach %s, needed because %s: %s", t.Describe(), sn.AvailabilityZone, sn.ID, req.Service, req.Why, p.Problem),
		AZ:         sn.AvailabilityZone,
		Service:    req.Service,
		Resources:  append([]string{sn.ID}, p.Evidence...),
		Unverified: p.Unverified,
		InProgress: p.InProgress,
	}
	if req.Suggested() {
		r.Severity = report.SeverityWarning
		verb := "cannot reach"
		if p.Unverified {
			verb = "has no verified path to"
		}
		r.Message = fmt.Sprintf("%s in %s (subnet %s) %s %s, which only a broad grant suggests it calls (%s): %s. If its code calls %s, tag the function %s=%s to have a missing path reported as broken; if not, tag it %s=%s",
			t.Describe(), sn.AvailabilityZone, sn.ID, verb, req.Service, req.Why, p.Problem, req.Service, needs.TagNeeds, req.Service, needs.TagIgnore, req.Service)
		// A guess makes the workload neither broken nor unknown.
		r.Unverified, r.InProgress = false, false
	}
	if req.Unread != "" {
		r.Message += fmt.Sprintf(" (vpcmedic could not tell whether Lambda itself makes these calls: %s)", req.Unread)
	}
	return r
}
