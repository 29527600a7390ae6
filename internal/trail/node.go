package trail

import (
	"encoding/json"
	"strconv"
	"strings"
)

// node is a read-only view of decoded JSON that tolerates the shapes CloudTrail
// uses for the same field: keys whose casing varies, lists wrapped as
// {"items": [...]}, single members as an object instead of an array, and
// numbers sent as strings. A missing value is a zero node, never a panic.
type node struct{ v any }

// get returns the member named key; an exact match wins over a
// case-insensitive one, because Lambda records lower only the first letter
// of member names (uUID) while other producers may not.
func (n node) get(key string) node {
	m, ok := n.v.(map[string]any)
	if !ok {
		return node{}
	}
	if v, ok := m[key]; ok {
		return node{v}
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return node{v}
		}
	}
	return node{}
}

// path follows get through several keys.
func (n node) path(keys ...string) node {
	for _, k := range keys {
		n = n.get(k)
	}
	return n
}

func (n node) exists() bool { return n.v != nil }

func (n node) isObject() bool {
	_, ok := n.v.(map[string]any)
	return ok
}

// str returns a scalar as a string: strings as they are, numbers in their
// JSON spelling, booleans as true/false, and a {"tag": N, "content": x}
// member as its content, and an object of one scalar field as that field.
// Anything else is "".
func (n node) str() string {
	switch v := n.v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		if c := n.get("content"); c.exists() {
			return c.str()
		}
		if c := n.get("value"); c.exists() {
			return c.str()
		}
		// A list member wrapped in an object of one field, as in
		// {"securityGroupRuleId": "sgr-1"}; a "tag" member is ignored.
		var only node
		for k, e := range v {
			if k == "tag" {
				continue
			}
			if only.exists() {
				return ""
			}
			only = node{e}
		}
		if _, nested := only.v.(map[string]any); !nested {
			return only.str()
		}
	}
	return ""
}

// boolean reads true/false, "true"/"false" or {"value": bool}.
func (n node) boolean() (value, ok bool) {
	switch v := n.v.(type) {
	case bool:
		return v, true
	case string:
		b, err := strconv.ParseBool(v)
		return b, err == nil
	case map[string]any:
		if val := n.get("value"); val.exists() {
			return val.boolean()
		}
	}
	return false, false
}

// integer reads a number or a numeric string.
func (n node) integer() (int64, bool) {
	s := n.str()
	if s == "" {
		return 0, false
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

// list returns the members of a list in any of its serialisations: a JSON
// array, {"items": [...]}, {"item": ...} (older EC2 records), an empty {}
// (an empty list), or a single member object or scalar.
func (n node) list() []node {
	switch v := n.v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]node, 0, len(v))
		for _, e := range v {
			if e != nil {
				out = append(out, node{e})
			}
		}
		return out
	case map[string]any:
		if len(v) == 0 {
			return nil
		}
		for _, key := range []string{"items", "item"} {
			if inner := n.get(key); inner.exists() && len(v) == 1 {
				return inner.list()
			}
		}
		return []node{n}
	default:
		return []node{n}
	}
}

// strs returns the non-empty string members of a list.
func (n node) strs() []string {
	var out []string
	for _, e := range n.list() {
		if s := e.str(); s != "" {
			out = append(out, s)
		}
	}
	return out
}
