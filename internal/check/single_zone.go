package check

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

var singleZone = Check{
	ID:          "VM110",
	Name:        "function-single-zone",
	Title:       "The function's subnets are all in one Availability Zone",
	Impact:      "An outage of that zone stops the function: Lambda can place its network interfaces only in the zones of its subnets.",
	Remediation: "Add a subnet in a second Availability Zone to the function's VPC configuration.",
	Severity:    report.SeverityWarning,
	Applies:     func(t *Target) bool { return isFunction(t) && resolved(t) && len(t.Subnets()) > 0 },
	Run: func(t *Target) []Result {
		subnets := t.Subnets()
		zone := subnets[0].AvailabilityZone
		for _, sn := range subnets[1:] {
			if sn.AvailabilityZone != zone {
				return []Result{{Pass: true}}
			}
		}
		var ids []string
		for _, sn := range subnets {
			ids = append(ids, sn.ID)
		}
		return []Result{{
			Message:   fmt.Sprintf("%s runs only in %s (subnets %s): an outage of that zone stops it", t.Describe(), zone, strings.Join(ids, ", ")),
			AZ:        zone,
			Resources: ids,
		}}
	},
}
