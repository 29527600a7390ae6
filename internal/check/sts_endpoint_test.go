package check

import (
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// stsOnlyThroughEndpoint is a function in both private subnets whose VPC
// has an STS interface endpoint admitting it, and nats routes the private
// subnets to a NAT gateway per zone.
func stsOnlyThroughEndpoint(runtime string, env map[string]string, nats bool) *Target {
	s := withEndpoints(withFunctionGroups(baseVPC()), "sts")
	for i := range s.SecurityGroups {
		if s.SecurityGroups[i].ID == "sg-msk" {
			s.SecurityGroups[i].Ingress = append(s.SecurityGroups[i].Ingress, network.Rule{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupID: "sg-fn"})
		}
	}
	if nats {
		s = withNATs(s, false)
	}
	w := vpcFunction("priv-a", "priv-b")
	w.Function.Runtime, w.Function.Environment = runtime, env
	return functionTarget(w, s, "sts")
}

func TestSTSGlobalEndpoint(t *testing.T) {
	legacy := map[string]string{"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}
	tests := []struct {
		name       string
		target     *Target
		wantPassed int
		want       []string
	}{
		{"nodejs bundles SDK v3, regional by default", stsOnlyThroughEndpoint("nodejs22.x", nil, false), 2, nil},
		{"nodejs18.x bundles SDK v3 too", stsOnlyThroughEndpoint("nodejs18.x", nil, false), 2, nil},
		{"python with legacy set", stsOnlyThroughEndpoint("python3.13", legacy, false), 0, []string{
			"function api in us-east-1a (subnet priv-a) reaches STS only through interface endpoint vpce-sts",
			"AWS_STS_REGIONAL_ENDPOINTS=legacy",
		}},
		{"legacy set in lower case letters and spaces", stsOnlyThroughEndpoint("python3.12", map[string]string{"AWS_STS_REGIONAL_ENDPOINTS": " Legacy "}, false), 0, []string{"legacy", "legacy"}},
		{"python with regional set", stsOnlyThroughEndpoint("python3.13", map[string]string{"AWS_STS_REGIONAL_ENDPOINTS": "regional"}, false), 2, nil},
		{"regional set overrides a legacy runtime", stsOnlyThroughEndpoint("nodejs16.x", map[string]string{"AWS_STS_REGIONAL_ENDPOINTS": "regional"}, false), 2, nil},
		{"python without the setting: its bundled boto3 is not known, no warning", stsOnlyThroughEndpoint("python3.13", nil, false), 2, nil},
		{"a provided runtime brings its own SDK: no warning", stsOnlyThroughEndpoint("provided.al2023", nil, false), 2, nil},
		{"nodejs16.x bundles SDK v2, legacy by default", stsOnlyThroughEndpoint("nodejs16.x", nil, false), 0, []string{
			"the SDK its runtime nodejs16.x bundles calls the global endpoint", "the SDK its runtime nodejs16.x bundles",
		}},
		{"legacy set, but a NAT gateway takes the global name out", stsOnlyThroughEndpoint("python3.13", legacy, true), 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range oneCheck(t, stsGlobalEndpoint, tt.target, tt.wantPassed, tt.want...) {
				if f.Severity != report.SeverityWarning || f.Service != "sts" || !strings.Contains(strings.Join(f.Resources, " "), "vpce-sts") {
					t.Errorf("finding %+v, want an sts warning naming the endpoint", f)
				}
			}
		})
	}

	t.Run("no STS endpoint: not this check's business", func(t *testing.T) {
		w := vpcFunction("priv-a", "priv-b")
		w.Function.Runtime, w.Function.Environment = "python3.13", legacy
		oneCheck(t, stsGlobalEndpoint, functionTarget(w, withFunctionGroups(baseVPC()), "sts"), 0)
	})
	t.Run("a function that does not need STS", func(t *testing.T) {
		tgt := stsOnlyThroughEndpoint("python3.13", legacy, false)
		tgt.Requirements = []Requirement{{Service: "sns", Why: "policy app allows sns:Publish"}}
		oneCheck(t, stsGlobalEndpoint, tgt, 0)
	})
	t.Run("a Region where legacy already means Regional", func(t *testing.T) {
		tgt := stsOnlyThroughEndpoint("python3.13", legacy, false)
		tgt.Region = "ap-east-1"
		for i := range tgt.Network.Endpoints {
			tgt.Network.Endpoints[i].ServiceName = "com.amazonaws.ap-east-1.sts"
		}
		if p := tgt.ServicePath("priv-a", "sts"); !p.OK {
			t.Fatalf("fixture: %s", p.Problem)
		}
		oneCheck(t, stsGlobalEndpoint, tgt, 0)
	})
	t.Run("a Kafka mapping's STS calls are Lambda's own", func(t *testing.T) {
		oneCheck(t, stsGlobalEndpoint, target(onDemandESM(), withEndpoints(baseVPC(), "sts", "lambda")), 0)
	})
}
