package app_test

import (
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// After DeleteEventSourceMapping, AWS keeps answering GetEventSourceMapping
// with State "Deleting" for a while; an event about the mapping that is
// delivered late, or twice, then finds it still there. A mapping on its way
// out processes nothing and is not worth a page.
func TestMappingBeingDeletedIsSkipped(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t))
	w := scenario.BrokenOnDemandMSK(s)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetESMState(t.Context(), w.ESM.UUID, "Deleting", "", "USER_INITIATED"); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, function, sample string }{
		{"its creation delivered late", app.OnLambdaChange, "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json"},
		{"an update delivered late", app.OnLambdaChange, "on-lambda-change/UpdateEventSourceMapping-switch-to-provisioned.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := build(t, srv, tt.function)
			rep := handle(t, d, sample(t, tt.sample, sampleOrdersUUID, w.ESM.UUID))
			wantSkipped(t, rep, "delet")
		})
	}
	t.Run("the sweep", func(t *testing.T) {
		d := build(t, srv, app.Sweep)
		rep := handle(t, d, sample(t, "sweep/scheduled.json"))
		if len(rep.Workloads) != 0 || rep.Alert != nil {
			t.Errorf("swept %+v, alert %+v: want nothing checked", rep.Workloads, rep.Alert)
		}
	})
}
