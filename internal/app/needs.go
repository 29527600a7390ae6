package app

import (
	"context"
	"errors"
	"slices"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/needs"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/rolepolicy"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// functionNeeds infers what a VPC-attached function must reach (from its
// execution role's policies, its environment and its tags), finds the
// security groups of the databases it names, and sets what its role must
// be allowed for Lambda to attach it. A role or database that cannot be
// read is reported in the findings, not as an error.
func (a *App) functionNeeds(ctx context.Context, roles *rolepolicy.Reader, t *check.Target) (*needs.Needs, error) {
	w := t.Workload
	in := needs.Input{Environment: w.Function.Environment, Tags: w.Function.Tags, ManagedInstances: managedInstancesOf(w)}
	switch {
	case roles == nil:
		in.PoliciesUnread = "role policies are not read in this run"
	case w.ExecutionRoleARN == "":
		in.PoliciesUnread = "the function has no execution role"
	default:
		policies, err := roles.Policies(ctx, w.ExecutionRoleARN)
		var refusal *rolepolicy.Refusal
		switch {
		case errors.As(err, &refusal):
			in.PoliciesUnread = refusal.Error()
		case err != nil:
			return nil, err
		}
		in.Policies = policies
	}
	n, err := a.inferNeeds(ctx, w, in)
	if err != nil {
		return nil, err
	}
	for _, s := range n.Services {
		evidence := check.EvidenceDeclared
		if s.Evidence() == needs.Suggested {
			evidence = check.EvidenceSuggested
		}
		t.Requirements = append(t.Requirements, check.Requirement{Service: s.Name, Why: s.Why(), Evidence: evidence, Unread: s.Unread})
	}
	for _, d := range n.Databases {
		db, err := a.Inventory.Database(ctx, d)
		if err != nil {
			return nil, err
		}
		t.Databases = append(t.Databases, db)
	}
	t.NeedsGaps, t.NothingToCheck = n.Gaps, n.None
	t.PermissionNeeds = check.FunctionPermissionNeeds(w)
	return &n, nil
}

// inferNeeds infers the function's needs, leaving out what Lambda itself
// does with the role. The function's mappings and asynchronous
// destinations are read only when the role grants a service Lambda may
// call for them (a poller, a destination), so a sweep reads them for few
// functions.
func (a *App) inferNeeds(ctx context.Context, w *workload.Workload, in needs.Input) (needs.Needs, error) {
	in.LambdaUse = lambdaUseOf(w.Function.LambdaUse)
	n := needs.Infer(in)
	u := w.Function.LambdaUse
	if u.MappingsRead && u.DestinationsRead || a.Inventory == nil || !grantsLambdaUse(n) {
		return n, nil
	}
	if err := a.Inventory.LambdaUse(ctx, w); err != nil {
		return needs.Needs{}, err
	}
	in.LambdaUse = lambdaUseOf(w.Function.LambdaUse)
	return needs.Infer(in), nil
}

// grantsLambdaUse reports whether the role grants a service that Lambda
// itself may call on the function's behalf.
func grantsLambdaUse(n needs.Needs) bool {
	return slices.ContainsFunc(n.Services, func(s needs.Service) bool {
		return needs.LambdaMayUse(s.Name) && slices.ContainsFunc(s.Sources, func(src needs.Source) bool { return src.Kind == needs.FromPolicy })
	})
}

func lambdaUseOf(u workload.LambdaUse) needs.LambdaUse {
	return needs.LambdaUse{EventSources: u.EventSources, Targets: u.Targets, KMSKeyARN: u.KMSKeyARN, Unread: u.Unread}
}

// declaredOnly is the target a plan is made for: a need only a broad grant
// suggests is the owner's to declare, not a reason to create anything.
func declaredOnly(t *check.Target) *check.Target {
	if !slices.ContainsFunc(t.Requirements, check.Requirement.Suggested) {
		return t
	}
	c := *t
	c.Requirements = slices.DeleteFunc(slices.Clone(t.Requirements), check.Requirement.Suggested)
	return check.Fresh(&c)
}

// requirementsOf lists a target's requirements with their evidence for
// the report.
func requirementsOf(t *check.Target) []report.Requirement {
	var out []report.Requirement
	for _, r := range t.Requirements {
		evidence := r.Evidence
		if evidence == "" {
			evidence = check.EvidenceDeclared
		}
		out = append(out, report.Requirement{Service: r.Service, Why: r.Why, Evidence: evidence, Unread: r.Unread})
	}
	return out
}

// needsOf lists a target's requirements for the report.
func needsOf(t *check.Target) []report.Need {
	var out []report.Need
	for _, r := range t.Requirements {
		out = append(out, report.Need{Service: r.Service, Why: r.Why})
	}
	for _, db := range t.Databases {
		out = append(out, report.Need{Database: check.DatabaseName(db), Why: db.Why})
	}
	return out
}
