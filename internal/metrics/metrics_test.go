package metrics_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/metrics"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

var end = time.Date(2025, 3, 14, 10, 54, 50, 123_000_000, time.UTC)

func workload(id string, status report.Status) report.Workload {
	return report.Workload{Kind: report.KindKafkaESM, ID: id, VPCID: "vpc-0a5c3e9d71b4f2861", Status: status}
}

func change(status string) report.Change {
	return report.Change{Action: "CreateVpcEndpoint", Target: "vpc-0a5c3e9d71b4f2861", Status: status, Workload: "esm-1"}
}

// remediation is a remediate-mode run: 2 broken, 1 unknown, 1 ok; changes
// of every status; the alert sent.
func remediation() metrics.Run {
	return metrics.Run{
		Function: "vpcmedic-OnLambdaChange-1A2B3C",
		Mode:     "remediate",
		Report: report.Report{
			Mode: "remediate",
			Workloads: []report.Workload{
				workload("esm-1", report.StatusBroken), workload("esm-2", report.StatusBroken),
				workload("esm-3", report.StatusUnknown), workload("esm-4", report.StatusOK),
			},
			Changes: []report.Change{
				change(report.ChangeCreated), change(report.ChangeCreated), change(report.ChangeSkipped),
				change(report.ChangeFailed), change(report.ChangePlanned), change(report.ChangeUnchanged),
			},
			Alert: &report.Alert{Subject: "vpcmedic: BROKEN orders-consumer <- MSK orders", MessageID: "m-1"},
		},
		Duration: 1234567 * time.Microsecond,
		At:       end,
	}
}

// decode writes the run and parses the line as CloudWatch Logs would.
func decode(t *testing.T, r metrics.Run) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := metrics.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("want exactly one line, got %q", line)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(line), &doc); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, line)
	}
	return doc
}

func directives(t *testing.T, doc map[string]any) []map[string]any {
	t.Helper()
	meta, ok := doc["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws object in %v", doc)
	}
	list, ok := meta["CloudWatchMetrics"].([]any)
	if !ok || len(list) == 0 {
		t.Fatalf("_aws.CloudWatchMetrics = %v, want a non-empty list", meta["CloudWatchMetrics"])
	}
	var out []map[string]any
	for _, d := range list {
		out = append(out, d.(map[string]any))
	}
	return out
}

// published returns each metric name of the document with its unit.
func published(t *testing.T, doc map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range directives(t, doc) {
		for _, m := range d["Metrics"].([]any) {
			m := m.(map[string]any)
			out[m["Name"].(string)] = m["Unit"].(string)
		}
	}
	return out
}

