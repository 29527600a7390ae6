package simulate

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/vpcmedic/vpcmedic/internal/check"
)

// fakeIAM allows each action on the resources listed for it ("*": all) and
// records the calls.
type fakeIAM struct {
	allowed map[string][]string
	mu      sync.Mutex
	calls   []*iam.SimulatePrincipalPolicyInput
}

func (f *fakeIAM) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in)
	f.mu.Unlock()
	resources := in.ResourceArns
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	out := &iam.SimulatePrincipalPolicyOutput{}
	for _, a := range in.ActionNames {
		for _, r := range resources {
			d := iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
			if slices.Contains(f.allowed[a], "*") || slices.Contains(f.allowed[a], r) {
				d = iamtypes.PolicyEvaluationDecisionTypeAllowed
			}
			out.EvaluationResults = append(out.EvaluationResults, iamtypes.EvaluationResult{EvalActionName: aws.String(a), EvalResourceName: aws.String(r), EvalDecision: d})
		}
	}
	return out, nil
}

const role = "arn:aws:iam::123456789012:role/api"

func TestPermissionsBatchesTheResourcesOfARequest(t *testing.T) {
	subnetA := "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-a"
	subnetB := "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-b"
	group := "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1"
	enis := "arn:aws:ec2:us-east-1:123456789012:network-interface/*"
	fake := &fakeIAM{allowed: map[string][]string{
		"ec2:CreateNetworkInterface":    {subnetA, group, enis},
		"ec2:DescribeNetworkInterfaces": {"*"},
	}}
	needs := []check.PermissionNeed{
		{AnyOf: []string{"ec2:CreateNetworkInterface"}, Resources: []string{subnetA, group, enis}},
		{AnyOf: []string{"ec2:DescribeNetworkInterfaces"}, Resource: "*"},
		{AnyOf: []string{"ec2:DeleteNetworkInterface"}, Resource: enis},
	}
	sim := (&Simulator{IAM: fake}).Scoped()
	p, err := sim.Permissions(t.Context(), role, needs)
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.calls) != 2 {
		t.Fatalf("%d calls, want one for \"*\" and one for the ARNs", len(fake.calls))
	}
	for i, want := range []bool{true, true, false} {
		if got := p.Allowed(needs[i]); got != want {
			t.Errorf("%v allowed = %v, want %v", needs[i].AnyOf, got, want)
		}
	}
	// A second function in another subnet asks only what is new.
	other := []check.PermissionNeed{{AnyOf: []string{"ec2:CreateNetworkInterface"}, Resources: []string{subnetB, group, enis}}}
	p, err = sim.Permissions(t.Context(), role, other)
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.calls) != 3 || !slices.Equal(fake.calls[2].ResourceArns, []string{subnetB}) {
		t.Fatalf("calls %d, last on %v: want one more, on %s only", len(fake.calls), fake.calls[len(fake.calls)-1].ResourceArns, subnetB)
	}
	if p.Allowed(other[0]) || !slices.Equal(p.Denied(other[0]), []string{subnetB}) {
		t.Errorf("scoped to %s, the request in %s is allowed or denied on %v", subnetA, subnetB, p.Denied(other[0]))
	}
	for _, c := range fake.calls {
		if slices.Contains(c.ResourceArns, "*") {
			t.Errorf("\"*\" sent among ARNs: %v", c.ResourceArns)
		}
		if strings.Join(c.ResourceArns, "") == "" && !slices.Equal(c.ActionNames, []string{"ec2:DescribeNetworkInterfaces"}) {
			t.Errorf("actions on \"*\": %v", c.ActionNames)
		}
	}
}

// slowIAM answers as fakeIAM once every caller has asked, so that the
// simulations of workloads checked at once overlap.
type slowIAM struct {
	*fakeIAM
	release chan struct{}
}

func (s *slowIAM) SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, opts ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	<-s.release
	return s.fakeIAM.SimulatePrincipalPolicy(ctx, in, opts...)
}

func TestPermissionsAskedAtOnceShareOneSimulation(t *testing.T) {
	subnet := "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-a"
	fake := &slowIAM{fakeIAM: &fakeIAM{allowed: map[string][]string{"ec2:CreateNetworkInterface": {subnet}}}, release: make(chan struct{})}
	needs := []check.PermissionNeed{
		{AnyOf: []string{"ec2:CreateNetworkInterface"}, Resources: []string{subnet}},
		{AnyOf: []string{"ec2:DescribeNetworkInterfaces"}, Resource: "*"},
	}
	sim := (&Simulator{IAM: fake}).Scoped()
	const workloads = 8
	got := make([]*check.Permissions, workloads)
	var wg sync.WaitGroup
	for i := range workloads {
		wg.Go(func() {
			p, err := sim.Permissions(t.Context(), role, needs)
			if err != nil {
				t.Error(err)
			}
			got[i] = p
		})
	}
	// Long enough for every workload to ask before any answer.
	time.Sleep(50 * time.Millisecond)
	close(fake.release)
	wg.Wait()
	if n := len(fake.calls); n != 2 {
		t.Errorf("%d simulations for %d workloads sharing a role and resources, want 2 (\"*\" and the subnet)", n, workloads)
	}
	for i, p := range got {
		if p == nil {
			continue
		}
		if d := p.Decisions[[2]string{"ec2:CreateNetworkInterface", subnet}]; d != string(iamtypes.PolicyEvaluationDecisionTypeAllowed) {
			t.Errorf("workload %d: CreateNetworkInterface on the subnet is %q, want allowed", i, d)
		}
		if d := p.Decisions[[2]string{"ec2:DescribeNetworkInterfaces", "*"}]; d == "" {
			t.Errorf("workload %d: no decision on DescribeNetworkInterfaces", i)
		}
	}
}
