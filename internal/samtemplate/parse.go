package samtemplate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// Parse reads a CloudFormation template in JSON, such as Transform's output.
func Parse(cfn []byte) (*Template, error) {
	var raw struct {
		Description string
		Parameters  map[string]rawParameter
		Conditions  map[string]Value
		Resources   map[string]Resource
		Outputs     map[string]Output
	}
	if err := json.Unmarshal(cfn, &raw); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	t := &Template{
		Description: raw.Description,
		Parameters:  make(map[string]Parameter, len(raw.Parameters)),
		Conditions:  raw.Conditions,
		Resources:   raw.Resources,
		Outputs:     raw.Outputs,
		JSON:        slices.Clone(cfn),
	}
	for name, p := range raw.Parameters {
		t.Parameters[name] = p.parameter()
	}
	for _, id := range slices.Sorted(maps.Keys(raw.Resources)) {
		res := raw.Resources[id]
		switch res.Type {
		case "AWS::Events::Rule":
			rule, err := parseRule(id, res, raw.Resources)
			if err != nil {
				return nil, err
			}
			t.Rules = append(t.Rules, rule)
		case "AWS::Lambda::Function":
			fn, err := parseFunction(id, res, raw.Resources)
			if err != nil {
				return nil, err
			}
			t.Functions = append(t.Functions, fn)
		}
	}
	return t, nil
}

type rawParameter struct {
	Type           string
	Default        Value
	AllowedValues  []Value
	AllowedPattern string
	Description    string
	MinValue       Value
	MaxValue       Value
}

func (p rawParameter) parameter() Parameter {
	out := Parameter{
		Type:           p.Type,
		HasDefault:     !p.Default.IsZero(),
		AllowedPattern: p.AllowedPattern,
		Description:    p.Description,
	}
	out.Default = p.Default.String()
	if !p.MinValue.IsZero() {
		out.MinValue = p.MinValue.String()
	}
	if !p.MaxValue.IsZero() {
		out.MaxValue = p.MaxValue.String()
	}
	for _, v := range p.AllowedValues {
		out.AllowedValues = append(out.AllowedValues, v.String())
	}
	return out
}

func parseRule(id string, res Resource, resources map[string]Resource) (Rule, error) {
	var props struct {
		Description        string
		EventPattern       json.RawMessage
		ScheduleExpression Value
		EventBusName       Value
		State              string
		Targets            []struct {
			Id               string
			Arn              Value
			RetryPolicy      *RetryPolicy
			DeadLetterConfig struct{ Arn Value }
		}
	}
	if err := json.Unmarshal(res.Properties, &props); err != nil {
		return Rule{}, fmt.Errorf("parse rule %s: %w", id, err)
	}
	pattern, err := patternJSON(props.EventPattern)
	if err != nil {
		return Rule{}, fmt.Errorf("parse event pattern of rule %s: %w", id, err)
	}
	rule := Rule{
		LogicalID:          id,
		Description:        props.Description,
		EventPattern:       pattern,
		ScheduleExpression: props.ScheduleExpression,
		EventBusName:       props.EventBusName,
		Condition:          res.Condition,
		State:              props.State,
	}
	for _, target := range props.Targets {
		fn, _ := target.Arn.GetAtt()
		if resources[fn].Type != "AWS::Lambda::Function" {
			fn = ""
		}
		rule.Targets = append(rule.Targets, Target{
			ID:                target.Id,
			Arn:               target.Arn,
			FunctionLogicalID: fn,
			RetryPolicy:       target.RetryPolicy,
			DeadLetterArn:     target.DeadLetterConfig.Arn,
		})
	}
	return rule, nil
}

// patternJSON accepts an event pattern given as an object or as a JSON string.
func patternJSON(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, err
		}
		raw = json.RawMessage(text)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, err
	}
	return compact.Bytes(), nil
}

