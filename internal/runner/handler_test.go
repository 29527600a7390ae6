package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/runner"
)

const (
	traceHeader = "Root=1-67d3f0a2-5b8e4c1d9a0f2e3b4c5d6e7f;Parent=53995c3f42cd8ad8;Sampled=1"
	traceRoot   = "1-67d3f0a2-5b8e4c1d9a0f2e3b4c5d6e7f"
)

// lambdaFunction is a function served as under Lambda, its logs and
// metrics going to out.
type lambdaFunction struct {
	handle func(context.Context, json.RawMessage) (any, error)
	out    *bytes.Buffer
}

func serveLocally(t *testing.T, function string) *lambdaFunction {
	t.Helper()
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "vpcmedic-"+function+"-1A2B3C")
	out := &bytes.Buffer{}
	log := runner.LambdaLogger(out)
	deps, err := runner.Build(t.Context(), function, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := runner.Handler(function, deps, log, out)
	return &lambdaFunction{out: out, handle: func(ctx context.Context, raw json.RawMessage) (any, error) { return h(ctx, raw) }}
}

// invoke runs one invocation with the request ID and trace header that
// aws-lambda-go puts in the context, and returns the lines it wrote.
func (f *lambdaFunction) invoke(t *testing.T, requestID string, event []byte) (lines []map[string]any, err error) {
	t.Helper()
	f.out.Reset()
	ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: requestID})
	ctx = context.WithValue(ctx, "x-amzn-trace-id", traceHeader) //nolint:staticcheck // the key aws-lambda-go uses
	_, err = f.handle(ctx, event)
	for _, line := range strings.Split(strings.TrimSpace(f.out.String()), "\n") {
		var m map[string]any
		if jerr := json.Unmarshal([]byte(line), &m); jerr != nil {
			t.Fatalf("line is not a JSON object: %s", line)
		}
		lines = append(lines, m)
	}
	return lines, err
}

// split separates the EMF documents from the log lines.
func split(lines []map[string]any) (emf, logs []map[string]any) {
	for _, l := range lines {
		if _, ok := l["_aws"]; ok {
			emf = append(emf, l)
		} else {
			logs = append(logs, l)
		}
	}
	return emf, logs
}

func oneEMF(t *testing.T, lines []map[string]any) map[string]any {
	t.Helper()
	emf, _ := split(lines)
	if len(emf) != 1 {
		t.Fatalf("%d EMF documents, want one per invocation:\n%v", len(emf), lines)
	}
	return emf[0]
}

// wantInvocationLogs checks that every log line has Lambda's keys and names
// the invocation, and that a line with message msg exists.
func wantInvocationLogs(t *testing.T, lines []map[string]any, requestID, msg string) {
	t.Helper()
	_, logs := split(lines)
	found := false
	for _, l := range logs {
		for _, key := range []string{"timestamp", "level", "message"} {
			if _, ok := l[key]; !ok {
				t.Errorf("log line %v has no %q", l, key)
			}
		}
		if _, ok := l["msg"]; ok {
			t.Errorf("log line %v keeps slog's msg key", l)
		}
		if l["requestId"] != requestID || l["traceId"] != traceRoot {
			t.Errorf("log line %v: requestId %v, traceId %v, want %s and %s", l, l["requestId"], l["traceId"], requestID, traceRoot)
		}
		found = found || l["message"] == msg
	}
	if !found {
		t.Errorf("no log line %q in %v", msg, logs)
	}
}

