package samtemplate_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The checks below watch how vpcmedic operates itself: its alarms, the alert topic's key, tags,
// log groups, the sweep schedule and the dashboard. Each check returns the problems it finds in
// a transformed template (as generic JSON), so that the tests can run it on template.yaml and on
// copies broken on purpose.

// cfn is a CloudFormation template, or a part of one, as generic JSON.
type cfn = map[string]any

// alertTopic is where every alarm must send its notifications.
const alertTopic = `{"Fn::If":["CreateAlertTopic",{"Ref":"AlertTopic"},{"Ref":"AlertTopicArn"}]}`

// emittedMetrics is the contract of the figures the functions emit in namespace vpcmedic.
var emittedMetrics = []string{
	"WorkloadsChecked", "WorkloadsBroken", "WorkloadsUnknown", "PagesSent", "PagesFailed",
	"ChangesCreated", "ChangesSkipped", "ChangesFailed", "RunFailed", "RunDuration", "SweepsCompleted",
}

func projectDoc(t *testing.T) cfn {
	t.Helper()
	var doc cfn
	if err := json.Unmarshal(projectTemplate(t).JSON, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// cloneDoc returns a deep copy that a test may break.
func cloneDoc(t *testing.T, doc cfn) cfn {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out cfn
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// compact renders a value as JSON with sorted keys, for comparisons with literals.
func compact(v any) string {
	if v == nil {
		return ""
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

func resourcesOf(doc cfn) map[string]cfn {
	out := map[string]cfn{}
	all, _ := doc["Resources"].(cfn)
	for id, r := range all {
		if res, ok := r.(cfn); ok {
			out[id] = res
		}
	}
	return out
}

func resourcesOfType(doc cfn, typ string) map[string]cfn {
	out := map[string]cfn{}
	for id, res := range resourcesOf(doc) {
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func propsOf(res cfn) cfn {
	p, _ := res["Properties"].(cfn)
	if p == nil {
		return cfn{}
	}
	return p
}

// dig follows keys (and list indexes) into a JSON value; nil when the path does not exist.
func dig(v any, path ...any) any {
	for _, step := range path {
		switch key := step.(type) {
		case string:
			m, ok := v.(cfn)
			if !ok {
				return nil
			}
			v = m[key]
		case int:
			l, ok := v.([]any)
			if !ok || key >= len(l) {
				return nil
			}
			v = l[key]
		}
	}
	return v
}

// ifBranches returns the two branches of {"Fn::If": [condition, a, b]}.
func ifBranches(v any) (condition string, a, b any, ok bool) {
	args, isList := dig(v, "Fn::If").([]any)
	if !isList || len(args) != 3 {
		return "", nil, nil, false
	}
	condition, _ = args[0].(string)
	return condition, args[1], args[2], true
}

// alarmSpec is what an alarm on one metric must look like.
type alarmSpec struct {
	namespace, metric, statistic, comparison, missingData string
	// dimension is the alarm's only dimension; its value is checked by the caller.
	dimension string
}

var functionAlarmSpecs = []alarmSpec{
	{"AWS/Lambda", "Errors", "Sum", "GreaterThanThreshold", "notBreaching", "FunctionName"},
	{"AWS/Lambda", "Throttles", "Sum", "GreaterThanThreshold", "notBreaching", "FunctionName"},
	{"AWS/Lambda", "Duration", "Maximum", "GreaterThanThreshold", "notBreaching", "FunctionName"},
	{"vpcmedic", "PagesFailed", "Sum", "GreaterThanThreshold", "notBreaching", "Function"},
	{"vpcmedic", "ChangesFailed", "Sum", "GreaterThanThreshold", "notBreaching", "Function"},
}

// checkAlarms returns what is wrong with the template's alarms: each must notify the alert topic
// when it fires and when it clears and say how it treats missing data; each function needs its
// alarms, the dead-letter queue and the sweep theirs.
func checkAlarms(doc cfn) []string {
	var problems []string
	alarms := resourcesOfType(doc, "AWS::CloudWatch::Alarm")
	for _, id := range slices.Sorted(maps.Keys(alarms)) {
		p := propsOf(alarms[id])
		for _, key := range []string{"AlarmActions", "OKActions"} {
			actions, _ := p[key].([]any)
			if len(actions) != 1 || compact(actions[0]) != alertTopic {
				problems = append(problems, fmt.Sprintf("alarm %s %s = %s, want [%s]", id, key, compact(p[key]), alertTopic))
			}
		}
		if p["TreatMissingData"] == nil {
			problems = append(problems, fmt.Sprintf("alarm %s leaves TreatMissingData to the default", id))
		}
	}
	// find returns the alarm on metric whose only dimension is named dimension with value want.
	find := func(namespace, metric, dimension, want string) (string, cfn) {
		for _, id := range slices.Sorted(maps.Keys(alarms)) {
			p := propsOf(alarms[id])
			dims, _ := p["Dimensions"].([]any)
			if p["Namespace"] == namespace && p["MetricName"] == metric && len(dims) == 1 &&
				dig(dims[0], "Name") == dimension && compact(dig(dims[0], "Value")) == want {
				return id, p
			}
		}
		return "", nil
	}
	expect := func(spec alarmSpec, id string, p cfn) {
		if p["Statistic"] != spec.statistic || p["ComparisonOperator"] != spec.comparison || p["TreatMissingData"] != spec.missingData {
			problems = append(problems, fmt.Sprintf("alarm %s: statistic %v, comparison %v, missing data %v; want %s, %s, %s",
				id, p["Statistic"], p["ComparisonOperator"], p["TreatMissingData"], spec.statistic, spec.comparison, spec.missingData))
		}
	}
	for _, fn := range slices.Sorted(maps.Keys(functionDirs)) {
		ref := compact(cfn{"Ref": fn})
		for _, spec := range functionAlarmSpecs {
			id, p := find(spec.namespace, spec.metric, spec.dimension, ref)
			if p == nil {
				problems = append(problems, fmt.Sprintf("%s has no %s %s alarm", fn, spec.namespace, spec.metric))
				continue
			}
			expect(spec, id, p)
			switch spec.metric {
			case "Duration":
				problems = append(problems, checkNearTimeout(doc, fn, id, p["Threshold"])...)
			default:
				if compact(p["Threshold"]) != "0" {
					problems = append(problems, fmt.Sprintf("alarm %s threshold = %s, want 0 (any)", id, compact(p["Threshold"])))
				}
			}
		}
	}

	dlq := alarmSpec{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "GreaterThanThreshold", "notBreaching", "QueueName"}
	if id, p := find(dlq.namespace, dlq.metric, dlq.dimension, `{"Fn::GetAtt":["DeadLetterQueue","QueueName"]}`); p == nil {
		problems = append(problems, "no alarm on the DeadLetterQueue's depth")
	} else {
		expect(dlq, id, p)
		if compact(p["Threshold"]) != "0" {
			problems = append(problems, fmt.Sprintf("alarm %s threshold = %s, want 0: any dead letter", id, compact(p["Threshold"])))
		}
	}

	// No data from the sweep means it did not run: that must breach, over two sweep intervals.
	sweep := alarmSpec{"vpcmedic", "SweepsCompleted", "Sum", "LessThanThreshold", "breaching", "Function"}
	if id, p := find(sweep.namespace, sweep.metric, sweep.dimension, `{"Ref":"SweepFunction"}`); p == nil {
		problems = append(problems, "no alarm on a sweep that did not run")
	} else {
		expect(sweep, id, p)
		if compact(p["Period"]) != `{"Ref":"SweepAlarmPeriod"}` || compact(p["EvaluationPeriods"]) != "2" || compact(p["Threshold"]) != "1" {
			problems = append(problems, fmt.Sprintf("alarm %s: period %s over %s periods, threshold %s; want SweepAlarmPeriod over 2, below 1",
				id, compact(p["Period"]), compact(p["EvaluationPeriods"]), compact(p["Threshold"])))
		}
		problems = append(problems, checkSweepAlarmPeriods(doc, 2)...)
	}
	return problems
}

// checkNearTimeout checks that a Duration alarm fires before the function times out, in both
// modes: between 80% and 100% of the function's Timeout (seconds; Fn::If on Remediate).
func checkNearTimeout(doc cfn, fn, alarmID string, threshold any) []string {
	timeout := dig(resourcesOf(doc)[fn], "Properties", "Timeout")
	tc, t1, t2, ok1 := ifBranches(timeout)
	ac, a1, a2, ok2 := ifBranches(threshold)
	if !ok1 || !ok2 || tc != ac {
		return []string{fmt.Sprintf("alarm %s threshold %s does not follow %s's timeout %s", alarmID, compact(threshold), fn, compact(timeout))}
	}
	var problems []string
	for _, pair := range [][2]any{{t1, a1}, {t2, a2}} {
		seconds, _ := pair[0].(float64)
		millis, _ := pair[1].(float64)
		if millis < 0.8*seconds*1000 || millis >= seconds*1000 {
			problems = append(problems, fmt.Sprintf("alarm %s threshold %v ms is not just under the %v s timeout", alarmID, millis, seconds))
		}
	}
	return problems
}

// checkSweepAlarmPeriods checks every allowed SweepAlarmPeriod against what PutMetricAlarm
// accepts: a multiple of 60 s, and Period x EvaluationPeriods at most one day below an hour's
// period, seven days from it.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
func checkSweepAlarmPeriods(doc cfn, evaluationPeriods float64) []string {
	allowed, _ := dig(doc, "Parameters", "SweepAlarmPeriod", "AllowedValues").([]any)
	if len(allowed) == 0 {
		return []string{"parameter SweepAlarmPeriod has no AllowedValues"}
	}
	var problems []string
	for _, v := range allowed {
		period, err := strconv.ParseFloat(fmt.Sprint(v), 64)
		limit := 7 * 86400.0
		if period < 3600 {
			limit = 86400
		}
		if err != nil || period < 60 || int(period)%60 != 0 || period*evaluationPeriods > limit {
			problems = append(problems, fmt.Sprintf("SweepAlarmPeriod allows %v, which CloudWatch refuses over %v periods", v, evaluationPeriods))
		}
	}
	return problems
}

func TestAlarmsNotifyTheAlertTopic(t *testing.T) {
	if problems := checkAlarms(projectDoc(t)); len(problems) > 0 {
		t.Errorf("alarms:\n%s", strings.Join(problems, "\n"))
	}
}

// checkTopicKey returns what keeps CloudWatch alarms or the functions from publishing to the
// encrypted alert topic.
func checkTopicKey(doc cfn) []string {
	var problems []string
	res := resourcesOf(doc)
	topic := res["AlertTopic"]
	key := compact(dig(topic, "Properties", "KmsMasterKeyId"))
	if key != `{"Fn::If":["EncryptAlertTopic",{"Ref":"AlertTopicEncryptionKey"},{"Ref":"AWS::NoValue"}]}` {
		problems = append(problems, "AlertTopic KmsMasterKeyId = "+key+", want the stack's key under EncryptAlertTopic (CloudWatch cannot use alias/aws/sns)")
	}
	if got := compact(dig(doc, "Parameters", "AlertTopicKey", "AllowedValues")); got != `["managed","none"]` {
		problems = append(problems, "parameter AlertTopicKey allows "+got+", want managed and none")
	}
	// The key exists only for a topic the stack creates.
	if got := compact(dig(doc, "Conditions", "EncryptAlertTopic")); !strings.Contains(got, `{"Condition":"CreateAlertTopic"}`) ||
		!strings.Contains(got, `{"Fn::Equals":[{"Ref":"AlertTopicKey"},"managed"]}`) {
		problems = append(problems, "condition EncryptAlertTopic = "+got+", want CreateAlertTopic and AlertTopicKey=managed")
	}
	k, ok := res["AlertTopicEncryptionKey"]
	if !ok || k["Type"] != "AWS::KMS::Key" || k["Condition"] != "EncryptAlertTopic" {
		return append(problems, "no AWS::KMS::Key AlertTopicEncryptionKey under condition EncryptAlertTopic")
	}
	if dig(k, "Properties", "EnableKeyRotation") != true {
		problems = append(problems, "AlertTopicEncryptionKey does not rotate")
	}
	statements, _ := dig(k, "Properties", "KeyPolicy", "Statement").([]any)
	var cloudwatch, publishers bool
	for _, s := range statements {
		if dig(s, "Effect") != "Allow" {
			continue
		}
		actions := compact(dig(s, "Action"))
		canPublish := strings.Contains(actions, `"kms:GenerateDataKey*"`) && strings.Contains(actions, `"kms:Decrypt"`)
		principal := compact(dig(s, "Principal"))
		condition := compact(dig(s, "Condition"))
		switch {
		case principal == `{"Service":"cloudwatch.amazonaws.com"}`:
			cloudwatch = canPublish && strings.Contains(condition, `"aws:SourceAccount":{"Ref":"AWS::AccountId"}`)
		case canPublish && strings.Contains(condition, `"kms:ViaService":{"Fn::Sub":"sns.${AWS::Region}.amazonaws.com"}`):
			publishers = strings.Contains(condition, `"kms:CallerAccount":{"Ref":"AWS::AccountId"}`)
		case actions == `"kms:*"`:
			if principal != `{"AWS":{"Fn::Sub":"arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}` {
				problems = append(problems, "the key policy gives kms:* to "+principal+", not only to the account")
			}
		}
	}
	if !cloudwatch {
		problems = append(problems, "the key policy does not let cloudwatch.amazonaws.com (this account's alarms) use the key")
	}
	if !publishers {
		problems = append(problems, "the key policy does not let this account's publishers use the key through SNS")
	}
	return problems
}

func TestAlertTopicKeyAdmitsCloudWatchAlarms(t *testing.T) {
	if problems := checkTopicKey(projectDoc(t)); len(problems) > 0 {
		t.Errorf("alert topic key:\n%s", strings.Join(problems, "\n"))
	}
}

// mustBeTagged lists the resource types of the template that CloudFormation can tag.
var mustBeTagged = []string{
	"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::DynamoDB::Table",
	"AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::CloudWatch::Alarm",
}

// checkTags returns the resources that do not carry the CostCenter tag from its parameter:
// every resource with Tags, and every resource of a type that can be tagged.
func checkTags(doc cfn) []string {
	var problems []string
	res := resourcesOf(doc)
	for _, id := range slices.Sorted(maps.Keys(res)) {
		tags, hasTags := propsOf(res[id])["Tags"]
		typ, _ := res[id]["Type"].(string)
		if !hasTags && !slices.Contains(mustBeTagged, typ) {
			continue
		}
		list, _ := tags.([]any)
		if !slices.ContainsFunc(list, func(tag any) bool {
			return dig(tag, "Key") == "CostCenter" && compact(dig(tag, "Value")) == `{"Ref":"CostCenter"}`
		}) {
			problems = append(problems, fmt.Sprintf("%s (%s) tags %s lack CostCenter=!Ref CostCenter", id, typ, compact(tags)))
		}
	}
	return problems
}

func TestEveryTaggableResourceCarriesTheTags(t *testing.T) {
	if problems := checkTags(projectDoc(t)); len(problems) > 0 {
		t.Errorf("tags:\n%s", strings.Join(problems, "\n"))
	}
}

// logRetentionDays are the values CloudWatch Logs accepts (PutRetentionPolicy retentionInDays).
var logRetentionDays = []string{"1", "3", "5", "7", "14", "30", "60", "90", "120", "150", "180", "365", "400",
	"545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653"}

// checkLogGroups returns the functions whose log group (/aws/lambda/<name>, where Lambda writes)
// is missing or does not expire its events after LogRetentionDays.
func checkLogGroups(doc cfn) []string {
	var problems []string
	groups := resourcesOfType(doc, "AWS::Logs::LogGroup")
	for _, fn := range slices.Sorted(maps.Keys(functionDirs)) {
		var found bool
		for _, g := range groups {
			if compact(dig(g, "Properties", "LogGroupName")) == compact(cfn{"Fn::Sub": "/aws/lambda/${" + fn + "}"}) {
				found = true
				if got := compact(dig(g, "Properties", "RetentionInDays")); got != `{"Ref":"LogRetentionDays"}` {
					problems = append(problems, fmt.Sprintf("%s's log group keeps events for %s, want LogRetentionDays", fn, got))
				}
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("no log group /aws/lambda/${%s}", fn))
		}
	}
	var allowed []string
	for _, v := range dig(doc, "Parameters", "LogRetentionDays", "AllowedValues").([]any) {
		allowed = append(allowed, fmt.Sprint(v))
	}
	if !slices.Equal(allowed, logRetentionDays) {
		problems = append(problems, fmt.Sprintf("LogRetentionDays allows %v, want what CloudWatch Logs accepts %v", allowed, logRetentionDays))
	}
	return problems
}

func TestLogGroupsExpireTheirEvents(t *testing.T) {
	if problems := checkLogGroups(projectDoc(t)); len(problems) > 0 {
		t.Errorf("log groups:\n%s", strings.Join(problems, "\n"))
	}
}

func TestSweepScheduleAcceptsOnlyScheduleExpressions(t *testing.T) {
	p := projectTemplate(t).Parameters["SweepSchedule"]
	if p.AllowedPattern == "" {
		t.Fatal("SweepSchedule has no AllowedPattern")
	}
	pattern, err := regexp.Compile(p.AllowedPattern)
	if err != nil {
		t.Fatalf("SweepSchedule AllowedPattern %q: %v", p.AllowedPattern, err)
	}
	for _, ok := range []string{p.Default, "rate(1 hour)", "rate(1 minute)", "rate(15 minutes)", "rate(2 days)",
		"cron(0 * * * ? *)", "cron(15 10 ? * 6L 2026)", "cron(0/30 8-17 ? * MON-FRI *)"} {
		if !pattern.MatchString(ok) {
			t.Errorf("SweepSchedule pattern rejects %q", ok)
		}
	}
	// EventBridge wants a singular unit for 1 and a plural one otherwise, and six cron fields.
	for _, bad := range []string{"", "hourly", "1 hour", "rate(1 hours)", "rate(2 hour)", "rate(0 minutes)",
		"rate(hour)", "cron(0 * * * *)", "cron(0 * * * ? * *)", "rate(1 hour) ", " rate(1 hour)", "rate(1 hour)\ncron(0 * * * ? *)"} {
		if pattern.MatchString(bad) {
			t.Errorf("SweepSchedule pattern accepts %q", bad)
		}
	}
}

var subVariable = regexp.MustCompile(`\$\{([^}!]+)\}`)

// dashboardBody returns the dashboard's body with every ${...} replaced by a placeholder: 1 for
// Number parameters and numeric variables (written bare in the JSON), the reference's name for
// everything else (so that one written bare makes the JSON invalid). It also returns what the
// references name that the dashboard cannot rely on.
func dashboardBody(doc cfn) (body string, problems []string) {
	dashboards := resourcesOfType(doc, "AWS::CloudWatch::Dashboard")
	if len(dashboards) != 1 {
		return "", []string{fmt.Sprintf("%d dashboards, want 1", len(dashboards))}
	}
	var dashboard cfn
	for _, d := range dashboards {
		dashboard = d
	}
	sub := dig(dashboard, "Properties", "DashboardBody", "Fn::Sub")
	vars := cfn{}
	if list, ok := sub.([]any); ok && len(list) == 2 {
		sub = list[0]
		vars, _ = list[1].(cfn)
	}
	text, ok := sub.(string)
	if !ok {
		return "", []string{"DashboardBody is not a !Sub of a string: " + compact(dig(dashboard, "Properties", "DashboardBody"))}
	}
	numeric := func(v any) bool {
		if _, ok := v.(float64); ok {
			return true
		}
		_, a, b, ok := ifBranches(v)
		_, aNum := a.(float64)
		_, bNum := b.(float64)
		return ok && aNum && bNum
	}
	resources := resourcesOf(doc)
	body = subVariable.ReplaceAllStringFunc(text, func(m string) string {
		name := subVariable.FindStringSubmatch(m)[1]
		id, _, _ := strings.Cut(name, ".")
		switch v, isVar := vars[name]; {
		case isVar && numeric(v):
			return "1"
		case isVar, strings.HasPrefix(name, "AWS::"):
		case dig(doc, "Parameters", name) != nil:
			if dig(doc, "Parameters", name, "Type") == "Number" {
				return "1"
			}
		case resources[id] != nil:
			// A resource that a condition may leave out cannot be named unconditionally.
			if c := resources[id]["Condition"]; c != nil {
				problems = append(problems, fmt.Sprintf("the dashboard names %s, which exists only under condition %v", name, c))
			}
		default:
			problems = append(problems, "the dashboard names "+name+", which the template does not define")
		}
		return name
	})
	return body, problems
}

// checkDashboard returns what is wrong with the dashboard: its body must be valid JSON once
// substituted, and show the emitted figures and Lambda's and the queue's own for every function.
func checkDashboard(doc cfn) []string {
	body, problems := dashboardBody(doc)
	if body == "" {
		return problems
	}
	var dashboard struct {
		Widgets []struct {
			Type       string
			Properties struct {
				Metrics [][]any
				Alarms  []string
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &dashboard); err != nil {
		return append(problems, fmt.Sprintf("DashboardBody is not valid JSON after substitution: %v\n%s", err, body))
	}
	shown := map[string]bool{} // "namespace metric dimensionValue"
	for _, w := range dashboard.Widgets {
		for _, row := range w.Properties.Metrics {
			if len(row) < 4 {
				problems = append(problems, fmt.Sprintf("metric row %v names no dimension", row))
				continue
			}
			shown[fmt.Sprintf("%v %v %v", row[0], row[1], row[3])] = true
		}
		for _, arn := range w.Properties.Alarms {
			id, _ := strings.CutSuffix(arn, ".Arn")
			if resourcesOf(doc)[id]["Type"] != "AWS::CloudWatch::Alarm" {
				problems = append(problems, "the alarm widget names "+arn+", not an alarm's ARN")
			}
		}
	}
	want := []string{"AWS/SQS ApproximateNumberOfMessagesVisible DeadLetterQueue.QueueName"}
	for _, fn := range slices.Sorted(maps.Keys(functionDirs)) {
		want = append(want, "vpcmedic WorkloadsBroken "+fn, "vpcmedic PagesFailed "+fn, "vpcmedic ChangesFailed "+fn,
			"AWS/Lambda Errors "+fn, "AWS/Lambda Throttles "+fn, "AWS/Lambda Duration "+fn)
	}
	for _, m := range emittedMetrics {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(shown)), func(k string) bool { return strings.HasPrefix(k, "vpcmedic "+m+" ") }) {
			want = append(want, "vpcmedic "+m+" (any function)")
		}
	}
	for _, w := range want {
		if !shown[w] {
			problems = append(problems, "the dashboard does not show "+w)
		}
	}
	for k := range shown {
		if ns, rest, _ := strings.Cut(k, " "); ns == "vpcmedic" && !slices.Contains(emittedMetrics, strings.Fields(rest)[0]) {
			problems = append(problems, "the dashboard shows "+k+", which no function emits")
		}
	}
	slices.Sort(problems)
	return problems
}

func TestDashboardBodyIsValidJSONAndShowsTheFigures(t *testing.T) {
	if problems := checkDashboard(projectDoc(t)); len(problems) > 0 {
		t.Errorf("dashboard:\n%s", strings.Join(problems, "\n"))
	}
}

// checkKnobs returns what is wrong with reserved concurrency, the on-failure destination and the
// parameter groups of the console.
func checkKnobs(doc cfn) []string {
	var problems []string
	for _, fn := range slices.Sorted(maps.Keys(functionDirs)) {
		// A reserved concurrency of zero would stop the function: 0 must mean none.
		got := compact(dig(resourcesOf(doc)[fn], "Properties", "ReservedConcurrentExecutions"))
		if got != `{"Fn::If":["ReserveConcurrency",{"Ref":"ReservedConcurrency"},{"Ref":"AWS::NoValue"}]}` {
			problems = append(problems, fmt.Sprintf("%s ReservedConcurrentExecutions = %s", fn, got))
		}
		var destination string
		for _, cfg := range resourcesOfType(doc, "AWS::Lambda::EventInvokeConfig") {
			if compact(dig(cfg, "Properties", "FunctionName")) == compact(cfn{"Ref": fn}) {
				destination = compact(dig(cfg, "Properties", "DestinationConfig", "OnFailure", "Destination"))
			}
		}
		// The invocation record keeps the error; the dead-letter message only the event.
		if destination != `{"Fn::GetAtt":["DeadLetterQueue","Arn"]}` {
			problems = append(problems, fmt.Sprintf("%s on-failure destination = %q, want the DeadLetterQueue", fn, destination))
		}
	}
	if got := compact(dig(doc, "Conditions", "ReserveConcurrency")); got != `{"Fn::Not":[{"Fn::Equals":[{"Ref":"ReservedConcurrency"},0]}]}` {
		problems = append(problems, "condition ReserveConcurrency = "+got)
	}

	// Every parameter sits in one console group and has a label.
	grouped := map[string]int{}
	groups, _ := dig(doc, "Metadata", "AWS::CloudFormation::Interface", "ParameterGroups").([]any)
	for _, g := range groups {
		params, _ := dig(g, "Parameters").([]any)
		for _, p := range params {
			grouped[fmt.Sprint(p)]++
		}
	}
	params, _ := doc["Parameters"].(cfn)
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if grouped[name] != 1 {
			problems = append(problems, fmt.Sprintf("parameter %s is in %d parameter groups, want 1", name, grouped[name]))
		}
		if dig(doc, "Metadata", "AWS::CloudFormation::Interface", "ParameterLabels", name, "default") == nil {
			problems = append(problems, "parameter "+name+" has no label")
		}
		delete(grouped, name)
	}
	for name := range grouped {
		problems = append(problems, "parameter group names "+name+", which is no parameter")
	}
	return problems
}

func TestConcurrencyDestinationsAndParameterGroups(t *testing.T) {
	if problems := checkKnobs(projectDoc(t)); len(problems) > 0 {
		t.Errorf("operational knobs:\n%s", strings.Join(problems, "\n"))
	}
}

// Each check must notice the template broken in the way it guards against.
func TestOperationsChecksCatchBrokenTemplates(t *testing.T) {
	doc := projectDoc(t)
	props := func(d cfn, id string) cfn { return propsOf(resourcesOf(d)[id]) }
	firstOfType := func(d cfn, typ string) string {
		return slices.Sorted(maps.Keys(resourcesOfType(d, typ)))[0]
	}
	dashboardSub := func(d cfn) []any {
		return dig(props(d, firstOfType(d, "AWS::CloudWatch::Dashboard")), "DashboardBody", "Fn::Sub").([]any)
	}
	tests := []struct {
		name   string
		check  func(cfn) []string
		mutate func(d cfn)
	}{
		{"alarm without OKActions", checkAlarms, func(d cfn) {
			delete(props(d, "SweepFunctionErrorsAlarm"), "OKActions")
		}},
		{"alarm notifying another topic", checkAlarms, func(d cfn) {
			props(d, "DeadLetterQueueAlarm")["AlarmActions"] = []any{"arn:aws:sns:us-east-1:123456789012:other"}
		}},
		{"no dead-letter queue alarm", checkAlarms, func(d cfn) {
			delete(d["Resources"].(cfn), "DeadLetterQueueAlarm")
		}},
		{"missed sweep not breaching", checkAlarms, func(d cfn) {
			props(d, "SweepMissedAlarm")["TreatMissingData"] = "notBreaching"
		}},
		{"duration alarm past the timeout", checkAlarms, func(d cfn) {
			props(d, "OnNetworkChangeFunctionDurationAlarm")["Threshold"] = cfn{"Fn::If": []any{"Remediate", 300000, 120000}}
		}},
		{"sweep period CloudWatch refuses", checkAlarms, func(d cfn) {
			p := dig(d, "Parameters", "SweepAlarmPeriod").(cfn)
			p["AllowedValues"] = append(p["AllowedValues"].([]any), 345600)
		}},
		{"topic on the AWS managed key", checkTopicKey, func(d cfn) {
			props(d, "AlertTopic")["KmsMasterKeyId"] = "alias/aws/sns"
		}},
		{"key policy without CloudWatch", checkTopicKey, func(d cfn) {
			policy := dig(props(d, "AlertTopicEncryptionKey"), "KeyPolicy").(cfn)
			policy["Statement"] = slices.DeleteFunc(policy["Statement"].([]any), func(s any) bool {
				return compact(dig(s, "Principal")) == `{"Service":"cloudwatch.amazonaws.com"}`
			})
		}},
		{"untagged log group", checkTags, func(d cfn) {
			delete(props(d, "SweepFunctionLogGroup"), "Tags")
		}},
		{"tag from a literal", checkTags, func(d cfn) {
			props(d, "DeadLetterQueue")["Tags"] = []any{cfn{"Key": "CostCenter", "Value": "vpcmedic"}}
		}},
		{"log group without retention", checkLogGroups, func(d cfn) {
			delete(props(d, "OnLambdaChangeFunctionLogGroup"), "RetentionInDays")
		}},
		{"log group of another name", checkLogGroups, func(d cfn) {
			props(d, "SweepFunctionLogGroup")["LogGroupName"] = "vpcmedic-sweep"
		}},
		{"dashboard with a bare string", checkDashboard, func(d cfn) {
			sub := dashboardSub(d)
			sub[0] = strings.Replace(sub[0].(string), `"${AWS::Region}"`, `${AWS::Region}`, 1)
		}},
		{"dashboard naming a conditional alarm", checkDashboard, func(d cfn) {
			sub := dashboardSub(d)
			sub[0] = strings.Replace(sub[0].(string), "${SweepMissedAlarm.Arn}", "${SweepFunctionChangesFailedAlarm.Arn}", 1)
		}},
		{"dashboard without the dead-letter queue", checkDashboard, func(d cfn) {
			sub := dashboardSub(d)
			sub[0] = strings.ReplaceAll(sub[0].(string), "ApproximateNumberOfMessagesVisible", "NumberOfMessagesSent")
		}},
		{"reserved concurrency of zero", checkKnobs, func(d cfn) {
			props(d, "SweepFunction")["ReservedConcurrentExecutions"] = cfn{"Ref": "ReservedConcurrency"}
		}},
		{"ungrouped parameter", checkKnobs, func(d cfn) {
			d["Parameters"].(cfn)["Extra"] = cfn{"Type": "String"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := cloneDoc(t, doc)
			tt.mutate(broken)
			if problems := tt.check(broken); len(problems) == 0 {
				t.Errorf("the check found nothing wrong with a template with %s", tt.name)
			} else {
				first, _, _ := strings.Cut(problems[0], "\n")
				t.Logf("found: %s", first)
			}
		})
	}
}

// Production starts in remediate mode as a dry run, with somebody subscribed to the alerts.
func TestProdDeploymentStartsAsADryRunWithSubscribers(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	_, prod, found := strings.Cut(string(raw), "\n[prod.deploy.parameters]\n")
	if !found {
		t.Fatal("samconfig.toml has no [prod.deploy.parameters]")
	}
	prod, _, _ = strings.Cut(prod, "\n[")
	overrides := regexp.MustCompile(`(?m)^parameter_overrides = "(.*)"$`).FindStringSubmatch(prod)
	if overrides == nil {
		t.Fatal("[prod.deploy.parameters] has no parameter_overrides")
	}
	params := strings.Fields(overrides[1])
	for _, want := range []string{"Mode=remediate", "DryRun=true"} {
		if !slices.Contains(params, want) {
			t.Errorf("[prod] parameter_overrides %q lack %s", overrides[1], want)
		}
	}
	if !slices.ContainsFunc(params, func(p string) bool {
		return strings.HasPrefix(p, "AlertEmail=") || strings.HasPrefix(p, "AlertTopicArn=")
	}) {
		t.Errorf("[prod] parameter_overrides %q subscribe nobody (AlertEmail or AlertTopicArn)", overrides[1])
	}
	if !strings.Contains(prod, "DryRun=false") {
		t.Error("[prod] does not say to deploy with DryRun=false after the review")
	}
}
