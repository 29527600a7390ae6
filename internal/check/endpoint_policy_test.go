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

// The same holds for a gateway endpoint's policy.
func TestGatewayEndpointPolicyUnverified(t *testing.T) {
	s := withFunctionGroups(baseVPC())
	s.Endpoints = append(s.Endpoints, network.Endpoint{ID: "vpce-s3", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway", State: "available", RouteTableIDs: []string{"rtb-a", "rtb-b"}})
	for i := range s.RouteTables[2:] {
		s.RouteTables[2+i].Routes = append(s.RouteTables[2+i].Routes, network.Route{DestinationPrefixList: "pl-63a5400a", TargetKind: network.TargetVPCEndpoint, TargetID: "vpce-s3", Active: true})
	}
	tgt := functionTarget(vpcFunction("priv-a", "priv-b"), s, "s3")
	if p := tgt.ServicePath("priv-a", "s3"); !p.OK {
		t.Fatalf("fixture: %s", p.Problem)
	}
	tgt = Fresh(tgt)
	tgt.PolicyUnverified = func(string, network.Endpoint) string { return "the request's resources are not known" }
	f := oneCheck(t, servicePath, tgt, 0,
		"cannot reach s3, needed because policy app allows s3:*: the policy of the s3 gateway endpoint vpce-s3 may refuse the request: the request's resources are not known",
		"in us-east-1b (subnet priv-b)")
	if !f[0].Unverified || f[0].Severity != report.SeverityInfo {
		t.Errorf("finding %+v, want unverified", f[0])
	}
}