func parseFunction(id string, res Resource, resources map[string]Resource) (Function, error) {
	var props struct {
		Runtime       string
		Handler       string
		Architectures []string
		MemorySize    Value
		Timeout       Value
		TracingConfig struct{ Mode string }
		LoggingConfig struct {
			LogFormat           string
			ApplicationLogLevel Value
		}
		Environment      struct{ Variables map[string]Value }
		DeadLetterConfig struct{ TargetArn Value }
		Role             Value
	}
	if err := json.Unmarshal(res.Properties, &props); err != nil {
		return Function{}, fmt.Errorf("parse function %s: %w", id, err)
	}
	fn := Function{
		LogicalID:           id,
		Runtime:             props.Runtime,
		Handler:             props.Handler,
		Architectures:       props.Architectures,
		MemorySize:          props.MemorySize,
		Timeout:             props.Timeout,
		TracingMode:         props.TracingConfig.Mode,
		LogFormat:           props.LoggingConfig.LogFormat,
		ApplicationLogLevel: props.LoggingConfig.ApplicationLogLevel,
		Environment:         props.Environment.Variables,
		DeadLetterTargetArn: props.DeadLetterConfig.TargetArn,
	}
	fn.BuildMethod, _ = res.Metadata["BuildMethod"].Literal()

	retries, err := invokeRetries(id, resources)
	if err != nil {
		return Function{}, err
	}
	fn.MaximumRetryAttempts = retries

	role, _ := props.Role.GetAtt()
	if resources[role].Type != "AWS::IAM::Role" {
		return fn, nil // a role from outside the template: nothing to read
	}
	fn.RoleLogicalID = role
	if err := readRole(&fn, resources[role], resources); err != nil {
		return Function{}, fmt.Errorf("parse role %s of function %s: %w", role, id, err)
	}
	return fn, nil
}

// invokeRetries returns MaximumRetryAttempts of the EventInvokeConfig of function id.
func invokeRetries(id string, resources map[string]Resource) (*int, error) {
	for _, cfgID := range slices.Sorted(maps.Keys(resources)) {
		res := resources[cfgID]
		if res.Type != "AWS::Lambda::EventInvokeConfig" {
			continue
		}
		var props struct {
			FunctionName         Value
			MaximumRetryAttempts *int
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			return nil, fmt.Errorf("parse event invoke config %s: %w", cfgID, err)
		}
		if props.FunctionName.Ref() == id {
			return props.MaximumRetryAttempts, nil
		}
	}
	return nil, nil
}

// RoleStatements returns the statements of an AWS::IAM::Role of the template, from its inline
// policies and the template's managed policies it attaches, each under the template conditions of
// its Fn::If and policy resource (not the role's own condition).
func (t *Template) RoleStatements(roleLogicalID string) ([]Statement, error) {
	role, ok := t.Resources[roleLogicalID]
	if !ok || role.Type != "AWS::IAM::Role" {
		return nil, fmt.Errorf("no role %s in the template", roleLogicalID)
	}
	var fn Function
	if err := readRole(&fn, role, t.Resources); err != nil {
		return nil, fmt.Errorf("parse role %s: %w", roleLogicalID, err)
	}
	return fn.Statements, nil
}

func readRole(fn *Function, role Resource, resources map[string]Resource) error {
	var props struct {
		ManagedPolicyArns []json.RawMessage
		Policies          []json.RawMessage
	}
	if err := json.Unmarshal(role.Properties, &props); err != nil {
		return err
	}
	for _, raw := range props.ManagedPolicyArns {
		if err := readManagedPolicy(fn, raw, resources); err != nil {
			return err
		}
	}
	for _, raw := range props.Policies {
		for _, policy := range branches(raw) {
			var p struct {
				PolicyName     string
				PolicyDocument struct{ Statement json.RawMessage }
			}
			if err := json.Unmarshal(policy.raw, &p); err != nil {
				return fmt.Errorf("parse policy: %w", err)
			}
			statements, err := parseStatements(p.PolicyName, policy.condition, p.PolicyDocument.Statement)
			if err != nil {
				return fmt.Errorf("parse policy %s: %w", p.PolicyName, err)
			}
			fn.Statements = append(fn.Statements, statements...)
		}
	}
	return nil
}

