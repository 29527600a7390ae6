package app_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// crossAccountMapping is a mapping of this account on a cluster of another
// account, through a managed VPC connection from its own VPC.
type crossAccountMapping struct {
	VPC        *scenario.VPC
	Connection *scenario.VPCConnection
	Function   *scenario.Function
	ESM        *scenario.ESM
}

func seedCrossAccountMapping(t *testing.T, s *scenario.Scenario) *crossAccountMapping {
	t.Helper()
	m := &crossAccountMapping{VPC: s.VPC("10.20.0.0/16")}
	subnets := m.VPC.PrivateSubnets("10.20.10.0/24@a", "10.20.11.0/24@b")
	sg := m.VPC.SecurityGroup("payments-connection")
	m.Connection = s.VPCConnection(paymentsCluster, m.VPC, subnets, sg, "SASL_IAM")
	m.Function = s.Function("payments-ledger", s.Role("payments-ledger", scenario.Inline(crossAccountConsumerPolicy)))
	m.ESM = s.CrossAccountESM(m.Function, m.Connection, "payments.settled")
	return m
}

// vm100 returns the workload's VM100 finding.
func vm100(t *testing.T, w report.Workload) report.Finding {
	t.Helper()
	for _, f := range w.Findings {
		if f.CheckID == "VM100" {
			return f
		}
	}
	t.Fatalf("no VM100 finding in %+v", w.Findings)
	return report.Finding{}
}

func TestCrossAccountMappingFollowsItsVPCConnection(t *testing.T) {
	cases := []struct {
		name       string
		change     func(*scenario.Scenario, *scenario.VPCConnection)
		wantStatus report.Status
		wantInMsg  string
		wantInFix  []string
	}{
		{name: "available", change: func(*scenario.Scenario, *scenario.VPCConnection) {}, wantStatus: report.StatusUnknown, wantInMsg: "another account"},
		{name: "rejected by the cluster's owner", change: (*scenario.Scenario).RejectVPCConnection, wantStatus: report.StatusBroken,
			wantInMsg: "is REJECTED", wantInFix: []string{"account 210987654321", "aws kafka delete-vpc-connection --arn ",
				"aws kafka create-vpc-connection --target-cluster-arn " + paymentsCluster + " --authentication SASL_IAM",
				"aws lambda create-event-source-mapping"}},
		{name: "deleted", change: (*scenario.Scenario).DeleteVPCConnection, wantStatus: report.StatusBroken, wantInMsg: "does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator.Shared(t)
			s := scenario.New(srv.MustConfig(t))
			m := seedCrossAccountMapping(t, s)
			tc.change(s, m.Connection)
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			rep := handle(t, build(t, srv, app.OnLambdaChange), mappingCreated(t, m.ESM))
			if len(rep.Workloads) != 1 {
				t.Fatalf("workloads %+v", rep.Workloads)
			}
			w := rep.Workloads[0]
			if w.Status != tc.wantStatus {
				t.Errorf("status %s, want %s (findings %+v)", w.Status, tc.wantStatus, w.Findings)
			}
			f := vm100(t, w)
			if !strings.Contains(f.Message, tc.wantInMsg) || !strings.Contains(f.Message, m.Connection.ARN) && tc.wantStatus == report.StatusBroken {
				t.Errorf("finding %q, want it to say %q of %s", f.Message, tc.wantInMsg, m.Connection.ARN)
			}
			if tc.wantStatus == report.StatusBroken && (f.Severity != report.SeverityError || f.Unverified || !slices.Contains(f.Resources, m.Connection.ARN)) {
				t.Errorf("finding %+v: want an error naming the connection", f)
			}
			if tc.wantStatus == report.StatusUnknown && !f.Unverified {
				t.Errorf("finding %+v: want it unverified", f)
			}
			for _, want := range tc.wantInFix {
				if !strings.Contains(f.Remediation, want) {
					t.Errorf("remediation %q lacks %q", f.Remediation, want)
				}
			}
		})
	}
}

// Two mappings on one connection, listed by a sweep, read it once.
func TestVPCConnectionIsReadOncePerRun(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t))
	m := seedCrossAccountMapping(t, s)
	s.CrossAccountESM(s.Function("payments-audit", s.Role("payments-audit", scenario.Inline(crossAccountConsumerPolicy))), m.Connection, "payments.settled")
	s.RejectVPCConnection(m.Connection)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	srv.UseEnv(t)
	var calls callLog
	d, err := runner.Build(t.Context(), app.Sweep, quietLogger(t), calls.instrument)
	if err != nil {
		t.Fatal(err)
	}
	rep := handle(t, d, sample(t, "sweep/scheduled.json"))
	broken := 0
	for _, w := range rep.Workloads {
		if w.Status == report.StatusBroken {
			broken++
		}
	}
	if broken != 2 {
		t.Errorf("%d broken workloads, want both mappings on the rejected connection: %+v", broken, rep.Workloads)
	}
	if n := calls.calls["Kafka.DescribeVpcConnection"]; n != 1 {
		t.Errorf("DescribeVpcConnection called %d times, want once", n)
	}
}
