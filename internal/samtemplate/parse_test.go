package samtemplate_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/samtemplate"
)

func parseFixture(t *testing.T, name string) *samtemplate.Template {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := samtemplate.Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return tmpl
}

func TestParseReadsRulesWhateverTheirShape(t *testing.T) {
	tmpl := parseFixture(t, "edge-cases.json")

	events := tmpl.EventRules()
	if len(events) != 1 || events[0].LogicalID != "OnChange" {
		t.Fatalf("event rules = %+v, want OnChange only", events)
	}
	onChange := events[0]
	if got := string(onChange.EventPattern); got != `{"source":["aws.ec2"]}` {
		t.Errorf("pattern given as a JSON string = %s, want the compact object", got)
	}
	if len(onChange.Targets) != 2 {
		t.Fatalf("targets = %+v, want 2", onChange.Targets)
	}
	if fn := onChange.Targets[0].FunctionLogicalID; fn != "Worker" {
		t.Errorf("first target function = %q, want Worker", fn)
	}
	if fn := onChange.Targets[1].FunctionLogicalID; fn != "" {
		t.Errorf("queue target function = %q, want none", fn)
	}
	if p := onChange.Targets[0].RetryPolicy; p == nil || *p != (samtemplate.RetryPolicy{MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 4}) {
		t.Errorf("retry policy = %+v", p)
	}

	schedules := tmpl.ScheduleRules()
	if len(schedules) != 1 || schedules[0].LogicalID != "Nightly" {
		t.Fatalf("schedule rules = %+v, want Nightly only", schedules)
	}
	nightly := schedules[0]
	if got, _ := nightly.ScheduleExpression.Literal(); got != "cron(0 3 * * ? *)" || nightly.EventPattern != nil {
		t.Errorf("Nightly schedule = %q, pattern %s", got, nightly.EventPattern)
	}
	if got := nightly.EventBusName.String(); got != "custom" {
		t.Errorf("Nightly bus = %q, want custom", got)
	}
	if id, att := nightly.Targets[0].DeadLetterArn.GetAtt(); id != "Queue" || att != "Arn" {
		t.Errorf("Nightly dead-letter queue = %s", nightly.Targets[0].DeadLetterArn)
	}
}

func TestParseReadsFunctionsAndTheirRoles(t *testing.T) {
	tmpl := parseFixture(t, "edge-cases.json")

	external, ok := tmpl.Function("External")
	if !ok || external.RoleLogicalID != "" || external.Statements != nil || external.MaximumRetryAttempts != nil {
		t.Errorf("function with a role from outside the template = %+v", external)
	}
	worker, ok := tmpl.Function("Worker")
	if !ok {
		t.Fatal("function Worker not found")
	}
	if worker.RoleLogicalID != "WorkerRole" || worker.BuildMethod != "makefile" || worker.Timeout.Ref() != "Retries" {
		t.Errorf("Worker = %+v", worker)
	}
	if worker.MaximumRetryAttempts == nil || *worker.MaximumRetryAttempts != 0 {
		t.Errorf("Worker retries = %v, want an explicit 0", worker.MaximumRetryAttempts)
	}
	if got := worker.Environment["QUEUE"].Sub(); got != "https://${Q}" {
		t.Errorf("QUEUE Fn::Sub with variables = %q", got)
	}
	if got := worker.Environment["QUEUE"].References(); !slices.Equal(got, []string{"Queue"}) {
		t.Errorf("QUEUE references = %v, want [Queue]", got)
	}

	type summary struct{ policy, condition, sid, effect, actions, resources string }
	var got []summary
	for _, s := range worker.Statements {
		var resources []string
		for _, r := range s.Resources {
			resources = append(resources, r.String())
		}
		got = append(got, summary{s.PolicyName, s.TemplateCondition, s.Sid, s.Effect,
			strings.Join(s.Actions, ","), strings.Join(resources, ",")})
	}
	want := []summary{
		{"Single", "", "", "Allow", "sqs:SendMessage", `{"Fn::GetAtt":["Queue","Arn"]}`},
		{"Conditional", "Remediate", "Fix", "Allow", "ec2:CreateRoute,ec2:CreateVpcEndpoint", "*"},
		{"Conditional", "", "Read", "Allow", "ec2:DescribeVpcs", "*"},
		{"Tagging", "Remediate", "Tag", "Allow", "ec2:CreateTags", "*"},
		{"NoTagging", "!Remediate", "NoTag", "Deny", "ec2:CreateTags", "*"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("statements:\n got %+v\nwant %+v", got, want)
	}
	if got, want := worker.Actions(), []string{"ec2:CreateRoute", "ec2:CreateTags", "ec2:CreateVpcEndpoint", "ec2:DescribeVpcs", "sqs:SendMessage"}; !slices.Equal(got, want) {
		t.Errorf("Actions() = %v, want %v", got, want)
	}
	if got := worker.ResourcesFor("sqs:SendMessage"); len(got) != 1 || got[0].String() != `{"Fn::GetAtt":["Queue","Arn"]}` {
		t.Errorf("ResourcesFor(sqs:SendMessage) = %v", got)
	}
}

func TestParseRendersParameterScalarsAsStrings(t *testing.T) {
	tmpl := parseFixture(t, "edge-cases.json")
	retries := tmpl.Parameters["Retries"]
	if !retries.HasDefault || retries.Default != "3" || !slices.Equal(retries.AllowedValues, []string{"1", "3", "5"}) {
		t.Errorf("Retries = %+v", retries)
	}
	if mode := tmpl.Parameters["Mode"]; mode.HasDefault || mode.Default != "" {
		t.Errorf("Mode without a default = %+v", mode)
	}
}

func TestParseRejectsInvalidTemplates(t *testing.T) {
	tests := []struct {
		name, cfn, wantErr string
	}{
		{"not JSON", `Resources:`, "parse template"},
		{"rule pattern not JSON", `{"Resources": {"R": {"Type": "AWS::Events::Rule", "Properties": {"EventPattern": "{source"}}}}`, "event pattern of rule R"},
		{"function role policies not a list", `{"Resources": {
			"F": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["FR", "Arn"]}}},
			"FR": {"Type": "AWS::IAM::Role", "Properties": {"Policies": {"PolicyName": "x"}}}}}`, "role FR of function F"},
		{"statement action not a string", `{"Resources": {
			"F": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["FR", "Arn"]}}},
			"FR": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "p",
				"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": 7}]}}]}}}}`, "actions of statement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := samtemplate.Parse([]byte(tt.cfn))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse error = %v, want one about %q", err, tt.wantErr)
			}
		})
	}
}

