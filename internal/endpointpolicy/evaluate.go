// Package endpointpolicy answers the question vpcmedic asks of a VPC endpoint
// policy, "does it let this request through?", and builds the least-privilege
// policies vpcmedic attaches to the endpoints it creates.
//
// Evaluation follows IAM: an explicit Deny that matches wins, else an Allow
// that matches allows, else the request is implicitly denied. What cannot be
// decided from the request (most condition keys) is assumed in the request's
// favour and recorded in Decision.Assumed, so a finding can say so.
package endpointpolicy

import (
	"fmt"
	"slices"
	"strings"
)

// Request is one call that must pass through the endpoint.
type Request struct {
	Action string // e.g. "sts:AssumeRole", "secretsmanager:GetSecretValue"
	// Resource is the ARN the call acts on, or "*" (or "") when it is not
	// known or the call is not resource-scoped. An unknown resource matches
	// only statements whose Resource covers every resource ("*"): a statement
	// limited to some ARNs cannot be shown to cover it. A Deny limited to
	// some ARNs is then not applied, and Decision.Assumed says so.
	Resource string
	// AnyResource says the call acts on resources not known here (a
	// function's own calls): an Allow limited to some ARNs is then assumed
	// to cover them, and Decision.Assumed says so.
	AnyResource bool
	// The caller: a service principal ("lambda.amazonaws.com") or an IAM
	// principal (role ARN, optionally its account). PrincipalService wins
	// when both are set.
	PrincipalService string
	PrincipalARN     string
	PrincipalAccount string // derived from PrincipalARN when empty
	// Where the call comes from, when known; they answer aws:SourceVpc and
	// aws:SourceVpce conditions, which are assumed otherwise.
	SourceVPC  string
	SourceVPCE string
}

// Decision is the answer for one request.
type Decision struct {
	Allowed bool
	// Assumed lists what was taken for granted to reach the decision, e.g. a
	// condition that could not be evaluated.
	Assumed []string
	// Reason says, problem first, why; it names statements by their 1-based
	// position and their Sid.
	Reason string
}

// FullAccess is the policy AWS gives an endpoint when none is specified.
const FullAccess = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

// Evaluate decides whether policy lets r through the endpoint. An empty
// policy is the default full-access policy. It returns an error only when
// policy is not a policy document.
func Evaluate(policy string, r Request) (Decision, error) {
	if strings.TrimSpace(policy) == "" {
		return Decision{Allowed: true, Reason: "no endpoint policy: the endpoint allows full access"}, nil
	}
	statements, err := parse(policy)
	if err != nil {
		return Decision{}, fmt.Errorf("parse endpoint policy: %w", err)
	}
	request := r.describe()
	if len(statements) == 0 {
		return Decision{Reason: request + " is not allowed: the policy has no statements"}, nil
	}

	var (
		nearDenies []string // what was assumed to keep a Deny from matching
		allow      *outcome
		refusals   []string
	)
	for _, s := range statements {
		o := s.evaluate(r)
		switch {
		case s.deny && o.matched:
			return Decision{
				Reason:  fmt.Sprintf("%s is explicitly denied by %s%s", request, s.label(), o.held()),
				Assumed: o.assumed,
			}, nil
		case s.deny:
			nearDenies = append(nearDenies, o.assumed...)
		case o.matched:
			// Prefer the Allow that needs the fewest assumptions.
			if allow == nil || len(o.assumed) < len(allow.assumed) {
				allow = &o
			}
		default:
			refusals = append(refusals, s.label()+": "+o.why)
		}
	}
	if allow == nil {
		reason := request + " is not allowed by any statement"
		if len(refusals) > 0 {
			reason += ": " + strings.Join(refusals, "; ")
		}
		return Decision{Reason: reason}, nil
	}
	return Decision{
		Allowed: true,
		Reason:  fmt.Sprintf("%s allows %s", allow.statement.label(), request),
		Assumed: append(nearDenies, allow.assumed...),
	}, nil
}

// outcome is how one statement treats a request. For a Deny that does not
// match, assumed holds only the assumptions without which it would have.
type outcome struct {
	statement statement
	matched   bool
	assumed   []string
	why       string   // the first reason it does not match
	holding   []string // the conditions that hold, and why
}

// held explains a matching statement's conditions, for a reason.
func (o outcome) held() string {
	if len(o.holding) == 0 {
		return ""
	}
	return ": " + strings.Join(o.holding, "; ")
}

