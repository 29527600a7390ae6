package app_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// A VPC function's endpoint policies are judged by its own calls: its
// execution role as principal, the actions the role allows of the service
// and the ARNs its environment names.

const notifierTopic = "arn:aws:sns:us-east-1:123456789012:lambda-test-topic"

// endpointPolicyFor allows principal the action on resource through an
// endpoint.
func endpointPolicyFor(sid, principal, action, resource string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":%q,"Effect":"Allow","Principal":{"AWS":%q},"Action":%q,"Resource":%q}]}`,
		sid, principal, action, resource)
}

func TestFunctionEndpointPolicies(t *testing.T) {
	role := func(name string) string { return "arn:aws:iam::" + emulator.Account + ":role/" + name }
	tests := []struct {
		name   string
		policy string
		env    bool // the function names its topic in TOPIC_ARN
		status report.Status
		want   func(n zonedVPC, endpointID string) []wantFinding
	}{{
		name:   "an SNS endpoint admitting only another role breaks SNS, naming the statement",
		policy: endpointPolicyFor("BillingOnly", role("billing"), "sns:*", "*"),
		status: report.StatusBroken,
		want: func(n zonedVPC, endpointID string) []wantFinding {
			return unreachable(n.Private, []string{"sns"},
				fmt.Sprintf("the policy of the sns endpoint %s refuses the request", endpointID),
				`statement 1 (Sid "BillingOnly")`,
				"principal "+role("notifier")+" is not in Principal, which admits "+role("billing"))
		},
	}, {
		name:   "the same endpoint admitting the function's role",
		policy: endpointPolicyFor("Notifier", role("notifier"), "sns:Publish", "*"),
		status: report.StatusOK,
	}, {
		name:   "an endpoint admitting the role on the topic its environment names",
		policy: endpointPolicyFor("NotifierTopic", role("notifier"), "sns:Publish", notifierTopic),
		env:    true,
		status: report.StatusOK,
	}, {
		name:   "an endpoint admitting the role on another topic than the one its environment names",
		policy: endpointPolicyFor("BillingTopic", role("notifier"), "sns:Publish", "arn:aws:sns:us-east-1:123456789012:billing"),
		env:    true,
		status: report.StatusBroken,
		want: func(n zonedVPC, endpointID string) []wantFinding {
			return unreachable(n.Private, []string{"sns"}, `statement 1 (Sid "BillingTopic")`,
				"resource "+notifierTopic+" is not covered by Resource arn:aws:sns:us-east-1:123456789012:billing")
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulator.Shared(t)
			s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
			n := twoZones(s)
			sg := n.VPC.SecurityGroup("notifier")
			ep := n.VPC.InterfaceEndpoint("sns", n.Private, n.VPC.SecurityGroup("sns-endpoint").Ingress(443, sg), scenario.EndpointPolicy(tt.policy))
			opts := []scenario.FunctionOption{scenario.InVPC(n.Private, sg)}
			if tt.env {
				opts = append(opts, scenario.Env("TOPIC_ARN", notifierTopic))
			}
			fn := s.Function("notifier", s.Role("notifier", vpcAccess(), scenario.Inline(snsPublish)), opts...)
			if err := s.Err(); err != nil {
				t.Fatalf("seed: %v", err)
			}
			rep := handle(t, build(t, srv, app.OnLambdaChange), functionCreated(t, fn))
			var want []wantFinding
			if tt.want != nil {
				want = tt.want(n, ep.ID)
			}
			wantDiagnosis(t, rep, fn.ARN, tt.status, want)
		})
	}
}

