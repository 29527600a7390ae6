package samtemplate_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/samtemplate"
)

// hubBusRules are the rules on the hub bus: the twins that receive what member accounts forward.
func hubBusRules(rules []samtemplate.Rule) []samtemplate.Rule {
	return slices.DeleteFunc(slices.Clone(rules), samtemplate.Rule.OnDefaultBus)
}

// A rule belongs to one bus, so each default-bus event rule has a twin on the hub bus (under
// Organization) with the very same pattern and function, which the function lets EventBridge
// invoke; nothing else is on the hub bus.
func TestHubBusRulesTwinTheDefaultBusRules(t *testing.T) {
	tmpl := projectTemplate(t)
	twins := hubBusRules(tmpl.EventRules())
	if len(twins) == 0 {
		t.Fatal("no rule on the hub bus")
	}
	seen := map[string]bool{}
	for _, rule := range defaultBusRules(tmpl.EventRules()) {
		var matches []string
		for _, twin := range twins {
			if bytes.Equal(twin.EventPattern, rule.EventPattern) && twin.Targets[0].FunctionLogicalID == rule.Targets[0].FunctionLogicalID {
				matches = append(matches, twin.LogicalID)
				seen[twin.LogicalID] = true
			}
		}
		if len(matches) != 1 {
			t.Errorf("rule %s has twins %v on the hub bus, want exactly one with its pattern and function", rule.LogicalID, matches)
		}
	}
	for _, twin := range twins {
		if !seen[twin.LogicalID] {
			t.Errorf("hub bus rule %s twins no default-bus rule (pattern or function differs): %s", twin.LogicalID, twin.EventPattern)
		}
		if twin.Condition != "Organization" || twin.EventBusName.Ref() != "HubEventBus" {
			t.Errorf("rule %s is on %s under %q, want the HubEventBus under Organization", twin.LogicalID, twin.EventBusName, twin.Condition)
		}
		if !invokePermitted(t, tmpl, twin) {
			t.Errorf("no AWS::Lambda::Permission under Organization lets rule %s invoke %s", twin.LogicalID, twin.Targets[0].FunctionLogicalID)
		}
	}
}

// invokePermitted reports whether a permission under the rule's condition lets EventBridge invoke
// the rule's function from that rule only.
func invokePermitted(t *testing.T, tmpl *samtemplate.Template, rule samtemplate.Rule) bool {
	t.Helper()
	for _, res := range tmpl.Resources {
		if res.Type != "AWS::Lambda::Permission" || res.Condition != rule.Condition {
			continue
		}
		var p struct {
			Action, Principal       string
			FunctionName, SourceArn samtemplate.Value
		}
		decode(t, res.Properties, &p)
		id, att := p.SourceArn.GetAtt()
		if p.Action == "lambda:InvokeFunction" && p.Principal == "events.amazonaws.com" &&
			p.FunctionName.Ref() == rule.Targets[0].FunctionLogicalID && id == rule.LogicalID && att == "Arn" {
			return true
		}
	}
	return false
}

// The hub bus exists only for an organisation and admits its accounts only; the functions learn
// the organisation's settings from the parameters, and single-account stacks create nothing new.
func TestHubBusAdmitsTheOrganizationOnly(t *testing.T) {
	tmpl := projectTemplate(t)
	for _, p := range []string{"OrganizationId", "MemberRoleName", "MemberExternalId", "MemberAccounts", "MemberRegions"} {
		if _, ok := tmpl.Parameters[p]; !ok {
			t.Errorf("parameter %s is missing", p)
		}
	}
	if p := tmpl.Parameters["OrganizationId"]; !p.HasDefault || p.Default != "" {
		t.Errorf("OrganizationId default = %q, want empty (one account)", p.Default)
	}
	if p := tmpl.Parameters["MemberRoleName"]; p.Default != "vpcmedic-member" {
		t.Errorf("MemberRoleName default = %q, want the runtime's default vpcmedic-member", p.Default)
	}
	if got := compactJSON(t, tmpl.Conditions["Organization"].JSON()); got != `{"Fn::Not":[{"Fn::Equals":[{"Ref":"OrganizationId"},""]}]}` {
		t.Errorf("condition Organization = %s, want OrganizationId set", got)
	}
	for id, res := range tmpl.Resources {
		switch res.Type {
		case "AWS::Events::EventBus", "AWS::Events::EventBusPolicy":
			if res.Condition != "Organization" {
				t.Errorf("%s %s exists under %q, want Organization", res.Type, id, res.Condition)
			}
		}
	}

	var policy struct {
		EventBusName samtemplate.Value
		Statement    struct {
			Effect    string
			Principal string
			Action    string
			Resource  samtemplate.Value
			Condition map[string]map[string]samtemplate.Value
		}
	}
	decode(t, tmpl.Resources["HubEventBusPolicy"].Properties, &policy)
	s := policy.Statement
	id, att := s.Resource.GetAtt()
	if policy.EventBusName.Ref() != "HubEventBus" || s.Effect != "Allow" || s.Principal != "*" || s.Action != "events:PutEvents" ||
		id != "HubEventBus" || att != "Arn" || len(s.Condition) != 1 || s.Condition["StringEquals"]["aws:PrincipalOrgID"].Ref() != "OrganizationId" {
		t.Errorf("HubEventBusPolicy = %s, want events:PutEvents on the HubEventBus for aws:PrincipalOrgID = OrganizationId only",
			compactJSON(t, tmpl.Resources["HubEventBusPolicy"].Properties))
	}
	if out := tmpl.Outputs["HubEventBusArn"]; out.Value.String() != `{"Fn::GetAtt":["HubEventBus","Arn"]}` {
		t.Errorf("output HubEventBusArn = %s, want the HubEventBus's ARN", out.Value)
	}

	env := map[string]string{
		"ORGANIZATION_ID": "OrganizationId", "MEMBER_ROLE_NAME": "MemberRoleName", "MEMBER_EXTERNAL_ID": "MemberExternalId",
		"MEMBER_ACCOUNTS": "MemberAccounts", "MEMBER_REGIONS": "MemberRegions",
	}
	for _, fn := range tmpl.Functions {
		for v, param := range env {
			if got := fn.Environment[v].Ref(); got != param {
				t.Errorf("%s: %s = %s, want the %s parameter", fn.LogicalID, v, fn.Environment[v], param)
			}
		}
	}
}

func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("compact %s: %v", raw, err)
	}
	return b.String()
}
