// Package samtemplate reads vpcmedic's SAM template as CloudFormation will see it, so that tests
// can check the deployed rules, functions and permissions without an AWS account.
//
// Transform runs aws-sam-translator (the library behind `sam validate` and cfn-lint's SAM
// support) offline through emulator.Python() and an embedded script, transform.py; Parse turns the
// resulting CloudFormation JSON into Go values:
//
//	path, _ := samtemplate.TemplatePath()
//	tmpl, err := samtemplate.Transform(ctx, path)
//	for _, rule := range tmpl.EventRules() {
//		fmt.Println(rule.LogicalID, rule.Targets[0].FunctionLogicalID, string(rule.EventPattern))
//	}
//
// It is test support: the Lambda functions never import it.
package samtemplate

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/emulator"
)

// InstallHint tells users how to get the Python tools the template checks need: the emulator's,
// whose requirements pin cfn-lint and aws-sam-translator too.
const InstallHint = emulator.InstallHint

// ErrToolsMissing reports that Python or aws-sam-translator is not installed.
var ErrToolsMissing = errors.New("aws-sam-translator for Python is required")

//go:embed transform.py
var transformScript []byte

// Transform converts the SAM template at path into CloudFormation with aws-sam-translator and
// parses the result. It makes no AWS call. The error wraps ErrToolsMissing when Python or the
// translator is not installed.
func Transform(ctx context.Context, path string) (*Template, error) {
	python, err := emulator.Python()
	if err != nil {
		return nil, fmt.Errorf("transform %s: %w: %w", path, ErrToolsMissing, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, "-", path)
	cmd.Stdin = bytes.NewReader(transformScript)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "No module named") {
			return nil, fmt.Errorf("transform %s: %w, %s lacks it: %s\n%s", path, ErrToolsMissing, python, InstallHint, msg)
		}
		return nil, fmt.Errorf("transform %s: %w\n%s", path, err, msg)
	}
	tmpl, err := Parse(stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("transform %s: %w", path, err)
	}
	return tmpl, nil
}

// ModuleRoot returns the directory of the go.mod enclosing the working directory: the project
// root, where template.yaml and events/ live.
func ModuleRoot() (string, error) { return emulator.ModuleRoot() }

// TemplatePath returns the path of the project's template.yaml.
func TemplatePath() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "template.yaml"), nil
}

// Template is a transformed (plain CloudFormation) template.
type Template struct {
	Description string
	Parameters  map[string]Parameter
	Conditions  map[string]Value
	Resources   map[string]Resource
	Outputs     map[string]Output

	// Rules holds every AWS::Events::Rule, sorted by logical ID.
	Rules []Rule
	// Functions holds every AWS::Lambda::Function with its role's policies, sorted by logical ID.
	Functions []Function

	// JSON is the CloudFormation template as the translator produced it.
	JSON []byte
}

// Parameter is a template parameter; scalar values are rendered as strings.
type Parameter struct {
	Type           string
	Default        string
	HasDefault     bool
	AllowedValues  []string
	AllowedPattern string
	Description    string
	// MinValue and MaxValue bound a Number parameter ("" when unbounded).
	MinValue, MaxValue string
}

// Resource is a resource as CloudFormation receives it.
type Resource struct {
	Type       string
	Condition  string
	Metadata   map[string]Value
	Properties json.RawMessage
}

// Output is a template output.
type Output struct {
	Description string
	Value       Value
}

// Rule is an EventBridge rule: either an event pattern or a schedule.
type Rule struct {
	LogicalID   string
	Description string
	// EventPattern is the pattern as JSON, nil for a schedule rule.
	EventPattern json.RawMessage
	// ScheduleExpression is unset (IsZero) for a pattern rule.
	ScheduleExpression Value
	// EventBusName is unset for the default bus.
	EventBusName Value
	// Condition is the template condition the rule exists under ("" for always).
	Condition string
	State     string
	Targets   []Target
}

