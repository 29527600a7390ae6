package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

func TestMergeConfigurations(t *testing.T) {
	// A finding about the mapping itself, which every configuration has.
	mappingWide := report.Finding{Check: "lambda-reported-problem", CheckID: "VM120", Severity: report.SeverityInfo, Message: "Lambda says PROBLEM", Resources: []string{}}
	path := func(subnet string) report.Finding {
		return report.Finding{Check: "service-path", CheckID: "VM102", Severity: report.SeverityError, Message: "no path to lambda from " + subnet, Resources: []string{subnet}}
	}
	ok := func(vpc string) Configuration {
		return Configuration{VPCID: vpc, Findings: []report.Finding{mappingWide}, Passed: 3}
	}
	broken := func(vpc, subnet string) Configuration {
		return Configuration{VPCID: vpc, Findings: []report.Finding{mappingWide, path(subnet)}, Passed: 2}
	}
	cases := []struct {
		name       string
		configs    []Configuration
		status     report.Status
		severities map[string]report.Severity // by message prefix
		summary    string                     // in the VM125 finding; "" for none
	}{
		{name: "both ok", configs: []Configuration{ok("vpc-a"), ok("vpc-b")}, status: report.StatusOK},
		{
			name: "second broken", configs: []Configuration{ok("vpc-a"), broken("vpc-b", "subnet-b")}, status: report.StatusOK,
			severities: map[string]report.Severity{"VPC configuration 2 of 2 (vpc-b): no path to lambda from subnet-b": report.SeverityWarning},
			summary:    "VPC configuration 2 of 2 (vpc-b) is broken (its errors above are reported as warnings), while VPC configuration 1 of 2 (vpc-a) is ok",
		},
		{
			name: "both broken", configs: []Configuration{broken("vpc-a", "subnet-a"), broken("vpc-b", "subnet-b")}, status: report.StatusBroken,
			severities: map[string]report.Severity{
				"VPC configuration 1 of 2 (vpc-a): no path to lambda from subnet-a": report.SeverityError,
				"VPC configuration 2 of 2 (vpc-b): no path to lambda from subnet-b": report.SeverityError,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			findings, passed := MergeConfigurations("ESM esm-1 (consumer <- MSK orders)", c.configs)
			if got := report.StatusOf(findings); got != c.status {
				t.Errorf("status %s, want %s: %+v", got, c.status, findings)
			}
			wantPassed := 0
			for _, cfg := range c.configs {
				wantPassed += cfg.Passed
			}
			if passed != wantPassed {
				t.Errorf("passed %d, want %d", passed, wantPassed)
			}
			if n := countIf(findings, func(f report.Finding) bool { return f.CheckID == "VM120" }); n != 1 || findings[0].Message != mappingWide.Message {
				t.Errorf("the mapping-wide finding appears %d times (want once, unprefixed): %+v", n, findings)
			}
			for msg, sev := range c.severities {
				i := slices.IndexFunc(findings, func(f report.Finding) bool { return f.Message == msg })
				if i < 0 {
					t.Errorf("no finding %q in %+v", msg, findings)
					continue
				}
				if findings[i].Severity != sev {
					t.Errorf("%q is %s, want %s", msg, findings[i].Severity, sev)
				}
			}
			summaries := countIf(findings, func(f report.Finding) bool { return f.CheckID == "VM125" })
			if c.summary == "" {
				if summaries != 0 {
					t.Errorf("unexpected VM125 finding: %+v", findings)
				}
				return
			}
			if summaries != 1 {
				t.Fatalf("%d VM125 findings, want one: %+v", summaries, findings)
			}
			s := findings[len(findings)-1]
			if s.CheckID != "VM125" || s.Severity != report.SeverityWarning || !strings.Contains(s.Message, c.summary) || !strings.Contains(s.Message, "does not say which VPC configuration") {
				t.Errorf("summary %+v, want a warning saying %q and why it is not broken", s, c.summary)
			}
			if !slices.Equal(s.Resources, []string{"vpc-b"}) {
				t.Errorf("summary resources %v, want the broken configuration's VPC", s.Resources)
			}
		})
	}
}

func countIf(findings []report.Finding, keep func(report.Finding) bool) int {
	n := 0
	for _, f := range findings {
		if keep(f) {
			n++
		}
	}
	return n
}
