// Package fakeruntime is a test-only stand-in for the AWS Lambda Runtime API.
//
// It lets an end-to-end test run a real function binary (the `bootstrap` that
// aws-lambda-go produces) the way `sam local invoke` would, without Docker:
// start a Runtime, build the function with BuildBootstrap, start it with
// Runtime.StartFunction and call Runtime.Invoke as often as needed. The binary
// long-polls the runtime for events and posts back responses or errors, so a
// second invocation exercises the same process and its warm state.
//
// The fake implements what aws-lambda-go uses: the invocation loop
// (next, response, error), init errors, and the extension registration that
// lambda.WithEnableSIGTERM performs. It serves one invocation at a time.
package fakeruntime

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Header names of the Runtime API, as aws-lambda-go reads and writes them.
const (
	headerRequestID       = "Lambda-Runtime-Aws-Request-Id"
	headerDeadlineMS      = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID         = "Lambda-Runtime-Trace-Id"
	headerClientContext   = "Lambda-Runtime-Client-Context"
	headerCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	headerErrorType       = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody      = "Lambda-Runtime-Function-Error-Body"
	headerExtensionID     = "Lambda-Extension-Identifier"
)

const (
	// maxResponseBytes is Lambda's limit on a synchronous response payload.
	maxResponseBytes = 6 * 1024 * 1024
	// defaultTimeout applies when Invoke's context has no deadline: it is
	// Lambda's maximum, so the function never sees a deadline shorter than
	// the caller asked for.
	defaultTimeout = 15 * time.Minute
)

// ErrClosed is returned by Invoke once the runtime is closed.
var ErrClosed = errors.New("runtime closed")

// FunctionError is an error the function reported through the Runtime API,
// either for an invocation or while initialising.
type FunctionError struct {
	// Type is the error type, e.g. the Go type name of the handler's error
	// ("errorString" for errors.New) or "Runtime.ExitError".
	Type    string
	Message string
}

func (e *FunctionError) Error() string {
	return e.Type + ": " + e.Message
}

// Result is the outcome of one invocation.
type Result struct {
	// Payload is the function's response or, when Err is set, the error
	// document it posted, as the Lambda Invoke API returns it.
	Payload []byte
	// Err is set when the function reported an error for this invocation.
	Err *FunctionError
	// RequestID and TraceID are the values the function received.
	RequestID string
	TraceID   string
}

// InvokeOptions are optional per-invocation values.
type InvokeOptions struct {
	// TraceID is the X-Ray trace header the function receives (and
	// aws-lambda-go copies into _X_AMZN_TRACE_ID). Empty means a fresh,
	// unsampled trace.
	TraceID string
	// ClientContext and CognitoIdentity are JSON documents passed as they
	// are; aws-lambda-go decodes them into lambdacontext.LambdaContext.
	ClientContext   string
	CognitoIdentity string
}

// Runtime is a fake Lambda Runtime API listening on 127.0.0.1.
type Runtime struct {
	listener net.Listener
	server   *http.Server

	// slot holds one token: Invoke takes it, so invocations run one at a
	// time as on a single Lambda execution environment.
	slot chan struct{}
	// pending hands an invocation to a waiting GET /next.
	pending chan *invocation
	closed  chan struct{}

	mu          sync.Mutex
	current     *invocation // handed to the function, not yet answered
	process     *Process
	functionARN string
	initFailed  chan struct{} // closed when the function posts an init error
	initErr     *FunctionError
	closeOnce   sync.Once
}

type invocation struct {
	requestID string
	traceID   string
	deadline  time.Time
	event     []byte
	opts      InvokeOptions
	// done receives exactly one outcome; it is buffered so the HTTP handler
	// never blocks on an Invoke that gave up waiting.
	done chan outcome
}

type outcome struct {
	result Result
	err    error
}

// Start starts a runtime on a free port of the loopback interface.
func Start() (*Runtime, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	r := &Runtime{
		listener:    ln,
		slot:        make(chan struct{}, 1),
		pending:     make(chan *invocation),
		closed:      make(chan struct{}),
		initFailed:  make(chan struct{}),
		functionARN: functionARN(defaultRegion, defaultFunctionName),
	}
	r.slot <- struct{}{}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", r.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", r.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", r.handleInvocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", r.handleInitError)
	mux.HandleFunc("POST /2020-01-01/extension/register", r.handleExtensionRegister)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", r.handleExtensionNext)
	r.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go r.server.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed on Close
	return r, nil
}

// Addr returns the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (r *Runtime) Addr() string {
	return r.listener.Addr().String()
}

