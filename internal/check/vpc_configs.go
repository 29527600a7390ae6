package check

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

// vpcConfigurations is the verdict on a mapping whose MSK Serverless cluster
// has several VPC configurations, some broken and others not. Lambda's
// guide says the mapping's interfaces use "the subnet and security group
// configuration of your MSK cluster"
// (https://docs.aws.amazon.com/lambda/latest/dg/msk-esm-create.html), never
// which of several: a broken configuration breaks the mapping only if its
// pollers are there, so it is a warning until all are broken.
var vpcConfigurations = Check{
	ID:          "VM125",
	Name:        "vpc-configurations",
	Title:       "Some VPC configurations of the MSK Serverless cluster are broken",
	Impact:      "The mapping fails if Lambda polls from a broken configuration; the documentation does not say which it uses.",
	Remediation: "Fix the broken configurations as their findings say; to see which one Lambda uses, list the network interfaces in each configuration's subnets (Lambda creates the mapping's interfaces in the cluster's subnets).",
	Severity:    report.SeverityWarning,
}

// Configuration is the verdict on one VPC configuration of a mapping.
type Configuration struct {
	VPCID    string
	Findings []report.Finding
	Passed   int
}

// ConfigurationLabel names the i-th (from 0) of n VPC configurations in a
// finding.
func ConfigurationLabel(i, n int, vpc string) string {
	return fmt.Sprintf("VPC configuration %d of %d (%s)", i+1, n, vpc)
}

// MergeConfigurations makes one verdict on a mapping of the verdicts on
// each of its VPC configurations (described names the mapping). A finding
// every configuration has is about the mapping and is kept once; any other
// names its configuration. The mapping is broken only if every
// configuration is: otherwise the errors of the broken ones become
// warnings, with a finding that says why.
func MergeConfigurations(describe string, configs []Configuration) (findings []report.Finding, passed int) {
	common := map[string]int{}
	for _, c := range configs {
		seen := map[string]bool{}
		for _, f := range c.Findings {
			if k := findingKey(f); !seen[k] {
				seen[k] = true
				common[k]++
			}
		}
	}
	var broken, others []string
	var brokenIDs []string
	findings = []report.Finding{}
	kept := map[string]bool{}
	for i, c := range configs {
		label := ConfigurationLabel(i, len(configs), c.VPCID)
		if report.StatusOf(c.Findings) == report.StatusBroken {
			broken = append(broken, label)
			brokenIDs = append(brokenIDs, c.VPCID)
		} else {
			others = append(others, fmt.Sprintf("%s is %s", label, report.StatusOf(c.Findings)))
		}
		passed += c.Passed
	}
	partly := len(broken) > 0 && len(broken) < len(configs)
	for i, c := range configs {
		label := ConfigurationLabel(i, len(configs), c.VPCID)
		for _, f := range c.Findings {
			k := findingKey(f)
			if common[k] == len(configs) {
				if !kept[k] {
					kept[k] = true
					findings = append(findings, f)
				}
				continue
			}
			f.Message = label + ": " + f.Message
			f.Resources = append(append([]string{}, f.Resources...), c.VPCID)
			if partly && f.Severity == report.SeverityError {
				f.Severity = report.SeverityWarning
			}
			findings = append(findings, f)
		}
	}
	if partly {
		findings = append(findings, report.Finding{
			Check: vpcConfigurations.Name, CheckID: vpcConfigurations.ID, Severity: vpcConfigurations.Severity,
			Message: fmt.Sprintf("%s: %s broken (its errors above are reported as warnings), while %s. Lambda's documentation does not say which VPC configuration of an MSK Serverless cluster the mapping's pollers use, so vpcmedic does not report the mapping broken: it is, if Lambda polls from a broken configuration. The network interfaces Lambda created in each configuration's subnets would settle it.",
				describe, strings.Join(broken, " and ")+plural(len(broken), " is", " are"), strings.Join(others, ", ")),
			Resources:   brokenIDs,
			Remediation: vpcConfigurations.Remediation,
		})
	}
	return findings, passed
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// findingKey identifies a finding by what it says.
func findingKey(f report.Finding) string {
	return strings.Join([]string{f.Check, string(f.Severity), f.Message, f.AZ, f.Service, strings.Join(f.Resources, ","), fmt.Sprint(f.Unverified)}, "\x00")
}
