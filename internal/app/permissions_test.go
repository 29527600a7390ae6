package app_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
)

// The member role allows every read any function makes, and nothing that
// stays at the hub (alerts, memory, dead letters, reaching other accounts).
func TestMemberPermissionsAreTheReadsOfEveryFunction(t *testing.T) {
	member := app.MemberActions()
	for _, f := range []string{app.OnLambdaChange, app.OnNetworkChange, app.Sweep} {
		for _, a := range app.Actions(f) {
			hubOnly := strings.HasPrefix(a, "sns:") || strings.HasPrefix(a, "sqs:") || strings.HasPrefix(a, "dynamodb:")
			if got := slices.Contains(member, a); got == hubOnly {
				t.Errorf("%s: member role allows %s = %v, want %v", f, a, got, !hubOnly)
			}
		}
	}
	for _, a := range slices.Concat(app.MemberRoleActions(), app.OrganizationActions()) {
		if slices.Contains(member, a) {
			t.Errorf("member role allows %s, which only the hub calls", a)
		}
	}
	if !slices.IsSorted(member) || len(slices.Compact(slices.Clone(member))) != len(member) {
		t.Errorf("MemberActions() = %v, want sorted and distinct", member)
	}
}
