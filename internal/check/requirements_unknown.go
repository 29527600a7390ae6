package check

import (
	"fmt"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

var requirementsUnknown = Check{
	ID:          "VM108",
	Name:        "requirements-unknown",
	Title:       "What the function must reach is not known",
	Impact:      "Without a list of the AWS services the function calls, its paths cannot be verified: a function with no internet path would go unnoticed.",
	Remediation: "Check by hand that every AWS service the function calls has a NAT path or an interface endpoint from its subnets.",
	Severity:    report.SeverityInfo,
	Applies: func(t *Target) bool {
		return t.Workload.Kind == workload.KindFunction && resolved(t) && len(t.Requirements) == 0
	},
	Run: func(t *Target) []Result {
		return []Result{{
			Unverified: true,
			Message:    fmt.Sprintf("%s: vpcmedic does not infer yet which AWS services a VPC function calls, so the paths from its subnets were not verified", t.Describe()),
			Resources:  []string{t.Workload.ID},
		}}
	},
}
