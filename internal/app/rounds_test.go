package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/inventory"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
	"github.com/vpcmedic/vpcmedic/internal/simulate"
)

// The latency of one check is the number of AWS calls it makes one after
// another, times the latency of a call. These tests add a delay to every
// call and count the sequential rounds (see callLog): a read issued only
// after an unrelated one finished adds a round that a concurrent read does
// not.

// buildSlow wires function against the emulator with every call delayed.
func buildSlow(t *testing.T, function string) (*runner.Deps, *callLog) {
	t.Helper()
	log := &callLog{delay: slowCalls}
	d, err := runner.Build(t.Context(), function, quietLogger(t), log.instrument)
	if err != nil {
		t.Fatal(err)
	}
	return d, log
}

func wantRounds(t *testing.T, what string, log *callLog, budget int) {
	t.Helper()
	rounds, trace := log.roundsSoFar()
	if rounds > budget {
		t.Errorf("%s: %d sequential rounds of calls, budget %d: %s", what, rounds, budget, strings.Join(trace, " "))
	} else {
		t.Logf("%s: %d rounds: %s", what, rounds, strings.Join(trace, " "))
	}
}

func TestKafkaMappingCheckRounds(t *testing.T) {
	for _, tt := range []struct {
		name   string
		memory bool
		budget int
	}{
		{"alarm mode", false, 4},
		{"alarm mode with the alert memory", true, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulator.Shared(t)
			s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
			w := scenario.HealthyOnDemandMSK(s)
			docsEndpoints(w)
			if err := s.Err(); err != nil {
				t.Fatalf("seed: %v", err)
			}
			useEmulatorEnv(t, srv)
			if tt.memory {
				t.Setenv("ALERT_STATE_TABLE", createAlertStateTable(t, srv.MustConfig(t)))
			}
			d, log := buildSlow(t, app.OnLambdaChange)
			rep := handle(t, d, mappingCreated(t, w.ESM))
			wantDiagnosis(t, rep, w.ESM.UUID, report.StatusOK, nil)
			wantRounds(t, "a mapping check", log, tt.budget)
		})
	}
}

func TestFunctionCheckRounds(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	b := blogFunction(s, true)
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	useEmulatorEnv(t, srv)
	d, log := buildSlow(t, app.OnLambdaChange)
	rep := handle(t, d, functionCreated(t, b.Fn))
	if len(rep.Workloads) != 1 {
		t.Fatalf("checked %d workloads, want the function", len(rep.Workloads))
	}
	// The role's policies (three rounds: attached, the policy, its
	// version) say whether Lambda may use a service for the function; only
	// then are its mappings and destinations read, both at once.
	wantRounds(t, "a function check", log, 7)
}

// failingKafka, failingLambda and failingIAM fail one call each, the
// others going to the emulator.
type failingKafka struct{ inventory.Kafka }

func (failingKafka) DescribeClusterV2(context.Context, *kafka.DescribeClusterV2Input, ...func(*kafka.Options)) (*kafka.DescribeClusterV2Output, error) {
	return nil, errBroken
}

type failingLambda struct{ inventory.Lambda }

func (failingLambda) GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	return nil, errBroken
}

type failingIAM struct{}

func (failingIAM) SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	return nil, errBroken
}

var errBroken = errors.New("connection reset by the test")

// A read that fails beside others fails the run with its own error, as
// when the reads were made one after another.
func TestAFailedConcurrentReadFailsTheCheck(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	w := scenario.HealthyOnDemandMSK(s)
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	for _, tt := range []struct {
		name     string
		breakAWS func(a *app.App)
		want     string
	}{
		{"the cluster", func(a *app.App) { a.Inventory.Kafka = failingKafka{a.Inventory.Kafka} }, "describe cluster " + w.Cluster.ARN},
		{"the function", func(a *app.App) { a.Inventory.Lambda = failingLambda{a.Inventory.Lambda} }, "get function configuration"},
		{"the simulation", func(a *app.App) { a.Simulator = &simulate.Simulator{IAM: failingIAM{}} }, "simulate the policies of"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := build(t, srv, app.OnLambdaChange)
			tt.breakAWS(d.App)
			rep, err := d.App.Handle(t.Context(), mappingCreated(t, w.ESM))
			if err == nil || !errors.Is(err, errBroken) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %q", err, tt.want)
			}
			if app.IsTerminal(err) || len(rep.Workloads) != 0 {
				t.Errorf("terminal %v, %d workloads reported: want a retryable failure and no verdict", app.IsTerminal(err), len(rep.Workloads))
			}
		})
	}
}