func TestValueAccessors(t *testing.T) {
	tests := []struct {
		name       string
		json       string
		literal    string
		isLiteral  bool
		ref        string
		getAtt     string
		sub        string
		references string
		zero       bool
	}{
		{name: "string", json: `"arm64"`, literal: "arm64", isLiteral: true},
		{name: "number", json: `120`, literal: "120", isLiteral: true},
		{name: "boolean", json: `true`, literal: "true", isLiteral: true},
		{name: "null", json: `null`, zero: true},
		{name: "absent", json: ``, zero: true},
		{name: "whitespace", json: `  `},
		{name: "Ref", json: `{"Ref": "Mode"}`, ref: "Mode", references: "Mode"},
		{name: "GetAtt list", json: `{"Fn::GetAtt": ["Queue", "Arn"]}`, getAtt: "Queue.Arn", references: "Queue"},
		{name: "GetAtt dotted", json: `{"Fn::GetAtt": "Queue.QueueName"}`, getAtt: "Queue.QueueName", references: "Queue"},
		{name: "Sub string", json: `{"Fn::Sub": "arn:${AWS::Partition}:x"}`, sub: "arn:${AWS::Partition}:x"},
		{name: "If of Refs", json: `{"Fn::If": ["C", {"Ref": "B"}, {"Fn::GetAtt": ["A", "Arn"]}]}`, references: "A,B"},
		{name: "object with Ref among other keys", json: `{"Ref": "A", "Other": 1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := samtemplate.NewValue(tt.json)
			if lit, ok := v.Literal(); lit != tt.literal || ok != tt.isLiteral {
				t.Errorf("Literal() = %q, %v; want %q, %v", lit, ok, tt.literal, tt.isLiteral)
			}
			if got := v.Ref(); got != tt.ref {
				t.Errorf("Ref() = %q, want %q", got, tt.ref)
			}
			id, att := v.GetAtt()
			if got := strings.Trim(id+"."+att, "."); got != tt.getAtt {
				t.Errorf("GetAtt() = %q, want %q", got, tt.getAtt)
			}
			if got := v.Sub(); got != tt.sub {
				t.Errorf("Sub() = %q, want %q", got, tt.sub)
			}
			if got := strings.Join(v.References(), ","); got != tt.references {
				t.Errorf("References() = %q, want %q", got, tt.references)
			}
			if v.IsZero() != tt.zero {
				t.Errorf("IsZero() = %v, want %v", v.IsZero(), tt.zero)
			}
		})
	}
}
