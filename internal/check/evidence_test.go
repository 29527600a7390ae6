package check

import (
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// A missing path to a service only a broad grant suggests is a warning
// that says how to declare or dismiss the need; a declared one breaks the
// function; what could not be read of Lambda's own use is said.
func TestServicePathSeverityFollowsEvidence(t *testing.T) {
	tgt := &Target{Workload: vpcFunction("priv-a"), Network: withFunctionGroups(baseVPC()), Region: region, Requirements: []Requirement{
		{Service: "dynamodb", Why: "policy P allows dynamodb:*", Evidence: EvidenceDeclared},
		{Service: "sns", Why: "policy P allows sns:ListTopics (an AWS managed policy made for dynamodb)", Evidence: EvidenceSuggested},
		{Service: "sqs", Why: "policy Q allows sqs:SendMessage", Evidence: EvidenceDeclared, Unread: "Lambda refused to read the function's asynchronous invocation configuration: AccessDeniedException"},
	}}
	findings, _ := results(t, servicePath, tgt)
	bySvc := map[string]report.Finding{}
	for _, f := range findings {
		bySvc[f.Service] = f
	}
	if f := bySvc["dynamodb"]; f.Severity != report.SeverityError {
		t.Errorf("declared dynamodb: %+v, want an error", f)
	}
	sns := bySvc["sns"]
	if sns.Severity != report.SeverityWarning || sns.Unverified {
		t.Errorf("suggested sns: %+v, want a verified warning", sns)
	}
	for _, want := range []string{"only a broad grant suggests", "vpcmedic:needs=sns", "vpcmedic:ignore=sns", "route table rtb-a has no 0.0.0.0/0 route"} {
		if !strings.Contains(sns.Message, want) {
			t.Errorf("suggested sns message %q lacks %q", sns.Message, want)
		}
	}
	if f := bySvc["sqs"]; f.Severity != report.SeverityError || !strings.Contains(f.Message, "could not tell whether Lambda itself makes these calls: Lambda refused") {
		t.Errorf("sqs with an unread destination config: %+v", f)
	}
	if got := report.StatusOf(findingsWithout(findings, "dynamodb", "sqs")); got != report.StatusOK {
		t.Errorf("status with only the suggested warning: %s, want ok", got)
	}
}

// A suggested need behind a path vpcmedic cannot verify is a warning too:
// a guess makes the function neither broken nor unknown.
func TestSuggestedNeedBehindAnUnverifiablePath(t *testing.T) {
	s := withFunctionGroups(baseVPC())
	for i := range s.RouteTables[2:] {
		s.RouteTables[2+i].Routes = append(s.RouteTables[2+i].Routes, network.Route{Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetTransitGateway, TargetID: "tgw-1", Active: true})
	}
	tgt := &Target{Workload: vpcFunction("priv-a"), Network: s, Region: region, Requirements: []Requirement{{Service: "sns", Why: "w", Evidence: EvidenceSuggested}}}
	findings, _ := results(t, servicePath, tgt)
	if len(findings) != 1 || findings[0].Severity != report.SeverityWarning || findings[0].Unverified || !strings.Contains(findings[0].Message, "has no verified path to sns") {
		t.Fatalf("findings %+v, want one verified warning", findings)
	}
}

func findingsWithout(findings []report.Finding, services ...string) []report.Finding {
	var out []report.Finding
	for _, f := range findings {
		if !strings.Contains(strings.Join(services, " "), f.Service) {
			out = append(out, f)
		}
	}
	return out
}
