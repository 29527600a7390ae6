package check

import (
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

func TestReportedProblem(t *testing.T) {
	const words = "PROBLEM: Connection error. Please check your event source connection configuration."
	w := onDemandESM()
	w.Kafka.LastProcessingResult = words

	// The network explains it: a plain fact next to the errors.
	f := oneCheck(t, reportedProblem, target(w, baseVPC()), 0, "Lambda itself reports")
	if f[0].Unverified || f[0].Severity != report.SeverityInfo {
		t.Errorf("finding = %+v", f[0])
	}
	// The network is fine: vpcmedic cannot tell, and says so with Lambda's words.
	f = oneCheck(t, reportedProblem, target(w, withNATs(baseVPC(), false)), 0, "yet every network path vpcmedic checks is open")
	if !f[0].Unverified || !strings.Contains(f[0].Message, words) {
		t.Errorf("finding = %+v", f[0])
	}
	findings, _ := RunChecks([]Check{reportedProblem}, target(w, withNATs(baseVPC(), false)))
	if report.StatusOf(findings) != report.StatusUnknown {
		t.Errorf("status = %s, want unknown", report.StatusOf(findings))
	}
	// A mapping that processes records is not reported.
	w.Kafka.LastProcessingResult = "OK"
	oneCheck(t, reportedProblem, target(w, baseVPC()), 0)
}
