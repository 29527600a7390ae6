package endpointpolicy

import (
	"fmt"
	"slices"
	"strings"
)

// keyState says what is known about a condition key in a request.
type keyState int

const (
	keyUnknown keyState = iota // the request may carry it; its value is not known here
	keyPresent                 // the request carries it with a known value
	keyAbsent                  // the request does not carry it
	keyInOrg                   // aws:PrincipalOrgID of an IAM principal: assumed to be the organisation named
)

// contextKey returns what the request context holds for a condition key.
// Service principals carry no account, ARN or organisation: that is why a
// policy limited to an organisation refuses Lambda's own calls.
func (r Request) contextKey(key string) (value string, state keyState, why string) {
	service, iam := r.isService(), r.isIAM()
	serviceAbsent := "absent for service principal " + r.PrincipalService
	switch strings.ToLower(key) {
	case "aws:principalorgid":
		switch {
		case service:
			return "", keyAbsent, serviceAbsent
		case iam:
			return "", keyInOrg, ""
		}
	case "aws:principalaccount":
		switch {
		case service:
			return "", keyAbsent, serviceAbsent
		case r.account() != "":
			return r.account(), keyPresent, ""
		}
	case "aws:principalarn":
		switch {
		case service:
			return "", keyAbsent, serviceAbsent
		case r.PrincipalARN != "":
			return r.PrincipalARN, keyPresent, ""
		}
	case "aws:principalisawsservice":
		switch {
		case service:
			return "true", keyPresent, ""
		case iam:
			return "false", keyPresent, ""
		}
	case "aws:principalservicename":
		switch {
		case service:
			return r.PrincipalService, keyPresent, ""
		case iam:
			return "", keyAbsent, "absent for IAM principal " + r.describePrincipal()
		}
	case "aws:sourceaccount":
		// Only a service acting for a resource owner carries it.
		if iam {
			return "", keyAbsent, "absent for IAM principal " + r.describePrincipal()
		}
	case "aws:sourcevpc":
		if r.SourceVPC != "" {
			return r.SourceVPC, keyPresent, ""
		}
	case "aws:sourcevpce":
		if r.SourceVPCE != "" {
			return r.SourceVPCE, keyPresent, ""
		}
	}
	return "", keyUnknown, ""
}

// clauseResult is the outcome of one condition clause. A non-empty assumed
// means holds is a guess that a finding must mention.
type clauseResult struct {
	holds   bool
	assumed string
	why     string // why it holds or does not, when that is known
}

// evaluate decides one clause for a request. Clauses that cannot be decided
// are assumed to hold in an Allow and not to hold in a Deny, so that an
// unknown never makes vpcmedic report a break that may not exist.
func (c clause) evaluate(r Request, deny bool) clauseResult {
	op := strings.ToLower(c.operator)
	forAllValues := strings.HasPrefix(op, "forallvalues:")
	op = strings.TrimPrefix(strings.TrimPrefix(op, "forallvalues:"), "foranyvalue:")
	ifExists := strings.HasSuffix(op, "ifexists")
	op = strings.TrimSuffix(op, "ifexists")
	negated := strings.Contains(op, "not")

	guess := func(reason string) clauseResult {
		if deny {
			return clauseResult{assumed: fmt.Sprintf("%s not evaluated (%s), assumed not to hold", c, reason), why: c.String() + " assumed not to hold"}
		}
		return clauseResult{holds: true, assumed: fmt.Sprintf("%s not evaluated (%s), assumed to hold", c, reason)}
	}
	if !knownOperators[op] {
		return guess("operator not supported")
	}
	value, state, why := r.contextKey(c.key)
	if op == "null" {
		if state == keyUnknown {
			return guess("key not known")
		}
		absent := state == keyAbsent
		for _, v := range c.values {
			if strings.EqualFold(v, "true") == absent {
				return clauseResult{holds: true}
			}
		}
		return clauseResult{why: fmt.Sprintf("%s does not hold (key %s)", c, presence(absent))}
	}
	switch state {
	case keyUnknown:
		return guess("key value not known")
	case keyInOrg:
		note := fmt.Sprintf("assumed %s is in organisation %s (%s)", r.describePrincipal(), strings.Join(c.values, ", "), c.key)
		if negated {
			return clauseResult{assumed: note, why: c.String() + " assumed not to hold"}
		}
		return clauseResult{holds: true, assumed: note}
	case keyAbsent:
		if ifExists || forAllValues || negated {
			return clauseResult{holds: true, why: fmt.Sprintf("%s holds (key %s)", c, why)}
		}
		return clauseResult{why: fmt.Sprintf("%s does not hold (key %s)", c, why)}
	}
	matched := slices.ContainsFunc(c.values, func(want string) bool { return compare(op, want, value) })
	if matched != negated {
		return clauseResult{holds: true, why: fmt.Sprintf("%s holds (%s is %s)", c, c.key, value)}
	}
	return clauseResult{why: fmt.Sprintf("%s does not hold (%s is %s)", c, c.key, value)}
}

var knownOperators = map[string]bool{
	"stringequals": true, "stringnotequals": true,
	"stringequalsignorecase": true, "stringnotequalsignorecase": true,
	"stringlike": true, "stringnotlike": true,
	"arnequals": true, "arnnotequals": true, "arnlike": true, "arnnotlike": true,
	"bool": true, "null": true,
}

// compare applies a (non-negated form of a) known operator to one value.
func compare(op, want, got string) bool {
	switch strings.Replace(op, "not", "", 1) {
	case "stringequals":
		return want == got
	case "stringequalsignorecase", "bool":
		return strings.EqualFold(want, got)
	default: // stringlike, arnequals, arnlike: ARN operators accept wildcards too
		return wildcardMatch(want, got)
	}
}

func presence(absent bool) string {
	if absent {
		return "absent"
	}
	return "present"
}

func (c clause) String() string {
	return fmt.Sprintf("condition %s {%s: %s}", c.operator, c.key, strings.Join(c.values, ", "))
}

// sortClauses orders clauses so that reasons and assumptions come out the
// same on every run (Condition is a JSON object, read into maps).
func sortClauses(cs []clause) {
	slices.SortFunc(cs, func(a, b clause) int {
		if n := strings.Compare(a.operator, b.operator); n != 0 {
			return n
		}
		return strings.Compare(a.key, b.key)
	})
}
