package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcmedic/vpcmedic/internal/config"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

const testTopic = "arn:aws:sns:us-east-1:123456789012:vpcmedic-alerts"

// sweepOf is a NAT gateway deletion breaking n workloads, each with about
// 2 KB of alert text: two services unreachable in three zones, fixes and
// a recommendation.
func sweepOf(n int) report.Report {
	r := brokenReport()
	r.Workloads, r.Changes = nil, nil
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	for i := range n {
		id := fmt.Sprintf("3f1c-%04d", i)
		w := report.Workload{Kind: "kafka-esm", ID: id, Name: fmt.Sprintf("consumer-%04d <- MSK orders é", i), Status: report.StatusBroken, VPCID: "vpc-1",
			Recommendations: []string{"Alternatively, switch the mapping to provisioned mode, which polls from Lambda's own network and needs no path from the cluster's subnets."}}
		for _, svc := range []string{"sts", "lambda"} {
			for _, az := range zones {
				w.Findings = append(w.Findings, report.Finding{Check: "service-path", Severity: report.SeverityError, AZ: az, Service: svc,
					Message: fmt.Sprintf("cannot reach %s in %s: route table rtb-0123456789abcdef0 of subnet subnet-0%x%s sends 0.0.0.0/0 to nat-0aaaabbbbccccdddd, which is deleted", svc, az, i, az[len(az)-1:])})
			}
		}
		r.Workloads = append(r.Workloads, w)
		r.Changes = append(r.Changes,
			report.Change{Action: "create-interface-endpoint", Target: "vpc-1", Status: report.ChangePlanned, Workload: id, Reason: "create a sts interface endpoint", MonthlyCostUSD: 21.9,
				Command: "aws ec2 create-vpc-endpoint --vpc-id vpc-1 --vpc-endpoint-type Interface --service-name com.amazonaws.us-east-1.sts --subnet-ids subnet-a subnet-b subnet-c --security-group-ids sg-1"},
			report.Change{Action: "create-interface-endpoint", Target: "vpc-1", Status: report.ChangePlanned, Workload: id, Reason: "create a lambda interface endpoint", MonthlyCostUSD: 21.9,
				Command: "aws ec2 create-vpc-endpoint --vpc-id vpc-1 --vpc-endpoint-type Interface --service-name com.amazonaws.us-east-1.lambda --subnet-ids subnet-a subnet-b subnet-c --security-group-ids sg-1"})
	}
	return r
}

// published sends r through a notifier with a fake SNS and returns the
// publish input, the per-protocol bodies and what was logged.
func published(t *testing.T, r report.Report) (*sns.PublishInput, map[string]string, string) {
	t.Helper()
	f := &fakeSNS{}
	var logged bytes.Buffer
	n := &Notifier{SNS: f, TopicARN: testTopic, Log: slog.New(slog.NewJSONHandler(&logged, nil))}
	if _, err := n.Send(t.Context(), config.ModeAlarm, r); err != nil {
		t.Fatal(err)
	}
	if len(f.published) != 1 {
		t.Fatalf("published %d messages, want 1", len(f.published))
	}
	in := f.published[0]
	if aws.ToString(in.MessageStructure) != "json" {
		t.Errorf("message structure %q, want json", aws.ToString(in.MessageStructure))
	}
	var bodies map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &bodies); err != nil {
		t.Fatalf("message is not a JSON object of strings: %v", err)
	}
	if _, ok := bodies["default"]; !ok {
		t.Error(`message has no "default" key`)
	}
	return in, bodies, logged.String()
}

func TestAlertOf500BrokenWorkloads(t *testing.T) {
	r := sweepOf(500)
	if size := len(Body(r)); size < 2*maxPublish {
		t.Fatalf("fixture too small to test the limit: %d bytes of text", size)
	}
	in, bodies, logged := published(t, r)

	if size := len(aws.ToString(in.Message)) + attributesSize(in.MessageAttributes); size > maxPublish {
		t.Errorf("message of %d bytes with its attributes, SNS takes %d", size, maxPublish)
	}
	if s := aws.ToString(in.Subject); len(s) >= 100 || !strings.HasSuffix(s, "and 499 more") {
		t.Errorf("subject %q (%d characters)", s, len(s))
	}
	if sms := bodies["sms"]; utf8.RuneCountInString(sms) > maxSMS || len(sms) > maxSMS ||
		!strings.Contains(sms, "500 workloads broken") || !strings.Contains(sms, "sts (service-path): 500 workloads in us-east-1a, us-east-1b, us-east-1c") ||
		!strings.Contains(sms, "consumer-0000 <- MSK orders") || !strings.Contains(sms, "more.") {
		t.Errorf("sms of %d characters:\n%s", utf8.RuneCountInString(sms), sms)
	}

	email := bodies["email"]
	for _, want := range []string{
		"500 workloads broken",
		"- sts (service-path): 500 workloads in us-east-1a, us-east-1b, us-east-1c\n",
		"- lambda (service-path): 500 workloads in us-east-1a, us-east-1b, us-east-1c\n",
		"BROKEN: kafka-esm consumer-0000 <- MSK orders é (3f1c-0000)",
		"more workloads.\n",
		"The full report is logged by the run that sent this alert",
	} {
		if !strings.Contains(email, want) {
			t.Errorf("email lacks %q", want)
		}
	}
	if !strings.HasSuffix(email, ".\n") {
		t.Errorf("email does not end with a whole line: %q", email[max(0, len(email)-200):])
	}

	var machine machineAlert
	if err := json.Unmarshal([]byte(bodies["default"]), &machine); err != nil {
		t.Fatalf("default body is not JSON: %v", err)
	}
	if machine.Report != nil || machine.Summary.Broken != 500 || machine.FullReport == "" ||
		len(machine.Summary.Workloads)+machine.Summary.MoreWorkloads != 500 || len(machine.Summary.Causes) != 2 {
		t.Errorf("summary %+v, full report %q: want 500 broken in 2 causes and where the report is", machine.Summary, machine.FullReport)
	}

	if got := strings.Count(logged, `"workload":{`); got != 500 {
		t.Errorf("logged %d workloads of the summarised report, want 500", got)
	}
}

