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
		Trigger: trail.Trigger{EventID: "evt-1", Action: "DeleteNatGateway", Account: "123456789012", Region: "us-east-1",
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
		"Trigger: DeleteNatGateway nat-1 by arn:aws:sts::123456789012:assumed-role/Admin/alice",
		"BROKEN: kafka-esm consumer <- MSK orders (3f1c)",
		"- sts (service-path) in us-east-1a, us-east-1b",
		"- cannot reach sts in us-east-1b",
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
