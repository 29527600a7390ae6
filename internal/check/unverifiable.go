package check

import "github.com/vpcmedic/vpcmedic/internal/report"

var kafkaUnverifiable = Check{
	ID:          "VM100",
	Name:        "workload-unverifiable",
	Title:       "The workload's network cannot be inspected from this account",
	Impact:      "vpcmedic cannot tell whether its paths exist, so a break would go unnoticed.",
	Remediation: "Run vpcmedic in the account that owns the network, or check the paths there by hand.",
	Severity:    report.SeverityInfo,
	Applies:     func(t *Target) bool { return t.Workload.Unresolved != "" },
	Run: func(t *Target) []Result {
		return []Result{{
			Unverified: true,
			Message:    t.Describe() + " cannot be checked: " + t.Workload.Unresolved,
			Resources:  []string{t.Workload.ID},
		}}
	},
}
