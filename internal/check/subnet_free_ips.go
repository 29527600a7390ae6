package check

import (
	"fmt"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

// minFreeIPs leaves room for Lambda's Hyperplane ENIs (one per subnet and
// security group combination) and for endpoint ENIs.
const minFreeIPs = 8

var subnetFreeIPs = Check{
	ID:          "VM106",
	Name:        "subnet-free-ips",
	Title:       "A workload subnet is almost out of IP addresses",
	Impact:      "Lambda cannot create the network interfaces it needs there, and new endpoints cannot be placed.",
	Remediation: "Add a larger subnet in the same zone to the workload, or free addresses in this one.",
	Severity:    report.SeverityWarning,
	Applies:     resolved,
	Run: func(t *Target) []Result {
		var out []Result
		for _, sn := range t.Subnets() {
			if sn.FreeIPs >= minFreeIPs {
				out = append(out, Result{Pass: true})
				continue
			}
			out = append(out, Result{
				Message:   fmt.Sprintf("%s: subnet %s in %s has only %d free IP addresses", t.Describe(), sn.ID, sn.AvailabilityZone, sn.FreeIPs),
				AZ:        sn.AvailabilityZone,
				Resources: []string{sn.ID},
			})
		}
		return out
	},
}
