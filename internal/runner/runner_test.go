package runner_test

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// account is an on-demand MSK mapping in one VPC and a function attached to
// another.
type account struct {
	Orders     *scenario.MSKWorkload
	BillingVPC *scenario.VPC
	Billing    *scenario.Function
}

var seeded *account

// seededAccount returns the emulator holding account, with the standard AWS
// variables pointing at it, as a user running a function locally would set
// them.
func seededAccount(t *testing.T) *account {
	t.Helper()
	srv := emulator.Seeded(t, "mapping and VPC function", func(tb testing.TB, srv *emulator.Server) {
		tb.Helper()
		s := scenario.New(srv.MustConfig(tb))
		a := &account{Orders: scenario.BrokenOnDemandMSK(s)}
		a.BillingVPC = s.VPC("10.1.0.0/16")
		subnets := a.BillingVPC.PrivateSubnets("10.1.10.0/24@a")
		a.Billing = s.Function("billing-api", s.Role("billing-api-execution"), scenario.InVPC(subnets, a.BillingVPC.SecurityGroup("billing-api")))
		if err := s.Err(); err != nil {
			tb.Fatal(err)
		}
		seeded = a
	})
	srv.UseEnv(t)
	return seeded
}

// ordersCreated writes the creation event of the seeded mapping to a file.
func ordersCreated(t *testing.T, a *account) string {
	t.Helper()
	return sampleFile(t, "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json",
		"3f1c8a52-9d4e-4b71-a0c6-7e25d9b4f183", a.Orders.ESM.UUID,
		"arn:aws:kafka:us-east-1:123456789012:cluster/orders/5d0c3f6a-8b1e-4a27-9c4d-2e7f1b8a6d93-7", a.Orders.Cluster.ARN)
}

// sampleFile copies a sample event from events/ to a file, with old/new
// replacements; every old value must occur.
func sampleFile(t *testing.T, name string, replace ...string) string {
	t.Helper()
	return writeFile(t, filepath.Base(name), emulator.Sample(t, name, replace...))
}

