package endpointpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// statement is one parsed policy statement. Absent and empty lists are told
// apart because "NotAction": [] and no NotAction mean different things.
type statement struct {
	index        int // 1-based, as a reader counts statements
	sid          string
	deny         bool
	actions      list
	notActions   list
	resources    list
	notResources list
	principal    principals
	notPrincipal bool
	conditions   []clause
	notes        []string // what parsing had to assume about this statement
}

// principals is a Principal or NotPrincipal element.
type principals struct {
	everyone bool     // "*" or {"AWS": "*"}
	aws      []string // ARNs and account IDs
	services []string
}

// clause is one operator/key pair of a Condition block.
type clause struct {
	operator string // as written, e.g. "StringNotEqualsIfExists"
	key      string // as written, e.g. "aws:PrincipalOrgID"
	values   []string
}

// list is a policy element that may be a string or an array of strings.
type list struct {
	set    bool
	values []string
}

func (l *list) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*l = list{set: true, values: []string{one}}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return errors.New("want a string or an array of strings")
	}
	*l = list{set: true, values: many}
	return nil
}

// conditionValues accepts what IAM accepts as condition values: strings,
// booleans and numbers, alone or in an array. All are compared as strings.
type conditionValues []string

func (c *conditionValues) UnmarshalJSON(data []byte) error {
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	items, ok := raw.([]any)
	if !ok {
		items = []any{raw}
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		switch v := item.(type) {
		case string:
			out = append(out, v)
		case bool:
			out = append(out, strconv.FormatBool(v))
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		default:
			return fmt.Errorf("condition value %v is not a string, boolean or number", item)
		}
	}
	*c = out
	return nil
}

type rawStatement struct {
	Sid          string
	Effect       string
	Principal    json.RawMessage
	NotPrincipal json.RawMessage
	Action       list
	NotAction    list
	Resource     list
	NotResource  list
	Condition    map[string]map[string]conditionValues
}

// parse reads a policy document. It is lenient where AWS is (Statement as an
// object or an array, no Version) and refuses what is not a policy at all.
func parse(policy string) ([]statement, error) {
	text := strings.TrimSpace(policy)
	// IAM hands documents back URL-encoded; accept that form too.
	if len(text) >= 3 && strings.EqualFold(text[:3], "%7B") {
		decoded, err := url.QueryUnescape(text)
		if err != nil {
			return nil, fmt.Errorf("decode url-encoded policy: %w", err)
		}
		text = decoded
	}
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("policy is not a JSON object: %w", err)
	}
	body := bytes.TrimSpace(doc.Statement)
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		return nil, errors.New("policy has no Statement")
	}
	var raws []rawStatement
	switch body[0] {
	case '{':
		var one rawStatement
		if err := json.Unmarshal(body, &one); err != nil {
			return nil, fmt.Errorf("statement 1: %w", err)
		}
		raws = []rawStatement{one}
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, fmt.Errorf("statements: %w", err)
		}
		for i, item := range items {
			var one rawStatement
			if err := json.Unmarshal(item, &one); err != nil {
				return nil, fmt.Errorf("statement %d: %w", i+1, err)
			}
			raws = append(raws, one)
		}
	default:
		return nil, errors.New("policy Statement is neither an object nor an array")
	}
	out := make([]statement, 0, len(raws))
	for i, raw := range raws {
		s, err := raw.statement(i + 1)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func (raw rawStatement) statement(index int) (statement, error) {
	s := statement{
		index:        index,
		sid:          raw.Sid,
		actions:      raw.Action,
		notActions:   raw.NotAction,
		resources:    raw.Resource,
		notResources: raw.NotResource,
	}
	switch {
	case strings.EqualFold(raw.Effect, "Allow"):
	case strings.EqualFold(raw.Effect, "Deny"):
		s.deny = true
	default:
		return statement{}, fmt.Errorf("effect %q is neither Allow nor Deny", raw.Effect)
	}
	if raw.Action.set == raw.NotAction.set {
		return statement{}, errors.New("want exactly one of Action and NotAction")
	}
	if raw.Resource.set && raw.NotResource.set {
		return statement{}, errors.New("both Resource and NotResource")
	}
	if !raw.Resource.set && !raw.NotResource.set {
		// AWS fills in the missing Resource of an endpoint policy with "*".
		s.resources = list{set: true, values: []string{"*"}}
		s.notes = append(s.notes, s.label()+" has no Resource: taken as all resources")
	}
	hasPrincipal, hasNotPrincipal := len(raw.Principal) > 0, len(raw.NotPrincipal) > 0
	var err error
	switch {
	case hasPrincipal && hasNotPrincipal:
		return statement{}, errors.New("both Principal and NotPrincipal")
	case hasPrincipal:
		s.principal, err = parsePrincipals(raw.Principal)
	case hasNotPrincipal:
		s.notPrincipal = true
		s.principal, err = parsePrincipals(raw.NotPrincipal)
	default:
		s.principal = principals{everyone: true}
		s.notes = append(s.notes, s.label()+" has no Principal: taken as everyone")
	}
	if err != nil {
		return statement{}, err
	}
	for operator, keys := range raw.Condition {
		for key, values := range keys {
			s.conditions = append(s.conditions, clause{operator: operator, key: key, values: values})
		}
	}
	sortClauses(s.conditions)
	return s, nil
}

func parsePrincipals(data json.RawMessage) (principals, error) {
	var star string
	if err := json.Unmarshal(data, &star); err == nil {
		if star != "*" {
			return principals{}, fmt.Errorf("principal %q: a principal given as a string must be \"*\"", star)
		}
		return principals{everyone: true}, nil
	}
	var byKind map[string]list
	if err := json.Unmarshal(data, &byKind); err != nil {
		return principals{}, errors.New("principal is neither \"*\" nor an object")
	}
	var p principals
	for kind, l := range byKind {
		switch strings.ToUpper(kind) {
		case "AWS":
			for _, v := range l.values {
				if v == "*" {
					p.everyone = true
				}
				p.aws = append(p.aws, v)
			}
		case "SERVICE":
			p.services = append(p.services, l.values...)
		}
		// Federated and CanonicalUser principals never match the requests
		// vpcmedic asks about; they are kept out of the match.
	}
	return p, nil
}

// label names a statement the way findings do: its position and its Sid.
func (s statement) label() string {
	if s.sid == "" {
		return fmt.Sprintf("statement %d", s.index)
	}
	return fmt.Sprintf("statement %d (Sid %q)", s.index, s.sid)
}