// readManagedPolicy reads one entry of a role's ManagedPolicyArns: an AWS::IAM::ManagedPolicy of
// the template (a Ref, possibly inside Fn::If) contributes its statements under the conditions of
// the Fn::If and of the policy resource; anything else is kept as an ARN.
func readManagedPolicy(fn *Function, raw json.RawMessage, resources map[string]Resource) error {
	for _, b := range branches(raw) {
		v := Value{raw: b.raw}
		id := v.Ref()
		res, ok := resources[id]
		if !ok || res.Type != "AWS::IAM::ManagedPolicy" {
			fn.ManagedPolicyARNs = append(fn.ManagedPolicyARNs, v)
			continue
		}
		fn.ManagedPolicies = append(fn.ManagedPolicies, id)
		var p struct {
			PolicyDocument struct{ Statement json.RawMessage }
		}
		if err := json.Unmarshal(res.Properties, &p); err != nil {
			return fmt.Errorf("parse managed policy %s: %w", id, err)
		}
		condition := b.condition
		if res.Condition != "" && res.Condition != condition {
			condition = joinConditions(condition, res.Condition)
		}
		statements, err := parseStatements(id, condition, p.PolicyDocument.Statement)
		if err != nil {
			return fmt.Errorf("parse managed policy %s: %w", id, err)
		}
		fn.Statements = append(fn.Statements, statements...)
	}
	return nil
}

func parseStatements(policyName, condition string, raw json.RawMessage) ([]Statement, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(oneOrMany(raw), &list); err != nil {
		return nil, err
	}
	var out []Statement
	for _, item := range list {
		for _, b := range branches(item) {
			var s struct {
				Sid       string
				Effect    string
				Action    json.RawMessage
				NotAction json.RawMessage
				Resource  json.RawMessage
				Condition json.RawMessage
			}
			if err := json.Unmarshal(b.raw, &s); err != nil {
				return nil, fmt.Errorf("parse statement: %w", err)
			}
			st := Statement{
				PolicyName:        policyName,
				TemplateCondition: joinConditions(condition, b.condition),
				Sid:               s.Sid,
				Effect:            s.Effect,
				Condition:         s.Condition,
			}
			var err error
			if st.Actions, err = stringList(s.Action); err != nil {
				return nil, fmt.Errorf("parse actions of statement %q: %w", s.Sid, err)
			}
			if st.NotActions, err = stringList(s.NotAction); err != nil {
				return nil, fmt.Errorf("parse not-actions of statement %q: %w", s.Sid, err)
			}
			if len(s.Resource) > 0 {
				if err := json.Unmarshal(oneOrMany(s.Resource), &st.Resources); err != nil {
					return nil, fmt.Errorf("parse resources of statement %q: %w", s.Sid, err)
				}
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// branch is a policy or statement that applies when condition holds ("" always, "!X" when X
// is false).
type branch struct {
	condition string
	raw       json.RawMessage
}

// branches expands {"Fn::If": [X, a, b]} into a under X and b under !X, dropping
// AWS::NoValue; anything else is returned as is.
func branches(raw json.RawMessage) []branch {
	v := Value{raw: raw}
	arg, ok := v.intrinsic("Fn::If")
	if !ok {
		return []branch{{raw: raw}}
	}
	var parts []json.RawMessage
	var condition string
	if json.Unmarshal(arg, &parts) != nil || len(parts) != 3 || json.Unmarshal(parts[0], &condition) != nil {
		return []branch{{raw: raw}}
	}
	var out []branch
	for i, c := range []string{condition, "!" + condition} {
		for _, inner := range branches(parts[i+1]) {
			if (Value{raw: inner.raw}).Ref() == "AWS::NoValue" {
				continue
			}
			out = append(out, branch{condition: joinConditions(c, inner.condition), raw: inner.raw})
		}
	}
	return out
}

func joinConditions(outer, inner string) string {
	switch {
	case outer == "":
		return inner
	case inner == "":
		return outer
	}
	return outer + " && " + inner
}

// oneOrMany wraps a single JSON value in an array.
func oneOrMany(raw json.RawMessage) json.RawMessage {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return trimmed
	}
	return append(append(json.RawMessage{'['}, trimmed...), ']')
}

// stringList reads a string or a list of strings.
func stringList(raw json.RawMessage) ([]string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal(oneOrMany(raw), &out); err != nil {
		return nil, err
	}
	return out, nil
}