func TestChatNotification(t *testing.T) {
	for _, r := range []report.Report{brokenReport(), sweepOf(500)} {
		_, bodies, _ := published(t, r)
		var chat chatNotice
		if err := json.Unmarshal([]byte(bodies["https"]), &chat); err != nil {
			t.Fatalf("https body is not JSON: %v", err)
		}
		if chat.Version != "1.0" || chat.Source != "custom" || chat.Content.TextType != "client-markdown" ||
			!strings.HasPrefix(chat.Content.Title, "vpcmedic: BROKEN consumer") || chat.Metadata.EventType != KindBroken {
			t.Errorf("chat notification %+v", chat)
		}
		if d := chat.Content.Description; len(d) > maxChatDescription || !strings.HasSuffix(d, "\n") || !strings.Contains(d, "sts (service-path)") {
			t.Errorf("description of %d bytes:\n%s", len(d), d)
		}
		if len(chat.Content.NextSteps) == 0 || !strings.Contains(chat.Content.NextSteps[0], "`aws ec2 create-vpc-endpoint --vpc-id vpc-1") {
			t.Errorf("next steps %q, want the cheapest fix's command", chat.Content.NextSteps)
		}
	}
}

func TestOneWorkloadAlertReadsAsToday(t *testing.T) {
	r := brokenReport()
	in, bodies, logged := published(t, r)
	if bodies["email"] != Body(r) {
		t.Errorf("email differs from the alert body:\n%s", bodies["email"])
	}
	var machine machineAlert
	if err := json.Unmarshal([]byte(bodies["default"]), &machine); err != nil {
		t.Fatal(err)
	}
	if machine.Report == nil || len(machine.Report.Workloads) != 2 || machine.FullReport != "" ||
		!strings.Contains(machine.Text, "- sts (service-path) in us-east-1a, us-east-1b") || strings.Contains(machine.Text, "JSON report") {
		t.Errorf("default body %s: want the whole report and the text", bodies["default"])
	}
	if logged != "" {
		t.Errorf("a report that fits the message is logged:\n%s", logged)
	}
	want := map[string]string{"severity": "critical", "account": "123456789012", "region": "us-east-1", "kind": "broken", "mode": "alarm"}
	if len(in.MessageAttributes) != len(want) {
		t.Errorf("%d attributes, want %d", len(in.MessageAttributes), len(want))
	}
	for name, value := range want {
		a, ok := in.MessageAttributes[name]
		if !ok || aws.ToString(a.DataType) != "String" || aws.ToString(a.StringValue) != value {
			t.Errorf("attribute %s = %+v, want String %q", name, a, value)
		}
	}
}

func TestAttributes(t *testing.T) {
	fixed := brokenReport()
	fixed.Mode = config.ModeRemediate
	fixed.Workloads[0].Before, fixed.Workloads[0].Status = report.StatusBroken, report.StatusOK
	fixed.Changes[0].Status = report.ChangeCreated
	failed := fixed
	failed.Changes = []report.Change{{Status: report.ChangeFailed}}
	recovered := brokenReport()
	recovered.Workloads = recovered.Workloads[:1]
	recovered.Workloads[0].Status, recovered.Workloads[0].Problem = report.StatusOK, "recovered"
	noAccount := brokenReport()
	noAccount.Trigger.Account = ""
	tests := []struct {
		name           string
		r              report.Report
		severity, kind string
	}{
		{"broken", brokenReport(), SeverityCritical, KindBroken},
		{"fixed", fixed, SeverityInfo, KindFixed},
		{"a change failed", failed, SeverityWarning, KindFixed},
		{"recovered", recovered, SeverityInfo, KindRecovered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := messageAttributes(tt.r)
			if got := aws.ToString(attrs["severity"].StringValue); got != tt.severity {
				t.Errorf("severity %q, want %q", got, tt.severity)
			}
			if got := aws.ToString(attrs["kind"].StringValue); got != tt.kind {
				t.Errorf("kind %q, want %q", got, tt.kind)
			}
		})
	}
	if _, ok := messageAttributes(noAccount)["account"]; ok {
		t.Error("an empty account is sent as an attribute: SNS refuses empty values")
	}
}

