package samtemplate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/remediate"
	"github.com/vpcmedic/vpcmedic/internal/samtemplate"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// The functions of template.yaml and the directory of functions/ each one is built from.
var functionDirs = map[string]string{
	"OnLambdaChangeFunction":  "on-lambda-change",
	"OnNetworkChangeFunction": "on-network-change",
	"SweepFunction":           "sweep",
}

// transformedTemplate is a template transformed once per test binary.
type transformedTemplate struct {
	once sync.Once
	tmpl *samtemplate.Template
	err  error
}

// get transforms the template at the path path returns, the first time. Without python3 or
// aws-sam-translator it skips under -short and fails otherwise.
func (tt *transformedTemplate) get(t *testing.T, path func() (string, error)) *samtemplate.Template {
	t.Helper()
	tt.once.Do(func() {
		p, err := path()
		if err != nil {
			tt.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		tt.tmpl, tt.err = samtemplate.Transform(ctx, p)
	})
	if errors.Is(tt.err, samtemplate.ErrToolsMissing) && testing.Short() {
		t.Skipf("skipping under -short: %v", tt.err)
	}
	if tt.err != nil {
		t.Fatal(tt.err)
	}
	return tt.tmpl
}

var transformed transformedTemplate

// projectTemplate returns template.yaml as CloudFormation reads it.
func projectTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	return transformed.get(t, samtemplate.TemplatePath)
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := samtemplate.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestTemplatePassesCfnLint(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping under -short: runs cfn-lint")
	}
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatalf("cfn-lint not found on PATH: %s", samtemplate.InstallHint)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, lint, "template.yaml")
	cmd.Dir = moduleRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}