// Close stops the function process, if one was started, and the server.
// Pending and later invocations fail with ErrClosed.
func (r *Runtime) Close() error {
	var err error
	r.closeOnce.Do(func() {
		r.mu.Lock()
		p := r.process
		r.mu.Unlock()
		// Stop the function before the API goes away, so a function that
		// handles SIGTERM can still finish its shutdown hooks.
		if p != nil {
			p.Stop()
		}
		close(r.closed)
		err = r.server.Close()
	})
	return err
}

// Invoke queues event for the function and waits for its response or error.
// A function error is reported in Result.Err; the returned error means the
// invocation did not complete: ctx ended, the function process exited, the
// function failed to initialise, or the runtime was closed. ctx's deadline
// becomes the function's deadline.
func (r *Runtime) Invoke(ctx context.Context, event []byte) (Result, error) {
	return r.InvokeWithOptions(ctx, event, InvokeOptions{})
}

// InvokeWithOptions is Invoke with a chosen trace header, client context or
// Cognito identity.
func (r *Runtime) InvokeWithOptions(ctx context.Context, event []byte, opts InvokeOptions) (Result, error) {
	// Closing stops the process first: report the closing, not the exit.
	select {
	case <-r.closed:
		return Result{}, ErrClosed
	default:
	}
	select {
	case <-r.slot:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("wait for the previous invocation: %w", context.Cause(ctx))
	case <-r.closed:
		return Result{}, ErrClosed
	}
	defer func() { r.slot <- struct{}{} }()

	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(defaultTimeout)
	}
	inv := &invocation{
		requestID: newRequestID(),
		traceID:   opts.TraceID,
		deadline:  deadline,
		event:     event,
		opts:      opts,
		done:      make(chan outcome, 1),
	}
	if inv.traceID == "" {
		inv.traceID = newTraceID()
	}

	r.mu.Lock()
	process := r.process
	initFailed := r.initFailed
	r.mu.Unlock()
	var exited <-chan struct{} // nil, never ready, when the test runs the function itself
	if process != nil {
		exited = process.Exited()
	}

	select {
	case r.pending <- inv:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("invocation %s was not picked up: %w", inv.requestID, context.Cause(ctx))
	case <-exited:
		return Result{}, process.exitError()
	case <-initFailed:
		return Result{}, r.initError()
	case <-r.closed:
		return Result{}, ErrClosed
	}

	select {
	case out := <-inv.done:
		return out.result, out.err
	case <-ctx.Done():
		return Result{}, fmt.Errorf("invocation %s: %w", inv.requestID, context.Cause(ctx))
	case <-exited:
		// The function answers before it exits (e.g. after a panic): prefer
		// that answer when both are ready.
		if out, ok := tryReceive(inv.done); ok {
			return out.result, out.err
		}
		return Result{}, fmt.Errorf("invocation %s: %w", inv.requestID, process.exitError())
	case <-initFailed:
		return Result{}, r.initError()
	case <-r.closed:
		if out, ok := tryReceive(inv.done); ok {
			return out.result, out.err
		}
		return Result{}, ErrClosed
	}
}

func tryReceive(c <-chan outcome) (outcome, bool) {
	select {
	case out := <-c:
		return out, true
	default:
		return outcome{}, false
	}
}

func (r *Runtime) initError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Errorf("function failed to initialise: %w", r.initErr)
}

// handleNext is the long poll through which the function asks for its next
// event. Asking for the next event also means the previous one is finished.
func (r *Runtime) handleNext(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	if unanswered := r.current; unanswered != nil {
		r.current = nil
		unanswered.done <- outcome{err: fmt.Errorf("invocation %s: the function asked for the next event without answering", unanswered.requestID)}
	}
	r.mu.Unlock()

	var inv *invocation
	select {
	case inv = <-r.pending:
	case <-req.Context().Done():
		return
	case <-r.closed:
		writeAPIError(w, http.StatusInternalServerError, "Runtime.Closed", "the runtime is shutting down")
		return
	}

	r.mu.Lock()
	r.current = inv
	arn := r.functionARN
	r.mu.Unlock()

	h := w.Header()
	h.Set(headerRequestID, inv.requestID)
	h.Set(headerDeadlineMS, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, arn)
	h.Set(headerTraceID, inv.traceID)
	if inv.opts.ClientContext != "" {
		h.Set(headerClientContext, inv.opts.ClientContext)
	}
	if inv.opts.CognitoIdentity != "" {
		h.Set(headerCognitoIdentity, inv.opts.CognitoIdentity)
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(inv.event) //nolint:errcheck // a vanished function is noticed by its exit
}

func (r *Runtime) handleResponse(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxResponseBytes+1))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", "read response: "+err.Error())
		return
	}
	res := Result{Payload: body}
	status := http.StatusAccepted
	switch {
	case len(body) > maxResponseBytes:
		status = http.StatusRequestEntityTooLarge
		res = Result{Err: &FunctionError{
			Type:    "Function.ResponseSizeTooLarge",
			Message: fmt.Sprintf("response payload exceeds the limit of %d bytes", maxResponseBytes),
		}}
	case req.Trailer.Get(headerErrorType) != "":
		// A streamed response whose reader failed half-way: aws-lambda-go
		// reports the failure in trailers after the partial body.
		res = Result{Payload: body, Err: trailerError(req.Trailer)}
	}
	if !r.complete(w, req.PathValue("id"), res) {
		return
	}
	if status != http.StatusAccepted {
		writeAPIError(w, status, res.Err.Type, res.Err.Message)
		return
	}
	writeAccepted(w)
}

