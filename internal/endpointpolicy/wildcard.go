package endpointpolicy

import "strings"

// wildcardMatch reports whether s matches pattern, where * matches any run of
// characters (including none) and ? matches exactly one, as IAM does for
// Action, Resource and the *Like condition operators.
func wildcardMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, resume := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, resume = pi, ti
			pi++
		case star >= 0:
			// Let the last * swallow one more character and retry.
			resume++
			pi, ti = star+1, resume
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// wildcardMatchFold is wildcardMatch ignoring case, as IAM compares actions.
func wildcardMatchFold(pattern, s string) bool {
	return wildcardMatch(strings.ToLower(pattern), strings.ToLower(s))
}

// coversEverything reports whether a Resource pattern matches any resource
// at all, which is what a request for an unknown resource ("*") needs.
func coversEverything(pattern string) bool {
	return pattern != "" && strings.Trim(pattern, "*") == ""
}
