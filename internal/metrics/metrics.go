// Package metrics turns one run of a vpcmedic function into its own
// CloudWatch metrics, written as one CloudWatch embedded metric format (EMF)
// document: a JSON log line from which CloudWatch Logs extracts the metrics,
// so that no CloudWatch API call (and no permission) is needed.
//
// The format is CloudWatch's "Specification: Embedded metric format"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
// the root object holds an "_aws" member with Timestamp (milliseconds since
// the epoch) and CloudWatchMetrics, a list of directives each naming a
// Namespace, its Dimensions (lists of dimension keys) and its Metrics (Name
// and Unit); every dimension key and metric name is also a member of the
// root object holding the dimension's string value or the metric's value.
//
// The names below are a contract: the stack's alarms are written against
// them.
package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

// Namespace is the CloudWatch namespace of every vpcmedic metric.
const Namespace = "vpcmedic"

// Dimension keys. Both are low-cardinality: one value per deployed function
// and mode. VPC and workload IDs are never dimensions (each distinct
// combination of dimension values is a metric of its own, billed as such).
const (
	// DimensionFunction is the Lambda function name (AWS_LAMBDA_FUNCTION_NAME).
	DimensionFunction = "Function"
	// DimensionMode is alarm or remediate.
	DimensionMode = "Mode"
)

// Metric names.
const (
	WorkloadsChecked = "WorkloadsChecked"
	WorkloadsBroken  = "WorkloadsBroken"
	WorkloadsUnknown = "WorkloadsUnknown"
	PagesSent        = "PagesSent"
	PagesFailed      = "PagesFailed"
	ChangesCreated   = "ChangesCreated"
	ChangesSkipped   = "ChangesSkipped"
	ChangesFailed    = "ChangesFailed"
	RunFailed        = "RunFailed"
	RunDuration      = "RunDuration"
	// SweepsCompleted is only ever written by the sweep function, and only
	// when its run finished, so that an alarm on its absence catches a
	// sweep that stopped running.
	SweepsCompleted = "SweepsCompleted"
)

// Units, as CloudWatch names them (StandardUnit).
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
)

// Run is what one invocation produced.
type Run struct {
	// Function is the Lambda function's name; Mode is alarm or remediate.
	Function string
	Mode     string
	// Report is the run's report: empty (no workloads, no changes) when the
	// run failed before it had one.
	Report report.Report
	// Err is the error the invocation returned (nil: it succeeded).
	Err error
	// Duration is how long the invocation took; At is when it ended.
	Duration time.Duration
	At       time.Time
	// SweepCompleted is set by the sweep function when its run finished.
	SweepCompleted bool
}

// Value is one metric of a run.
type Value struct {
	Name  string
	Unit  string
	Value int64
}

// Values are the run's metrics, in a stable order.
func Values(r Run) []Value {
	var broken, unknown int64
	for _, w := range r.Report.Workloads {
		switch w.Status {
		case report.StatusBroken:
			broken++
		case report.StatusUnknown:
			unknown++
		}
	}
	var created, skipped, failed int64
	for _, c := range r.Report.Changes {
		switch c.Status {
		case report.ChangeCreated:
			created++
		case report.ChangeSkipped:
			skipped++
		case report.ChangeFailed:
			failed++
		}
	}
	var sent, pageFailed int64
	if a := r.Report.Alert; a != nil {
		switch {
		case a.Error != "":
			pageFailed = 1
		case !a.Earlier:
			// A retry that finds its alert sent by the earlier try does not
			// count it twice.
			sent = 1
		}
	}
	out := []Value{
		{WorkloadsChecked, UnitCount, int64(len(r.Report.Workloads))},
		{WorkloadsBroken, UnitCount, broken},
		{WorkloadsUnknown, UnitCount, unknown},
		{PagesSent, UnitCount, sent},
		{PagesFailed, UnitCount, pageFailed},
		{ChangesCreated, UnitCount, created},
		{ChangesSkipped, UnitCount, skipped},
		{ChangesFailed, UnitCount, failed},
		{RunFailed, UnitCount, boolCount(r.Err != nil)},
		{RunDuration, UnitMilliseconds, r.Duration.Milliseconds()},
	}
	if r.SweepCompleted {
		out = append(out, Value{SweepsCompleted, UnitCount, 1})
	}
	return out
}

func boolCount(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// metadata is the "_aws" member of an EMF document.
type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// directive tells CloudWatch which root members are metrics and which
// dimension sets to publish each of them under.
type directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []definition `json:"Metrics"`
}

type definition struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// Document is the run's EMF document: every metric is published per
// function and per function and mode.
func Document(r Run) map[string]any {
	values := Values(r)
	defs := make([]definition, 0, len(values))
	doc := map[string]any{
		DimensionFunction: orUnknown(r.Function),
		DimensionMode:     orUnknown(modeOf(r)),
	}
	for _, v := range values {
		defs = append(defs, definition{Name: v.Name, Unit: v.Unit})
		doc[v.Name] = v.Value
	}
	at := r.At
	if at.IsZero() {
		at = time.Now()
	}
	doc["_aws"] = metadata{
		Timestamp: at.UnixMilli(),
		CloudWatchMetrics: []directive{{
			Namespace:  Namespace,
			Dimensions: [][]string{{DimensionFunction}, {DimensionFunction, DimensionMode}},
			Metrics:    defs,
		}},
	}
	return doc
}

func modeOf(r Run) string {
	if r.Mode != "" {
		return r.Mode
	}
	return r.Report.Mode
}

// orUnknown keeps a dimension value non-empty: CloudWatch takes dimension
// values of at least one character.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Write writes the run's EMF document to w as one line. In Lambda, w is
// stdout: the function's log stream, from which CloudWatch Logs extracts
// the metrics.
func Write(w io.Writer, r Run) error {
	line, err := json.Marshal(Document(r))
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	_, err = w.Write(append(line, '\n'))
	return err
}
