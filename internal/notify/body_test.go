package notify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

func brokenReport() report.Report {
	return report.Report{
		Trigger: trail.Trigger{EventID: "evt-1", Source: trail.SourceEC2, Action: "DeleteNatGateway", Account: "123456789012", Region: "us-east-1",
			Actor: &trail.Actor{ARN: "arn:aws:sts::123456789012:assumed-role/Admin/alice"}, Resources: []trail.Resource{{Kind: "nat-gateway", ID: "nat-1"}}},
		Mode: "alarm",
		Workloads: []report.Workload{{
			Kind: "kafka-esm", ID: "3f1c", Name: "consumer <- MSK orders", Status: report.StatusBroken, VPCID: "vpc-1",
			Findings: []report.Finding{
				{Check: "service-path", Severity: report.SeverityError, AZ: "us-east-1a", Service: "sts", Message: "cannot reach sts in us-east-1a"},
				{Check: "service-path", Severity: report.SeverityError, AZ: "us-east-1b", Service: "sts", Message: "cannot reach sts in us-east-1b"},
				{Check: "cross-zone-path", Severity: report.SeverityWarning, AZ: "us-east-1a", Service: "lambda", Message: "lambda crosses zones"},
			},
			Recommendations: []string{"Alternatively, switch the mapping to provisioned mode."},
		}, {
			Kind: "function", ID: "arn:aws:lambda:us-east-1:123456789012:function:ok", Name: "ok", Status: report.StatusOK,
			Findings: []report.Finding{},
		}},
		Changes: []report.Change{
			{Action: "create-interface-endpoint", Target: "vpc-1", Status: report.ChangePlanned, Workload: "3f1c", Reason: "create a sts interface endpoint", MonthlyCostUSD: 14.6, Command: "aws ec2 create-vpc-endpoint --vpc-id vpc-1"},
			{Action: "authorize-security-group-ingress", Target: "sg-1", Status: report.ChangePlanned, Workload: "3f1c", Reason: "allow TCP 443 into sg-1", Command: "aws ec2 authorize-security-group-ingress --group-id sg-1"},
		},
	}
}

