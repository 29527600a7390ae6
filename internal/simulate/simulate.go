// Package simulate asks IAM (iam:SimulatePrincipalPolicy) whether an
// execution role is allowed what a workload needs. It only reads: vpcmedic
// never changes IAM.
package simulate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// flights are the simulations asked so far, by role and request:
	// workloads checked at once that share them wait for one call.
	flights map[string]*flight
}

// flight is one simulation, running or done.
type flight struct {
	done chan struct{}
	err  error
}

// Scoped returns a Simulator with an empty memory.
func (s *Simulator) Scoped() *Simulator { return &Simulator{IAM: s.IAM} }

// Permissions simulates every need for a role in at most two calls: one for
// the actions on "*", one for the actions on the ARNs the needs name (each
// action is evaluated on each resource, and every answer names its
// resource), concurrently. What an earlier call of this Simulator answered
// is not asked again. A refusal to simulate (no iam:SimulatePrincipalPolicy,
// a role that no longer exists) is not an error: it is reported in
// Permissions.Err so that the check says the role could not be verified.
// Other AWS errors are returned.
func (s *Simulator) Permissions(ctx context.Context, roleARN string, needs []check.PermissionNeed) (*check.Permissions, error) {
	p := &check.Permissions{RoleARN: roleARN, Decisions: map[[2]string]string{}}
	var calls [2]request // "*", then the ARNs
	s.mu.Lock()
	for _, n := range needs {
		for _, resource := range n.On() {
			for _, a := range n.AnyOf {
				if d, ok := s.known[[3]string{roleARN, a, resource}]; ok {
					p.Decisions[[2]string{a, resource}] = d
					continue
				}
				c := &calls[1]
				if resource == "*" {
					c = &calls[0]
				}
				c.add(a, resource)
			}
		}
	}
	s.mu.Unlock()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, c := range calls {
		if len(c.actions) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.once(ctx, roleARN, c, p, &mu); err != nil {
				mu.Lock()
				errs = append(errs, err)
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

// once runs a request unless the same one (role, actions, resources) was
// asked already, by this call or one running beside it: then it waits
// for that one and takes its decisions from the memory.
func (s *Simulator) once(ctx context.Context, roleARN string, r request, p *check.Permissions, mu *sync.Mutex) error {
	key := roleARN + "\x00" + strings.Join(r.actions, ",") + "\x00" + strings.Join(r.resources, ",")
	s.mu.Lock()
	if s.flights == nil {
		s.flights = map[string]*flight{}
	}
	f, asked := s.flights[key]
	if !asked {
		f = &flight{done: make(chan struct{})}
		s.flights[key] = f
	}
	s.mu.Unlock()
	if !asked {
		f.err = s.simulate(ctx, roleARN, r, p, mu)
		close(f.done)
		return f.err
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if f.err != nil {
		return f.err
	}
	mu.Lock()
	s.mu.Lock()
	for _, a := range r.actions {
		for _, resource := range r.resources {
			if d, ok := s.known[[3]string{roleARN, a, resource}]; ok {
				p.Decisions[[2]string{a, resource}] = d
			}
		}
	}
	s.mu.Unlock()
	mu.Unlock()
	return nil
}

// request is one simulation: its actions on each of its resources.
type request struct {
	actions, resources []string
}

func (r *request) add(action, resource string) {
	if !slices.Contains(r.actions, action) {
		r.actions = append(r.actions, action)
	}
	if !slices.Contains(r.resources, resource) {
		r.resources = append(r.resources, resource)
	}
}

// simulate runs one request and records its decisions in p and in the
// Simulator's memory. "*" is IAM's default resource and is not sent.
func (s *Simulator) simulate(ctx context.Context, roleARN string, r request, p *check.Permissions, mu *sync.Mutex) error {
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(roleARN), ActionNames: r.actions}
	if !slices.Equal(r.resources, []string{"*"}) {
		in.ResourceArns = r.resources
	}
	pages := iam.NewSimulatePrincipalPolicyPaginator(s.IAM, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		mu.Lock()
		s.mu.Lock()
		if s.known == nil {
			s.known = map[[3]string]string{}
		}
		for _, e := range page.EvaluationResults {
			action, decision := aws.ToString(e.EvalActionName), string(e.EvalDecision)
			resource := aws.ToString(e.EvalResourceName)
			if len(r.resources) == 1 {
				resource = r.resources[0]
			}
			p.Decisions[[2]string{action, resource}] = decision
			s.known[[3]string{roleARN, action, resource}] = decision
		}
		s.mu.Unlock()
		mu.Unlock()
	}
	return nil
}

func isRefusal(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "NoSuchEntity", "InvalidInput", "PolicyEvaluation":
		return true
	}
	return false
}