// IsSchedule reports whether the rule runs on a schedule rather than on matching events.
func (r Rule) IsSchedule() bool { return !r.ScheduleExpression.IsZero() }

// Target is a rule target.
type Target struct {
	ID  string
	Arn Value
	// FunctionLogicalID names the function of the template that Arn points at, if any.
	FunctionLogicalID string
	// RetryPolicy is nil when the target uses EventBridge's default (24 h, 185 attempts).
	RetryPolicy *RetryPolicy
	// DeadLetterArn is the queue that receives events the target could not take.
	DeadLetterArn Value
}

// RetryPolicy is a rule target's retry policy.
type RetryPolicy struct {
	MaximumEventAgeInSeconds int
	MaximumRetryAttempts     int
}

// Function is a Lambda function with what its execution role allows.
type Function struct {
	LogicalID           string
	Runtime             string
	Handler             string
	Architectures       []string
	MemorySize          Value
	Timeout             Value
	TracingMode         string
	LogFormat           string
	ApplicationLogLevel Value
	// Environment maps each variable to its (often intrinsic) value.
	Environment map[string]Value
	// DeadLetterTargetArn is where failed asynchronous invocations go.
	DeadLetterTargetArn Value
	// BuildMethod is the SAM build method from the resource's Metadata.
	BuildMethod string
	// MaximumRetryAttempts comes from the function's EventInvokeConfig; nil without one.
	MaximumRetryAttempts *int

	RoleLogicalID string
	// ManagedPolicyARNs are the managed policies attached to the role that the template does not
	// define (AWS managed ones, or ARNs from outside).
	ManagedPolicyARNs []Value
	// ManagedPolicies are the AWS::IAM::ManagedPolicy resources of the template attached to the
	// role, by logical ID.
	ManagedPolicies []string
	// Statements holds the statements of every inline policy of the role and of every managed
	// policy of the template attached to it.
	Statements []Statement
}

// Statement is an IAM policy statement with its lists normalised.
type Statement struct {
	// PolicyName is the inline policy's name, or the managed policy's logical ID.
	PolicyName string
	// TemplateCondition is the template condition under which the statement exists, from
	// Fn::If around it or its policy: "" for always, "X" or "!X", joined by " && ".
	TemplateCondition string
	Sid               string
	Effect            string
	Actions           []string
	NotActions        []string
	Resources         []Value
	Condition         json.RawMessage
}

// Actions returns the sorted, distinct actions that the function's inline policies allow.
func (f Function) Actions() []string {
	var actions []string
	for _, s := range f.Statements {
		if s.Effect == "Allow" {
			actions = append(actions, s.Actions...)
		}
	}
	slices.Sort(actions)
	return slices.Compact(actions)
}

// ResourcesFor returns the resources of the Allow statements that name action.
func (f Function) ResourcesFor(action string) []Value {
	var resources []Value
	for _, s := range f.Statements {
		if s.Effect == "Allow" && slices.Contains(s.Actions, action) {
			resources = append(resources, s.Resources...)
		}
	}
	return resources
}

// OnDefaultBus reports whether the rule is on the account's default bus, where CloudTrail delivers.
func (r Rule) OnDefaultBus() bool { return r.EventBusName.IsZero() }

// EventRules returns the rules that match events, sorted by logical ID.
func (t *Template) EventRules() []Rule {
	return slices.DeleteFunc(slices.Clone(t.Rules), Rule.IsSchedule)
}

// ScheduleRules returns the rules that run on a schedule, sorted by logical ID.
func (t *Template) ScheduleRules() []Rule {
	return slices.DeleteFunc(slices.Clone(t.Rules), func(r Rule) bool { return !r.IsSchedule() })
}

// Function returns the function with the given logical ID.
func (t *Template) Function(logicalID string) (Function, bool) {
	i := slices.IndexFunc(t.Functions, func(f Function) bool { return f.LogicalID == logicalID })
	if i < 0 {
		return Function{}, false
	}
	return t.Functions[i], true
}
