package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

var customDNS = Check{
	ID:          "VM105",
	Name:        "custom-dns-servers",
	Title:       "The VPC resolves names with custom DNS servers",
	Impact:      "Private endpoint names resolve only if those servers forward to the VPC resolver; otherwise traffic bypasses the endpoints.",
	Remediation: "Make the custom DNS servers forward AWS service names to the VPC resolver (AmazonProvidedDNS), or use AmazonProvidedDNS.",
	Severity:    report.SeverityWarning,
	Applies: func(t *Target) bool {
		return resolved(t) && t.Network.VPC.DNSSupport && len(t.Requirements) > 0
	},
	Run: func(t *Target) []Result {
		custom := slices.DeleteFunc(slices.Clone(t.Network.VPC.DNSServers), func(s string) bool { return s == "AmazonProvidedDNS" })
		if len(custom) == 0 {
			return []Result{{Pass: true}}
		}
		var via []string
		for _, sn := range t.Subnets() {
			for _, req := range t.Requirements {
				if p := t.ServicePath(sn.ID, req.Service); p.Via == reach.ViaEndpoint && !slices.Contains(via, req.Service) {
					via = append(via, req.Service)
				}
			}
		}
		if len(via) == 0 {
			return []Result{{Pass: true}}
		}
		return []Result{{
			Message:   fmt.Sprintf("%s relies on private endpoint names for %s, but VPC %s uses DNS servers %s", t.Describe(), strings.Join(via, ", "), t.Network.VPC.ID, strings.Join(custom, ", ")),
			Resources: []string{t.Network.VPC.ID},
		}}
	},
}