func (r *Runtime) handleInvocationError(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxResponseBytes))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", "read error: "+err.Error())
		return
	}
	res := Result{Payload: body, Err: decodeFunctionError(req.Header.Get(headerErrorType), body)}
	if r.complete(w, req.PathValue("id"), res) {
		writeAccepted(w)
	}
}

// complete hands res to the invocation requestID if it is the one in flight,
// and otherwise answers the function with an error and returns false.
func (r *Runtime) complete(w http.ResponseWriter, requestID string, res Result) bool {
	r.mu.Lock()
	inv := r.current
	if inv == nil || inv.requestID != requestID {
		r.mu.Unlock()
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation "+requestID+" is in flight")
		return false
	}
	r.current = nil
	r.mu.Unlock()

	res.RequestID = inv.requestID
	res.TraceID = inv.traceID
	inv.done <- outcome{result: res}
	return true
}

func (r *Runtime) handleInitError(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxResponseBytes))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", "read error: "+err.Error())
		return
	}
	fe := decodeFunctionError(req.Header.Get(headerErrorType), body)
	r.mu.Lock()
	if r.initErr == nil {
		r.initErr = fe
		close(r.initFailed)
	}
	r.mu.Unlock()
	writeAccepted(w)
}

// handleExtensionRegister accepts the internal extension that
// lambda.WithEnableSIGTERM registers to receive SIGTERM before shutdown.
func (r *Runtime) handleExtensionRegister(w http.ResponseWriter, req *http.Request) {
	w.Header().Set(headerExtensionID, newRequestID())
	w.Header().Set("Content-Type", "application/json")
	r.mu.Lock()
	arn := r.functionARN
	r.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]string{ //nolint:errcheck // best effort, as the real API
		"functionName":    arn,
		"functionVersion": "$LATEST",
		"handler":         "bootstrap",
	})
}

// handleExtensionNext blocks: the internal extension subscribes to no event,
// and the shutdown it waits for arrives as SIGTERM.
func (r *Runtime) handleExtensionNext(w http.ResponseWriter, req *http.Request) {
	select {
	case <-req.Context().Done():
	case <-r.closed:
		writeAPIError(w, http.StatusInternalServerError, "Runtime.Closed", "the runtime is shutting down")
	}
}

// decodeFunctionError reads the {"errorType", "errorMessage"} document a
// runtime posts; the header's type wins, as in Lambda.
func decodeFunctionError(headerType string, body []byte) *FunctionError {
	var doc struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		doc.Message = string(body)
	}
	fe := &FunctionError{Type: doc.Type, Message: doc.Message}
	if headerType != "" {
		fe.Type = headerType
	}
	if fe.Type == "" {
		fe.Type = "Unhandled"
	}
	return fe
}

func trailerError(trailer http.Header) *FunctionError {
	body, err := base64.StdEncoding.DecodeString(trailer.Get(trailerErrorBody))
	if err != nil {
		body = nil
	}
	return decodeFunctionError(trailer.Get(headerErrorType), body)
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`) //nolint:errcheck // the function ignores the body
}

func writeAPIError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{ //nolint:errcheck // the function only reads the status
		"errorType":    errorType,
		"errorMessage": message,
	})
}

// newRequestID returns a random UUID, the shape of Lambda request IDs.
func newRequestID() string {
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newTraceID returns an unsampled X-Ray trace header, so an instrumented
// function records no segments unless a test asks for them.
func newTraceID() string {
	root := make([]byte, 12)
	parent := make([]byte, 8)
	rand.Read(root)   //nolint:errcheck // crypto/rand.Read never fails
	rand.Read(parent) //nolint:errcheck // crypto/rand.Read never fails
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0",
		time.Now().Unix(), hex.EncodeToString(root), hex.EncodeToString(parent))
}
