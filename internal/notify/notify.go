// Package notify decides whether a run pages on-call and sends the alert
// to SNS: at most one message per run.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
	"github.com/vpcmedic/vpcmedic/internal/config"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// SNS is the part of the SNS API the notifier calls.
type SNS interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Notifier sends alerts.
type Notifier struct {
	SNS      SNS
	TopicARN string
	// Log receives the full report when the alert only summarises it;
	// nil means slog's default logger.
	Log *slog.Logger
}

// ShouldAlert applies the paging rule: in alarm mode when a workload is
// broken; in remediate mode when anything was broken or changed. A workload
// vpcmedic could not verify (unknown) alone pages nobody.
//
// With an alert memory (workloads carry a problem state), a broken workload
// pages only when its problem is new, changed or due for a reminder, and a
// recovery pages once.
func ShouldAlert(mode string, r report.Report) bool {
	remembered := false
	for _, w := range r.Workloads {
		if w.Problem != "" {
			remembered = true
			if alertstate.Pages(w.Problem) {
				return true
			}
		}
	}
	if r.Broken() && !remembered {
		return true
	}
	if mode != config.ModeRemediate {
		return false
	}
	// Fixed: before is set on every workload in remediate mode, so a
	// problem still open is left to the rules above.
	for _, w := range r.Workloads {
		if w.Before == report.StatusBroken && w.Status != report.StatusBroken {
			return true
		}
	}
	for _, c := range r.Changes {
		if c.Status == report.ChangeCreated || c.Status == report.ChangeFailed {
			return true
		}
	}
	return false
}

// maxSubject is the longest subject SNS takes: fewer than 100 characters.
const maxSubject = 99

// Subject names the workloads and the verdict in under 100 characters,
// and in an organisation the account of the event.
func Subject(r report.Report) string {
	var broken, inProgress, fixed []string
	for _, w := range r.Workloads {
		name := nameOf(w)
		switch {
		case w.Status == report.StatusBroken:
			broken = append(broken, name)
		case w.FixInProgress():
			inProgress = append(inProgress, name)
		case w.Before == report.StatusBroken:
			fixed = append(fixed, name)
		}
	}
	if r.Trigger.Action == trail.ActionSweep {
		return sweepSubject(r)
	}
	var recovered []string
	for _, w := range r.Workloads {
		if w.Problem == alertstate.Recovered {
			recovered = append(recovered, nameOf(w))
		}
	}
	in := inAccount(r)
	switch {
	case len(broken) > 0:
		return fit("vpcmedic: BROKEN ", broken, in)
	case len(inProgress) > 0:
		// Not "fixed" until the re-check sees the new path work.
		return fit("vpcmedic: fix in progress for ", inProgress, in)
	case len(recovered) > 0 && len(fixed) == 0:
		return fit("vpcmedic: recovered ", recovered, in)
	case len(fixed) > 0:
		return fit("vpcmedic: fixed ", fixed, in)
	default:
		return fmt.Sprintf("vpcmedic: %d changes made", len(r.Changes)) + in
	}
}

// maxAccountName is the most of an account's name a subject spends (the
// names Organizations allows run to 50 characters).
const maxAccountName = 32

// inAccount names the event's account for the subject (" in payments-prod"):
// the report carries the name only when the hub watches an organisation,
// where on-call must know which account to look at, its own included.
func inAccount(r report.Report) string {
	name := strings.TrimSpace(r.AccountName)
	if name == "" {
		return ""
	}
	if len(name) > maxAccountName {
		name = name[:maxAccountName-3] + "..."
	}
	return " in " + name
}

func nameOf(w report.Workload) string {
	if w.Name != "" {
		return w.Name
	}
	return w.ID
}

// sweepSubject counts what the sweep found, by problem state.
func sweepSubject(r report.Report) string {
	count := map[string]int{}
	broken := 0
	for _, w := range r.Workloads {
		count[w.Problem]++
		if w.Status == report.StatusBroken {
			broken++
		}
	}
	if count[alertstate.New]+count[alertstate.Changed]+count[alertstate.Renotify]+count[alertstate.Ongoing]+count[alertstate.Recovered] == 0 {
		return fmt.Sprintf("vpcmedic sweep: %d of %d workloads broken", broken, len(r.Workloads))
	}
	return fmt.Sprintf("vpcmedic sweep: %d new, %d recovered, %d still broken", count[alertstate.New]+count[alertstate.Changed], count[alertstate.Recovered], count[alertstate.Ongoing]+count[alertstate.Renotify])
}

// fit names the first workload and counts the others, then adds in (the
// account), shortening the name rather than the count or the account when
// the subject would be too long.
func fit(prefix string, names []string, in string) string {
	suffix := ""
	if len(names) > 1 {
		suffix = fmt.Sprintf(" and %d more", len(names)-1)
	}
	suffix += in
	name := names[0]
	if room := maxSubject - len(prefix) - len(suffix); len(name) > room {
		name = name[:room-3] + "..."
	}
	return prefix + name + suffix
}

// Send publishes the alert for a report if the paging rule asks for one and
// a topic is configured; it returns what was sent, or nil. The message
// carries one body per protocol (MessageStructure json) and attributes for
// subscription filter policies; when the report is too large for SNS, the
// message summarises it and the full report goes to the log.
func (n *Notifier) Send(ctx context.Context, mode string, r report.Report) (*report.Alert, error) {
	if n == nil || n.TopicARN == "" || !ShouldAlert(mode, r) {
		return nil, nil
	}
	subject := sanitiseSubject(Subject(r))
	attributes := messageAttributes(r)
	msg, err := buildMessage(r, subject, reportLocation(ctx), maxPublish-attributesSize(attributes))
	if err != nil {
		return nil, fmt.Errorf("build alert for %s: %w", n.TopicARN, err)
	}
	if msg.summarised {
		n.logReport(ctx, r)
	}
	out, err := n.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(n.TopicARN),
		Subject:           aws.String(subject),
		Message:           aws.String(msg.body),
		MessageStructure:  aws.String("json"),
		MessageAttributes: attributes,
	})
	if err != nil {
		return nil, fmt.Errorf("publish alert to %s: %w", n.TopicARN, err)
	}
	return &report.Alert{Subject: subject, MessageID: aws.ToString(out.MessageId)}, nil
}

// sanitiseSubject keeps to what SNS accepts in a subject: printable ASCII,
// no line breaks.
func sanitiseSubject(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return ' '
		}
		return r
	}, s)
}
