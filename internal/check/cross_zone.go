package check

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

var crossZone = Check{
	ID:          "VM103",
	Name:        "cross-zone-path",
	Title:       "A zone's path to an AWS service runs through another zone",
	Impact:      "It works, but an outage of the other zone breaks this one too, and cross-zone traffic is billed.",
	Remediation: "Give the endpoint a subnet in this zone, or route this zone's private subnets to a NAT gateway in the same zone.",
	Severity:    report.SeverityWarning,
	Applies:     func(t *Target) bool { return resolved(t) && t.Network.VPC.DNSSupport && len(t.Requirements) > 0 },
	Run: func(t *Target) []Result {
		var out []Result
		for _, sn := range t.Subnets() {
			for _, req := range t.Requirements {
				p := t.ServicePath(sn.ID, req.Service)
				if !p.OK {
					continue // service-path reports it
				}
				if len(p.Warnings) == 0 {
					out = append(out, Result{Pass: true})
					continue
				}
				out = append(out, Result{
					Message:   fmt.Sprintf("%s in %s (subnet %s) reaches %s, but: %s", t.Describe(), sn.AvailabilityZone, sn.ID, req.Service, strings.Join(p.Warnings, "; ")),
					AZ:        sn.AvailabilityZone,
					Service:   req.Service,
					Resources: append([]string{sn.ID}, p.Evidence...),
				})
			}
		}
		return out
	},
}