func TestFunctionsAreArm64GoBinariesWithTracingJSONLogsAndDeadLetters(t *testing.T) {
	tmpl := projectTemplate(t)
	var ids []string
	for _, fn := range tmpl.Functions {
		ids = append(ids, fn.LogicalID)
	}
	if want := slices.Sorted(maps.Keys(functionDirs)); !slices.Equal(ids, want) {
		t.Fatalf("functions = %v, want %v", ids, want)
	}
	for _, fn := range tmpl.Functions {
		t.Run(fn.LogicalID, func(t *testing.T) {
			checks := []struct {
				what      string
				got, want string
			}{
				{"Runtime", fn.Runtime, "provided.al2023"},
				{"Architectures", strings.Join(fn.Architectures, ","), "arm64"},
				{"Handler", fn.Handler, "bootstrap"},
				{"TracingConfig.Mode", fn.TracingMode, "Active"},
				{"LoggingConfig.LogFormat", fn.LogFormat, "JSON"},
				{"LoggingConfig.ApplicationLogLevel", fn.ApplicationLogLevel.Ref(), "LogLevel"},
				{"Metadata.BuildMethod", fn.BuildMethod, "makefile"},
				// Remediation's waits (endpoints 2 min, NAT gateways 90 s) fit with the re-check and alert.
				{"Timeout", fn.Timeout.String(), `{"Fn::If":["Remediate",300,120]}`},
				{"VPCMEDIC_ROLE_ARNS references", strings.Join(fn.Environment["VPCMEDIC_ROLE_ARNS"].References(), ","), "OnLambdaChangeFunctionRole,OnNetworkChangeFunctionRole,SweepFunctionRole"},
				{"MemorySize", fn.MemorySize.String(), "256"},
				{"DeadLetterConfig.TargetArn", fn.DeadLetterTargetArn.String(), `{"Fn::GetAtt":["DeadLetterQueue","Arn"]}`},
				{"MODE", fn.Environment["MODE"].Ref(), "Mode"},
				{"DEAD_LETTER_QUEUE_URL", fn.Environment["DEAD_LETTER_QUEUE_URL"].Ref(), "DeadLetterQueue"},
				{"ALERT_TOPIC_ARN references", strings.Join(fn.Environment["ALERT_TOPIC_ARN"].References(), ","), "AlertTopic,AlertTopicArn"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
			if fn.MaximumRetryAttempts == nil || *fn.MaximumRetryAttempts != 2 {
				t.Errorf("EventInvokeConfig.MaximumRetryAttempts = %v, want 2", fn.MaximumRetryAttempts)
			}
		})
	}
}

// With BuildMethod makefile, `sam build` runs `make build-<LogicalId>`: each target must exist
// and build the function's own directory as an arm64 bootstrap into ARTIFACTS_DIR.
func TestMakefileBuildsEveryFunctionAsSamBuildInvokesIt(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join(moduleRoot(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for id, dir := range functionDirs {
		target := regexp.MustCompile(`(?m)^build-` + id + `:.*\n\t(.*)$`).FindSubmatch(makefile)
		if target == nil {
			t.Errorf("Makefile has no target build-%s", id)
			continue
		}
		recipe := string(target[1])
		for _, want := range []string{"$(GO_LAMBDA_BUILD)", "-o $(ARTIFACTS_DIR)/bootstrap", "./functions/" + dir} {
			if !strings.Contains(recipe, want) {
				t.Errorf("build-%s recipe %q does not contain %q", id, recipe, want)
			}
		}
	}
	build := lineOf(string(makefile), "GO_LAMBDA_BUILD := ")
	for _, want := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "go build", "-tags lambda.norpc"} {
		if !strings.Contains(build, want) {
			t.Errorf("GO_LAMBDA_BUILD %q does not contain %q", build, want)
		}
	}
}

func lineOf(text, prefix string) string {
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

func TestParametersAndConditions(t *testing.T) {
	tmpl := projectTemplate(t)
	tests := []struct {
		name    string
		def     string
		allowed []string
	}{
		{"Mode", "alarm", []string{"alarm", "remediate"}},
		{"LogLevel", "INFO", []string{"DEBUG", "INFO"}},
		{"SweepSchedule", "rate(1 hour)", nil},
		{"AlertEmail", "", nil},
		{"AlertTopicArn", "", nil},
		{"AllowNatCreation", "false", []string{"true", "false"}},
	}
	for _, tt := range tests {
		p, ok := tmpl.Parameters[tt.name]
		if !ok {
			t.Errorf("parameter %s is missing", tt.name)
			continue
		}
		if !p.HasDefault || p.Default != tt.def {
			t.Errorf("parameter %s default = %q (set: %v), want %q", tt.name, p.Default, p.HasDefault, tt.def)
		}
		if !slices.Equal(p.AllowedValues, tt.allowed) {
			t.Errorf("parameter %s allowed values = %v, want %v", tt.name, p.AllowedValues, tt.allowed)
		}
	}

	// NAT gateways need both remediate mode and their own parameter.
	var natCondition struct {
		And []json.RawMessage `json:"Fn::And"`
	}
	decode(t, tmpl.Conditions["RemediateWithNat"].JSON(), &natCondition)
	var parts []string
	for _, raw := range natCondition.And {
		var compact bytes.Buffer
		_ = json.Compact(&compact, raw)
		parts = append(parts, compact.String())
	}
	if want := []string{`{"Condition":"Remediate"}`, `{"Fn::Equals":[{"Ref":"AllowNatCreation"},"true"]}`}; !slices.Equal(parts, want) {
		t.Errorf("condition RemediateWithNat = %v, want %v", parts, want)
	}

	conditional := map[string]string{"AlertTopic": "CreateAlertTopic", "AlertEmailSubscription": "SubscribeAlertEmail"}
	for id, cond := range conditional {
		if _, ok := tmpl.Conditions[cond]; !ok {
			t.Errorf("condition %s is missing", cond)
		}
		if got := tmpl.Resources[id].Condition; got != cond {
			t.Errorf("resource %s condition = %q, want %q", id, got, cond)
		}
	}
	for _, out := range []string{"AlertTopicArn", "DeadLetterQueueUrl", "OnLambdaChangeFunctionArn", "OnNetworkChangeFunctionArn", "SweepFunctionArn"} {
		if tmpl.Outputs[out].Value.IsZero() {
			t.Errorf("output %s is missing", out)
		}
	}
}

func TestRulesDeliverToTheirFunctionWithRetriesAndDeadLetters(t *testing.T) {
	tmpl := projectTemplate(t)
	targets := map[string]string{} // function -> rule
	for _, rule := range tmpl.Rules {
		if len(rule.Targets) != 1 {
			t.Errorf("rule %s has %d targets, want 1", rule.LogicalID, len(rule.Targets))
			continue
		}
		target := rule.Targets[0]
		if target.FunctionLogicalID == "" {
			t.Errorf("rule %s targets %s, not a function of the template", rule.LogicalID, target.Arn)
		}
		// CloudTrail delivers the account's own events on the default bus; only a hub's twins,
		// which receive the members' forwarded events, are on another.
		switch {
		case rule.OnDefaultBus():
			targets[target.FunctionLogicalID] = rule.LogicalID
		case rule.Condition != "Organization" || rule.EventBusName.Ref() != "HubEventBus":
			t.Errorf("rule %s is on bus %s under condition %q; CloudTrail events arrive on the default bus, member events on the HubEventBus under Organization", rule.LogicalID, rule.EventBusName, rule.Condition)
		}
		if p := target.RetryPolicy; p == nil || p.MaximumRetryAttempts < 1 || p.MaximumEventAgeInSeconds < 60 {
			t.Errorf("rule %s retry policy = %+v, want explicit retries", rule.LogicalID, p)
		}
		if id, att := target.DeadLetterArn.GetAtt(); id != "DeadLetterQueue" || att != "Arn" {
			t.Errorf("rule %s dead-letter queue = %s, want the DeadLetterQueue", rule.LogicalID, target.DeadLetterArn)
		}
	}
	if len(targets) != len(functionDirs) {
		t.Errorf("rules target %v, want one rule per function %v", targets, slices.Sorted(maps.Keys(functionDirs)))
	}

	schedules := tmpl.ScheduleRules()
	if len(schedules) != 1 || schedules[0].Targets[0].FunctionLogicalID != "SweepFunction" ||
		schedules[0].ScheduleExpression.Ref() != "SweepSchedule" {
		t.Errorf("schedule rules = %+v, want one running SweepFunction on the SweepSchedule parameter", schedules)
	}

	// EventBridge needs the queue's permission to deliver dead letters, for every rule.
	allowed := queuePolicySourceArns(t, tmpl)
	for _, rule := range tmpl.Rules {
		if !slices.Contains(allowed, rule.LogicalID) {
			t.Errorf("the DeadLetterQueue policy does not let rule %s send dead letters (it allows %v)", rule.LogicalID, allowed)
		}
	}

	var queue struct {
		MessageRetentionPeriod int
		SqsManagedSseEnabled   bool
	}
	decode(t, tmpl.Resources["DeadLetterQueue"].Properties, &queue)
	if queue.MessageRetentionPeriod != 14*24*3600 || !queue.SqsManagedSseEnabled {
		t.Errorf("DeadLetterQueue = %+v, want 14 days retention and SSE", queue)
	}
}

// queuePolicySourceArns returns the resources named in the aws:SourceArn condition of the
// statements that let events.amazonaws.com send to the DeadLetterQueue.
func queuePolicySourceArns(t *testing.T, tmpl *samtemplate.Template) []string {
	t.Helper()
	var names []string
	for _, res := range tmpl.Resources {
		if res.Type != "AWS::SQS::QueuePolicy" {
			continue
		}
		var props struct {
			Queues         []samtemplate.Value
			PolicyDocument struct {
				Statement []struct {
					Effect    string
					Principal samtemplate.Value
					Action    samtemplate.Value
					Condition struct {
						ArnEquals map[string]samtemplate.Value
					}
				}
			}
		}
		decode(t, res.Properties, &props)
		if len(props.Queues) != 1 || props.Queues[0].Ref() != "DeadLetterQueue" {
			continue
		}
		for _, s := range props.PolicyDocument.Statement {
			if s.Effect == "Allow" && s.Principal.String() == `{"Service":"events.amazonaws.com"}` && s.Action.String() == "sqs:SendMessage" {
				names = append(names, s.Condition.ArnEquals["aws:SourceArn"].References()...)
			}
		}
	}
	return names
}

// Actions that do not support resource-level permissions: their Resource must be "*".
var unscopedActions = []string{
	"ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeSubnets", "ec2:DescribeRouteTables",
	"ec2:DescribeNatGateways", "ec2:DescribeInternetGateways", "ec2:DescribeVpcEndpoints",
	"ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:DescribeNetworkAcls",
	"ec2:DescribeDhcpOptions", "ec2:DescribeManagedPrefixLists", "ec2:GetManagedPrefixListEntries",
	"ec2:DescribePrefixLists",
	"lambda:ListEventSourceMappings", "lambda:ListFunctions", "tag:GetResources",
}

func TestRolesAreReadOnlyAndLeastPrivilege(t *testing.T) {
	tmpl := projectTemplate(t)
	// Each function is granted exactly the actions its code calls.
	wantActions := map[string][]string{
		"OnLambdaChangeFunction":  app.Actions(app.OnLambdaChange),
		"OnNetworkChangeFunction": app.Actions(app.OnNetworkChange),
		"SweepFunction":           app.Actions(app.Sweep),
	}
	allowedManaged := []string{"service-role/AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}

	for _, fn := range tmpl.Functions {
		t.Run(fn.LogicalID, func(t *testing.T) {
			if fn.RoleLogicalID == "" {
				t.Fatal("the function's role is not part of the template")
			}
			if got, want := actionsUnder(fn, ""), slices.Compact(slices.Sorted(slices.Values(wantActions[fn.LogicalID]))); !slices.Equal(got, want) {
				t.Errorf("allowed actions:\n got %v\nwant %v", got, want)
			}
			// What the applier may call exists only with Mode=remediate.
			if got, want := actionsUnder(fn, "Remediate"), app.RemediationActions(); !slices.Equal(got, want) {
				t.Errorf("remediation actions:\n got %v\nwant %v", got, want)
			}
			// What creating NAT gateways needs exists only with AllowNatCreation too.
			if got, want := actionsUnder(fn, "RemediateWithNat"), (&remediate.Applier{}).NATActions(); !slices.Equal(got, want) {
				t.Errorf("NAT gateway actions:\n got %v\nwant %v", got, want)
			}
			// Reaching other accounts exists only for a hub; Organizations only with an organisation.
			if got, want := actionsUnder(fn, "WatchMembers"), app.MemberRoleActions(); !slices.Equal(got, want) {
				t.Errorf("member role actions:\n got %v\nwant %v", got, want)
			}
			if got, want := actionsUnder(fn, "Organization"), slices.Sorted(slices.Values(app.OrganizationActions())); !slices.Equal(got, want) {
				t.Errorf("organisation actions:\n got %v\nwant %v", got, want)
			}
			// The sweep's fan-out exists only with SweepFanOut, and only for the sweep.
			var fanOut []string
			if fn.LogicalID == "SweepFunction" {
				fanOut = app.SweepFanOutActions()
			}
			if got := actionsUnder(fn, "SweepFanOut"); !slices.Equal(got, fanOut) {
				t.Errorf("fan-out actions:\n got %v\nwant %v", got, fanOut)
			}
			for _, condition := range []string{"!Remediate", "!RemediateWithNat", "!WatchMembers", "!Organization", "!SweepFanOut"} {
				if other := actionsUnder(fn, condition); len(other) > 0 {
					t.Errorf("actions granted only under %s: %v", condition, other)
				}
			}
			for _, arn := range fn.ManagedPolicyARNs {
				_, name, _ := strings.Cut(arn.String(), ":policy/")
				if !slices.Contains(allowedManaged, name) {
					t.Errorf("managed policy %s attached; grant with inline statements instead", arn)
				}
			}
			for _, s := range fn.Statements {
				if s.Effect == "Allow" && len(s.NotActions) > 0 {
					t.Errorf("statement %q allows NotAction %v", s.Sid, s.NotActions)
				}
				for _, action := range s.Actions {
					if strings.Contains(action, "*") {
						t.Errorf("statement %q allows wildcard action %q", s.Sid, action)
					}
					// Remediation permissions may exist only under a template condition (Mode).
					if s.TemplateCondition == "" && isEC2Mutation(action) {
						t.Errorf("statement %q allows %s while vpcmedic is read-only", s.Sid, action)
					}
					checkResources(t, s.Sid, action, s.Resources)
				}
			}
		})
	}
}

// actionsUnder returns the actions a function's Allow statements grant
// under one template condition ("" for always).
func actionsUnder(fn samtemplate.Function, condition string) []string {
	var out []string
	for _, s := range fn.Statements {
		if s.Effect == "Allow" && s.TemplateCondition == condition {
			out = append(out, s.Actions...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func isEC2Mutation(action string) bool {
	op, ok := strings.CutPrefix(action, "ec2:")
	return ok && !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "Get")
}

// checkResources checks that action is scoped as narrowly as the action allows.
func checkResources(t *testing.T, sid, action string, resources []samtemplate.Value) {
	t.Helper()
	if len(resources) == 0 {
		t.Errorf("statement %q: %s has no resource", sid, action)
	}
	service, _, _ := strings.Cut(action, ":")
	for _, r := range resources {
		var ok bool
		switch {
		case slices.Contains(unscopedActions, action), strings.HasPrefix(action, "ec2:Describe"):
			ok = r.String() == "*"
		case action == "sns:Publish":
			ok = slices.Equal(r.References(), []string{"AlertTopic", "AlertTopicArn"})
		case service == "sqs":
			// Dead letters; the sweep's shard queue (SweepFanOut) is also polled.
			id, att := r.GetAtt()
			ok = att == "Arn" && (id == "DeadLetterQueue" && action == "sqs:SendMessage" || id == "SweepShardQueue")
		case service == "lambda" || service == "kafka":
			ok = strings.HasPrefix(r.Sub(), "arn:${AWS::Partition}:"+service+":${AWS::Region}:${AWS::AccountId}:")
		case service == "ec2" && isEC2Mutation(action):
			ok = strings.HasPrefix(r.Sub(), "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:") || isAllowedVpcsOrAnyVpc(r)
		case action == "route53:AssociateVPCWithHostedZone":
			ok = r.String() == "*"
		case service == "dynamodb":
			id, att := r.GetAtt()
			ok = id == "AlertStateTable" && att == "Arn"
		case action == "iam:ListRolePolicies", action == "iam:GetRolePolicy", action == "iam:ListAttachedRolePolicies":
			ok = r.Sub() == "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"
		case action == "iam:GetPolicy", action == "iam:GetPolicyVersion":
			// The account's customer managed policies and AWS managed ones.
			ok = r.Sub() == "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/*" || r.Sub() == "arn:${AWS::Partition}:iam::aws:policy/*"
		case service == "rds":
			ok = strings.HasPrefix(r.Sub(), "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:")
		case action == "mq:DescribeBroker":
			// Broker ARNs are broker:<name>:<id>.
			ok = r.Sub() == "arn:${AWS::Partition}:mq:${AWS::Region}:${AWS::AccountId}:broker:*"
		case action == "sts:AssumeRole":
			// Only the member role, by name, in the accounts the hub watches.
			ok = r.Sub() == "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"
		case action == "organizations:DescribeAccount":
			// The organisation's accounts, whatever its management account.
			ok = r.Sub() == "arn:${AWS::Partition}:organizations::*:account/${OrganizationId}/*"
		case action == "organizations:ListAccounts":
			// No resource type: the Service Authorization Reference lists none.
			ok = r.String() == "*"
		case action == "iam:SimulatePrincipalPolicy":
			// Only roles of this account, which are global (no Region).
			ok = r.Sub() == "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"
		}
		if !ok {
			t.Errorf("statement %q: %s on resource %s is not scoped as it should be", sid, action, r)
		}
	}
}

// isAllowedVpcsOrAnyVpc reports whether r is the VPCs of AllowedVpcs when it is set, else every
// VPC of the account and Region.
func isAllowedVpcsOrAnyVpc(r samtemplate.Value) bool {
	var ifArgs struct {
		If []json.RawMessage `json:"Fn::If"`
	}
	if json.Unmarshal(r.JSON(), &ifArgs) != nil || len(ifArgs.If) != 3 {
		return false
	}
	return string(ifArgs.If[0]) == `"RemediateOnlyAllowedVpcs"` && isAllowedVpcArns(ifArgs.If[1]) &&
		samtemplate.NewValue(string(ifArgs.If[2])).Sub() == "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/*"
}

// isAllowedVpcArns reports whether raw builds the ARNs of the VPCs in AllowedVpcs and nothing else:
// arn:*:ec2:*:*:vpc/<id> for each ID of the parameter.
func isAllowedVpcArns(raw json.RawMessage) bool {
	var compact bytes.Buffer
	_ = json.Compact(&compact, raw)
	return compact.String() == `{"Fn::Split":[",",{"Fn::Join":["",["arn:*:ec2:*:*:vpc/",{"Fn::Join":[",arn:*:ec2:*:*:vpc/",{"Fn::Split":[",",{"Ref":"AllowedVpcs"}]}]}]]}]}`
}

func decode(t *testing.T, raw json.RawMessage, into any) {
	t.Helper()
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// Creating is allowed only with vpcmedic's tag, and tagging only as part of
// a creation: vpcmedic cannot retag or claim what it did not create.
func TestRemediationIsNarrowedByConditions(t *testing.T) {
	tmpl := projectTemplate(t)
	created := map[string][]string{ // condition -> the created resource types to find
		"Remediate":        {"ec2:CreateVpcEndpoint vpc-endpoint", "ec2:CreateSecurityGroup security-group"},
		"RemediateWithNat": {"ec2:AllocateAddress elastic-ip", "ec2:CreateNatGateway natgateway"},
	}
	for _, fn := range tmpl.Functions {
		t.Run(fn.LogicalID, func(t *testing.T) {
			for condition, creations := range created {
				var sawTags bool
				sawCreate := map[string]bool{}
				for _, s := range fn.Statements {
					// Only what is allowed needs narrowing; a Deny narrows.
					if s.TemplateCondition != condition || s.Effect != "Allow" {
						continue
					}
					var compact bytes.Buffer
					_ = json.Compact(&compact, s.Condition)
					cond := compact.String()
					for _, creation := range creations {
						action, kind, _ := strings.Cut(creation, " ")
						for _, r := range s.Resources {
							if slices.Contains(s.Actions, action) && strings.HasSuffix(r.Sub(), ":"+kind+"/*") {
								sawCreate[creation] = true
								if !strings.Contains(cond, `"aws:RequestTag/vpcmedic:managed":"true"`) {
									t.Errorf("statement %q creates %s without requiring the vpcmedic:managed tag: %s", s.Sid, kind, cond)
								}
							}
						}
					}
					if slices.Contains(s.Actions, "ec2:CreateTags") {
						sawTags = true
						if !strings.Contains(cond, "ec2:CreateAction") {
							t.Errorf("statement %q allows tagging outside a creation: %s", s.Sid, cond)
						}
					}
					// A NAT gateway takes only an address vpcmedic allocated.
					if slices.Contains(s.Actions, "ec2:CreateNatGateway") {
						for _, r := range s.Resources {
							if strings.HasSuffix(r.Sub(), ":elastic-ip/*") && !strings.Contains(cond, `"aws:ResourceTag/vpcmedic:managed":"true"`) {
								t.Errorf("statement %q lets NAT gateways take any Elastic IP: %s", s.Sid, cond)
							}
						}
					}
				}
				for _, creation := range creations {
					if !sawCreate[creation] {
						t.Errorf("%s: no statement for %s", condition, creation)
					}
				}
				if !sawTags {
					t.Errorf("%s: tagging statement missing", condition)
				}
			}
			for _, v := range []string{"DRY_RUN", "ALLOWED_VPCS", "MAX_CHANGES", "ALLOW_NAT_CREATION"} {
				if fn.Environment[v].IsZero() {
					t.Errorf("environment lacks %s", v)
				}
			}
		})
	}
}

// Every statement is written once, in the managed policy of its tier; each function attaches
// exactly the tiers it needs, and the policies name no role (the roles name them, so that
// CloudFormation sees no cycle).
func TestPermissionsAreWrittenOnceInTieredManagedPolicies(t *testing.T) {
	tmpl := projectTemplate(t)
	tiers := []string{"ReadPolicy", "ChangedWorkloadReadPolicy", "InventoryReadPolicy", "RemediationPolicy", "NatCreationPolicy", "SweepFanOutPolicy"}
	sids := map[string]string{} // Sid -> policy
	for _, id := range slices.Sorted(maps.Keys(tmpl.Resources)) {
		res := tmpl.Resources[id]
		if res.Type != "AWS::IAM::ManagedPolicy" {
			continue
		}
		if !slices.Contains(tiers, id) {
			t.Errorf("managed policy %s is not one of the tiers %v", id, tiers)
		}
		var props struct {
			Roles, Groups, Users json.RawMessage
			PolicyDocument       struct{ Statement []json.RawMessage }
		}
		decode(t, res.Properties, &props)
		if props.Roles != nil || props.Groups != nil || props.Users != nil {
			t.Errorf("managed policy %s names its principals; attach it through the functions' Policies", id)
		}
		for _, raw := range props.PolicyDocument.Statement {
			var s struct{ Sid string }
			decode(t, statementUnderIf(t, raw), &s)
			if other, dup := sids[s.Sid]; dup || s.Sid == "" {
				t.Errorf("statement %q of %s is unnamed or also in %s", s.Sid, id, other)
			}
			sids[s.Sid] = id
		}
	}
	wantCondition := map[string]string{"RemediationPolicy": "Remediate", "NatCreationPolicy": "RemediateWithNat", "SweepFanOutPolicy": "SweepFanOut"}
	for id, cond := range wantCondition {
		if got := tmpl.Resources[id].Condition; got != cond {
			t.Errorf("%s condition = %q, want %q", id, got, cond)
		}
	}
	want := map[string][]string{
		"OnLambdaChangeFunction":  {"ReadPolicy", "ChangedWorkloadReadPolicy", "RemediationPolicy", "NatCreationPolicy"},
		"OnNetworkChangeFunction": {"ReadPolicy", "InventoryReadPolicy", "RemediationPolicy", "NatCreationPolicy"},
		"SweepFunction":           {"ReadPolicy", "InventoryReadPolicy", "RemediationPolicy", "NatCreationPolicy", "SweepFanOutPolicy"},
	}
	for _, fn := range tmpl.Functions {
		if got := fn.ManagedPolicies; !slices.Equal(got, want[fn.LogicalID]) {
			t.Errorf("%s attaches %v, want %v", fn.LogicalID, got, want[fn.LogicalID])
		}
		for _, s := range fn.Statements {
			// SAM's own statement for the function's dead-letter queue is the only inline one.
			if !slices.Contains(tiers, s.PolicyName) && !(s.PolicyName == "DeadLetterQueuePolicy" && slices.Equal(s.Actions, []string{"sqs:SendMessage"})) {
				t.Errorf("%s: statement %q is written inline in %s; put it in the policy of its tier", fn.LogicalID, s.Sid, s.PolicyName)
			}
		}
	}
}

// statementUnderIf returns the statement a conditional statement ({"Fn::If": [X, statement,
// AWS::NoValue]}) grants, or raw itself.
func statementUnderIf(t *testing.T, raw json.RawMessage) json.RawMessage {
	t.Helper()
	var ifArgs struct {
		If []json.RawMessage `json:"Fn::If"`
	}
	if json.Unmarshal(raw, &ifArgs) != nil || len(ifArgs.If) == 0 {
		return raw
	}
	if len(ifArgs.If) != 3 || samtemplate.NewValue(string(ifArgs.If[2])).Ref() != "AWS::NoValue" {
		t.Fatalf("statement %s: want Fn::If [condition, statement, AWS::NoValue]", raw)
	}
	return ifArgs.If[1]
}

// The guards the code applies hold in IAM too: a resource tagged vpcmedic:remediate=false is
// denied every change, and with AllowedVpcs set every change to a VPC, or to a subnet, security
// group or route table (which carry ec2:Vpc), is allowed in those VPCs only.
func TestRemediationGuardsAreEnforcedByIAM(t *testing.T) {
	tmpl := projectTemplate(t)
	// The actions that change an existing network resource or place something in one.
	changes := []string{
		"ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateNatGateway",
		"ec2:CreateRoute", "ec2:CreateSecurityGroup", "ec2:CreateVpcEndpoint", "ec2:ModifyVpcAttribute", "ec2:ModifyVpcEndpoint",
	}
	optOutKinds := []string{"vpc", "subnet", "security-group", "route-table"}
	vpcScoped := []string{"subnet", "security-group", "route-table"}
	for _, fn := range tmpl.Functions {
		t.Run(fn.LogicalID, func(t *testing.T) {
			denied := map[string]bool{}
			for _, s := range fn.Statements {
				if s.Effect != "Deny" {
					continue
				}
				if s.TemplateCondition != "Remediate" {
					t.Errorf("deny %q exists under %q, want Remediate", s.Sid, s.TemplateCondition)
				}
				var compact bytes.Buffer
				_ = json.Compact(&compact, s.Condition)
				if compact.String() != `{"StringEquals":{"aws:ResourceTag/vpcmedic:remediate":"false"}}` {
					continue
				}
				for _, a := range s.Actions {
					for _, r := range s.Resources {
						denied[a+" "+kindOf(r)] = true
					}
				}
			}
			for _, a := range changes {
				for _, kind := range optOutKinds {
					if (kind == "vpc" || kind == "route-table") && !allowedOn(fn, a, kind) {
						continue // the action does not act on that kind
					}
					if !denied[a+" "+kind] {
						t.Errorf("%s on a %s tagged vpcmedic:remediate=false is not denied", a, kind)
					}
				}
			}
			for _, s := range fn.Statements {
				if s.Effect != "Allow" || !slices.ContainsFunc(s.Actions, func(a string) bool { return slices.Contains(changes, a) }) {
					continue
				}
				for _, r := range s.Resources {
					kind := kindOf(r)
					switch {
					case kind == "vpc":
						if !isAllowedVpcsOrAnyVpc(r) {
							t.Errorf("statement %q allows %v on any VPC whatever AllowedVpcs", s.Sid, s.Actions)
						}
					case slices.Contains(vpcScoped, kind) && !isRequestTagged(s):
						if !restrictsToAllowedVpcs(s.Condition) {
							t.Errorf("statement %q allows %v on any %s whatever AllowedVpcs: %s", s.Sid, s.Actions, kind, s.Condition)
						}
					}
				}
			}
		})
	}
}

// kindOf returns the resource type of an EC2 ARN such as arn:...:subnet/*, "vpc" for the
// allowed-VPC list, "" otherwise.
func kindOf(r samtemplate.Value) string {
	if isAllowedVpcsOrAnyVpc(r) {
		return "vpc"
	}
	arn := r.Sub()
	if i := strings.LastIndex(arn, ":"); i >= 0 {
		kind, _, _ := strings.Cut(arn[i+1:], "/")
		return kind
	}
	return ""
}

func allowedOn(fn samtemplate.Function, action, kind string) bool {
	for _, s := range fn.Statements {
		if s.Effect == "Allow" && slices.Contains(s.Actions, action) && slices.ContainsFunc(s.Resources, func(r samtemplate.Value) bool { return kindOf(r) == kind }) {
			return true
		}
	}
	return false
}

// isRequestTagged reports whether s applies only to what is being created with vpcmedic's tag.
func isRequestTagged(s samtemplate.Statement) bool {
	return strings.Contains(string(s.Condition), `"aws:RequestTag/vpcmedic:managed"`)
}

// restrictsToAllowedVpcs reports whether a statement condition is, when AllowedVpcs is set, an
// ArnLike (or ArnLikeIfExists) on ec2:Vpc with the allowed VPCs' ARNs, and nothing otherwise.
func restrictsToAllowedVpcs(cond json.RawMessage) bool {
	var ifArgs struct {
		If []json.RawMessage `json:"Fn::If"`
	}
	if json.Unmarshal(cond, &ifArgs) != nil || len(ifArgs.If) != 3 || string(ifArgs.If[0]) != `"RemediateOnlyAllowedVpcs"` ||
		samtemplate.NewValue(string(ifArgs.If[2])).Ref() != "AWS::NoValue" {
		return false
	}
	var ops map[string]map[string]json.RawMessage
	if json.Unmarshal(ifArgs.If[1], &ops) != nil || len(ops) != 1 {
		return false
	}
	for op, keys := range ops {
		if (op != "ArnLike" && op != "ArnLikeIfExists") || len(keys) != 1 {
			return false
		}
		return isAllowedVpcArns(keys["ec2:Vpc"])
	}
	return false
}
