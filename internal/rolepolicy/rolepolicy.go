// Package rolepolicy reads the policy documents of an execution role: its
// inline policies and the default version of each attached managed policy.
// It only reads: vpcmedic never changes IAM.
package rolepolicy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/needs"
)

// IAM is the part of the IAM API the reader calls.
type IAM interface {
	iam.ListRolePoliciesAPIClient
	iam.ListAttachedRolePoliciesAPIClient
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(context.Context, *iam.GetPolicyVersionInput, ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
}

// Reader reads role policies. Managed policy documents are remembered for
// the life of the Reader: make one per run (Scoped) so that a sweep over
// many roles sharing a policy reads it once, and a later run reads it anew.
type Reader struct {
	IAM IAM

	mu      sync.Mutex
	managed map[string]*managedDoc
	roles   map[string]*rolePolicies
}

// rolePolicies is one role's read, shared by the functions that use it.
type rolePolicies struct {
	once     sync.Once
	policies []needs.Policy
	err      error
}

type managedDoc struct {
	once sync.Once
	doc  string
	err  error
}

// Scoped returns a Reader with an empty cache.
func (r *Reader) Scoped() *Reader { return &Reader{IAM: r.IAM} }

// Refusal is an IAM answer that says the role cannot be read (access
// denied, no such role): not worth retrying, worth reporting.
type Refusal struct{ Err error }

func (e *Refusal) Error() string { return e.Err.Error() }
func (e *Refusal) Unwrap() error { return e.Err }

// Policies returns the role's inline policies and the default version of
// its attached managed policies, read concurrently, once per role and
// Reader.
func (r *Reader) Policies(ctx context.Context, roleARN string) ([]needs.Policy, error) {
	r.mu.Lock()
	if r.roles == nil {
		r.roles = map[string]*rolePolicies{}
	}
	entry, ok := r.roles[roleARN]
	if !ok {
		entry = &rolePolicies{}
		r.roles[roleARN] = entry
	}
	r.mu.Unlock()
	entry.once.Do(func() { entry.policies, entry.err = r.read(ctx, roleARN) })
	return entry.policies, entry.err
}

func (r *Reader) read(ctx context.Context, roleARN string) ([]needs.Policy, error) {
	role := roleName(roleARN)
	if role == "" {
		return nil, &Refusal{Err: fmt.Errorf("%q is not a role ARN", roleARN)}
	}
	// The two lists are read at once; an error in the inline list is
	// reported first, as when they were read one after the other.
	var (
		inline, attached       []string
		inlineErr, attachedErr error
		lists                  sync.WaitGroup
	)
	lists.Go(func() {
		names := iam.NewListRolePoliciesPaginator(r.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
		for names.HasMorePages() {
			page, err := names.NextPage(ctx)
			if err != nil {
				inlineErr = classify(fmt.Errorf("list the inline policies of role %s: %w", role, err))
				return
			}
			inline = append(inline, page.PolicyNames...)
		}
	})
	lists.Go(func() {
		arns := iam.NewListAttachedRolePoliciesPaginator(r.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
		for arns.HasMorePages() {
			page, err := arns.NextPage(ctx)
			if err != nil {
				attachedErr = classify(fmt.Errorf("list the managed policies of role %s: %w", role, err))
				return
			}
			for _, p := range page.AttachedPolicies {
				attached = append(attached, aws.ToString(p.PolicyArn))
			}
		}
	})
	lists.Wait()
	if inlineErr != nil {
		return nil, inlineErr
	}
	if attachedErr != nil {
		return nil, attachedErr
	}

	out := make([]needs.Policy, len(inline)+len(attached))
	errs := make([]error, len(out))
	var wg sync.WaitGroup
	for i, name := range inline {
		wg.Go(func() {
			p, err := r.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
			if err != nil {
				errs[i] = classify(fmt.Errorf("get inline policy %s of role %s: %w", name, role, err))
				return
			}
			out[i] = needs.Policy{Name: fmt.Sprintf("%s (inline, role %s)", name, role), Document: decode(aws.ToString(p.PolicyDocument))}
		})
	}
	for j, policyARN := range attached {
		i := len(inline) + j
		wg.Go(func() {
			doc, err := r.managedDocument(ctx, policyARN)
			if err != nil {
				errs[i] = err
				return
			}
			out[i] = needs.Policy{Name: policyARN, Document: doc}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// managedDocument reads the default version of a managed policy, once per
// Reader.
func (r *Reader) managedDocument(ctx context.Context, policyARN string) (string, error) {
	r.mu.Lock()
	if r.managed == nil {
		r.managed = map[string]*managedDoc{}
	}
	m, ok := r.managed[policyARN]
	if !ok {
		m = &managedDoc{}
		r.managed[policyARN] = m
	}
	r.mu.Unlock()
	m.once.Do(func() {
		p, err := r.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
		if err != nil {
			m.err = classify(fmt.Errorf("get managed policy %s: %w", policyARN, err))
			return
		}
		version := aws.ToString(p.Policy.DefaultVersionId)
		v, err := r.IAM.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: aws.String(version)})
		if err != nil {
			m.err = classify(fmt.Errorf("get version %s of managed policy %s: %w", version, policyARN, err))
			return
		}
		m.doc = decode(aws.ToString(v.PolicyVersion.Document))
	})
	return m.doc, m.err
}

// decode undoes the URL encoding IAM applies to policy documents (RFC
// 3986). A document that is already JSON is returned as it is; "+" is read
// as a space only when the strict reading is not JSON.
func decode(doc string) string {
	if json.Valid([]byte(doc)) {
		return doc
	}
	if s, err := url.PathUnescape(doc); err == nil && json.Valid([]byte(s)) {
		return s
	}
	if s, err := url.QueryUnescape(doc); err == nil {
		return s
	}
	return doc
}

// roleName is the last segment of a role ARN (roles may have paths).
func roleName(roleARN string) string {
	_, resource, ok := strings.Cut(roleARN, ":role/")
	if !ok {
		return ""
	}
	return resource[strings.LastIndex(resource, "/")+1:]
}

// classify marks the answers that say the role cannot be read.
func classify(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "NoSuchEntity", "InvalidInput":
			return &Refusal{Err: err}
		}
	}
	return err
}
