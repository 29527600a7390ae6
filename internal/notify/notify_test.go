package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcmedic/vpcmedic/internal/config"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

func workload(name string, status, before report.Status) report.Workload {
	return report.Workload{Kind: report.KindKafkaESM, ID: "uuid-" + name, Name: name, Status: status, Before: before, Findings: []report.Finding{}}
}

func reportOf(changes []report.Change, workloads ...report.Workload) report.Report {
	return report.Report{Workloads: workloads, Changes: changes}
}

func change(status string) []report.Change {
	return []report.Change{{Action: "create-vpc-endpoint", Target: "vpc-1", Status: status, Reason: "no path to sts"}}
}

// pendingFix is a workload fixed by an endpoint vpcmedic created that is
// still pending: unverified by its own change only.
func pendingFix(name string) report.Workload {
	w := workload(name, report.StatusUnknown, report.StatusBroken)
	for _, az := range []string{"us-east-1a", "us-east-1b"} {
		w.Findings = append(w.Findings, report.Finding{Check: "service-path", Severity: report.SeverityInfo, AZ: az, Service: "sts",
			Message:    name + " in " + az + " has no verified path to sts: vpcmedic's own sts endpoint vpce-1 is still being created (pending)",
			Unverified: true, InProgress: true})
	}
	return w
}

func TestFixWaitingOnItsOwnEndpointIsInProgressNotFixed(t *testing.T) {
	r := reportOf(change(report.ChangeCreated), pendingFix("orders"), workload("billing", report.StatusOK, report.StatusBroken))
	r.Mode = config.ModeRemediate
	if got, want := Subject(r), "vpcmedic: fix in progress for orders"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	if got := alertKind(r); got != KindInProgress {
		t.Errorf("kind %q, want %q", got, KindInProgress)
	}
	if !ShouldAlert(config.ModeRemediate, r) {
		t.Error("a fix in progress is not paged")
	}
	text := humanText(r)
	for _, want := range []string{
		"FIX IN PROGRESS (was BROKEN): kafka-esm orders",
		"IN PROGRESS (the sweep re-checks it",
		"- orders in us-east-1a, us-east-1b has no verified path to sts: vpcmedic's own sts endpoint vpce-1 is still being created (pending)\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("alert text lacks %q:\n%s", want, text)
		}
	}

	if s := summarise(r, detail{full: true}); s.InProgress != 1 || s.Fixed != 1 {
		t.Errorf("summary counts %d in progress and %d fixed, want 1 and 1", s.InProgress, s.Fixed)
	}
	if sms := smsText(r); !strings.Contains(sms, "1 fixed, 1 fix in progress") {
		t.Errorf("sms %q does not count the fix in progress", sms)
	}

	// Unverified for another reason as well: not only waiting on vpcmedic.
	other := pendingFix("payments")
	other.Findings = append(other.Findings, report.Finding{Check: "service-path", Severity: report.SeverityInfo, Unverified: true,
		Message: "the route leaves through transit gateway tgw-1"})
	if other.FixInProgress() {
		t.Error("a workload unverified also through a transit gateway counts as a fix in progress")
	}
	if w := workload("x", report.StatusUnknown, ""); w.FixInProgress() {
		t.Error("a workload never found broken counts as a fix in progress")
	}
}

