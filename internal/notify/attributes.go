package notify

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

// Message attribute names, for subscription filter policies. The SNS
// developer guide says attributes are sent to subscribers only with a
// String message structure, not JSON; the JSON body repeats them in its
// summary for that reason.
const (
	attrSeverity = "severity"
	attrAccount  = "account"
	attrRegion   = "region"
	attrKind     = "kind"
	attrMode     = "mode"
)

// Severities and kinds an alert carries.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"

	KindBroken    = "broken"
	KindRecovered = "recovered"
	KindFixed     = "fixed"
	// KindInProgress: a fix was made and waits on AWS (an endpoint still
	// being created); the sweep re-checks it.
	KindInProgress = "in-progress"
	KindChanges    = "changes"
)

// alertSeverity is critical while a workload is broken, a warning when a
// change failed, otherwise information (recovered, fixed, changes made).
func alertSeverity(r report.Report) string {
	if counts(r).broken > 0 {
		return SeverityCritical
	}
	for _, c := range r.Changes {
		if c.Status == report.ChangeFailed {
			return SeverityWarning
		}
	}
	return SeverityInfo
}

// alertKind says what the alert is about, in the order Subject names it.
func alertKind(r report.Report) string {
	t := counts(r)
	switch {
	case t.broken > 0:
		return KindBroken
	case t.inProgress > 0:
		return KindInProgress
	case t.recovered > 0 && t.fixed == 0:
		return KindRecovered
	case t.fixed > 0:
		return KindFixed
	default:
		return KindChanges
	}
}

// attributes lists the attribute values by name; an empty value is left
// out, as SNS refuses it.
func attributes(r report.Report) [][2]string {
	return [][2]string{
		{attrSeverity, alertSeverity(r)},
		{attrAccount, r.Trigger.Account},
		{attrRegion, r.Trigger.Region},
		{attrKind, alertKind(r)},
		{attrMode, r.Mode},
	}
}

func messageAttributes(r report.Report) map[string]snstypes.MessageAttributeValue {
	out := map[string]snstypes.MessageAttributeValue{}
	for _, a := range attributes(r) {
		if a[1] != "" {
			out[a[0]] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(a[1])}
		}
	}
	return out
}

// attributeValues are the non-empty attribute values, as chat keywords.
func attributeValues(r report.Report) []string {
	var out []string
	for _, a := range attributes(r) {
		if a[1] != "" {
			out = append(out, a[1])
		}
	}
	return out
}

// attributesSize counts attribute names, types and values against the
// message size, as SQS counts them against its 256 KiB.
func attributesSize(attrs map[string]snstypes.MessageAttributeValue) int {
	n := 0
	for name, v := range attrs {
		n += len(name) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue))
	}
	return n
}

// reportLocation says where the full report of this run is logged: the
// function's log group and stream and the request ID when running in
// Lambda.
func reportLocation(ctx context.Context) string {
	group, stream := os.Getenv("AWS_LAMBDA_LOG_GROUP_NAME"), os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME")
	where := fmt.Sprintf("logged by the run that sent this alert (log lines %q)", reportLogMessage)
	if group != "" {
		where = fmt.Sprintf("in CloudWatch Logs group %s, stream %s (log lines %q", group, stream, reportLogMessage)
		if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
			where += ", request ID " + lc.AwsRequestID
		}
		where += ")"
	}
	return where
}

// reportLogMessage is the message of the log lines that hold the full
// report, one workload or change per line so that no line is cut.
const reportLogMessage = "alert report"

// logReport writes the full report when the alert only summarises it.
func (n *Notifier) logReport(ctx context.Context, r report.Report) {
	log := n.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, reportLogMessage, "eventId", r.Trigger.EventID, "trigger", r.Trigger, "workloads", len(r.Workloads), "changes", len(r.Changes))
	for i, w := range r.Workloads {
		log.InfoContext(ctx, reportLogMessage, "eventId", r.Trigger.EventID, "index", i, "workload", w)
	}
	for i, c := range r.Changes {
		log.InfoContext(ctx, reportLogMessage, "eventId", r.Trigger.EventID, "index", i, "change", c)
	}
}
