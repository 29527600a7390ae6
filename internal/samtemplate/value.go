package samtemplate

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Value is a template value kept as JSON: a literal ("arm64", 120, true) or an intrinsic
// function ({"Ref": "Mode"}, {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}, {"Fn::Sub": "..."}).
type Value struct {
	raw json.RawMessage
}

// NewValue returns the Value of a JSON text.
func NewValue(raw string) Value { return Value{raw: json.RawMessage(raw)} }

// UnmarshalJSON keeps the JSON as it is.
func (v *Value) UnmarshalJSON(b []byte) error {
	v.raw = slices.Clone(b)
	return nil
}

// MarshalJSON returns the JSON as it was read.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.IsZero() {
		return []byte("null"), nil
	}
	return v.raw, nil
}

// IsZero reports whether the value is absent or null.
func (v Value) IsZero() bool {
	return len(v.raw) == 0 || string(v.raw) == "null"
}

// JSON returns the value as JSON.
func (v Value) JSON() json.RawMessage { return v.raw }

// Literal returns a string, number or boolean rendered as a string; ok is false for objects,
// arrays and absent values.
func (v Value) Literal() (s string, ok bool) {
	var scalar any
	if v.IsZero() || json.Unmarshal(v.raw, &scalar) != nil {
		return "", false
	}
	switch x := scalar.(type) {
	case string:
		return x, true
	case float64, bool:
		return strings.TrimSpace(string(v.raw)), true
	}
	return "", false
}

// Ref returns the name in {"Ref": name}, or "".
func (v Value) Ref() string {
	var name string
	if arg, ok := v.intrinsic("Ref"); ok && json.Unmarshal(arg, &name) == nil {
		return name
	}
	return ""
}

// GetAtt returns the resource and attribute of {"Fn::GetAtt": [resource, attribute]} (or its
// "resource.attribute" form), or empty strings.
func (v Value) GetAtt() (logicalID, attribute string) {
	arg, ok := v.intrinsic("Fn::GetAtt")
	if !ok {
		return "", ""
	}
	var pair []string
	if json.Unmarshal(arg, &pair) == nil && len(pair) == 2 {
		return pair[0], pair[1]
	}
	var dotted string
	if json.Unmarshal(arg, &dotted) == nil {
		logicalID, attribute, _ = strings.Cut(dotted, ".")
	}
	return logicalID, attribute
}

// Sub returns the template string of {"Fn::Sub": template} or {"Fn::Sub": [template, vars]},
// or "".
func (v Value) Sub() string {
	arg, ok := v.intrinsic("Fn::Sub")
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(arg, &s) == nil {
		return s
	}
	var withVars []json.RawMessage
	if json.Unmarshal(arg, &withVars) == nil && len(withVars) > 0 && json.Unmarshal(withVars[0], &s) == nil {
		return s
	}
	return ""
}

// References returns, sorted and distinct, the logical IDs and parameters that the value names
// through Ref and Fn::GetAtt anywhere inside it (inside Fn::If branches too).
func (v Value) References() []string {
	var tree any
	if v.IsZero() || json.Unmarshal(v.raw, &tree) != nil {
		return nil
	}
	var names []string
	var walk func(any)
	walk = func(node any) {
		switch n := node.(type) {
		case []any:
			for _, item := range n {
				walk(item)
			}
		case map[string]any:
			if name, ok := n["Ref"].(string); ok && len(n) == 1 {
				names = append(names, name)
				return
			}
			if att, ok := n["Fn::GetAtt"]; ok && len(n) == 1 {
				switch a := att.(type) {
				case []any:
					if len(a) > 0 {
						if name, ok := a[0].(string); ok {
							names = append(names, name)
						}
					}
				case string:
					name, _, _ := strings.Cut(a, ".")
					names = append(names, name)
				}
				return
			}
			for _, item := range n {
				walk(item)
			}
		}
	}
	walk(tree)
	slices.Sort(names)
	return slices.Compact(names)
}

// String returns a literal as is and anything else as compact JSON.
func (v Value) String() string {
	if s, ok := v.Literal(); ok {
		return s
	}
	if v.IsZero() {
		return ""
	}
	var compact bytes.Buffer
	if json.Compact(&compact, v.raw) != nil {
		return string(v.raw)
	}
	return compact.String()
}

// intrinsic returns the argument of a one-key object {name: argument}.
func (v Value) intrinsic(name string) (json.RawMessage, bool) {
	if trimmed := bytes.TrimSpace(v.raw); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v.raw, &obj) != nil || len(obj) != 1 {
		return nil, false
	}
	arg, ok := obj[name]
	return arg, ok
}
