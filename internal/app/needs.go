package app

import (
	"context"
	"errors"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/needs"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/rolepolicy"
)

// functionNeeds infers what a VPC-attached function must reach (from its
// execution role's policies, its environment and its tags), finds the
// security groups of the databases it names, and sets what its role must
// be allowed for Lambda to attach it. A role or database that cannot be
// read is reported in the findings, not as an error.
func (a *App) functionNeeds(ctx context.Context, roles *rolepolicy.Reader, t *check.Target) (*needs.Needs, error) {
	w := t.Workload
	in := needs.Input{Environment: w.Function.Environment, Tags: w.Function.Tags}
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
	n := needs.Infer(in)
	for _, s := range n.Services {
		t.Requirements = append(t.Requirements, check.Requirement{Service: s.Name, Why: s.Why()})
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
