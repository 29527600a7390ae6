package samtemplate_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/samtemplate"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// unmatchedDir holds samples that no rule may match.
const unmatchedDir = "unmatched"

// ownChangesDir holds calls made by vpcmedic's own roles (as deployedPattern names them): no rule
// may match them, while the same calls by anyone else match.
const ownChangesDir = "own-changes"

// ownRoleARN is the ARN a deployed stack gives the role of a function (CloudFormation names a
// role <stack>-<logical ID>-<suffix>); the samples in events/own-changes use it.
func ownRoleARN(roleLogicalID string) string {
	return "arn:aws:iam::" + emulator.Account + ":role/vpcmedic-" + roleLogicalID + "-EXAMPLE"
}

// deployedPattern returns a rule's pattern as EventBridge receives it once CloudFormation has
// resolved it: each role's ARN (Fn::GetAtt) replaced by ownRoleARN.
func deployedPattern(t *testing.T, rule samtemplate.Rule) string {
	t.Helper()
	var pattern any
	decode(t, rule.EventPattern, &pattern)
	var resolve func(any) any
	resolve = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if att, ok := x["Fn::GetAtt"].([]any); ok && len(x) == 1 && len(att) == 2 && att[1] == "Arn" {
				if id, _ := att[0].(string); strings.HasSuffix(id, "Role") {
					return ownRoleARN(id)
				}
			}
			for k, e := range x {
				x[k] = resolve(e)
			}
		case []any:
			for i, e := range x {
				x[i] = resolve(e)
			}
		}
		return v
	}
	out, err := json.Marshal(resolve(pattern))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), `"Fn::`) {
		t.Fatalf("rule %s: pattern keeps an intrinsic CloudFormation cannot resolve here: %s", rule.LogicalID, out)
	}
	return string(out)
}

type sample struct {
	dir, name string
	body      []byte
}

func (s sample) path() string { return "events/" + s.dir + "/" + s.name }

