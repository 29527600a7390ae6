package check

import (
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// An endpoint policy that admits the workload only on what vpcmedic cannot
// evaluate leaves the path unverified, not OK and not broken; a working
// network path is still checked first.
func TestEndpointPolicyUnverified(t *testing.T) {
	doubt := func(service string, e network.Endpoint) string {
		if service == "sts" {
			return "condition aws:PrincipalOrgID not evaluated"
		}
		return ""
	}
	tgt := target(onDemandESM(), withEndpoints(baseVPC(), "lambda", "sts"))
	tgt.PolicyUnverified = doubt
	findings, passed := results(t, servicePath, tgt)
	if passed != 2 || len(findings) != 2 {
		t.Fatalf("passed %d, findings %+v: want lambda passing and sts unverified in both zones", passed, findings)
	}
	for _, f := range findings {
		if f.Service != "sts" || !f.Unverified || f.Severity != report.SeverityInfo ||
			!strings.Contains(f.Message, "the policy of the sts endpoint vpce-sts may refuse the request: condition aws:PrincipalOrgID") {
			t.Errorf("finding %+v, want sts unverified naming the endpoint and the condition", f)
		}
	}

	// A broken network path stays an error whatever the policy.
	broken := target(onDemandESM(), withEndpoints(baseVPC(), "lambda", "sts"))
	broken.Network.SecurityGroups[0].Ingress = nil
	broken.PolicyUnverified = doubt
	findings, _ = results(t, servicePath, broken)
	if len(findings) != 4 {
		t.Fatalf("findings %+v, want both services broken in both zones", findings)
	}
	for _, f := range findings {
		if f.Unverified || f.Severity != report.SeverityError || !strings.Contains(f.Message, "cannot be reached on TCP 443") {
			t.Errorf("finding %+v, want an error for the unreachable endpoint", f)
		}
	}
}
