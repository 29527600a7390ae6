package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/faults"
	"github.com/vpcmedic/vpcmedic/internal/remediate"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// behindFaults puts a fault-injecting proxy between the functions and the
// emulator.
func behindFaults(t *testing.T, srv *emulator.Server) *faults.Proxy {
	t.Helper()
	p, err := faults.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	t.Setenv("AWS_ENDPOINT_URL", p.URL)
	return p
}

// buildWithTimeouts is buildFromEnv with shorter client timeouts, so that
// a stall costs the test seconds rather than the production half-minute.
func buildWithTimeouts(t *testing.T, function string, attempt, operation time.Duration) *runner.Deps {
	t.Helper()
	d, err := runner.Build(t.Context(), function, slog.New(slog.NewTextHandler(t.Output(), nil)), func(cfg *aws.Config) {
		runner.WithTimeouts(cfg, attempt, operation)
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEveryVpcmedicRoleIsItsOwn(t *testing.T) {
	srv, f := seededAccount(t)
	useEmulatorEnv(t, srv)
	roles := []string{"vpcmedic-OnLambdaChangeFunctionRole-A1", "vpcmedic-OnNetworkChangeFunctionRole-B2", "vpcmedic-SweepFunctionRole-C3"}
	var arns []string
	for _, r := range roles {
		arns = append(arns, "arn:aws:iam::"+emulator.Account+":role/"+r)
	}
	t.Setenv("VPCMEDIC_ROLE_ARNS", strings.Join(arns, ","))
	d := buildFromEnv(t, app.OnLambdaChange)
	session := func(role string) map[string]any {
		return map[string]any{
			"type":      "AssumedRole",
			"arn":       "arn:aws:sts::" + emulator.Account + ":assumed-role/" + role + "/" + role + "-session",
			"accountId": emulator.Account,
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{
				"type": "Role", "arn": "arn:aws:iam::" + emulator.Account + ":role/" + role, "userName": role,
			}},
		}
	}
	for _, role := range roles {
		t.Run(role, func(t *testing.T) {
			rep := handle(t, d, withIdentity(t, ordersCreated(t, f), session(role)))
			wantSkipped(t, rep, "own change")
		})
	}
	t.Run("a role outside vpcmedic", func(t *testing.T) {
		rep := handle(t, d, withIdentity(t, ordersCreated(t, f), session("vpcmedic-Deployer")))
		wantWorkloads(t, rep, esm(f.Orders.ESM.UUID, f.Orders.VPC.ID))
	})
}

// A stalled DescribeVpcs fails the run on the client's timeouts, long
// before the invocation's own deadline, with nothing paged; the retry pages
// the broken workload once.
func TestStalledCallFailsTheRunAndTheRetryPages(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	w := scenario.HealthyOnDemandMSK(s)
	s.DeleteNAT(w.NATs[0])
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	oc := newOncall(t, srv)
	useEmulatorEnv(t, srv)
	t.Setenv("ALERT_TOPIC_ARN", oc.TopicARN)
	p := behindFaults(t, srv)
	d := buildWithTimeouts(t, app.OnNetworkChange, time.Second, 3*time.Second)
	event := sample(t, "on-network-change/DeleteNatGateway-az-a.json", sampleNAT, w.NATs[0].ID)

	// The invocation's deadline: far beyond what the stall may cost.
	invocation, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	p.Inject("DescribeVpcs", faults.Stall, 10)
	_, err := d.App.Handle(invocation, event)
	if err == nil || app.IsTerminal(err) {
		t.Fatalf("a stalled read gave %v, want a retryable error", err)
	}
	if invocation.Err() != nil {
		t.Fatalf("the run ended with the invocation (%v), not on the client's timeouts", invocation.Err())
	}
	if p.Calls("DescribeVpcs") < 2 {
		t.Errorf("%d DescribeVpcs calls: the stalled attempt was not retried", p.Calls("DescribeVpcs"))
	}
	if got := oc.received(t); len(got) != 0 {
		t.Errorf("the failed run paged: %+v", got)
	}

	p.Clear("DescribeVpcs")
	retry := buildWithTimeouts(t, app.OnNetworkChange, time.Second, 3*time.Second)
	rep := handle(t, retry, event)
	wantWorkloads(t, rep, esm(w.ESM.UUID, w.VPC.ID))
	oneAlert(t, rep, oc)
}

// Throttled endpoint creations are retried by the SDK: one endpoint each,
// never two.
func TestThrottledEndpointCreationMakesOneEndpoint(t *testing.T) {
	srv, w, oc := brokenMSKToRemediate(t)
	p := behindFaults(t, srv)
	d := buildFromEnv(t, app.OnLambdaChange)
	p.Inject("CreateVpcEndpoint", faults.Throttle, 2)

	rep := handle(t, d, mappingCreated(t, w.ESM))
	if got := rep.Workloads[0]; got.Before != report.StatusBroken || got.Status != report.StatusOK {
		t.Fatalf("before %s -> after %s, changes %+v", got.Before, got.Status, rep.Changes)
	}
	if eps := liveEndpoints(t, srv, w.VPC.ID); len(eps) != 2 {
		t.Errorf("%d endpoints, want one for lambda and one for sts", len(eps))
	}
	if n := p.Calls("CreateVpcEndpoint"); n != 4 {
		t.Errorf("%d CreateVpcEndpoint calls, want 2 endpoints + 2 throttled", n)
	}
	if alerts := oc.received(t); len(alerts) != 1 || !strings.Contains(alerts[0].Subject, "fixed") {
		t.Errorf("alerts = %+v", alerts)
	}
}

// Endpoints vpcmedic created that stay pending beyond its wait are an
// outcome in progress: no BROKEN page and no "fixed" either, but "fix in
// progress"; the sweep re-checks the workload once they are available and
// stays quiet.
func TestEndpointsStillPendingAreNotPagedAsBroken(t *testing.T) {
	srv, w, oc := brokenMSKToRemediate(t)
	t.Setenv("ALERT_STATE_TABLE", createAlertStateTable(t, srv.MustConfig(t)))
	p := behindFaults(t, srv)
	d := buildFromEnv(t, app.OnLambdaChange)
	applier := d.App.Applier.(*remediate.Applier)
	applier.WaitAvailable = 10 * time.Second
	applier.EndpointSpacing = 0
	applier.Sleep = func(context.Context, time.Duration) error { return nil }
	p.KeepPending(100)

	rep, err := d.App.Handle(t.Context(), mappingCreated(t, w.ESM))
	t.Logf("run error: %v", err)
	got := rep.Workloads[0]
	if got.Before != report.StatusBroken || got.Status == report.StatusBroken {
		t.Fatalf("before %s -> after %s, findings %+v", got.Before, got.Status, got.Findings)
	}
	if got.Status != report.StatusUnknown {
		t.Errorf("after %s, want %s while the endpoints are created", got.Status, report.StatusUnknown)
	}
	if eps := liveEndpoints(t, srv, w.VPC.ID); len(eps) != 2 {
		t.Errorf("%d endpoints, want lambda and sts", len(eps))
	}
	alerts := oc.received(t)
	if len(alerts) != 1 || !strings.HasPrefix(alerts[0].Subject, "vpcmedic: fix in progress for ") {
		t.Fatalf("alerts %+v, want one saying the fix is in progress", alerts)
	}
	if !strings.Contains(alerts[0].Message, "still being created (pending)") {
		t.Errorf("the alert does not say what is pending:\n%s", alerts[0].Message)
	}

	// Available now: the sweep finds the workload ok and pages nobody.
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	sweep := buildFromEnv(t, app.Sweep)
	swept := handle(t, sweep, sample(t, "sweep/scheduled.json"))
	if len(swept.Workloads) != 1 || swept.Workloads[0].Status != report.StatusOK || swept.Workloads[0].Problem != "" {
		t.Errorf("swept %+v, want the workload ok with nothing to page", swept.Workloads)
	}
	if swept.Alert != nil {
		t.Errorf("the sweep paged %+v", swept.Alert)
	}
	if more := oc.received(t); len(more) != 0 {
		t.Errorf("on-call received %+v after the fix took effect", more)
	}
}

// An invocation without the time to wait for its endpoints starts none:
// the changes are reported skipped, on-call hears of it, and the run fails
// so that Lambda's retry, with the time, makes them.
func TestRemediationWithoutTimeLeftIsSkippedReportedAndRetried(t *testing.T) {
	srv, w, oc := brokenMSKToRemediate(t)
	d := buildFromEnv(t, app.OnLambdaChange)
	event := mappingCreated(t, w.ESM)

	// Far less than an endpoint's 2-minute wait plus the reserve.
	short, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	rep, err := d.App.Handle(short, event)
	if err == nil || app.IsTerminal(err) || !errors.Is(err, remediate.ErrOutOfTime) {
		t.Fatalf("error %v, want a retryable ErrOutOfTime", err)
	}
	if len(rep.Changes) == 0 {
		t.Fatal("no change reported")
	}
	for _, c := range rep.Changes {
		if c.Action != "create-interface-endpoint" {
			continue // a change without a wait may fit
		}
		if c.Status != report.ChangeSkipped || !strings.Contains(c.Reason, "not enough time left in this invocation: retried") {
			t.Errorf("change %s %s: %s", c.Action, c.Status, c.Reason)
		}
	}
	if eps := liveEndpoints(t, srv, w.VPC.ID); len(eps) != 0 {
		t.Errorf("%d endpoints created without the time to finish", len(eps))
	}
	if alerts := oc.received(t); len(alerts) != 1 {
		t.Errorf("on-call received %d alerts, want the outcome once", len(alerts))
	}

	retry := buildFromEnv(t, app.OnLambdaChange)
	rep = handle(t, retry, event)
	if got := rep.Workloads[0]; got.Status != report.StatusOK || len(liveEndpoints(t, srv, w.VPC.ID)) != 2 {
		t.Errorf("the retry left %s with changes %+v", got.Status, rep.Changes)
	}
}

// A CreateVpcEndpoint whose answer is lost after EC2 made the endpoint is
// retried with the same client token, and EC2 answers with the endpoint it
// made: one endpoint per service, reported with its real ID.
func TestLostEndpointAnswerIsRetriedWithItsClientToken(t *testing.T) {
	srv, w, oc := brokenMSKToRemediate(t)
	p := behindFaults(t, srv)
	d := buildFromEnv(t, app.OnLambdaChange)
	p.Inject("CreateVpcEndpoint", faults.LoseAnswer, 1)

	rep := handle(t, d, mappingCreated(t, w.ESM))
	if got := rep.Workloads[0]; got.Before != report.StatusBroken || got.Status != report.StatusOK {
		t.Fatalf("before %s -> after %s, changes %+v", got.Before, got.Status, rep.Changes)
	}
	eps := liveEndpoints(t, srv, w.VPC.ID)
	if len(eps) != 2 {
		t.Fatalf("%d endpoints, want one for lambda and one for sts", len(eps))
	}
	if n := p.Calls("CreateVpcEndpoint"); n != 3 {
		t.Errorf("%d CreateVpcEndpoint calls, want 2 endpoints + 1 retry", n)
	}
	for _, c := range rep.Changes {
		if c.Action != "create-interface-endpoint" {
			continue
		}
		named := slices.ContainsFunc(eps, func(e ec2types.VpcEndpoint) bool { return strings.Contains(c.Reason, aws.ToString(e.VpcEndpointId)) })
		if c.Status != report.ChangeCreated || !named {
			t.Errorf("change %+v: want created, naming a live endpoint", c)
		}
	}
	if alerts := oc.received(t); len(alerts) != 1 || !strings.Contains(alerts[0].Subject, "fixed") {
		t.Errorf("alerts = %+v", alerts)
	}
}

// When someone creates the service's endpoint with private DNS between
// vpcmedic's look and its create, EC2 refuses vpcmedic's: vpcmedic uses
// the endpoint that is there, and the re-check judges it.
func TestEndpointCreatedMeanwhileIsUsedNotDuplicated(t *testing.T) {
	srv, w, oc := brokenMSKToRemediate(t)
	p := behindFaults(t, srv)
	d := buildFromEnv(t, app.OnLambdaChange)
	direct := ec2.NewFromConfig(srv.MustConfig(t))
	var theirs, service string
	p.Before("CreateVpcEndpoint", func(params url.Values) {
		// A colleague's endpoint, like the one vpcmedic is about to create
		// but without its tags.
		service = params.Get("ServiceName")
		in := &ec2.CreateVpcEndpointInput{
			VpcId: aws.String(params.Get("VpcId")), ServiceName: aws.String(service),
			VpcEndpointType: ec2types.VpcEndpointTypeInterface, PrivateDnsEnabled: aws.Bool(true),
		}
		for i := 1; params.Has(fmt.Sprintf("SubnetId.%d", i)); i++ {
			in.SubnetIds = append(in.SubnetIds, params.Get(fmt.Sprintf("SubnetId.%d", i)))
		}
		for i := 1; params.Has(fmt.Sprintf("SecurityGroupId.%d", i)); i++ {
			in.SecurityGroupIds = append(in.SecurityGroupIds, params.Get(fmt.Sprintf("SecurityGroupId.%d", i)))
		}
		out, err := direct.CreateVpcEndpoint(t.Context(), in)
		if err != nil {
			t.Errorf("the colleague's endpoint: %v", err)
			return
		}
		theirs = aws.ToString(out.VpcEndpoint.VpcEndpointId)
	})

	rep := handle(t, d, mappingCreated(t, w.ESM))
	if theirs == "" {
		t.Fatal("no endpoint was created before vpcmedic's")
	}
	if got := rep.Workloads[0]; got.Before != report.StatusBroken || got.Status != report.StatusOK {
		t.Fatalf("before %s -> after %s, changes %+v", got.Before, got.Status, rep.Changes)
	}
	if eps := liveEndpoints(t, srv, w.VPC.ID); len(eps) != 2 {
		t.Errorf("%d endpoints, want one for lambda and one for sts", len(eps))
	}
	used := false
	for _, c := range rep.Changes {
		if strings.Contains(c.Reason, theirs) {
			used = c.Status == report.ChangeUnchanged && strings.Contains(c.Reason, "created meanwhile")
		}
	}
	if !used {
		t.Errorf("the %s endpoint %s created meanwhile is not reported as used: %+v", service, theirs, rep.Changes)
	}
	if alerts := oc.received(t); len(alerts) != 1 || !strings.Contains(alerts[0].Subject, "fixed") {
		t.Errorf("alerts = %+v", alerts)
	}
}