// loadSamples reads events/<dir>/*.json, keyed by directory.
func loadSamples(t *testing.T) map[string][]sample {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(moduleRoot(t), "events", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no sample events in events/*/*.json")
	}
	samples := map[string][]sample{}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Base(filepath.Dir(f))
		samples[dir] = append(samples[dir], sample{dir: dir, name: filepath.Base(f), body: body})
	}
	return samples
}

// sampleDir returns the directory of events/ that holds the samples of a function's rule:
// OnLambdaChangeFunction -> on-lambda-change.
func sampleDir(functionLogicalID string) string {
	name := strings.TrimSuffix(functionLogicalID, "Function")
	return strings.ToLower(regexp.MustCompile(`([a-z0-9])([A-Z])`).ReplaceAllString(name, "$1-$2"))
}

func TestSampleDirectoryIsNamedAfterTheFunction(t *testing.T) {
	for id, dir := range functionDirs {
		if got := sampleDir(id); got != dir {
			t.Errorf("sampleDir(%s) = %q, want %q", id, got, dir)
		}
	}
}

// Every sample of a function's directory must be matched by exactly one rule, one of that
// function's rules, and nothing else may match, including the look-alikes and failed calls in
// events/unmatched; every rule must match some sample. EventBridge's own TestEventPattern
// decides, as served by the local emulator.
func TestRulesMatchExactlyTheirSamples(t *testing.T) {
	tmpl := projectTemplate(t)
	samples := loadSamples(t)
	srv := emulator.Shared(t)
	client := eventbridge.NewFromConfig(srv.MustConfig(t))

	ruleDirs := map[string]bool{}
	for _, rule := range defaultBusRules(tmpl.Rules) {
		if len(rule.Targets) == 0 || rule.Targets[0].FunctionLogicalID == "" {
			t.Fatalf("rule %s does not target a function of the template", rule.LogicalID)
		}
		dir := sampleDir(rule.Targets[0].FunctionLogicalID)
		ruleDirs[dir] = true
		if len(samples[dir]) == 0 {
			t.Fatalf("rule %s targets %s but events/%s/ holds no sample event: add at least one",
				rule.LogicalID, rule.Targets[0].FunctionLogicalID, dir)
		}
	}
	for _, rule := range defaultBusRules(tmpl.EventRules()) {
		checkEveryEventNameHasASample(t, rule, samples[sampleDir(rule.Targets[0].FunctionLogicalID)])
	}
	for dir := range samples {
		if dir != unmatchedDir && dir != ownChangesDir && !ruleDirs[dir] {
			t.Errorf("events/%s/ holds samples but no rule targets the function of that name", dir)
		}
	}
	if len(samples[unmatchedDir]) == 0 {
		t.Errorf("events/%s/ holds no sample event", unmatchedDir)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	matchedBy := map[string][]samtemplate.Rule{} // sample path -> the rules that match it
	for _, rule := range defaultBusRules(tmpl.EventRules()) {
		matches := 0
		for _, dir := range slices.Sorted(maps.Keys(samples)) {
			for _, s := range samples[dir] {
				out, err := client.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{
					EventPattern: aws.String(deployedPattern(t, rule)),
					Event:        aws.String(string(s.body)),
				})
				if err != nil {
					t.Fatalf("TestEventPattern(%s, %s): %v", rule.LogicalID, s.path(), err)
				}
				if out.Result {
					matchedBy[s.path()] = append(matchedBy[s.path()], rule)
					matches++
				}
			}
		}
		if matches == 0 {
			t.Errorf("rule %s matches no sample (pattern %s)", rule.LogicalID, rule.EventPattern)
		}
	}
	// The schedule's samples are EventBridge's own events: no event rule may match them either.
	scheduled := map[string]bool{unmatchedDir: true, ownChangesDir: true}
	for _, rule := range tmpl.ScheduleRules() {
		scheduled[sampleDir(rule.Targets[0].FunctionLogicalID)] = true
	}
	for _, dir := range slices.Sorted(maps.Keys(samples)) {
		for _, s := range samples[dir] {
			rules := matchedBy[s.path()]
			var names []string
			for _, r := range rules {
				names = append(names, r.LogicalID)
			}
			switch {
			case scheduled[dir] && len(rules) > 0:
				t.Errorf("%s: matched by %v, want no event rule", s.path(), names)
			case scheduled[dir]:
			case len(rules) != 1:
				t.Errorf("%s: matched by %v, want exactly one rule of %s", s.path(), names, dir)
			case sampleDir(rules[0].Targets[0].FunctionLogicalID) != dir:
				t.Errorf("%s: matched by %s, which targets %s", s.path(), names[0], rules[0].Targets[0].FunctionLogicalID)
			}
		}
	}

	// A schedule rule delivers EventBridge's scheduled event; its samples must look like one.
	for _, rule := range tmpl.ScheduleRules() {
		for _, s := range samples[sampleDir(rule.Targets[0].FunctionLogicalID)] {
			var ev struct {
				DetailType string `json:"detail-type"`
				Source     string
			}
			decode(t, s.body, &ev)
			if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" {
				t.Errorf("%s: detail-type %q from %q, want a Scheduled Event from aws.events", s.path(), ev.DetailType, ev.Source)
			}
		}
	}
}

// The rules deliver exactly the events internal/trail parses: an event name a rule delivers
// that trail cannot read would be parked in the dead-letter queue, and one trail reads that no
// rule delivers is never watched.
func TestRulesDeliverTheEventsTrailParses(t *testing.T) {
	tmpl := projectTemplate(t)
	want := map[string][]string{
		trail.SourceLambda: trail.LambdaActions(),
		trail.SourceEC2:    trail.EC2Actions(),
		trail.SourceKafka:  trail.KafkaActions(),
		trail.SourceMQ:     trail.MQActions(),
		trail.SourceRDS:    trail.RDSActions(),
	}
	got := map[string][]string{}
	for _, rule := range defaultBusRules(tmpl.EventRules()) {
		var pattern struct {
			Source []string
			Detail struct {
				EventSource []string
				EventName   []json.RawMessage
			}
		}
		decode(t, rule.EventPattern, &pattern)
		if len(pattern.Source) != 1 || len(pattern.Detail.EventSource) != 1 ||
			pattern.Detail.EventSource[0] != strings.TrimPrefix(pattern.Source[0], "aws.")+".amazonaws.com" {
			t.Errorf("rule %s: source %v, eventSource %v: want one source and its CloudTrail eventSource", rule.LogicalID, pattern.Source, pattern.Detail.EventSource)
			continue
		}
		source := pattern.Source[0]
		for _, raw := range pattern.Detail.EventName {
			var exact string
			var prefix struct{ Prefix string }
			switch {
			case json.Unmarshal(raw, &exact) == nil:
				got[source] = append(got[source], exact)
			case json.Unmarshal(raw, &prefix) == nil && strings.HasSuffix(prefix.Prefix, "20"):
				// Lambda's API version suffix (20150331) follows the API name.
				got[source] = append(got[source], strings.TrimSuffix(prefix.Prefix, "20"))
			default:
				t.Errorf("rule %s: eventName %s is neither a name nor a name followed by its version prefix", rule.LogicalID, raw)
			}
		}
	}
	for _, source := range slices.Sorted(maps.Keys(want)) {
		if g := slices.Sorted(slices.Values(got[source])); !slices.Equal(g, want[source]) {
			t.Errorf("rules deliver %s events %v, trail parses %v", source, g, want[source])
		}
	}
	for source := range got {
		if _, ok := want[source]; !ok {
			t.Errorf("a rule delivers %s events, which trail does not parse", source)
		}
	}
}

// checkEveryEventNameHasASample fails for each value of the rule's detail.eventName (an exact
// name or a prefix) that no sample exercises.
func checkEveryEventNameHasASample(t *testing.T, rule samtemplate.Rule, samples []sample) {
	t.Helper()
	var pattern struct {
		Detail struct{ EventName []json.RawMessage }
	}
	decode(t, rule.EventPattern, &pattern)
	var names []string
	for _, s := range samples {
		var ev struct{ Detail struct{ EventName string } }
		decode(t, s.body, &ev)
		names = append(names, ev.Detail.EventName)
	}
	for _, raw := range pattern.Detail.EventName {
		var exact string
		var prefix struct{ Prefix string }
		covered := false
		switch {
		case json.Unmarshal(raw, &exact) == nil:
			covered = slices.Contains(names, exact)
		case json.Unmarshal(raw, &prefix) == nil && prefix.Prefix != "":
			covered = slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, prefix.Prefix) })
		default:
			t.Errorf("rule %s: cannot read eventName value %s", rule.LogicalID, raw)
			continue
		}
		if !covered {
			t.Errorf("rule %s matches eventName %s but no sample in its events directory has it: add one", rule.LogicalID, raw)
		}
	}
}

// The samples stand in for real traffic in tests and in local runs: each must be a complete
// EventBridge event, and each CloudTrail record a complete, distinct record.
func TestSamplesAreCompleteEvents(t *testing.T) {
	samples := loadSamples(t)
	seenIDs := map[string]string{}
	versionSuffix := regexp.MustCompile(`20\d{6}(v\d+)?$`)
	for _, dir := range slices.Sorted(maps.Keys(samples)) {
		for _, s := range samples[dir] {
			var ev struct {
				Version    string
				ID         string
				DetailType string `json:"detail-type"`
				Source     string
				Account    string
				Time       string
				Region     string
				Resources  []string
				Detail     map[string]json.RawMessage
			}
			if err := json.Unmarshal(s.body, &ev); err != nil {
				t.Errorf("%s: %v", s.path(), err)
				continue
			}
			if ev.Version != "0" || ev.ID == "" || ev.DetailType == "" || ev.Account != emulator.Account ||
				ev.Region != emulator.Region || ev.Resources == nil || ev.Detail == nil {
				t.Errorf("%s: incomplete envelope: %+v", s.path(), ev)
			}
			if _, err := time.Parse(time.RFC3339, ev.Time); err != nil {
				t.Errorf("%s: time: %v", s.path(), err)
			}
			if ev.DetailType != "AWS API Call via CloudTrail" {
				continue
			}

			var d cloudTrailRecord
			decode(t, s.body, &struct{ Detail *cloudTrailRecord }{&d})
			if d.EventVersion == "" || d.EventTime == "" || d.AWSRegion != ev.Region || d.SourceIPAddress == "" ||
				d.UserAgent == "" || d.EventType != "AwsApiCall" || d.RecipientAccountID != ev.Account ||
				d.EventCategory != "Management" || d.ReadOnly == nil || *d.ReadOnly || d.ManagementEvent == nil ||
				!*d.ManagementEvent || d.UserIdentity.SessionContext.SessionIssuer.Arn == "" {
				t.Errorf("%s: incomplete CloudTrail record: %+v", s.path(), d)
			}
			for _, key := range []string{"requestParameters", "responseElements"} {
				if _, ok := ev.Detail[key]; !ok {
					t.Errorf("%s: detail.%s is missing", s.path(), key)
				}
			}
			if "aws."+strings.TrimSuffix(d.EventSource, ".amazonaws.com") != ev.Source {
				t.Errorf("%s: eventSource %s delivered as source %s", s.path(), d.EventSource, ev.Source)
			}
			if other, dup := seenIDs[d.EventID]; dup || d.EventID == "" {
				t.Errorf("%s: eventID %q is empty or also in %s", s.path(), d.EventID, other)
			}
			seenIDs[d.EventID] = s.path()
			if api := versionSuffix.ReplaceAllString(d.EventName, ""); !strings.HasPrefix(s.name, api+"-") {
				t.Errorf("%s: file name does not start with %s-", s.path(), api)
			}
		}
	}
}

// cloudTrailRecord is the part of a CloudTrail record every sample must carry.
type cloudTrailRecord struct {
	EventVersion, EventID, EventTime, EventSource, EventName string
	AWSRegion                                                string `json:"awsRegion"`
	SourceIPAddress, UserAgent, EventType                    string
	RecipientAccountID                                       string `json:"recipientAccountId"`
	EventCategory                                            string
	ReadOnly                                                 *bool
	ManagementEvent                                          *bool
	UserIdentity                                             struct {
		Type           string
		SessionContext struct {
			SessionIssuer struct{ Arn string }
		}
	}
}

// vpcmedic's own changes (remediation) do not invoke it again: a call made by any session of any
// of its three roles matches no rule, while the very same call by another role, or by an IAM user
// (no role session at all), matches the rule of its function.
func TestRulesSkipOnlyVpcmedicsOwnRoles(t *testing.T) {
	tmpl := projectTemplate(t)
	own := loadSamples(t)[ownChangesDir]
	if len(own) == 0 {
		t.Fatalf("events/%s/ holds no sample", ownChangesDir)
	}
	srv := emulator.Shared(t)
	client := eventbridge.NewFromConfig(srv.MustConfig(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	matching := func(t *testing.T, event []byte) []string {
		t.Helper()
		var names []string
		for _, rule := range defaultBusRules(tmpl.EventRules()) {
			out, err := client.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{
				EventPattern: aws.String(deployedPattern(t, rule)),
				Event:        aws.String(string(event)),
			})
			if err != nil {
				t.Fatalf("TestEventPattern(%s): %v", rule.LogicalID, err)
			}
			if out.Result {
				names = append(names, rule.LogicalID)
			}
		}
		return names
	}

	roles := map[string]bool{}
	for _, s := range own {
		t.Run(s.name, func(t *testing.T) {
			var ev map[string]any
			decode(t, s.body, &ev)
			identity := ev["detail"].(map[string]any)["userIdentity"].(map[string]any)
			issuer := identity["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)
			roles[issuer["arn"].(string)] = true
			if got := matching(t, s.body); len(got) > 0 {
				t.Errorf("made by %s: matched by %v, want no rule", issuer["arn"], got)
			}

			issuer["arn"] = "arn:aws:iam::" + emulator.Account + ":role/PlatformEngineer"
			if got := matching(t, mustJSON(t, ev)); !slices.Equal(got, []string{"OnNetworkChangeFunctionNetworkChange"}) {
				t.Errorf("made by another role: matched by %v, want OnNetworkChangeFunctionNetworkChange", got)
			}
			identity["type"], identity["arn"] = "IAMUser", "arn:aws:iam::"+emulator.Account+":user/dana.kim"
			delete(identity, "sessionContext")
			if got := matching(t, mustJSON(t, ev)); !slices.Equal(got, []string{"OnNetworkChangeFunctionNetworkChange"}) {
				t.Errorf("made by an IAM user: matched by %v, want OnNetworkChangeFunctionNetworkChange", got)
			}
		})
	}
	for _, id := range slices.Sorted(maps.Keys(functionDirs)) {
		if !roles[ownRoleARN(id+"Role")] {
			t.Errorf("no sample in events/%s/ is made by %sRole", ownChangesDir, id)
		}
	}
}

// defaultBusRules are the rules on the default bus, where CloudTrail delivers the account's own
// events; their twins on the hub bus are checked against them (TestHubBusRulesTwinTheDefaultBusRules).
func defaultBusRules(rules []samtemplate.Rule) []samtemplate.Rule {
	return slices.DeleteFunc(slices.Clone(rules), func(r samtemplate.Rule) bool { return !r.OnDefaultBus() })
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
