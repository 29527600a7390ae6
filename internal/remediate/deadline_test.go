package remediate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// deadlineCtx reports a deadline on the fake clock and never ends by
// itself, so that only the applier's own accounting decides.
type deadlineCtx struct {
	context.Context
	at time.Time
}

func (c deadlineCtx) Deadline() (time.Time, bool) { return c.at, true }

func TestChangesThatCannotFinishBeforeTheDeadlineAreNotStarted(t *testing.T) {
	changes := []plan.Change{
		ingress("sg-msk", "sg-msk", 443),
		interfaceEndpoint("sts", "vpce-planned1"),
		egress("sg-msk", "sg-msk", 443),
	}
	tests := []struct {
		name      string
		left      time.Duration // before the deadline when Apply starts
		statuses  []string
		mutations int
	}{
		{"time for everything", 5 * time.Minute, []string{report.ChangeCreated, report.ChangeCreated, report.ChangeCreated}, 3},
		// 20s reserve + 10s for the rule leave 60s: less than the endpoint's
		// 2-minute wait, so it and the rule after it wait for a retry.
		{"no time for the endpoint's wait", 90 * time.Second, []string{report.ChangeCreated, report.ChangeSkipped, report.ChangeSkipped}, 1},
		{"no time at all", 15 * time.Second, []string{report.ChangeSkipped, report.ChangeSkipped, report.ChangeSkipped}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			a, c := applier(f)
			a.WaitAvailable, a.Reserve = 2*time.Minute, DefaultReserve
			ctx := deadlineCtx{context.Background(), c.t.Add(tt.left)}
			outcomes, err := a.Apply(ctx, Request{EventID: event}, changes)
			if got := statuses(outcomes); !slices.Equal(got, tt.statuses) {
				t.Errorf("statuses %v, want %v", got, tt.statuses)
			}
			if got := len(f.mutations()); got != tt.mutations {
				t.Errorf("%d mutations %v, want %d", got, f.mutations(), tt.mutations)
			}
			skipped := slices.Contains(tt.statuses, report.ChangeSkipped)
			if skipped != errors.Is(err, ErrOutOfTime) {
				t.Errorf("error %v: want ErrOutOfTime exactly when changes were skipped", err)
			}
			for _, o := range outcomes {
				if o.Status == report.ChangeSkipped && !strings.Contains(o.Detail, "not enough time left in this invocation: retried") {
					t.Errorf("skipped change says %q", o.Detail)
				}
			}
		})
	}
}

func TestEndpointWaitEndsBeforeTheReserve(t *testing.T) {
	f := newFake()
	create := f.createVpcEndpoint
	f.createVpcEndpoint = func(in *ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error) {
		out, err := create(in)
		f.endpoints[0].State = types.StatePending
		return out, err
	}
	f.describeVpcEndpoints = func(in *ec2.DescribeVpcEndpointsInput) (*ec2.DescribeVpcEndpointsOutput, error) {
		if len(in.VpcEndpointIds) == 0 {
			return &ec2.DescribeVpcEndpointsOutput{}, nil
		}
		return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: []types.VpcEndpoint{f.endpoints[0]}}, nil
	}
	a, c := applier(f)
	a.WaitAvailable, a.Reserve = 2*time.Minute, DefaultReserve
	// Reading the rules is far slower than estimated: the wait that
	// follows must shrink to what is left.
	f.describeSecurityGroupRules = func(*ec2.DescribeSecurityGroupRulesInput) (*ec2.DescribeSecurityGroupRulesOutput, error) {
		c.t = c.t.Add(time.Minute)
		return &ec2.DescribeSecurityGroupRulesOutput{}, nil
	}
	deadline := c.t.Add(3 * time.Minute)
	changes := []plan.Change{interfaceEndpoint("sts", "vpce-planned1"), ingress("sg-msk", "sg-msk", 443)}
	outcomes, err := a.Apply(deadlineCtx{context.Background(), deadline}, Request{EventID: event}, changes)
	if err != nil || outcomes[0].Status != report.ChangeCreated || !strings.Contains(outcomes[0].Detail, "still pending") {
		t.Fatalf("outcome %+v, error %v: want created, still pending", outcomes[0], err)
	}
	if end := c.t; end.After(deadline.Add(-DefaultReserve)) {
		t.Errorf("the wait ended %s before the deadline, inside the %s reserve", deadline.Sub(end), DefaultReserve)
	}
	if a.WaitAvailable != 2*time.Minute {
		t.Errorf("Apply changed the applier's wait to %s", a.WaitAvailable)
	}
	if aws.ToString(f.endpoints[0].VpcEndpointId) == "" {
		t.Error("no endpoint was created")
	}
}