func TestBody(t *testing.T) {
	body := Body(brokenReport())
	for _, want := range []string{
		"Cause: DeleteNatGateway nat-1 by arn:aws:sts::123456789012:assumed-role/Admin/alice",
		"BROKEN: kafka-esm consumer <- MSK orders (3f1c)",
		"- sts (service-path) in us-east-1a, us-east-1b",
		"- cannot reach sts in us-east-1a, us-east-1b\n",
		"FIX (cheapest first, about $14.60/month in all)",
		"1. Create a sts interface endpoint (about $14.60/month)\n   aws ec2 create-vpc-endpoint --vpc-id vpc-1",
		"2. Allow TCP 443 into sg-1 (free)",
		"switch the mapping to provisioned mode",
		"ALSO WORTH FIXING\n- lambda crosses zones",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if text, _, _ := strings.Cut(body, "----- JSON report -----"); strings.Count(text, "cannot reach sts") != 1 {
		t.Errorf("a cause is said once per zone, not once:\n%s", body)
	}
	if strings.Contains(body, "OK: function ok") {
		t.Error("a healthy workload is described in the alert")
	}
	_, js, ok := strings.Cut(body, "----- JSON report -----\n")
	var decoded report.Report
	if !ok || json.Unmarshal([]byte(js), &decoded) != nil || len(decoded.Workloads) != 2 {
		t.Errorf("the JSON section does not decode into the report")
	}
}

func TestBodyTooLargeForSNS(t *testing.T) {
	r := brokenReport()
	for i := 0; i < 3000; i++ {
		r.Workloads = append(r.Workloads, report.Workload{Kind: "function", ID: strings.Repeat("x", 100), Status: report.StatusOK})
	}
	if body := Body(r); len(body) > maxMessage || !strings.Contains(body, "too large") {
		t.Errorf("body of %d bytes", len(body))
	}
}

func TestSubjectKeepsTheCountWhenShortened(t *testing.T) {
	r := report.Report{}
	for i := 0; i < 3; i++ {
		r.Workloads = append(r.Workloads, report.Workload{Name: strings.Repeat("n", 120), Status: report.StatusBroken})
	}
	s := Subject(r)
	if len(s) >= 100 || !strings.HasSuffix(s, "... and 2 more") || !strings.HasPrefix(s, "vpcmedic: BROKEN nnn") {
		t.Errorf("subject = %q (%d characters)", s, len(s))
	}
}

func TestBodyInRemediateMode(t *testing.T) {
	r := brokenReport()
	r.Mode = "remediate"
	r.Workloads[0].Before, r.Workloads[0].Status = report.StatusBroken, report.StatusOK
	r.Workloads[0].Findings = nil
	r.Changes[0].Status, r.Changes[1].Status = report.ChangeCreated, report.ChangeSkipped
	body := Body(r)
	for _, want := range []string{
		"OK (was BROKEN): kafka-esm consumer <- MSK orders",
		"CHANGES MADE (new monthly cost about $14.60)",
		"- created: create-interface-endpoint vpc-1, about $14.60/month (create a sts interface endpoint)",
		"- skipped: authorize-security-group-ingress sg-1 (allow TCP 443 into sg-1)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "FIX (") {
		t.Error("a remediated report still proposes fixes")
	}
}

func TestAlertMemory(t *testing.T) {
	withProblem := func(status report.Status, problem string) report.Report {
		r := brokenReport()
		r.Workloads = r.Workloads[:1]
		r.Workloads[0].Status, r.Workloads[0].Problem = status, problem
		return r
	}
	tests := []struct {
		name    string
		r       report.Report
		pages   bool
		subject string
	}{
		{"a new problem pages", withProblem(report.StatusBroken, "new"), true, "vpcmedic: BROKEN consumer <- MSK orders"},
		{"an ongoing problem stays quiet", withProblem(report.StatusBroken, "ongoing"), false, ""},
		{"a reminder pages", withProblem(report.StatusBroken, "renotify"), true, ""},
		{"a recovery pages once", withProblem(report.StatusOK, "recovered"), true, "vpcmedic: recovered consumer <- MSK orders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShouldAlert("alarm", tt.r); got != tt.pages {
				t.Errorf("ShouldAlert = %v, want %v", got, tt.pages)
			}
			if tt.subject != "" && Subject(tt.r) != tt.subject {
				t.Errorf("subject = %q, want %q", Subject(tt.r), tt.subject)
			}
		})
	}
	if body := Body(withProblem(report.StatusOK, "recovered")); !strings.Contains(body, "RECOVERED: kafka-esm consumer <- MSK orders (3f1c)") {
		t.Errorf("recovery not in the body:\n%s", body)
	}
	if body := Body(withProblem(report.StatusBroken, "renotify")); !strings.Contains(body, "BROKEN, renotify: kafka-esm") {
		t.Errorf("state not in the heading:\n%s", body)
	}
}

func TestSweepSubject(t *testing.T) {
	r := report.Report{Trigger: trail.Trigger{Action: trail.ActionSweep}}
	for _, p := range []string{"new", "ongoing", "ongoing", "recovered", ""} {
		status := report.StatusBroken
		if p == "recovered" || p == "" {
			status = report.StatusOK
		}
		r.Workloads = append(r.Workloads, report.Workload{Status: status, Problem: p})
	}
	if got := Subject(r); got != "vpcmedic sweep: 1 new, 1 recovered, 2 still broken" {
		t.Errorf("subject = %q", got)
	}
	r.Workloads = []report.Workload{{Status: report.StatusBroken}, {Status: report.StatusOK}}
	if got := Subject(r); got != "vpcmedic sweep: 1 of 2 workloads broken" {
		t.Errorf("subject without memory = %q", got)
	}
}
