package fakeruntime

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var echo struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if echo.path != "" {
		os.RemoveAll(filepath.Dir(echo.path))
	}
	os.Exit(code)
}

// echoBootstrap builds testdata/echo once for the package.
func echoBootstrap(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("Lambda function binaries are linux executables")
	}
	echo.once.Do(func() {
		echo.path, echo.err = BuildBootstrap(context.Background(), filepath.Join("testdata", "echo"))
	})
	if echo.err != nil {
		t.Fatal(echo.err)
	}
	return echo.path
}

// startEcho starts a runtime with the echo function running against it.
func startEcho(t *testing.T, env ...string) (*Runtime, *Process) {
	t.Helper()
	bootstrap := echoBootstrap(t)
	rt := startRuntime(t)
	p, err := rt.StartFunction(t.Context(), bootstrap, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("function output:\n%s", p.Logs())
		}
	})
	return rt, p
}

func invoke(t *testing.T, rt *Runtime, event string) Result {
	t.Helper()
	res, err := rt.Invoke(t.Context(), []byte(event))
	if err != nil {
		t.Fatalf("invoke %s: %v", event, err)
	}
	return res
}

func TestSameProcessAnswersConsecutiveInvocations(t *testing.T) {
	rt, p := startEcho(t)

	var requestIDs []string
	for _, event := range []string{`{"first":1}`, `["second",2]`} {
		res := invoke(t, rt, event)
		if res.Err != nil {
			t.Fatalf("invoke %s: function error %v", event, res.Err)
		}
		if string(res.Payload) != event {
			t.Errorf("invoke %s: payload %s, want the event back", event, res.Payload)
		}
		if res.RequestID == "" {
			t.Errorf("invoke %s: empty request ID", event)
		}
		requestIDs = append(requestIDs, res.RequestID)
	}
	if requestIDs[0] == requestIDs[1] {
		t.Errorf("both invocations have request ID %s", requestIDs[0])
	}
	// The JSON log lines carry each invocation's request ID: one process
	// served both.
	for _, id := range requestIDs {
		if want := `"requestId":"` + id + `"`; !strings.Contains(p.Logs(), want) {
			t.Errorf("logs lack %s:\n%s", want, p.Logs())
		}
	}
}

func TestFunctionErrorIsReportedAndProcessKeepsServing(t *testing.T) {
	rt, _ := startEcho(t)

	res := invoke(t, rt, `{"reject":"no route to sts"}`)
	want := FunctionError{Type: "rejectedError", Message: "rejected: no route to sts"}
	if res.Err == nil || *res.Err != want {
		t.Fatalf("function error %v, want %v", res.Err, &want)
	}
	if !strings.Contains(string(res.Payload), `"errorMessage":"rejected: no route to sts"`) {
		t.Errorf("payload %s, want the error document", res.Payload)
	}

	res = invoke(t, rt, `"after the error"`)
	if res.Err != nil || string(res.Payload) != `"after the error"` {
		t.Errorf("invocation after an error: payload %s, error %v", res.Payload, res.Err)
	}
}