func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, function string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runner.RunOnce(function, args, strings.NewReader(stdin), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

func (r result) want(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

func TestTextReport(t *testing.T) {
	a := seededAccount(t)

	r := run(t, app.OnLambdaChange, "", "-event", ordersCreated(t, a))
	r.want(t, 0)
	for _, want := range []string{
		"vpcmedic (alarm mode): CreateEventSourceMapping " + a.Orders.ESM.UUID,
		"network " + a.Orders.VPC.ID + ": 4 subnets in us-east-1a, us-east-1b",
		"public subnets: " + strings.Join(a.Orders.Public.IDs(), ", "),
		"NAT gateways: none",
		"kafka-esm " + a.Orders.ESM.UUID + " (orders-consumer <- MSK orders): ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "level=") {
		t.Errorf("logs on stdout, want them on stderr only:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "resolved workloads") || !strings.Contains(r.stderr, "eventId=29a639f2-fad1-5def-b88f-2621da75773a") {
		t.Errorf("stderr lacks the log line of the run:\n%s", r.stderr)
	}
}

// decode parses a JSON report into generic values, as jq users see it.
func decode(t *testing.T, stdout string) map[string]any {
	t.Helper()
	var rep map[string]any
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	return rep
}

// field walks a decoded JSON value by object keys and array indexes.
func field(t *testing.T, v any, path ...any) any {
	t.Helper()
	for i, p := range path {
		switch key := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %v", path, path[:i])
			}
			if v, ok = m[key]; !ok {
				t.Fatalf("%v: no key %q in %v", path, key, m)
			}
		case int:
			l, ok := v.([]any)
			if !ok || key >= len(l) {
				t.Fatalf("%v: no element %d in %v", path, key, v)
			}
			v = l[key]
		}
	}
	return v
}

func TestJSONReportHasTheDocumentedKeys(t *testing.T) {
	a := seededAccount(t)

	r := run(t, app.OnLambdaChange, "", "-event", ordersCreated(t, a), "-format", "json")
	r.want(t, 0)
	rep := decode(t, r.stdout)

	strs := []struct {
		path []any
		want string
	}{
		{[]any{"mode"}, "alarm"},
		{[]any{"trigger", "eventId"}, "29a639f2-fad1-5def-b88f-2621da75773a"},
		{[]any{"trigger", "source"}, "aws.lambda"},
		{[]any{"trigger", "action"}, "CreateEventSourceMapping"},
		{[]any{"trigger", "eventName"}, "CreateEventSourceMapping20150331"},
		{[]any{"trigger", "eventSourceMapping", "uuid"}, a.Orders.ESM.UUID},
		{[]any{"workloads", 0, "kind"}, "kafka-esm"},
		{[]any{"workloads", 0, "id"}, a.Orders.ESM.UUID},
		{[]any{"workloads", 0, "vpcId"}, a.Orders.VPC.ID},
		{[]any{"networks", 0, "vpcId"}, a.Orders.VPC.ID},
	}
	for _, s := range strs {
		if got := field(t, rep, s.path...); got != s.want {
			t.Errorf("%v = %v, want %q", s.path, got, s.want)
		}
	}
	if n := len(field(t, rep, "workloads").([]any)); n != 1 {
		t.Errorf("%d workloads, want 1", n)
	}
	if status := field(t, rep, "workloads", 0, "status"); !slices.Contains([]any{"ok", "broken", "unknown"}, status) {
		t.Errorf("workloads[0].status = %v, want ok, broken or unknown", status)
	}
	finding := field(t, rep, "workloads", 0, "findings", 0).(map[string]any)
	if sev := finding["severity"]; !slices.Contains([]any{"error", "warning", "info"}, sev) {
		t.Errorf("finding %v: severity %v, want error, warning or info", finding, sev)
	}
	for _, key := range []string{"check", "message"} {
		if s, _ := finding[key].(string); s == "" {
			t.Errorf("finding %v: %q is not a non-empty string", finding, key)
		}
	}
	if res, ok := finding["resources"].([]any); !ok || len(res) == 0 {
		t.Errorf("finding %v: resources is not a non-empty list", finding)
	}
	// A list, never null: jq '.changes[]' must work on every report. In
	// alarm mode a change is only ever planned, never made.
	changes, ok := field(t, rep, "changes").([]any)
	if !ok {
		t.Fatalf("changes = %v, want a list", field(t, rep, "changes"))
	}
	for _, c := range changes {
		c, _ := c.(map[string]any)
		for _, key := range []string{"action", "target", "reason"} {
			if s, _ := c[key].(string); s == "" {
				t.Errorf("change %v: %q is not a non-empty string", c, key)
			}
		}
		if c["status"] != "planned" {
			t.Errorf("change %v: status %v in alarm mode, want planned", c, c["status"])
		}
	}
}

func TestSkippedEventExitsZero(t *testing.T) {
	seededAccount(t)
	event := sampleFile(t, "unmatched/CreateEventSourceMapping-access-denied.json")

	r := run(t, app.OnLambdaChange, "", "-event", event)
	r.want(t, 0)
	if !strings.Contains(r.stdout, "skipped: the call failed with AccessDenied") {
		t.Errorf("text report does not say why it skipped:\n%s", r.stdout)
	}

	r = run(t, app.OnLambdaChange, "", "-event", event, "-format", "json")
	r.want(t, 0)
	rep := decode(t, r.stdout)
	if skip, _ := field(t, rep, "trigger", "skipped").(string); !strings.Contains(skip, "AccessDenied") {
		t.Errorf("trigger.skipped = %q, want the failed call", skip)
	}
	if w := field(t, rep, "workloads").([]any); len(w) != 0 {
		t.Errorf("workloads %v, want none", w)
	}
	if c, ok := field(t, rep, "changes").([]any); !ok || len(c) != 0 {
		t.Errorf("changes = %v, want []", field(t, rep, "changes"))
	}
}

func TestEventFromStdin(t *testing.T) {
	a := seededAccount(t)
	event, err := os.ReadFile(ordersCreated(t, a))
	if err != nil {
		t.Fatal(err)
	}

	r := run(t, app.OnLambdaChange, string(event), "-format", "json")
	r.want(t, 0)
	if got := field(t, decode(t, r.stdout), "workloads", 0, "id"); got != a.Orders.ESM.UUID {
		t.Errorf("workload %v, want %s", got, a.Orders.ESM.UUID)
	}
}

func TestSweepWithoutEventSweepsTheAccount(t *testing.T) {
	a := seededAccount(t)

	r := run(t, app.Sweep, "", "-format", "json")
	r.want(t, 0)
	rep := decode(t, r.stdout)
	if got := field(t, rep, "trigger", "action"); got != "Sweep" {
		t.Errorf("trigger.action = %v, want Sweep", got)
	}
	if got := field(t, rep, "trigger", "account"); got != emulator.Account {
		t.Errorf("trigger.account = %v, want the caller's account %s", got, emulator.Account)
	}
	var ids []string
	for _, w := range field(t, rep, "workloads").([]any) {
		ids = append(ids, w.(map[string]any)["id"].(string))
	}
	slices.Sort(ids)
	want := []string{a.Orders.ESM.UUID, "arn:aws:lambda:us-east-1:123456789012:function:billing-api"}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("swept workloads %v, want %v", ids, want)
	}
}

