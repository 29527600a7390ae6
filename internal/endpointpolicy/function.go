package endpointpolicy

import (
	"fmt"
	"slices"
	"strings"
)

// FunctionRequests are the calls a function's code makes to a service
// through an endpoint: each action its execution role allows of the
// service, on each resource named for it (its environment's ARNs, say), by
// the role. Without a resource the calls may act on any resource.
func FunctionRequests(roleARN string, actions, resources []string) []Request {
	var out []Request
	for _, a := range actions {
		if len(resources) == 0 {
			out = append(out, Request{Action: a, AnyResource: true, PrincipalARN: roleARN})
			continue
		}
		for _, res := range resources {
			out = append(out, Request{Action: a, Resource: res, PrincipalARN: roleARN})
		}
	}
	return out
}

// Admission is how a policy treats a workload's calls as a whole.
type Admission struct {
	// Admitted: some call passes on what is known. Unverified: calls pass
	// only on what vpcmedic cannot evaluate (a condition key, an unknown
	// resource). Neither: the policy admits only other calls.
	Admitted, Unverified bool
	// Reason says why, naming the statements.
	Reason string
}

// Admit decides whether policy lets a workload use the endpoint at all. A
// role is often allowed more than its code calls, so one admitted call is
// enough: a policy is reported as refusing the workload only when it
// admits none of its calls.
func Admit(policy string, requests []Request) (Admission, error) {
	var assumed, refusals []string
	for _, r := range requests {
		d, err := Evaluate(policy, r)
		if err != nil {
			return Admission{}, err
		}
		switch {
		case d.Allowed && len(d.Assumed) == 0:
			return Admission{Admitted: true, Reason: d.Reason}, nil
		case d.Allowed:
			assumed = append(assumed, fmt.Sprintf("%s only if %s", d.Reason, strings.Join(d.Assumed, "; ")))
		default:
			refusals = append(refusals, d.Reason)
		}
	}
	switch {
	case len(assumed) > 0:
		return Admission{Unverified: true, Reason: assumed[0]}, nil
	case len(refusals) == 0:
		return Admission{Admitted: true, Reason: "no call to check"}, nil
	}
	return Admission{Reason: strings.Join(slices.Compact(refusals), "; ")}, nil
}

// String says whom a Principal element names, for a reason.
func (p principals) String() string {
	if p.everyone {
		return "everyone"
	}
	var names []string
	names = append(names, p.aws...)
	names = append(names, p.services...)
	if len(names) == 0 {
		return "no AWS or service principal"
	}
	return strings.Join(names, ", ")
}