func TestReasonsSayEachCauseOnce(t *testing.T) {
	err := func(az, msg string) report.Finding {
		return report.Finding{Severity: report.SeverityError, AZ: az, Message: msg}
	}
	tests := []struct {
		name     string
		findings []report.Finding
		want     []string
	}{
		{"zones of one message", []report.Finding{err("us-east-1a", "no route to sts in us-east-1a"), err("us-east-1b", "no route to sts in us-east-1b")},
			[]string{"no route to sts in us-east-1a, us-east-1b"}},
		{"different evidence stays apart", []report.Finding{err("us-east-1a", "nat-1 deleted in us-east-1a"), err("us-east-1b", "nat-2 deleted in us-east-1b")},
			[]string{"nat-1 deleted in us-east-1a", "nat-2 deleted in us-east-1b"}},
		{"the same sentence without a zone", []report.Finding{err("", "role cannot call sts"), err("", "role cannot call sts")},
			[]string{"role cannot call sts"}},
		{"warnings are not reasons", []report.Finding{{Severity: report.SeverityWarning, Message: "crosses zones"}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reasons(tt.findings, isError)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("reasons = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFitItemsKeepsWholeItems(t *testing.T) {
	items := []string{"alpha", "bravo", "charlie"}
	tests := []struct {
		limit int
		want  string
	}{
		{100, " W: alpha, bravo, charlie."},
		{24, " W: alpha and 2 more."},
		{10, " W: 3."},
		{3, ""},
	}
	for _, tt := range tests {
		if got := fitItems(" W: ", items, ", ", "", tt.limit); got != tt.want {
			t.Errorf("fitItems(limit %d) = %q, want %q", tt.limit, got, tt.want)
		}
	}
}

func TestWholeLines(t *testing.T) {
	s := strings.Repeat("line of text\n", 10)
	if got := wholeLines(s, len(s)); got != s {
		t.Errorf("a text that fits is changed: %q", got)
	}
	got := wholeLines(s, 100)
	if !strings.HasPrefix(got, strings.Repeat("line of text\n", 4)+"\n(and 6 more lines") || !strings.HasSuffix(got, ")\n") || len(got) > 100 {
		t.Errorf("wholeLines = %q (%d bytes)", got, len(got))
	}
}

func TestReportLocationNamesTheLogStreamAndRequest(t *testing.T) {
	if got := reportLocation(t.Context()); !strings.Contains(got, "logged by the run") || !strings.Contains(got, `"alert report"`) {
		t.Errorf("outside Lambda: %q", got)
	}
	t.Setenv("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/vpcmedic-sweep")
	t.Setenv("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/02/[$LATEST]abc")
	ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	got := reportLocation(ctx)
	for _, want := range []string{"/aws/lambda/vpcmedic-sweep", "2026/12/02/[$LATEST]abc", "request ID req-1", `"alert report"`} {
		if !strings.Contains(got, want) {
			t.Errorf("in Lambda: %q lacks %q", got, want)
		}
	}
}

// Every JSON alert of a run carries the event's ID, the same when a retry
// of the run sends it again, so a receiver can drop the repeat; the large
// report's summary form carries it too.
func TestJSONAlertCarriesTheEventIDOfItsRun(t *testing.T) {
	for name, r := range map[string]report.Report{"whole report": brokenReport(), "summary": sweepOf(500)} {
		r.Trigger.EventID = "5f3b1e2a-7c4d-4e8f-9a0b-1c2d3e4f5a6b"
		ids := map[string]bool{}
		for range 2 {
			_, bodies, _ := published(t, r)
			// SQS, Lambda and the others take the default body; HTTPS
			// the chat notification, whose id is the event's too.
			var machine machineAlert
			var chat chatNotice
			if err := json.Unmarshal([]byte(bodies["default"]), &machine); err != nil {
				t.Fatalf("%s: default body: %v", name, err)
			}
			if err := json.Unmarshal([]byte(bodies["https"]), &chat); err != nil {
				t.Fatalf("%s: https body: %v", name, err)
			}
			ids[machine.ID], ids[chat.ID] = true, true
		}
		if len(ids) != 1 || !ids[r.Trigger.EventID] {
			t.Errorf("%s: alert IDs %v, want only the event's", name, ids)
		}
	}
}