func TestScheduledSweepEvent(t *testing.T) {
	a := seededAccount(t)

	r := run(t, app.Sweep, "", "-event", sampleFile(t, "sweep/scheduled.json"))
	r.want(t, 0)
	for _, want := range []string{"scheduled sweep of 123456789012/us-east-1", "kafka-esm " + a.Orders.ESM.UUID, "function arn:aws:lambda:us-east-1:123456789012:function:billing-api"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

func TestRunThatCannotCompleteExitsOne(t *testing.T) {
	a := seededAccount(t)
	missing := filepath.Join(t.TempDir(), "no-such-event.json")

	tests := []struct {
		name, function string
		stdin          string
		args           []string
		env            []string
		want           []string // in stderr
	}{
		{name: "malformed JSON", function: app.OnLambdaChange,
			args: []string{"-event", writeFile(t, "bad.json", []byte(`{"detail-type": "AWS API Call via CloudTrail",`))},
			want: []string{"on-lambda-change: ", "not valid JSON"}},
		{name: "malformed JSON on stdin", function: app.OnNetworkChange, stdin: "DeleteNatGateway nat-0b2e8d4f1a7c39650\n",
			want: []string{"on-network-change: ", "not valid JSON"}},
		{name: "missing file", function: app.OnLambdaChange, args: []string{"-event", missing},
			want: []string{"read event", missing}},
		{name: "empty file", function: app.OnNetworkChange, args: []string{"-event", writeFile(t, "empty.json", []byte("\n"))},
			want: []string{"is empty"}},
		{name: "event for another function", function: app.OnNetworkChange, args: []string{"-event", ordersCreated(t, a)},
			want: []string{"on-network-change handles aws.ec2 events, not aws.lambda"}},
		{name: "no event for on-lambda-change", function: app.OnLambdaChange,
			want: []string{"no event", "events/on-lambda-change/"}},
		{name: "no event for on-network-change", function: app.OnNetworkChange,
			want: []string{"events/on-network-change/"}},
		{name: "AWS unreachable", function: app.OnLambdaChange, args: []string{"-event", ordersCreated(t, a)},
			env: []string{"AWS_ENDPOINT_URL=" + closedPort(t)}, want: []string{"on-lambda-change: ", "connection refused"}},
		{name: "bad MODE", function: app.Sweep, env: []string{"MODE=fix-everything"},
			want: []string{`MODE="fix-everything"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, kv := range tt.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			r := run(t, tt.function, tt.stdin, tt.args...)
			r.want(t, 1)
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("a run that could not complete printed a report:\n%s", r.stdout)
			}
		})
	}
}

func TestBadUsageExitsTwo(t *testing.T) {
	a := seededAccount(t)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown format", []string{"-event", ordersCreated(t, a), "-format", "yaml"}, `-format "yaml": want text or json`},
		{"unknown flag", []string{"-events", ordersCreated(t, a)}, "flag provided but not defined: -events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, app.OnLambdaChange, "", tt.args...)
			r.want(t, 2)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("bad usage printed a report:\n%s", r.stdout)
			}
		})
	}
}
