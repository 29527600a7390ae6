package app_test

import (
	"strings"
	"testing"

	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// Functions on Lambda Managed Instances, end to end: their network is the
// capacity provider's, and the provider's subnets must carry the
// function's telemetry to CloudWatch Logs (and X-Ray under Active tracing),
// as the Lambda guide's "Networking for Lambda Managed Instances" says.

func init() { checkIDs["managed-instances-network"] = "VM124" }

// lmiGuide is the documented reason every telemetry requirement cites.
const lmiGuide = "Networking for Lambda Managed Instances"

// lmiFunction creates a capacity provider in subnets with its own security
// group (all egress) and a function on it whose role grants nothing.
func lmiFunction(s *scenario.Scenario, n zonedVPC, subnets scenario.Subnets, tracing lambdatypes.TracingMode) (*scenario.CapacityProvider, *scenario.Function) {
	cp := s.CapacityProvider("orders-lmi", subnets, n.VPC.SecurityGroup("lmi-instances"))
	fn := s.Function("orders-on-lmi", s.Role("orders-on-lmi"), scenario.OnCapacityProvider(cp), scenario.WithTracing(tracing))
	return cp, fn
}

// seedLMIFunction seeds the shared emulator with a two-zone VPC and a
// function on a capacity provider in the subnets chosen, tracing off.
func seedLMIFunction(t *testing.T, subnets func(zonedVPC) scenario.Subnets) (*emulator.Server, zonedVPC, *scenario.Function) {
	t.Helper()
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	n := twoZones(s)
	_, fn := lmiFunction(s, n, subnets(n), lambdatypes.TracingModePassThrough)
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return srv, n, fn
}

func lmiNote() wantFinding {
	return wantFinding{Check: "managed-instances-network", Severity: report.SeverityInfo, Says: []string{"runs on capacity provider", "execution-role-permissions (VM107) does not apply"}}
}

// alarmWithOncall builds on-lambda-change in alarm mode, alerting a queue.
func alarmWithOncall(t *testing.T, srv *emulator.Server) *oncall {
	t.Helper()
	oc := newOncall(t, srv)
	useEmulatorEnv(t, srv)
	t.Setenv("ALERT_TOPIC_ARN", oc.TopicARN)
	return oc
}

func TestManagedInstancesFunctionDiagnosis(t *testing.T) {
	tests := []struct {
		name   string
		status report.Status
		pages  bool
		seed   func(s *scenario.Scenario) (*scenario.Function, []wantFinding)
	}{{
		name: "private provider subnets without NAT or endpoints, Active tracing: logs and X-Ray are unreachable", status: report.StatusBroken, pages: true,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			_, fn := lmiFunction(s, n, n.Private, lambdatypes.TracingModeActive)
			want := unreachable(n.Private, []string{"logs"}, "needed because the function runs on Lambda Managed Instances", "send its logs to CloudWatch Logs", lmiGuide)
			want = append(want, unreachable(n.Private, []string{"xray"}, "with Active tracing", lmiGuide)...)
			return fn, append(want, lmiNote())
		},
	}, {
		name: "the same without tracing: only CloudWatch Logs is required", status: report.StatusBroken, pages: true,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			_, fn := lmiFunction(s, n, n.Private, lambdatypes.TracingModePassThrough)
			return fn, append(unreachable(n.Private, []string{"logs"}, lmiGuide), lmiNote())
		},
	}, {
		name: "a NAT gateway per zone carries logs and traces", status: report.StatusOK,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			n.VPC.NATPerAZ(n.Public, n.Private)
			_, fn := lmiFunction(s, n, n.Private, lambdatypes.TracingModeActive)
			return fn, []wantFinding{lmiNote()}
		},
	}, {
		name: "a logs endpoint admitting the instances' group", status: report.StatusOK,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			cp, fn := lmiFunction(s, n, n.Private, lambdatypes.TracingModePassThrough)
			instances := &scenario.SG{ID: cp.SGIDs[0]}
			n.VPC.InterfaceEndpoint("logs", n.Private, n.VPC.SecurityGroup("logs-endpoint").Ingress(443, instances))
			return fn, []wantFinding{lmiNote()}
		},
	}, {
		name: "public provider subnets that assign public IPv4 addresses reach the services through the internet gateway", status: report.StatusOK,
		seed: func(s *scenario.Scenario) (*scenario.Function, []wantFinding) {
			n := twoZones(s)
			n.Public.MapPublicIPOnLaunch(s)
			_, fn := lmiFunction(s, n, n.Public, lambdatypes.TracingModeActive)
			return fn, []wantFinding{lmiNote()}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fn, want := seedCase(t, tt.seed)
			oc := alarmWithOncall(t, srv)
			rep := handle(t, buildFromEnv(t, app.OnLambdaChange), functionCreated(t, fn))
			wantDiagnosis(t, rep, fn.ARN, tt.status, want)
			if got := rep.Workloads[0].Kind; got != report.KindManagedInstancesFunction {
				t.Errorf("kind %q, want %s", got, report.KindManagedInstancesFunction)
			}
			if alerts := oc.received(t); tt.pages != (len(alerts) == 1) || len(alerts) > 1 {
				t.Errorf("%d alerts, want paged %v: %+v", len(alerts), tt.pages, alerts)
			}
		})
	}
}

