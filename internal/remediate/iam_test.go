package remediate

import (
	"slices"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/plan"
)

// Every kind of change names the IAM actions it needs, and together they
// are exactly what the applier declares (and the template grants).
func TestChangesNameTheActionsTheApplierDeclares(t *testing.T) {
	a := &Applier{}
	nat := []string{plan.AllocateAddress, plan.CreateNATGateway}
	var always, withNAT []string
	for _, action := range []string{
		plan.CreateSecurityGroup, plan.CreateInterfaceEndpoint, plan.CreateGatewayEndpoint, plan.AddEndpointSubnets, plan.EnableEndpointDNS,
		plan.AuthorizeIngress, plan.AuthorizeEgress, plan.CreateRoute, plan.EnableVPCAttribute,
		plan.AllocateAddress, plan.CreateNATGateway,
	} {
		needed := plan.Change{Action: action}.IAMActions()
		if len(needed) == 0 {
			t.Errorf("%s names no IAM action", action)
		}
		if slices.Contains(nat, action) {
			withNAT = append(withNAT, needed...)
		} else {
			always = append(always, needed...)
		}
	}
	if got := slices.Compact(slices.Sorted(slices.Values(always))); !slices.Equal(got, a.Actions()) {
		t.Errorf("changes need %v\napplier declares %v", got, a.Actions())
	}
	if got := slices.Compact(slices.Sorted(slices.Values(withNAT))); !slices.Equal(got, a.NATActions()) {
		t.Errorf("NAT changes need %v\napplier declares %v", got, a.NATActions())
	}
}
