package samtemplate_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/remediate"
	"github.com/vpcmedic/vpcmedic/internal/samtemplate"
)

// memberPath is the member account template, relative to the module root.
const memberPath = "internal/member/member.yaml"

var memberParsed transformedTemplate

// memberTemplate returns internal/member/member.yaml as CloudFormation reads it (Transform passes
// a template without a Transform through).
func memberTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	return memberParsed.get(t, func() (string, error) {
		root, err := samtemplate.ModuleRoot()
		return filepath.Join(root, memberPath), err
	})
}

func TestMemberTemplatePassesCfnLintWithoutTransform(t *testing.T) {
	tmpl := memberTemplate(t)
	var top map[string]json.RawMessage
	decode(t, tmpl.JSON, &top)
	if transform, ok := top["Transform"]; ok {
		t.Errorf("member template has Transform %s; StackSets with service-managed permissions take none", transform)
	}
	if testing.Short() {
		t.Skip("skipping cfn-lint under -short")
	}
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatalf("cfn-lint not found on PATH: %s", samtemplate.InstallHint)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, lint, memberPath)
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint %s: %v\n%s", memberPath, err, out)
	}
}

// ownRolesAnyOf replaces the list of roles whose calls a pattern skips: the hub's three function
// roles on the hub, the member role in a member account.
func ownRolesAnyOf(t *testing.T, pattern json.RawMessage) (normalised string, ownRoles []json.RawMessage) {
	t.Helper()
	var tree any
	decode(t, pattern, &tree)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "anything-but" {
					for _, role := range e.([]any) {
						ownRoles = append(ownRoles, mustJSON(t, role))
					}
					x[k] = "vpcmedic's own roles"
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(tree)
	return string(mustJSON(t, tree)), ownRoles
}

// A member forwards exactly what the hub's rules take (the same patterns but for whose calls are
// vpcmedic's own: the member role's), to the hub bus with a role that may only put events there.
func TestMemberRulesForwardTheHubPatterns(t *testing.T) {
	hub, member := projectTemplate(t), memberTemplate(t)
	var want, got, forwarding []string
	for _, rule := range defaultBusRules(hub.EventRules()) {
		p, _ := ownRolesAnyOf(t, rule.EventPattern)
		want = append(want, p)
	}
	for _, rule := range member.EventRules() {
		p, own := ownRolesAnyOf(t, rule.EventPattern)
		got = append(got, p)
		if len(own) != 1 || string(own[0]) != `{"Fn::Sub":"arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${MemberRoleName}"}` {
			t.Errorf("rule %s skips calls of %s, want the member role's only", rule.LogicalID, own)
		}
		if !rule.OnDefaultBus() || rule.Condition != "Forward" {
			t.Errorf("rule %s is on %s under %q, want the default bus under Forward", rule.LogicalID, rule.EventBusName, rule.Condition)
		}
		var props struct {
			Targets []struct {
				Arn, RoleArn     samtemplate.Value
				DeadLetterConfig struct{ Arn samtemplate.Value }
			}
		}
		decode(t, member.Resources[rule.LogicalID].Properties, &props)
		if len(props.Targets) != 1 || props.Targets[0].Arn.Ref() != "HubEventBusArn" ||
			props.Targets[0].RoleArn.String() != `{"Fn::GetAtt":["ForwardingRole","Arn"]}` {
			t.Errorf("rule %s targets %+v, want the HubEventBusArn with the ForwardingRole", rule.LogicalID, props.Targets)
		}
		if len(props.Targets) == 1 {
			if id, att := props.Targets[0].DeadLetterConfig.Arn.GetAtt(); id != "ForwardingDeadLetterQueue" || att != "Arn" {
				t.Errorf("rule %s: undelivered events go to %s, want the ForwardingDeadLetterQueue", rule.LogicalID, props.Targets[0].DeadLetterConfig.Arn)
			}
		}
		forwarding = append(forwarding, rule.LogicalID)
	}
	// The queue takes the undelivered events of those rules, and only theirs.
	var policy struct {
		Queues         []samtemplate.Value
		PolicyDocument struct {
			Statement []struct {
				Effect    string
				Principal struct{ Service string }
				Action    string
				Resource  samtemplate.Value
				Condition struct {
					ArnEquals map[string][]samtemplate.Value
				}
			}
		}
	}
	decode(t, member.Resources["ForwardingDeadLetterQueuePolicy"].Properties, &policy)
	var admitted []string
	for _, st := range policy.PolicyDocument.Statement {
		if st.Effect != "Allow" || st.Principal.Service != "events.amazonaws.com" || st.Action != "sqs:SendMessage" {
			t.Errorf("dead-letter queue statement %+v, want EventBridge sending messages only", st)
		}
		for _, arn := range st.Condition.ArnEquals["aws:SourceArn"] {
			id, _ := arn.GetAtt()
			admitted = append(admitted, id)
		}
	}
	slices.Sort(admitted)
	slices.Sort(forwarding)
	if !slices.Equal(admitted, forwarding) {
		t.Errorf("the dead-letter queue admits the rules %v, want the forwarding rules %v", admitted, forwarding)
	}
	for _, id := range []string{"ForwardingDeadLetterQueue", "ForwardingDeadLetterQueuePolicy"} {
		if got := member.Resources[id].Condition; got != "Forward" {
			t.Errorf("%s exists under %q, want Forward", id, got)
		}
	}
	var queue struct {
		SqsManagedSseEnabled   bool
		MessageRetentionPeriod int
	}
	decode(t, member.Resources["ForwardingDeadLetterQueue"].Properties, &queue)
	if !queue.SqsManagedSseEnabled || queue.MessageRetentionPeriod != 14*24*3600 {
		t.Errorf("forwarding dead-letter queue %+v, want encrypted, keeping events 14 days", queue)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("member rule patterns:\n got %v\nwant %v (the hub's)", got, want)
	}

	statements, err := member.RoleStatements("ForwardingRole")
	if err != nil {
		t.Fatal(err)
	}
	if len(statements) != 1 || statements[0].Effect != "Allow" || !slices.Equal(statements[0].Actions, []string{"events:PutEvents"}) ||
		len(statements[0].Resources) != 1 || statements[0].Resources[0].Ref() != "HubEventBusArn" {
		t.Errorf("ForwardingRole allows %+v, want events:PutEvents on the HubEventBusArn only", statements)
	}
}

// The member role reads what the hub's functions read, and remediates only with AllowRemediation,
// under the same opt-out deny as the hub.
func TestMemberRoleGrantsTheHubsReadsAndConditionalRemediation(t *testing.T) {
	hub, member := projectTemplate(t), memberTemplate(t)
	if got := member.Resources["MemberRole"].Condition; got != "CreateMemberRole" {
		t.Errorf("MemberRole condition = %q, want CreateMemberRole", got)
	}
	statements, err := member.RoleStatements("MemberRole")
	if err != nil {
		t.Fatal(err)
	}
	// The role's own policies exist with it, under its condition: that is "always" for the role.
	for i, s := range statements {
		c := strings.TrimPrefix(s.TemplateCondition, "CreateMemberRole")
		statements[i].TemplateCondition = strings.TrimPrefix(c, " && ")
	}
	role := samtemplate.Function{LogicalID: "MemberRole", Statements: statements}
	if got, want := actionsUnder(role, ""), app.MemberActions(); !slices.Equal(got, want) {
		t.Errorf("member role reads:\n got %v\nwant %v", got, want)
	}
	if got, want := actionsUnder(role, "Remediate"), app.RemediationActions(); !slices.Equal(got, want) {
		t.Errorf("member remediation actions:\n got %v\nwant %v", got, want)
	}
	if got, want := actionsUnder(role, "RemediateWithNat"), (&remediate.Applier{}).NATActions(); !slices.Equal(got, want) {
		t.Errorf("member NAT gateway actions:\n got %v\nwant %v", got, want)
	}
	var conditions []string
	for _, s := range statements {
		conditions = append(conditions, s.TemplateCondition)
		for _, action := range s.Actions {
			if s.TemplateCondition == "" && isEC2Mutation(action) {
				t.Errorf("statement %q allows %s without AllowRemediation", s.Sid, action)
			}
		}
		// Only this account's resources (the role serves every Region).
		for _, r := range s.Resources {
			sub := r.Sub()
			if r.String() != "*" && !strings.Contains(sub, ":${AWS::AccountId}:") && sub != "arn:${AWS::Partition}:iam::aws:policy/*" {
				t.Errorf("statement %q: resource %s is not this account's", s.Sid, r)
			}
		}
	}
	for _, c := range slices.Compact(slices.Sorted(slices.Values(conditions))) {
		if !slices.Contains([]string{"", "Remediate", "RemediateWithNat"}, c) {
			t.Errorf("member role statements under condition %q", c)
		}
	}
	if c := compactJSON(t, member.Conditions["Remediate"].JSON()); !strings.Contains(c, `{"Fn::Equals":[{"Ref":"AllowRemediation"},"true"]}`) {
		t.Errorf("condition Remediate = %s, want it to require AllowRemediation=true", c)
	}
	if c := compactJSON(t, member.Conditions["RemediateWithNat"].JSON()); !strings.Contains(c, `{"Condition":"Remediate"}`) {
		t.Errorf("condition RemediateWithNat = %s, want it to require Remediate", c)
	}

	// The opt-out deny is the hub's, for this account in any Region.
	hubFn, _ := hub.Function("SweepFunction")
	deny := func(statements []samtemplate.Statement) (samtemplate.Statement, bool) {
		i := slices.IndexFunc(statements, func(s samtemplate.Statement) bool { return s.Sid == "DenyOptedOutResources" })
		if i < 0 {
			return samtemplate.Statement{}, false
		}
		return statements[i], true
	}
	hubDeny, ok1 := deny(hubFn.Statements)
	memberDeny, ok2 := deny(statements)
	if !ok1 || !ok2 {
		t.Fatalf("DenyOptedOutResources in the hub: %v, in the member: %v; want both", ok1, ok2)
	}
	var hubResources, memberResources []string
	for _, r := range hubDeny.Resources {
		hubResources = append(hubResources, strings.Replace(r.Sub(), "${AWS::Region}", "*", 1))
	}
	for _, r := range memberDeny.Resources {
		memberResources = append(memberResources, r.Sub())
	}
	if memberDeny.Effect != "Deny" || memberDeny.TemplateCondition != "Remediate" || !slices.Equal(memberDeny.Actions, hubDeny.Actions) ||
		!slices.Equal(memberResources, hubResources) || compactJSON(t, memberDeny.Condition) != compactJSON(t, hubDeny.Condition) {
		t.Errorf("member DenyOptedOutResources = %+v, want the hub's %+v under Remediate", memberDeny, hubDeny)
	}
}

// Only the hub's function roles may assume the member role: the hub account as principal, its
// roles by name in aws:PrincipalArn, and the external ID when one is set.
func TestMemberRoleTrustsTheHubsFunctionRolesOnly(t *testing.T) {
	hub, member := projectTemplate(t), memberTemplate(t)
	var wantArns []string
	for _, fn := range hub.Functions {
		if fn.RoleLogicalID == "" {
			t.Fatalf("hub function %s has no role of the template", fn.LogicalID)
		}
		// CloudFormation names a role <stack>-<logical ID>-<suffix>.
		wantArns = append(wantArns, "arn:${AWS::Partition}:iam::${HubAccountId}:role/*-"+fn.RoleLogicalID+"-*")
	}
	slices.Sort(wantArns)

	var props struct {
		RoleName                 samtemplate.Value
		AssumeRolePolicyDocument struct {
			Statement []struct {
				Effect    string
				Principal struct{ AWS samtemplate.Value }
				Action    string
				Condition json.RawMessage
			}
		}
	}
	decode(t, member.Resources["MemberRole"].Properties, &props)
	if props.RoleName.Ref() != "MemberRoleName" {
		t.Errorf("MemberRole name = %s, want the MemberRoleName parameter (the hub assumes it by name)", props.RoleName)
	}
	trust := props.AssumeRolePolicyDocument.Statement
	if len(trust) != 1 || trust[0].Effect != "Allow" || trust[0].Action != "sts:AssumeRole" ||
		trust[0].Principal.AWS.Sub() != "arn:${AWS::Partition}:iam::${HubAccountId}:root" {
		t.Fatalf("MemberRole trust = %+v, want one statement letting the hub account assume it", trust)
	}
	var ifArgs struct {
		If []json.RawMessage `json:"Fn::If"`
	}
	decode(t, trust[0].Condition, &ifArgs)
	if len(ifArgs.If) != 3 || string(ifArgs.If[0]) != `"RequireExternalId"` {
		t.Fatalf("MemberRole trust condition = %s, want Fn::If on RequireExternalId", trust[0].Condition)
	}
	for i, wantExternalID := range []bool{true, false} {
		var cond struct {
			ArnLike      map[string][]samtemplate.Value
			StringEquals map[string]samtemplate.Value
		}
		decode(t, ifArgs.If[i+1], &cond)
		var arns []string
		for _, v := range cond.ArnLike["aws:PrincipalArn"] {
			arns = append(arns, v.Sub())
		}
		slices.Sort(arns)
		if !slices.Equal(arns, wantArns) {
			t.Errorf("trust (external ID %v) admits %v, want the hub's function roles %v", wantExternalID, arns, wantArns)
		}
		if got := cond.StringEquals["sts:ExternalId"].Ref() == "ExternalId"; got != wantExternalID {
			t.Errorf("trust (external ID %v) requires sts:ExternalId: %v", wantExternalID, got)
		}
	}

	if got, want := member.Parameters["MemberRoleName"].Default, hub.Parameters["MemberRoleName"].Default; got != want {
		t.Errorf("member MemberRoleName default = %q, want the hub's %q", got, want)
	}
	if p := member.Parameters["AllowRemediation"]; p.Default != "false" {
		t.Errorf("AllowRemediation default = %q, want false", p.Default)
	}
	for _, p := range []string{"HubAccountId", "HubEventBusArn"} {
		if member.Parameters[p].HasDefault {
			t.Errorf("parameter %s has a default; each organisation has its own hub", p)
		}
	}
}