func TestInvocationWritesItsMetricsAndNamesItselfInItsLogs(t *testing.T) {
	a := seededAccount(t)
	event, err := os.ReadFile(ordersCreated(t, a))
	if err != nil {
		t.Fatal(err)
	}
	fn := serveLocally(t, app.OnLambdaChange)

	lines, err := fn.invoke(t, "8f507cfc-1111-4697-b07a-ac58fc914c95", event)
	if err != nil {
		t.Fatalf("invocation failed: %v", err)
	}
	wantInvocationLogs(t, lines, "8f507cfc-1111-4697-b07a-ac58fc914c95", "resolved workloads")
	doc := oneEMF(t, lines)
	for key, want := range map[string]any{
		"Function": "vpcmedic-on-lambda-change-1A2B3C", "Mode": "alarm",
		"WorkloadsChecked": 1.0, "WorkloadsBroken": 1.0, "WorkloadsUnknown": 0.0, "RunFailed": 0.0,
		"PagesSent": 0.0, "PagesFailed": 0.0, "ChangesCreated": 0.0,
	} {
		if doc[key] != want {
			t.Errorf("%s = %v, want %v", key, doc[key], want)
		}
	}
	if _, ok := doc["RunDuration"].(float64); !ok {
		t.Errorf("RunDuration = %v, want a number", doc["RunDuration"])
	}
	if _, ok := doc["SweepsCompleted"]; ok {
		t.Error("on-lambda-change wrote SweepsCompleted")
	}

	// The same warm process: the next invocation's lines name it, not the
	// first.
	lines, err = fn.invoke(t, "8f507cfc-2222-4697-b07a-ac58fc914c95", event)
	if err != nil {
		t.Fatalf("second invocation failed: %v", err)
	}
	wantInvocationLogs(t, lines, "8f507cfc-2222-4697-b07a-ac58fc914c95", "resolved workloads")
	oneEMF(t, lines)
}

func TestFailedInvocationStillWritesItsMetrics(t *testing.T) {
	a := seededAccount(t)
	event, err := os.ReadFile(ordersCreated(t, a))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ENDPOINT_URL", closedPort(t))
	fn := serveLocally(t, app.OnLambdaChange)

	lines, err := fn.invoke(t, "req-failed", event)
	if err == nil {
		t.Fatal("the invocation succeeded though AWS is unreachable")
	}
	wantInvocationLogs(t, lines, "req-failed", "run failed, will be retried")
	doc := oneEMF(t, lines)
	if doc["RunFailed"] != 1.0 || doc["WorkloadsChecked"] != 0.0 {
		t.Errorf("RunFailed %v, WorkloadsChecked %v: want 1 and 0", doc["RunFailed"], doc["WorkloadsChecked"])
	}
	if _, ok := doc["RunDuration"].(float64); !ok {
		t.Errorf("RunDuration = %v, want a number", doc["RunDuration"])
	}
}

func TestRejectedEventDoesNotFailTheInvocationMetric(t *testing.T) {
	seededAccount(t)
	fn := serveLocally(t, app.Sweep)

	lines, err := fn.invoke(t, "req-rejected", []byte(`{"hello":"world"}`))
	if err != nil {
		t.Fatalf("a rejected event failed the invocation: %v", err)
	}
	wantInvocationLogs(t, lines, "req-rejected", "rejected event")
	doc := oneEMF(t, lines)
	if doc["RunFailed"] != 0.0 {
		t.Errorf("RunFailed = %v, want 0: the invocation succeeded", doc["RunFailed"])
	}
	if _, ok := doc["SweepsCompleted"]; ok {
		t.Error("SweepsCompleted written for an event the sweep rejected")
	}
}

func TestFinishedSweepCountsItself(t *testing.T) {
	seededAccount(t)
	fn := serveLocally(t, app.Sweep)

	lines, err := fn.invoke(t, "req-sweep", emulator.Sample(t, "sweep/scheduled.json"))
	if err != nil {
		t.Fatalf("sweep failed: %v", err)
	}
	doc := oneEMF(t, lines)
	if doc["SweepsCompleted"] != 1.0 || doc["WorkloadsChecked"] != 2.0 || doc["Function"] != "vpcmedic-sweep-1A2B3C" {
		t.Errorf("SweepsCompleted %v, WorkloadsChecked %v, Function %v: want 1, 2 and the sweep's name", doc["SweepsCompleted"], doc["WorkloadsChecked"], doc["Function"])
	}
}

func TestContextLoggingNamesTheInvocation(t *testing.T) {
	var out bytes.Buffer
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-ctx"})
	ctx = context.WithValue(ctx, "x-amzn-trace-id", traceHeader) //nolint:staticcheck // the key aws-lambda-go uses
	log := runner.LambdaLogger(&out)
	log.InfoContext(ctx, "alert report", "index", 0)
	log.Info("outside any invocation")

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var first, second map[string]any
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[1]), &second) != nil {
		t.Fatalf("want two JSON lines, got:\n%s", out.String())
	}
	if first["requestId"] != "req-ctx" || first["traceId"] != traceRoot || first["message"] != "alert report" {
		t.Errorf("line logged with the invocation's context: %v", first)
	}
	if _, ok := second["requestId"]; ok {
		t.Errorf("line logged outside an invocation names one: %v", second)
	}
}