func (s statement) evaluate(r Request) outcome {
	o := outcome{statement: s}
	var (
		whys    []string
		guesses []string // assumptions that made a part not match
		matched []string // assumptions that made a part match
	)
	fail := func(why string) { whys = append(whys, why) }

	if !s.actionMatches(r.Action) {
		if s.notActions.set {
			fail(fmt.Sprintf("action %s is excluded by NotAction", r.Action))
		} else {
			fail(fmt.Sprintf("action %s is not in Action", r.Action))
		}
	}
	if !s.principalMatches(r) {
		if s.notPrincipal {
			fail(fmt.Sprintf("principal %s is excluded by NotPrincipal", r.describePrincipal()))
		} else {
			fail(fmt.Sprintf("principal %s is not in Principal, which admits %s", r.describePrincipal(), s.principal))
		}
	}
	definiteFailures := len(whys)
	if ok, why := s.resourceMatches(r.resource()); !ok {
		switch {
		case r.resource() == "*" && !s.deny && r.AnyResource && !s.notResources.set:
			matched = append(matched, "the request's resources are not known: assumed inside "+why)
		case r.resource() == "*" && s.deny:
			guesses = append(guesses, "the request's resource is not known: assumed outside "+why)
			fail(fmt.Sprintf("resource %s is not covered by %s", r.resource(), why))
		default:
			definiteFailures++
			fail(fmt.Sprintf("resource %s is not covered by %s", r.resource(), why))
		}
	}
	for _, c := range s.conditions {
		res := c.evaluate(r, s.deny)
		switch {
		case res.holds:
			if res.assumed != "" {
				matched = append(matched, res.assumed)
			} else if res.why != "" {
				o.holding = append(o.holding, res.why)
			}
		case res.assumed != "":
			guesses = append(guesses, res.assumed)
			fail(res.why)
		default:
			definiteFailures++
			fail(res.why)
		}
	}

	label := func(notes []string) []string {
		out := make([]string, 0, len(notes))
		for _, n := range notes {
			out = append(out, s.label()+": "+n)
		}
		return out
	}
	if len(whys) == 0 {
		o.matched = true
		o.assumed = slices.Concat(s.notes, label(matched))
		return o
	}
	o.why = whys[0]
	if definiteFailures == 0 {
		o.assumed = label(guesses)
	}
	return o
}

func (s statement) actionMatches(action string) bool {
	if s.notActions.set {
		return !anyMatch(s.notActions.values, action, wildcardMatchFold)
	}
	return anyMatch(s.actions.values, action, wildcardMatchFold)
}

// resourceMatches reports whether the statement covers resource; when it
// does not, it describes the element that excludes it.
func (s statement) resourceMatches(resource string) (bool, string) {
	if resource == "*" {
		if s.notResources.set {
			return false, "NotResource " + strings.Join(s.notResources.values, ", ")
		}
		for _, p := range s.resources.values {
			if coversEverything(p) {
				return true, ""
			}
		}
		return false, "Resource " + strings.Join(s.resources.values, ", ")
	}
	if s.notResources.set {
		if anyMatch(s.notResources.values, resource, wildcardMatch) {
			return false, "NotResource " + strings.Join(s.notResources.values, ", ")
		}
		return true, ""
	}
	if anyMatch(s.resources.values, resource, wildcardMatch) {
		return true, ""
	}
	return false, "Resource " + strings.Join(s.resources.values, ", ")
}

func (s statement) principalMatches(r Request) bool {
	return s.principal.match(r) != s.notPrincipal
}

func (p principals) match(r Request) bool {
	if p.everyone {
		return true
	}
	if r.isService() {
		return anyMatch(p.services, r.PrincipalService, func(want, got string) bool {
			return want == "*" || strings.EqualFold(want, got)
		})
	}
	for _, want := range p.aws {
		if awsPrincipalMatches(want, r) {
			return true
		}
	}
	return false
}

// awsPrincipalMatches matches one "AWS" principal against an IAM caller: an
// account ID or an account's root ARN stands for every principal of that
// account; a role ARN also matches the sessions of that role.
func awsPrincipalMatches(want string, r Request) bool {
	if isAccountID(want) {
		return want == r.account()
	}
	if acct, ok := rootAccount(want); ok {
		return acct == r.account()
	}
	if r.PrincipalARN == "" {
		return false
	}
	if want == r.PrincipalARN {
		return true
	}
	return sameRole(want, r.PrincipalARN)
}

func anyMatch(patterns []string, s string, match func(pattern, s string) bool) bool {
	for _, p := range patterns {
		if match(p, s) {
			return true
		}
	}
	return false
}

func (r Request) isService() bool { return r.PrincipalService != "" }

func (r Request) isIAM() bool {
	return !r.isService() && (r.PrincipalARN != "" || r.PrincipalAccount != "")
}

func (r Request) resource() string {
	if r.Resource == "" {
		return "*"
	}
	return r.Resource
}

func (r Request) account() string {
	if r.PrincipalAccount != "" {
		return r.PrincipalAccount
	}
	return arnAccount(r.PrincipalARN)
}

func (r Request) describePrincipal() string {
	switch {
	case r.isService():
		return r.PrincipalService
	case r.PrincipalARN != "":
		return r.PrincipalARN
	case r.PrincipalAccount != "":
		return "a principal of account " + r.PrincipalAccount
	}
	return "an unknown principal"
}

func (r Request) describe() string {
	return fmt.Sprintf("%s by %s on %s", r.Action, r.describePrincipal(), r.resource())
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// arnAccount returns the account field of an ARN, "" when s is not an ARN.
func arnAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// rootAccount recognises arn:PARTITION:iam::ACCOUNT:root.
func rootAccount(s string) (string, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[2] != "iam" || parts[5] != "root" {
		return "", false
	}
	return parts[4], true
}

// sameRole reports whether a role ARN (arn:aws:iam::A:role/path/Name) and an
// assumed-role session ARN (arn:aws:sts::A:assumed-role/Name/session) are the
// same role, as IAM treats them in a Principal element.
func sameRole(roleARN, callerARN string) bool {
	role := strings.SplitN(roleARN, ":", 6)
	caller := strings.SplitN(callerARN, ":", 6)
	if len(role) < 6 || len(caller) < 6 || role[2] != "iam" || caller[2] != "sts" || role[4] != caller[4] {
		return false
	}
	roleRes, ok := strings.CutPrefix(role[5], "role/")
	if !ok {
		return false
	}
	session, ok := strings.CutPrefix(caller[5], "assumed-role/")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(session, "/")
	return name == roleRes[strings.LastIndex(roleRes, "/")+1:]
}