func TestPanicIsReportedAndEndsProcess(t *testing.T) {
	rt, p := startEcho(t)

	res := invoke(t, rt, `{"panic":"nil map"}`)
	want := FunctionError{Type: "string", Message: "nil map"}
	if res.Err == nil || *res.Err != want {
		t.Fatalf("function error %v, want %v", res.Err, &want)
	}

	<-p.Exited()
	_, err := rt.Invoke(t.Context(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "function process exited") {
		t.Errorf("invoke after the panic: error %v, want the process exit", err)
	}
}

func TestInvocationContextReachesHandler(t *testing.T) {
	tests := []struct {
		name    string
		opts    InvokeOptions
		wantEnv map[string]string
	}{
		{
			name: "generated trace",
		},
		{
			name: "chosen trace and client context",
			opts: InvokeOptions{
				TraceID:       "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
				ClientContext: `{"env":{"stage":"test"}}`,
			},
			wantEnv: map[string]string{"stage": "test"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, _ := startEcho(t, "AWS_LAMBDA_FUNCTION_NAME=on-lambda-change", "AWS_REGION=eu-west-1", "ECHO_CUSTOM=passed")
			ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(time.Hour))
			defer cancel()
			deadline, _ := ctx.Deadline()

			res, err := rt.InvokeWithOptions(ctx, []byte(`{"describe":true}`), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Err != nil {
				t.Fatalf("function error %v", res.Err)
			}
			var got description
			if err := json.Unmarshal(res.Payload, &got); err != nil {
				t.Fatalf("decode %s: %v", res.Payload, err)
			}

			if tt.opts.TraceID != "" && res.TraceID != tt.opts.TraceID {
				t.Errorf("result trace %q, want the chosen %q", res.TraceID, tt.opts.TraceID)
			}
			if !strings.HasPrefix(res.TraceID, "Root=1-") {
				t.Errorf("trace %q is not an X-Ray trace header", res.TraceID)
			}
			want := description{
				RequestID:        res.RequestID,
				FunctionARN:      "arn:aws:lambda:eu-west-1:123456789012:function:on-lambda-change",
				TraceHeader:      res.TraceID,
				TraceEnv:         res.TraceID,
				DeadlineMS:       deadline.UnixMilli(),
				FunctionName:     "on-lambda-change",
				MemoryLimitInMB:  128,
				FunctionVersion:  "$LATEST",
				LogFormat:        "JSON",
				Handler:          "bootstrap",
				Custom:           "passed",
				ClientContextEnv: tt.wantEnv,
			}
			if !equalJSON(t, got, want) {
				t.Errorf("handler saw\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestCloseStopsProcess(t *testing.T) {
	rt, p := startEcho(t)
	invoke(t, rt, `{}`)

	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if _, err := rt.Invoke(t.Context(), []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Errorf("invoke after Close: error %v, want ErrClosed", err)
	}
}

func TestEndOfContextStopsProcess(t *testing.T) {
	bootstrap := echoBootstrap(t)
	rt := startRuntime(t)
	ctx, cancel := context.WithCancel(t.Context())
	p, err := rt.StartFunction(ctx, bootstrap, nil)
	if err != nil {
		t.Fatal(err)
	}
	invoke(t, rt, `{}`)

	cancel()
	<-p.Exited()
	_, err = rt.Invoke(t.Context(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("invoke after the process stopped: error %v, want it to say so", err)
	}
}

func TestStopLetsSIGTERMHookRun(t *testing.T) {
	rt, p := startEcho(t, "ECHO_ON_SIGTERM=1")
	invoke(t, rt, `{}`)

	p.Stop()
	if !strings.Contains(p.Logs(), "echo: received SIGTERM") {
		t.Errorf("the SIGTERM hook did not run; output:\n%s", p.Logs())
	}
}

func TestExitDuringInitFailsInvoke(t *testing.T) {
	rt, p := startEcho(t, "ECHO_EXIT_AT_INIT=1")

	_, err := rt.Invoke(t.Context(), []byte(`{}`))
	if err == nil {
		t.Fatal("invoke succeeded, want the exit reported")
	}
	for _, want := range []string{"exit status 3", "echo: exiting during init as asked"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !p.hasExited() {
		t.Error("the process is still running")
	}
}

func TestSecondFunctionCannotShareRuntime(t *testing.T) {
	rt, _ := startEcho(t)
	if p, err := rt.StartFunction(t.Context(), echoBootstrap(t), nil); err == nil {
		p.Stop()
		t.Fatal("a second function started on the same runtime")
	}
}

type description struct {
	RequestID        string            `json:"requestId"`
	FunctionARN      string            `json:"functionArn"`
	TraceHeader      string            `json:"traceHeader"`
	TraceEnv         string            `json:"traceEnv"`
	DeadlineMS       int64             `json:"deadlineMs"`
	FunctionName     string            `json:"functionName"`
	MemoryLimitInMB  int               `json:"memoryLimitInMB"`
	FunctionVersion  string            `json:"functionVersion"`
	LogFormat        string            `json:"logFormat"`
	Handler          string            `json:"handler"`
	Custom           string            `json:"custom"`
	ClientContextEnv map[string]string `json:"clientContextEnv"`
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