// A public provider subnet that does not assign public IPv4 addresses may
// or may not give the instances one: the path is unverified, the workload
// unknown, nobody paged, and the finding says what settles it.
func TestManagedInstancesInPublicSubnetWithoutPublicIPv4IsUnverified(t *testing.T) {
	srv, _, fn := seedLMIFunction(t, func(n zonedVPC) scenario.Subnets { return n.Public })
	oc := alarmWithOncall(t, srv)
	rep := handle(t, buildFromEnv(t, app.OnLambdaChange), functionCreated(t, fn))
	if len(rep.Workloads) != 1 {
		t.Fatalf("workloads %+v", rep.Workloads)
	}
	w := rep.Workloads[0]
	if w.Status != report.StatusUnknown {
		t.Errorf("status %s, want unknown; findings %+v", w.Status, w.Findings)
	}
	zones := map[string]bool{}
	for _, f := range w.Findings {
		if f.Severity == report.SeverityError {
			t.Errorf("error finding %s: %s", f.Check, f.Message)
		}
		if f.Check == "service-path" && f.Service == "logs" && f.Unverified &&
			strings.Contains(f.Message, "does not assign public IPv4 addresses on launch") && strings.Contains(f.Message, "--map-public-ip-on-launch") {
			zones[f.AZ] = true
		}
	}
	if len(zones) != 2 {
		t.Errorf("unverified logs paths in zones %v, want both; findings %+v", zones, w.Findings)
	}
	if alerts := oc.received(t); len(alerts) != 0 {
		t.Errorf("an unverified path paged: %+v", alerts)
	}
}

// A function whose capacity provider no longer exists cannot be checked:
// unknown, with the reason, not a crash and not "not in a VPC".
func TestManagedInstancesFunctionOnAMissingProviderIsUnresolved(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	gone := &scenario.CapacityProvider{ARN: "arn:aws:lambda:" + emulator.Region + ":" + emulator.Account + ":capacity-provider:decommissioned"}
	fn := s.Function("orphan-on-lmi", s.Role("orphan-on-lmi"), scenario.OnCapacityProvider(gone))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	rep := handle(t, build(t, srv, app.OnLambdaChange), functionCreated(t, fn))
	if rep.Trigger.Skip != "" || len(rep.Workloads) != 1 {
		t.Fatalf("skip %q, workloads %+v", rep.Trigger.Skip, rep.Workloads)
	}
	w := rep.Workloads[0]
	if w.Status != report.StatusUnknown || len(w.Findings) == 0 || !strings.Contains(w.Findings[0].Message, "decommissioned, which does not exist") {
		t.Errorf("status %s, findings %+v; want unknown because the provider is gone", w.Status, w.Findings)
	}
}

// The sweep lists functions on Lambda Managed Instances with the others
// and checks them in their provider's network.
func TestSweepChecksManagedInstancesFunctions(t *testing.T) {
	srv, n, fn := seedLMIFunction(t, func(n zonedVPC) scenario.Subnets { return n.Private })
	rep := handle(t, build(t, srv, app.Sweep), sample(t, "sweep/scheduled.json"))
	for _, w := range rep.Workloads {
		if w.ID == fn.ARN {
			if w.Kind != report.KindManagedInstancesFunction || w.Status != report.StatusBroken || w.VPCID != n.VPC.ID {
				t.Errorf("swept %+v, want a broken managed-instances function in %s", w, n.VPC.ID)
			}
			return
		}
	}
	t.Errorf("the sweep did not check %s: %+v", fn.ARN, rep.Workloads)
}

// In remediate mode the missing CloudWatch Logs endpoint is created in the
// provider's subnets and the function re-checks ok.
func TestRemediateCreatesTheLogsEndpointOfAManagedInstancesFunction(t *testing.T) {
	srv, n, fn := seedLMIFunction(t, func(n zonedVPC) scenario.Subnets { return n.Private })
	rep, w, oc := remediateOne(t, srv, functionCreated(t, fn))
	if w.Before != report.StatusBroken || w.Status != report.StatusOK {
		t.Fatalf("before %s -> after %s; findings %+v; changes %+v", w.Before, w.Status, w.Findings, rep.Changes)
	}
	eps := liveEndpoints(t, srv, n.VPC.ID)
	if len(eps) != 1 || !strings.HasSuffix(*eps[0].ServiceName, ".logs") {
		t.Errorf("endpoints after remediation %+v, want the logs endpoint alone", eps)
	}
	if alerts := oc.received(t); len(alerts) != 1 || !strings.Contains(alerts[0].Subject, "fixed") {
		t.Errorf("alerts %+v, want one fixed alert", alerts)
	}
}
