// Package simulate asks IAM (iam:SimulatePrincipalPolicy) whether an
// execution role is allowed what a workload needs. It only reads: vpcmedic
// never changes IAM.
package simulate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/check"
)

// IAM is the part of the IAM API the simulator calls.
type IAM interface {
	iam.SimulatePrincipalPolicyAPIClient
}

// Simulator runs the simulations. Decisions are remembered for the life
// of the Simulator: make one per run (Scoped), so that workloads sharing a
// role and a resource cost one simulation, and a later run asks anew.
type Simulator struct {
	IAM IAM

	mu    sync.Mutex
	known map[[3]string]string // role, action, resource -> decision
}

// Scoped returns a Simulator with an empty memory.
func (s *Simulator) Scoped() *Simulator { return &Simulator{IAM: s.IAM} }

// Permissions simulates every need for a role: one call per distinct
// resource (each answer then names one resource), concurrently. A refusal
// to simulate (no iam:SimulatePrincipalPolicy, a role that no longer
// exists) is not an error: it is reported in Permissions.Err so that the
// check says the role could not be verified. Other AWS errors are returned.
func (s *Simulator) Permissions(ctx context.Context, roleARN string, needs []check.PermissionNeed) (*check.Permissions, error) {
	p := &check.Permissions{RoleARN: roleARN, Decisions: map[[2]string]string{}}
	actions := map[string][]string{}
	var resources []string
	s.mu.Lock()
	for _, n := range needs {
		for _, a := range n.AnyOf {
			if d, ok := s.known[[3]string{roleARN, a, n.Resource}]; ok {
				p.Decisions[[2]string{a, n.Resource}] = d
				continue
			}
			if _, ok := actions[n.Resource]; !ok {
				resources = append(resources, n.Resource)
			}
			if !slices.Contains(actions[n.Resource], a) {
				actions[n.Resource] = append(actions[n.Resource], a)
			}
		}
	}
	s.mu.Unlock()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, resource := range resources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(roleARN), ActionNames: actions[resource]}
			if resource != "*" {
				in.ResourceArns = []string{resource}
			}
			pages := iam.NewSimulatePrincipalPolicyPaginator(s.IAM, in)
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				mu.Lock()
				s.mu.Lock()
				if s.known == nil {
					s.known = map[[3]string]string{}
				}
				for _, r := range page.EvaluationResults {
					action, decision := aws.ToString(r.EvalActionName), string(r.EvalDecision)
					p.Decisions[[2]string{action, resource}] = decision
					s.known[[3]string{roleARN, action, resource}] = decision
				}
				s.mu.Unlock()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && isRefusal(apiErr.ErrorCode()) {
			p.Err = apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
			return p, nil
		}
		return nil, fmt.Errorf("simulate the policies of %s: %w", roleARN, err)
	}
	return p, nil
}

func isRefusal(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "NoSuchEntity", "InvalidInput", "PolicyEvaluation":
		return true
	}
	return false
}
