package check

import (
	"fmt"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

var vpcDNS = Check{
	ID:          "VM101",
	Name:        "vpc-dns-support",
	Title:       "VPC DNS support is off",
	Impact:      "No name resolves inside the VPC: brokers, endpoints and AWS service names all fail, whatever the routes.",
	Remediation: "Turn enableDnsSupport back on for the VPC (aws ec2 modify-vpc-attribute --enable-dns-support).",
	Severity:    report.SeverityError,
	Applies:     resolved,
	Run: func(t *Target) []Result {
		if t.Network.VPC.DNSSupport {
			return []Result{{Pass: true}}
		}
		return []Result{{
			Message:   fmt.Sprintf("%s: VPC %s has DNS support turned off, so no broker or AWS service name resolves", t.Describe(), t.Network.VPC.ID),
			Resources: []string{t.Network.VPC.ID},
		}}
	},
}
