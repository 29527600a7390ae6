package fakeruntime

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func startRuntime(t *testing.T) *Runtime {
	t.Helper()
	rt, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// invokeAsync runs Invoke in the background, as a test does while it plays
// the function itself over HTTP.
func invokeAsync(ctx context.Context, rt *Runtime, event string) <-chan outcome {
	done := make(chan outcome, 1)
	go func() {
		res, err := rt.Invoke(ctx, []byte(event))
		done <- outcome{result: res, err: err}
	}()
	return done
}

// next plays a function asking for its next event.
func next(t *testing.T, rt *Runtime) (http.Header, string) {
	t.Helper()
	resp, err := http.Get("http://" + rt.Addr() + "/2018-06-01/runtime/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("next: status %d: %s", resp.StatusCode, body)
	}
	return resp.Header, string(body)
}

// post plays a function posting to path and returns the status code.
func post(t *testing.T, rt *Runtime, path string, header http.Header, body io.Reader) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+rt.Addr()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func TestNextCarriesInvocationHeaders(t *testing.T) {
	rt := startRuntime(t)
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(time.Hour))
	defer cancel()
	wantDeadline, _ := ctx.Deadline()
	done := invokeAsync(ctx, rt, `{"detail":{}}`)

	header, event := next(t, rt)
	if event != `{"detail":{}}` {
		t.Errorf("event %s", event)
	}
	id := header.Get("Lambda-Runtime-Aws-Request-Id")
	if id == "" {
		t.Fatal("no request ID header")
	}
	if arn := header.Get("Lambda-Runtime-Invoked-Function-Arn"); arn != "arn:aws:lambda:us-east-1:123456789012:function:function" {
		t.Errorf("function ARN %q", arn)
	}
	deadline, err := strconv.ParseInt(header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if err != nil {
		t.Fatalf("deadline header: %v", err)
	}
	if deadline != wantDeadline.UnixMilli() {
		t.Errorf("deadline %d, want the context's %d", deadline, wantDeadline.UnixMilli())
	}
	trace := header.Get("Lambda-Runtime-Trace-Id")
	if !strings.HasPrefix(trace, "Root=1-") || !strings.HasSuffix(trace, ";Sampled=0") {
		t.Errorf("trace header %q, want an unsampled X-Ray header", trace)
	}

	if status := post(t, rt, "/2018-06-01/runtime/invocation/"+id+"/response", nil, strings.NewReader(`"ok"`)); status != http.StatusAccepted {
		t.Fatalf("response: status %d", status)
	}
	out := <-done
	if out.err != nil {
		t.Fatal(out.err)
	}
	if string(out.result.Payload) != `"ok"` || out.result.RequestID != id || out.result.TraceID != trace {
		t.Errorf("result %+v, want payload \"ok\", request %s, trace %s", out.result, id, trace)
	}
}

func TestAnswerForAnotherRequestIsRejected(t *testing.T) {
	rt := startRuntime(t)
	done := invokeAsync(t.Context(), rt, `{}`)
	header, _ := next(t, rt)
	id := header.Get("Lambda-Runtime-Aws-Request-Id")

	for _, path := range []string{
		"/2018-06-01/runtime/invocation/not-" + id + "/response",
		"/2018-06-01/runtime/invocation/not-" + id + "/error",
	} {
		if status := post(t, rt, path, nil, strings.NewReader(`{}`)); status != http.StatusBadRequest {
			t.Errorf("POST %s: status %d, want 400", path, status)
		}
	}
	if status := post(t, rt, "/2018-06-01/runtime/invocation/"+id+"/response", nil, strings.NewReader(`1`)); status != http.StatusAccepted {
		t.Fatalf("response: status %d", status)
	}
	if status := post(t, rt, "/2018-06-01/runtime/invocation/"+id+"/response", nil, strings.NewReader(`2`)); status != http.StatusBadRequest {
		t.Errorf("second response: status %d, want 400", status)
	}
	if out := <-done; out.err != nil || string(out.result.Payload) != "1" {
		t.Errorf("result %s, error %v, want the first answer", out.result.Payload, out.err)
	}
}

func TestErrorPostsBecomeFunctionErrors(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		body   io.Reader
		want   FunctionError
	}{
		{
			name:   "type in header and document",
			header: http.Header{"Lambda-Runtime-Function-Error-Type": {"Runtime.Unknown"}},
			body:   strings.NewReader(`{"errorType":"errorString","errorMessage":"boom"}`),
			want:   FunctionError{Type: "Runtime.Unknown", Message: "boom"},
		},
		{
			name: "type only in document",
			body: strings.NewReader(`{"errorType":"errorString","errorMessage":"boom"}`),
			want: FunctionError{Type: "errorString", Message: "boom"},
		},
		{
			name: "body not JSON",
			body: strings.NewReader(`segfault`),
			want: FunctionError{Type: "Unhandled", Message: "segfault"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := startRuntime(t)
			done := invokeAsync(t.Context(), rt, `{}`)
			header, _ := next(t, rt)
			path := "/2018-06-01/runtime/invocation/" + header.Get("Lambda-Runtime-Aws-Request-Id") + "/error"
			if status := post(t, rt, path, tt.header, tt.body); status != http.StatusAccepted {
				t.Fatalf("error: status %d", status)
			}
			out := <-done
			if out.err != nil {
				t.Fatal(out.err)
			}
			if out.result.Err == nil || *out.result.Err != tt.want {
				t.Errorf("function error %v, want %v", out.result.Err, &tt.want)
			}
		})
	}
}

