package check

import (
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

func TestRequirementsUnknown(t *testing.T) {
	fn := func() *Target { return functionTarget(vpcFunction("priv-a"), withFunctionGroups(baseVPC())) }
	tests := []struct {
		name   string
		target func() *Target
		want   []string
	}{{
		name:   "nothing inferred from role, environment or tags",
		target: fn,
		want:   []string{"function api: no AWS service or database it calls could be inferred"},
	}, {
		name: "nothing inferred, and the role could not be read: the gap is named",
		target: func() *Target {
			t := fn()
			t.NeedsGaps = []string{"the execution role's policies could not be read: AccessDenied"}
			return t
		},
		want: []string{"could be inferred from its execution role's policies, its environment variables or the vpcmedic:needs tag, so the paths from its subnets were not verified (the execution role's policies could not be read: AccessDenied)"},
	}, {
		name:   "a service was inferred: its paths are checked instead",
		target: func() *Target { return functionTarget(vpcFunction("priv-a"), withFunctionGroups(baseVPC()), "sns") },
	}, {
		name: "only a database was inferred",
		target: func() *Target {
			t := fn()
			t.Databases = []workload.Database{{Kind: "rds", Host: "db.x.us-east-1.rds.amazonaws.com"}}
			return t
		},
	}, {
		name: "the owner ignored everything",
		target: func() *Target {
			t := fn()
			t.NothingToCheck = true
			return t
		},
	}, {
		name:   "a Kafka mapping's requirements come from its mode: never unknown",
		target: func() *Target { return target(onDemandESM(), baseVPC()) },
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := oneCheck(t, requirementsUnknown, tt.target(), 0, tt.want...)
			if len(f) > 0 && (!f[0].Unverified || report.StatusOf(f) != report.StatusUnknown) {
				t.Errorf("finding = %+v, want it to make the function unknown", f[0])
			}
		})
	}
}