func TestShouldAlert(t *testing.T) {
	tests := []struct {
		name string
		mode string
		r    report.Report
		want bool
	}{
		{"broken in alarm mode", config.ModeAlarm, reportOf(nil, workload("orders", report.StatusBroken, "")), true},
		{"broken among healthy ones in alarm mode", config.ModeAlarm,
			reportOf(nil, workload("a", report.StatusOK, ""), workload("b", report.StatusBroken, ""), workload("c", report.StatusUnknown, "")), true},
		{"unknown alone in alarm mode", config.ModeAlarm, reportOf(nil, workload("orders", report.StatusUnknown, "")), false},
		{"unknown alone in remediate mode", config.ModeRemediate, reportOf(nil, workload("orders", report.StatusUnknown, "")), false},
		{"healthy in alarm mode", config.ModeAlarm, reportOf(nil, workload("orders", report.StatusOK, "")), false},
		{"nothing checked", config.ModeRemediate, reportOf(nil), false},
		{"planned change in alarm mode, nothing broken", config.ModeAlarm, reportOf(change(report.ChangePlanned), workload("orders", report.StatusUnknown, "")), false},
		{"broken, still broken after remediation", config.ModeRemediate, reportOf(change(report.ChangeFailed), workload("orders", report.StatusBroken, report.StatusBroken)), true},
		{"fixed by remediation", config.ModeRemediate, reportOf(change(report.ChangeCreated), workload("orders", report.StatusOK, report.StatusBroken)), true},
		{"fixed, the change already there", config.ModeRemediate, reportOf(change(report.ChangeUnchanged), workload("orders", report.StatusOK, report.StatusBroken)), true},
		{"change created in remediate mode", config.ModeRemediate, reportOf(change(report.ChangeCreated), workload("orders", report.StatusOK, report.StatusOK)), true},
		{"change failed in remediate mode", config.ModeRemediate, reportOf(change(report.ChangeFailed), workload("orders", report.StatusUnknown, "")), true},
		{"changes unchanged or skipped in remediate mode", config.ModeRemediate,
			reportOf(append(change(report.ChangeUnchanged), change(report.ChangeSkipped)...), workload("orders", report.StatusOK, report.StatusOK)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShouldAlert(tt.mode, tt.r); got != tt.want {
				t.Errorf("ShouldAlert(%s) = %v, want %v", tt.mode, got, tt.want)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	var many []report.Workload
	for i := range 40 {
		many = append(many, workload(fmt.Sprintf("a-very-long-function-name-of-the-payments-platform-%02d <- MSK payments-cluster-%02d", i, i), report.StatusBroken, ""))
	}
	long := strings.Repeat("x", 140)
	tests := []struct {
		name     string
		r        report.Report
		want     string // exact, when set
		prefix   string
		suffix   string
		contains string
	}{
		{name: "one broken", r: reportOf(nil, workload("orders", report.StatusBroken, ""), workload("billing", report.StatusOK, "")),
			want: "vpcmedic: BROKEN orders"},
		{name: "several broken", r: reportOf(nil, workload("orders", report.StatusBroken, ""), workload("billing", report.StatusBroken, "")),
			want: "vpcmedic: BROKEN orders and 1 more"},
		{name: "broken without a name uses the ID", r: reportOf(nil, report.Workload{ID: "3f1c8a52", Status: report.StatusBroken}),
			want: "vpcmedic: BROKEN 3f1c8a52"},
		{name: "fixed", r: reportOf(change(report.ChangeCreated), workload("orders", report.StatusOK, report.StatusBroken)),
			want: "vpcmedic: fixed orders"},
		{name: "broken wins over fixed", r: reportOf(nil, workload("orders", report.StatusOK, report.StatusBroken), workload("billing", report.StatusBroken, report.StatusBroken)),
			want: "vpcmedic: BROKEN billing"},
		{name: "changes only", r: reportOf(append(change(report.ChangeCreated), change(report.ChangeCreated)...), workload("orders", report.StatusOK, report.StatusOK)),
			want: "vpcmedic: 2 changes made"},
		{name: "many long names", r: reportOf(nil, many...), prefix: "vpcmedic: BROKEN a-very-long-function-name"},
		{name: "one name longer than a subject", r: reportOf(nil, workload(long, report.StatusBroken, "")), prefix: "vpcmedic: BROKEN xxx"},
		{name: "a name just under the limit", r: reportOf(nil, workload(strings.Repeat("y", 100-len("vpcmedic: BROKEN ")), report.StatusBroken, "")), prefix: "vpcmedic: BROKEN yyy"},
		// In an organisation the report names the event's account.
		{name: "the account of an organisation", r: named(reportOf(nil, workload("orders", report.StatusBroken, ""), workload("billing", report.StatusBroken, "")), "payments-prod"),
			want: "vpcmedic: BROKEN orders and 1 more in payments-prod"},
		{name: "the account of changes only", r: named(reportOf(change(report.ChangeCreated), workload("orders", report.StatusOK, report.StatusOK)), "payments-prod"),
			want: "vpcmedic: 1 changes made in payments-prod"},
		{name: "long names keep the count and the account", r: named(reportOf(nil, many...), strings.Repeat("z", 50)),
			prefix: "vpcmedic: BROKEN a-very-long-function-name", suffix: " and 39 more in " + strings.Repeat("z", 29) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Subject(tt.r)
			// SNS: "Subjects must be ... less than 100 characters long."
			if len(got) >= 100 {
				t.Errorf("subject has %d characters, SNS takes fewer than 100: %q", len(got), got)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("subject %q, want %q", got, tt.want)
			}
			if !strings.HasPrefix(got, tt.prefix) {
				t.Errorf("subject %q, want it to start with %q", got, tt.prefix)
			}
			if !strings.HasSuffix(got, tt.suffix) {
				t.Errorf("subject %q, want it to end with %q", got, tt.suffix)
			}
		})
	}
}

// named is r as a hub of an organisation reports it: with its account's name.
func named(r report.Report, account string) report.Report {
	r.Trigger.Account, r.AccountName = "210987654321", account
	return r
}

// fakeSNS records what is published.
type fakeSNS struct {
	published []*sns.PublishInput
	err       error
}

var _ SNS = (*fakeSNS)(nil)

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.published = append(f.published, in)
	return &sns.PublishOutput{MessageId: aws.String("msg-1")}, nil
}

func TestSend(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:123456789012:vpcmedic-alerts"
	broken := reportOf(nil, workload("orders\u00e9\nconsumer", report.StatusBroken, ""))
	broken.Mode = config.ModeAlarm

	t.Run("broken report is published once with a clean subject", func(t *testing.T) {
		f := &fakeSNS{}
		alert, err := (&Notifier{SNS: f, TopicARN: topic}).Send(t.Context(), config.ModeAlarm, broken)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.published) != 1 {
			t.Fatalf("published %d messages, want 1", len(f.published))
		}
		in := f.published[0]
		if aws.ToString(in.TopicArn) != topic {
			t.Errorf("topic %s, want %s", aws.ToString(in.TopicArn), topic)
		}
		if s := aws.ToString(in.Subject); strings.ContainsAny(s, "\n\u00e9") || !strings.HasPrefix(s, "vpcmedic: BROKEN orders") {
			t.Errorf("subject %q: want printable ASCII naming the workload", s)
		}
		if !strings.Contains(aws.ToString(in.Message), "uuid-orders") {
			t.Errorf("message %q does not name the workload", aws.ToString(in.Message))
		}
		if alert == nil || alert.MessageID != "msg-1" {
			t.Errorf("alert %+v, want message msg-1", alert)
		}
	})
	t.Run("nothing to page", func(t *testing.T) {
		f := &fakeSNS{}
		alert, err := (&Notifier{SNS: f, TopicARN: topic}).Send(t.Context(), config.ModeAlarm, reportOf(nil, workload("orders", report.StatusUnknown, "")))
		if err != nil || alert != nil || len(f.published) != 0 {
			t.Errorf("alert %+v, error %v, %d published: want nothing", alert, err, len(f.published))
		}
	})
	t.Run("no topic configured", func(t *testing.T) {
		f := &fakeSNS{}
		alert, err := (&Notifier{SNS: f}).Send(t.Context(), config.ModeAlarm, broken)
		if err != nil || alert != nil || len(f.published) != 0 {
			t.Errorf("alert %+v, error %v, %d published: want nothing", alert, err, len(f.published))
		}
	})
	t.Run("publish fails", func(t *testing.T) {
		boom := errors.New("throttled")
		_, err := (&Notifier{SNS: &fakeSNS{err: boom}, TopicARN: topic}).Send(t.Context(), config.ModeAlarm, broken)
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), topic) {
			t.Errorf("error %v, want it to wrap %v and name the topic", err, boom)
		}
	})
}
