package app

import (
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

// A result cut down to fit in an item keeps every broken and unverifiable
// workload whole and the healthy ones' verdicts (a recovery is still seen),
// and leaves out the networks.
func TestTrimmedShardKeepsTheProblemsAndTheVerdicts(t *testing.T) {
	finding := []report.Finding{{Check: "route", Severity: report.SeverityError}}
	s := shardResult{
		Run: report.AccountRun{Account: "111111111111", Checked: 3, Broken: 1},
		Workloads: []report.Workload{
			{ID: "broken", Status: report.StatusBroken, Findings: finding, Needs: []report.Need{{}}},
			{ID: "unknown", Status: report.StatusUnknown, Findings: finding},
			{ID: "ok", Status: report.StatusOK, Account: "111111111111", Passed: 7, Findings: []report.Finding{{Check: "dns"}}, Needs: []report.Need{{}}, Requirements: []report.Requirement{{}}},
		},
		Networks: []report.Network{{VPCID: "vpc-1"}},
	}
	got := s.trimmed()
	if !got.Trimmed || got.Networks != nil || got.Run != s.Run {
		t.Errorf("trimmed %v, networks %v, run %+v; want trimmed, no networks, the counts kept", got.Trimmed, got.Networks, got.Run)
	}
	if len(got.Workloads) != 3 || len(got.Workloads[0].Needs) != 1 || len(got.Workloads[1].Findings) != 1 {
		t.Fatalf("workloads %+v: want the broken and unknown ones whole", got.Workloads)
	}
	if ok := got.Workloads[2]; ok.ID != "ok" || ok.Status != report.StatusOK || ok.Passed != 7 || ok.Account == "" || ok.Findings != nil || ok.Needs != nil || ok.Requirements != nil {
		t.Errorf("healthy workload %+v: want its verdict only", ok)
	}
	if len(s.Workloads[2].Needs) != 1 {
		t.Error("trimming changed the result it was cut from")
	}
}