// trailingReader sets the error trailers once its body is read, as
// aws-lambda-go does when a streamed response fails half-way.
type trailingReader struct {
	body    io.Reader
	trailer http.Header
}

func (r *trailingReader) Read(p []byte) (int, error) {
	n, err := r.body.Read(p)
	if err == io.EOF {
		r.trailer.Set("Lambda-Runtime-Function-Error-Type", "errorString")
		r.trailer.Set("Lambda-Runtime-Function-Error-Body", base64.StdEncoding.EncodeToString([]byte(`{"errorMessage":"stream broke","errorType":"errorString"}`)))
	}
	return n, err
}

func TestStreamedResponseFailureBecomesFunctionError(t *testing.T) {
	rt := startRuntime(t)
	done := invokeAsync(t.Context(), rt, `{}`)
	header, _ := next(t, rt)

	trailer := http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}
	body := &trailingReader{body: strings.NewReader(`partial`), trailer: trailer}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		"http://"+rt.Addr()+"/2018-06-01/runtime/invocation/"+header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Trailer = trailer
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	out := <-done
	if out.err != nil {
		t.Fatal(out.err)
	}
	want := FunctionError{Type: "errorString", Message: "stream broke"}
	if out.result.Err == nil || *out.result.Err != want {
		t.Errorf("function error %v, want %v", out.result.Err, &want)
	}
}

func TestOversizedResponseIsRefused(t *testing.T) {
	rt := startRuntime(t)
	done := invokeAsync(t.Context(), rt, `{}`)
	header, _ := next(t, rt)

	path := "/2018-06-01/runtime/invocation/" + header.Get("Lambda-Runtime-Aws-Request-Id") + "/response"
	body := strings.NewReader(`"` + strings.Repeat("x", maxResponseBytes) + `"`)
	if status := post(t, rt, path, nil, body); status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", status)
	}
	out := <-done
	if out.err != nil {
		t.Fatal(out.err)
	}
	if out.result.Err == nil || out.result.Err.Type != "Function.ResponseSizeTooLarge" {
		t.Errorf("function error %v, want Function.ResponseSizeTooLarge", out.result.Err)
	}
}

func TestInitErrorFailsInvoke(t *testing.T) {
	rt := startRuntime(t)
	header := http.Header{"Lambda-Runtime-Function-Error-Type": {"Runtime.ConfigError"}}
	body := strings.NewReader(`{"errorType":"configError","errorMessage":"SNS_TOPIC_ARN is not set"}`)
	if status := post(t, rt, "/2018-06-01/runtime/init/error", header, body); status != http.StatusAccepted {
		t.Fatalf("init error: status %d", status)
	}

	_, err := rt.Invoke(t.Context(), []byte(`{}`))
	var fe *FunctionError
	if !errors.As(err, &fe) || *fe != (FunctionError{Type: "Runtime.ConfigError", Message: "SNS_TOPIC_ARN is not set"}) {
		t.Errorf("invoke error %v, want the init error", err)
	}
}

func TestNextWithoutAnswerFailsInvocation(t *testing.T) {
	rt := startRuntime(t)
	done := invokeAsync(t.Context(), rt, `{}`)
	next(t, rt)

	// The function asks again without answering; the runtime ends that
	// invocation before this long poll waits for another.
	go func() {
		resp, err := http.Get("http://" + rt.Addr() + "/2018-06-01/runtime/invocation/next")
		if err == nil {
			resp.Body.Close()
		}
	}()
	out := <-done
	if out.err == nil || !strings.Contains(out.err.Error(), "without answering") {
		t.Errorf("error %v, want the unanswered invocation reported", out.err)
	}
}

func TestCloseEndsPendingInvoke(t *testing.T) {
	rt := startRuntime(t)
	done := invokeAsync(t.Context(), rt, `{}`)
	next(t, rt)

	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	if out := <-done; !errors.Is(out.err, ErrClosed) {
		t.Errorf("error %v, want ErrClosed", out.err)
	}
}

func TestExtensionRegistrationForSIGTERM(t *testing.T) {
	rt := startRuntime(t)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+rt.Addr()+"/2020-01-01/extension/register", strings.NewReader(`{"events":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Lambda-Extension-Name", "GoLangEnableSIGTERM")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Lambda-Extension-Identifier") == "" {
		t.Errorf("register: status %d, identifier %q; want 200 and an identifier", resp.StatusCode, resp.Header.Get("Lambda-Extension-Identifier"))
	}
}
