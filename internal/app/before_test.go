package app_test

import (
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// In remediate mode every workload carries the verdict found first, also
// when nothing was changed; alarm mode reports no before.
func TestBeforeIsReportedForEveryWorkloadInRemediateMode(t *testing.T) {
	cases := []struct {
		name       string
		mode       string
		env        map[string]string
		seed       func(*scenario.Scenario) *scenario.MSKWorkload
		wantBefore report.Status
		wantStatus report.Status
	}{
		{"already healthy", "remediate", nil, scenario.HealthyOnDemandMSK, report.StatusOK, report.StatusOK},
		{"dry run", "remediate", map[string]string{"DRY_RUN": "true"}, scenario.BrokenOnDemandMSK, report.StatusBroken, report.StatusBroken},
		{"change limit reached", "remediate", map[string]string{"MAX_CHANGES": "0"}, scenario.BrokenOnDemandMSK, report.StatusBroken, report.StatusBroken},
		{"alarm mode", "alarm", nil, scenario.BrokenOnDemandMSK, "", report.StatusBroken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator.Shared(t)
			s := scenario.New(srv.MustConfig(t))
			w := tc.seed(s)
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			useEmulatorEnv(t, srv)
			t.Setenv("MODE", tc.mode)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			rep := handle(t, buildFromEnv(t, app.OnLambdaChange), mappingCreated(t, w.ESM))
			if len(rep.Workloads) != 1 {
				t.Fatalf("workloads %+v", rep.Workloads)
			}
			got := rep.Workloads[0]
			if got.Before != tc.wantBefore || got.Status != tc.wantStatus {
				t.Errorf("before %q status %q, want %q %q (changes %+v)", got.Before, got.Status, tc.wantBefore, tc.wantStatus, rep.Changes)
			}
		})
	}
}
