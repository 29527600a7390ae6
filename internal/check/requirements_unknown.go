package check

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/needs"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

var requirementsUnknown = Check{
	ID:          "VM108",
	Name:        "requirements-unknown",
	Title:       "Nothing the function must reach could be inferred",
	Impact:      "Without a list of the AWS services and databases the function calls, its paths cannot be verified: a function with no internet path would go unnoticed.",
	Remediation: "Tag the function with " + needs.TagNeeds + " listing the services it calls (e.g. sns,s3), or " + needs.TagIgnore + "=* if it calls none.",
	Severity:    report.SeverityInfo,
	// It fires only when nothing at all was inferred: a function whose
	// role, environment or tags name something has its paths checked.
	Applies: func(t *Target) bool {
		return isFunction(t) && resolved(t) && len(t.Requirements) == 0 && len(t.Databases) == 0 && !t.NothingToCheck
	},
	Run: func(t *Target) []Result {
		msg := fmt.Sprintf("%s: no AWS service or database it calls could be inferred from its execution role's policies, its environment variables or the %s tag, so the paths from its subnets were not verified", t.Describe(), needs.TagNeeds)
		if len(t.NeedsGaps) > 0 {
			msg += " (" + strings.Join(t.NeedsGaps, "; ") + ")"
		}
		return []Result{{Unverified: true, Message: msg, Resources: []string{t.Workload.ID}}}
	},
}