func TestRemediationRunFigures(t *testing.T) {
	doc := decode(t, remediation())

	want := map[string]float64{
		"WorkloadsChecked": 4, "WorkloadsBroken": 2, "WorkloadsUnknown": 1,
		"PagesSent": 1, "PagesFailed": 0,
		"ChangesCreated": 2, "ChangesSkipped": 1, "ChangesFailed": 1,
		"RunFailed": 0, "RunDuration": 1234,
	}
	for name, v := range want {
		if got := doc[name]; got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	wantUnits := map[string]string{}
	for name := range want {
		wantUnits[name] = "Count"
	}
	wantUnits["RunDuration"] = "Milliseconds"
	if got := published(t, doc); !maps.Equal(got, wantUnits) {
		t.Errorf("published metrics %v, want %v", got, wantUnits)
	}
	if doc["Function"] != "vpcmedic-OnLambdaChange-1A2B3C" || doc["Mode"] != "remediate" {
		t.Errorf("Function %v, Mode %v: want the function name and remediate", doc["Function"], doc["Mode"])
	}
	ds := directives(t, doc)
	if len(ds) != 1 || ds[0]["Namespace"] != "vpcmedic" {
		t.Fatalf("directives %v, want one in namespace vpcmedic", ds)
	}
	dims, _ := json.Marshal(ds[0]["Dimensions"])
	if string(dims) != `[["Function"],["Function","Mode"]]` {
		t.Errorf("dimension sets %s, want [Function] and [Function, Mode]", dims)
	}
	if ts := doc["_aws"].(map[string]any)["Timestamp"]; ts != float64(end.UnixMilli()) {
		t.Errorf("Timestamp %v, want %d (milliseconds since the epoch)", ts, end.UnixMilli())
	}
	if _, ok := doc["SweepsCompleted"]; ok {
		t.Error("SweepsCompleted written by a run that is not a finished sweep")
	}
}

func TestRunThatFailedBeforeAReport(t *testing.T) {
	doc := decode(t, metrics.Run{
		Function: "vpcmedic-Sweep-9Z", Mode: "alarm", Err: errors.New("connection refused"),
		Duration: 42 * time.Millisecond, At: end,
	})
	for name, v := range map[string]float64{
		"RunFailed": 1, "RunDuration": 42, "WorkloadsChecked": 0, "WorkloadsBroken": 0, "PagesSent": 0, "ChangesFailed": 0,
	} {
		if got := doc[name]; got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	if doc["Mode"] != "alarm" {
		t.Errorf("Mode %v, want alarm (from the configuration: there is no report)", doc["Mode"])
	}
	if _, ok := published(t, doc)["SweepsCompleted"]; ok {
		t.Error("a failed sweep published SweepsCompleted")
	}
}

func TestFailedPublishCountsAsAFailedPage(t *testing.T) {
	r := remediation()
	r.Report.Alert = &report.Alert{Error: "sns: throttled"}
	r.Err = errors.New("publish alert: throttled")
	doc := decode(t, r)
	if doc["PagesSent"] != float64(0) || doc["PagesFailed"] != float64(1) || doc["RunFailed"] != float64(1) {
		t.Errorf("PagesSent %v, PagesFailed %v, RunFailed %v: want 0, 1, 1", doc["PagesSent"], doc["PagesFailed"], doc["RunFailed"])
	}

	r.Report.Alert = nil
	r.Err = nil
	doc = decode(t, r)
	if doc["PagesSent"] != float64(0) || doc["PagesFailed"] != float64(0) {
		t.Errorf("no alert: PagesSent %v, PagesFailed %v, want 0 and 0", doc["PagesSent"], doc["PagesFailed"])
	}
}

// The retry of a run that paged but could not remember finds its alert
// sent: the page is counted once, by the try that sent it.
func TestAlertSentByAnEarlierTryIsNotCountedAgain(t *testing.T) {
	r := remediation()
	r.Report.Alert = &report.Alert{MessageID: "m-1", Earlier: true}
	if doc := decode(t, r); doc["PagesSent"] != float64(0) || doc["PagesFailed"] != float64(0) {
		t.Errorf("PagesSent %v, PagesFailed %v: want 0 and 0", doc["PagesSent"], doc["PagesFailed"])
	}
	r.Report.Alert = &report.Alert{Subject: "vpcmedic: BROKEN orders", MessageID: "m-1"}
	if doc := decode(t, r); doc["PagesSent"] != float64(1) {
		t.Errorf("PagesSent %v for a page sent by this try, want 1", doc["PagesSent"])
	}
}

func TestSweepsCompletedOnlyFromAFinishedSweep(t *testing.T) {
	r := metrics.Run{Function: "vpcmedic-Sweep-9Z", Mode: "alarm", SweepCompleted: true, At: end}
	doc := decode(t, r)
	if doc["SweepsCompleted"] != float64(1) {
		t.Errorf("SweepsCompleted = %v, want 1", doc["SweepsCompleted"])
	}
	if unit := published(t, doc)["SweepsCompleted"]; unit != "Count" {
		t.Errorf("SweepsCompleted published with unit %q, want Count", unit)
	}
}

// validUnits are CloudWatch's StandardUnit values this package may use.
var validUnits = []string{"Count", "Milliseconds"}

// TestDocumentsAreValidEMF holds every document to the specification's
// rules: each metric a directive names is a root member with a numeric
// value, each dimension key a root member with a non-empty string, at most
// 30 dimensions per set and 100 metrics per directive, no high-cardinality
// value anywhere.
func TestDocumentsAreValidEMF(t *testing.T) {
	sweep := metrics.Run{Function: "vpcmedic-Sweep-9Z", Report: report.Report{Mode: "alarm"}, SweepCompleted: true}
	failed := metrics.Run{Function: "", Mode: "", Err: errors.New("boom")}
	for name, r := range map[string]metrics.Run{"remediation": remediation(), "sweep": sweep, "failed without names": failed} {
		t.Run(name, func(t *testing.T) {
			doc := decode(t, r)
			if ts, ok := doc["_aws"].(map[string]any)["Timestamp"].(float64); !ok || ts <= 0 {
				t.Errorf("_aws.Timestamp = %v, want milliseconds since the epoch", doc["_aws"].(map[string]any)["Timestamp"])
			}
			for _, d := range directives(t, doc) {
				if ns, _ := d["Namespace"].(string); ns == "" {
					t.Errorf("directive %v has no Namespace", d)
				}
				sets, ok := d["Dimensions"].([]any)
				if !ok || len(sets) == 0 {
					t.Fatalf("directive %v: Dimensions is not a non-empty list", d)
				}
				for _, set := range sets {
					keys := set.([]any)
					if len(keys) == 0 || len(keys) > 30 {
						t.Errorf("dimension set %v: want 1 to 30 keys", keys)
					}
					for _, k := range keys {
						if v, ok := doc[k.(string)].(string); !ok || v == "" {
							t.Errorf("dimension %v has root value %#v, want a non-empty string", k, doc[k.(string)])
						}
					}
				}
				ms := d["Metrics"].([]any)
				if len(ms) == 0 || len(ms) > 100 {
					t.Errorf("%d metrics in a directive, want 1 to 100", len(ms))
				}
				var names []string
				for _, m := range ms {
					m := m.(map[string]any)
					name := m["Name"].(string)
					names = append(names, name)
					if _, ok := doc[name].(float64); !ok {
						t.Errorf("metric %s has root value %#v, want a number", name, doc[name])
					}
					if !slices.Contains(validUnits, m["Unit"].(string)) {
						t.Errorf("metric %s: unit %v", name, m["Unit"])
					}
				}
				slices.Sort(names)
				if len(slices.Compact(names)) != len(ms) {
					t.Errorf("a metric is named twice in %v", ms)
				}
			}
			line, _ := json.Marshal(doc)
			for _, id := range []string{"vpc-0a5c3e9d71b4f2861", "esm-1", "CreateVpcEndpoint"} {
				if strings.Contains(string(line), id) {
					t.Errorf("document carries %s: resource IDs must not reach metrics", id)
				}
			}
		})
	}
}
