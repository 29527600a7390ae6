package trail

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// MadeBy reports whether the call was made by the identity whose
// sts:GetCallerIdentity ARN is callerARN. For an assumed role any session of
// that role counts, so that vpcmedic's own changes, made by whichever
// concurrent invocation, never trigger it again.
func (a *Actor) MadeBy(callerARN string) bool {
	if a == nil || callerARN == "" {
		return false
	}
	if a.ARN == callerARN {
		return true
	}
	self, ok := principalOf(callerARN)
	if !ok {
		return false
	}
	for _, candidate := range []string{a.ARN, a.RoleARN} {
		if p, ok := principalOf(candidate); ok && p == self {
			return true
		}
	}
	return false
}

// principal identifies an IAM role or user independently of session names
// and role paths (role names are unique in an account, paths included).
type principal struct{ partition, account, kind, name string }

func principalOf(s string) (principal, bool) {
	a, err := arn.Parse(s)
	if err != nil {
		return principal{}, false
	}
	p := principal{partition: a.Partition, account: a.AccountID}
	parts := strings.Split(a.Resource, "/")
	switch {
	case a.Service == "sts" && parts[0] == "assumed-role" && len(parts) >= 2:
		p.kind, p.name = "role", parts[1]
	case a.Service == "iam" && parts[0] == "role" && len(parts) >= 2:
		p.kind, p.name = "role", parts[len(parts)-1]
	case a.Service == "iam" && parts[0] == "user" && len(parts) >= 2:
		p.kind, p.name = "user", parts[len(parts)-1]
	default:
		return principal{}, false
	}
	return p, true
}

// MadeByAny reports whether the call was made by any of the identities
// (role, user or session ARNs): vpcmedic's functions each run as their own
// role, and a change made by one must not trigger another.
func (a *Actor) MadeByAny(arns []string) (string, bool) {
	for _, candidate := range arns {
		if a.MadeBy(candidate) {
			return candidate, true
		}
	}
	return "", false
}