// An endpoint policy limited to an organisation vpcmedic does not know
// leaves SNS unverified: neither a page nor an OK.
func TestFunctionEndpointPolicyOnAnOrganisationIsUnverified(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	n := twoZones(s)
	sg := n.VPC.SecurityGroup("notifier")
	n.VPC.InterfaceEndpoint("sns", n.Private, n.VPC.SecurityGroup("sns-endpoint").Ingress(443, sg), scenario.EndpointPolicy(orgOnlyPolicy))
	fn := s.Function("notifier", s.Role("notifier", vpcAccess(), scenario.Inline(snsPublish)), scenario.InVPC(n.Private, sg))
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	rep := handle(t, build(t, srv, app.OnLambdaChange), functionCreated(t, fn))
	if len(rep.Workloads) != 1 {
		t.Fatalf("workloads %+v", rep.Workloads)
	}
	w := rep.Workloads[0]
	var sns []report.Finding
	for _, f := range w.Findings {
		if f.Service == "sns" {
			sns = append(sns, f)
		}
	}
	if w.Status != report.StatusUnknown || len(sns) != 2 {
		t.Fatalf("status %s, sns findings %+v: want unknown with SNS unverified in both zones", w.Status, sns)
	}
	for _, f := range sns {
		if f.CheckID != "VM102" || !f.Unverified || f.Severity != report.SeverityInfo || !strings.Contains(f.Message, "may refuse the request") ||
			!strings.Contains(f.Message, "o-a1b2c3d4e5") {
			t.Errorf("finding %+v, want VM102 unverified naming the organisation", f)
		}
	}
}

// STS only through an interface endpoint: the global endpoint is a trap
// for SDKs that call it.
func TestSTSGlobalEndpointWarning(t *testing.T) {
	const assumeRole = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/reports-reader"}]}`
	tests := []struct {
		name     string
		runtime  lambdatypes.Runtime
		env      map[string]string
		wantWarn string // what the warning says; "" for none
	}{
		{name: "nodejs bundles an SDK that calls the Regional endpoint", runtime: lambdatypes.RuntimeNodejs22x},
		{name: "python with AWS_STS_REGIONAL_ENDPOINTS=legacy", runtime: lambdatypes.RuntimePython313,
			env: map[string]string{"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, wantWarn: "AWS_STS_REGIONAL_ENDPOINTS=legacy"},
		// The runtime is read from the function: nodejs16.x bundles the SDK
		// for JavaScript v2, which calls the global endpoint by default.
		{name: "nodejs16.x without the setting", runtime: lambdatypes.RuntimeNodejs16x, wantWarn: "the SDK its runtime nodejs16.x bundles"},
		{name: "python with AWS_STS_REGIONAL_ENDPOINTS=regional", runtime: lambdatypes.RuntimePython313,
			env: map[string]string{"AWS_STS_REGIONAL_ENDPOINTS": "regional"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulator.Shared(t)
			s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
			n := twoZones(s)
			sg := n.VPC.SecurityGroup("reports")
			ep := n.VPC.InterfaceEndpoint("sts", n.Private, n.VPC.SecurityGroup("sts-endpoint").Ingress(443, sg))
			opts := []scenario.FunctionOption{scenario.InVPC(n.Private, sg), scenario.WithRuntime(tt.runtime)}
			for k, v := range tt.env {
				opts = append(opts, scenario.Env(k, v))
			}
			fn := s.Function("reports", s.Role("reports", vpcAccess(), scenario.Inline(assumeRole)), opts...)
			if err := s.Err(); err != nil {
				t.Fatalf("seed: %v", err)
			}
			rep := handle(t, build(t, srv, app.OnLambdaChange), functionCreated(t, fn))
			if len(rep.Workloads) != 1 {
				t.Fatalf("workloads %+v", rep.Workloads)
			}
			w := rep.Workloads[0]
			if w.Status != report.StatusOK {
				t.Errorf("status %s, want ok (a warning never pages): %+v", w.Status, w.Findings)
			}
			var warned []report.Finding
			for _, f := range w.Findings {
				if f.CheckID == "VM122" {
					warned = append(warned, f)
				}
			}
			if tt.wantWarn == "" {
				if len(warned) != 0 {
					t.Errorf("VM122 findings %+v, want none", warned)
				}
				return
			}
			if len(warned) != 2 {
				t.Fatalf("VM122 findings %+v, want one per zone", warned)
			}
			for i, f := range warned {
				if f.Check != "sts-global-endpoint" || f.Severity != report.SeverityWarning || f.Service != "sts" ||
					!strings.Contains(f.Message, "reaches STS only through interface endpoint "+ep.ID) ||
					!strings.Contains(f.Message, tt.wantWarn) || !slices.Contains(f.Resources, ep.ID) ||
					!slices.Contains(f.Resources, n.Private[i].ID) {
					t.Errorf("finding %+v, want a warning naming the subnet, the endpoint and the setting", f)
				}
			}
		})
	}
}
