package app_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// liveEndpoints lists the endpoints of a VPC that are not deleted.
// seedBrokenMSK resets the emulator to the guide's broken on-demand MSK
// mapping.
func seedBrokenMSK(t *testing.T) (*emulator.Server, *scenario.MSKWorkload) {
	t.Helper()
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t))
	w := scenario.BrokenOnDemandMSK(s)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return srv, w
}

// brokenMSKToRemediate seeds the guide's broken on-demand MSK mapping and
// sets remediate mode, alerting a queue that stands for on-call.
func brokenMSKToRemediate(t *testing.T) (*emulator.Server, *scenario.MSKWorkload, *oncall) {
	t.Helper()
	srv, w := seedBrokenMSK(t)
	return srv, w, remediating(t, srv)
}

// remediating points the functions built from the environment at the
// emulator in remediate mode, alerting a queue that stands for on-call.
func remediating(t *testing.T, srv *emulator.Server) *oncall {
	t.Helper()
	oc := newOncall(t, srv)
	useEmulatorEnv(t, srv)
	t.Setenv("MODE", "remediate")
	t.Setenv("ALERT_TOPIC_ARN", oc.TopicARN)
	return oc
}

// remediateOne hands a Lambda change event to on-lambda-change in remediate
// mode and returns its report, the one workload it checked, and on-call.
func remediateOne(t *testing.T, srv *emulator.Server, event []byte) (report.Report, report.Workload, *oncall) {
	t.Helper()
	oc := remediating(t, srv)
	rep := handle(t, buildFromEnv(t, app.OnLambdaChange), event)
	if len(rep.Workloads) != 1 {
		t.Fatalf("workloads %+v, want the one the event names", rep.Workloads)
	}
	return rep, rep.Workloads[0], oc
}

func liveEndpoints(t *testing.T, srv *emulator.Server, vpc string) []ec2types.VpcEndpoint {
	t.Helper()
	out, err := ec2.NewFromConfig(srv.MustConfig(t)).DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var live []ec2types.VpcEndpoint
	for _, e := range out.VpcEndpoints {
		if e.State != ec2types.StateDeleted {
			live = append(live, e)
		}
	}
	return live
}

func changeStatuses(rep report.Report) map[string]int {
	out := map[string]int{}
	for _, c := range rep.Changes {
		out[c.Status]++
	}
	return out
}

// In remediate mode the broken mapping of the documentation is fixed,
// re-checked ok, reported before -> after with what was created and what it
// costs, and paged once; the same event delivered again changes nothing.
func TestRemediateFixesAndReChecks(t *testing.T) {
	srv, w, oc := brokenMSKToRemediate(t)
	d := buildFromEnv(t, app.OnLambdaChange)
	event := mappingCreated(t, w.ESM)

	rep := handle(t, d, event)
	if len(rep.Workloads) != 1 {
		t.Fatalf("workloads = %+v", rep.Workloads)
	}
	got := rep.Workloads[0]
	if got.Before != report.StatusBroken || got.Status != report.StatusOK {
		t.Fatalf("before %s -> after %s, findings %+v, changes %+v", got.Before, got.Status, got.Findings, rep.Changes)
	}
	if n := changeStatuses(rep); n[report.ChangeCreated] != 3 || len(rep.Changes) != 3 {
		t.Errorf("changes = %+v", rep.Changes)
	}
	for _, c := range rep.Changes {
		if c.Action == "create-interface-endpoint" && !slices.Contains(c.IAMActions, "ec2:CreateVpcEndpoint") {
			t.Errorf("change %s names IAM actions %v", c.Action, c.IAMActions)
		}
	}
	if eps := liveEndpoints(t, srv, w.VPC.ID); len(eps) != 2 {
		t.Errorf("%d endpoints after remediation, want lambda and sts", len(eps))
	} else {
		for _, e := range eps {
			if !aws.ToBool(e.PrivateDnsEnabled) || !hasTag(e.Tags, "vpcmedic:managed", "true") {
				t.Errorf("endpoint %s: private DNS %v, tags %v", aws.ToString(e.VpcEndpointId), aws.ToBool(e.PrivateDnsEnabled), e.Tags)
			}
		}
	}
	alerts := oc.received(t)
	if len(alerts) != 1 || !strings.Contains(alerts[0].Subject, "fixed") || !strings.Contains(alerts[0].Message, "CHANGES MADE") {
		t.Errorf("alerts = %+v", alerts)
	}

	again := handle(t, d, event)
	if len(again.Changes) != 0 || again.Workloads[0].Status != report.StatusOK {
		t.Errorf("second delivery: status %s, changes %+v", again.Workloads[0].Status, again.Changes)
	}
	if eps := liveEndpoints(t, srv, w.VPC.ID); len(eps) != 2 {
		t.Errorf("%d endpoints after the second delivery", len(eps))
	}
	if alerts := oc.received(t); len(alerts) != 0 {
		t.Errorf("a healthy re-check paged: %+v", alerts)
	}
}

func hasTag(tags []ec2types.Tag, key, value string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == key && aws.ToString(t.Value) == value {
			return true
		}
	}
	return false
}

func TestRemediateRespectsScope(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		tag    bool
		status string
		reason string
	}{
		{"dry run", map[string]string{"DRY_RUN": "true"}, false, report.ChangePlanned, "would"},
		{"VPC opted out by tag", nil, true, report.ChangeSkipped, "tagged vpcmedic:remediate=false"},
		{"VPC outside the allow-list", map[string]string{"ALLOWED_VPCS": "vpc-0000000000000000f"}, false, report.ChangeSkipped, "not in ALLOWED_VPCS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulator.Shared(t)
			s := scenario.New(srv.MustConfig(t))
			w := scenario.BrokenOnDemandMSK(s)
			if tt.tag {
				w.VPC.Tag("vpcmedic:remediate", "false")
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			useEmulatorEnv(t, srv)
			t.Setenv("MODE", "remediate")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			rep := handle(t, buildFromEnv(t, app.OnLambdaChange), mappingCreated(t, w.ESM))
			if rep.Workloads[0].Status != report.StatusBroken || len(rep.Changes) != 3 {
				t.Fatalf("status %s, changes %+v", rep.Workloads[0].Status, rep.Changes)
			}
			for _, c := range rep.Changes {
				if c.Status != tt.status || !strings.Contains(c.Reason, tt.reason) {
					t.Errorf("change %s %s: %s %q", c.Action, c.Target, c.Status, c.Reason)
				}
			}
			if eps := liveEndpoints(t, srv, w.VPC.ID); len(eps) != 0 {
				t.Errorf("%d endpoints created out of scope", len(eps))
			}
		})
	}
}
