// Package faults is test support: an HTTP proxy in front of an AWS endpoint
// (the emulator) that makes chosen operations fail the ways AWS and
// networks do (throttling, 500s, dropped connections, stalls) and keeps
// new endpoints pending for a number of reads. Point AWS_ENDPOINT_URL (or
// the SDK's BaseEndpoint) at Proxy.URL.
package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Fault is a way a call fails.
type Fault int

const (
	// Throttle answers as AWS does when the request rate is exceeded
	// (RequestLimitExceeded for EC2, ThrottlingException for JSON APIs).
	Throttle Fault = iota
	// ServerError answers 500 InternalError.
	ServerError
	// Drop closes the connection without an answer.
	Drop
	// Stall never answers: the caller must give up by itself.
	Stall
	// LoseAnswer lets the call through, then closes the connection
	// before the answer: the call took effect, the caller cannot know.
	LoseAnswer
)

// Proxy forwards calls to a target and injects faults.
type Proxy struct {
	// URL is where clients send their calls.
	URL string

	srv     *httptest.Server
	forward *httputil.ReverseProxy
	stop    chan struct{}

	mu      sync.Mutex
	faults  map[string][]Fault            // per operation, consumed in order
	before  map[string][]func(url.Values) // per operation, run once each before the call
	calls   map[string]int
	created map[string]bool // endpoints created through the proxy
	pending int             // DescribeVpcEndpoints answers still to rewrite
}

// New starts a proxy to target (an http:// base URL); it stops with Close.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{faults: map[string][]Fault{}, before: map[string][]func(url.Values){}, calls: map[string]int{}, created: map[string]bool{}, stop: make(chan struct{})}
	p.forward = httputil.NewSingleHostReverseProxy(u)
	p.forward.ModifyResponse = p.rewrite
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy, releasing stalled calls.
func (p *Proxy) Close() {
	close(p.stop)
	p.srv.CloseClientConnections()
	p.srv.Close()
}

// Inject makes the next times calls of operation (e.g. "DescribeVpcs")
// fail with f; later calls go through.
func (p *Proxy) Inject(operation string, f Fault, times int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range times {
		p.faults[operation] = append(p.faults[operation], f)
	}
}

// Before runs f once, just before the next call of operation goes through,
// with the call's parameters (query-protocol APIs; empty for JSON ones):
// another hand acting between a caller's look and its change.
func (p *Proxy) Before(operation string, f func(params url.Values)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before[operation] = append(p.before[operation], f)
}

// Clear drops the faults still queued for operation.
func (p *Proxy) Clear(operation string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.faults, operation)
}

// KeepPending makes the next n DescribeVpcEndpoints answers show the
// endpoints created through the proxy as pending.
func (p *Proxy) KeepPending(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = n
}

// Calls is how many calls of operation reached the proxy, faults included.
func (p *Proxy) Calls(operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[operation]
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	op := operation(r)
	p.mu.Lock()
	p.calls[op]++
	var fault *Fault
	if queue := p.faults[op]; len(queue) > 0 {
		f := queue[0]
		fault, p.faults[op] = &f, queue[1:]
	}
	var hook func(url.Values)
	if hooks := p.before[op]; len(hooks) > 0 {
		hook, p.before[op] = hooks[0], hooks[1:]
	}
	p.mu.Unlock()
	if hook != nil {
		hook(params(r))
	}
	forwarded := r.WithContext(context.WithValue(r.Context(), operationKey{}, op))
	if fault == nil {
		p.forward.ServeHTTP(w, forwarded)
		return
	}
	json := r.Header.Get("X-Amz-Target") != ""
	switch *fault {
	case Throttle:
		if json {
			writeJSONError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		} else {
			// A client error in EC2's list of error codes: 400-series.
			writeQueryError(w, http.StatusBadRequest, "RequestLimitExceeded", "Request limit exceeded.")
		}
	case ServerError:
		if json {
			writeJSONError(w, http.StatusInternalServerError, "InternalFailure", "injected fault")
		} else {
			writeQueryError(w, http.StatusInternalServerError, "InternalError", "injected fault")
		}
	case Drop:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	case LoseAnswer:
		// Under an invocation ID of its own: the emulator answers a
		// retried attempt with its first answer, which would hide what
		// this fault is for (the caller's retry carried out again).
		forwarded.Header.Set(invocationIDHeader, "lost-answer-"+rand.Text())
		p.forward.ServeHTTP(httptest.NewRecorder(), forwarded)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	case Stall:
		select {
		case <-r.Context().Done():
		case <-p.stop:
		}
	}
}

// invocationIDHeader names an SDK operation call, the same on each of its
// attempts.
const invocationIDHeader = "Amz-Sdk-Invocation-Id"

// operationKey carries the operation of a forwarded call to its answer.
type operationKey struct{}

// operation names the call: the Action of a query-protocol form (EC2, SNS,
// STS) or the X-Amz-Target of a JSON one (DynamoDB, SQS).
func operation(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	return params(r).Get("Action")
}

// params are the form of a query-protocol call, left readable for the
// forward.
func params(r *http.Request) url.Values {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return url.Values{}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return url.Values{}
	}
	return form
}

func writeQueryError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>faults</RequestID></Response>`, code, message)
}

func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, message)
}

var endpointID = regexp.MustCompile(`<vpcEndpointId>(vpce-[0-9a-f]+)</vpcEndpointId>`)

// rewrite learns the endpoints created and shows them pending while asked.
func (p *Proxy) rewrite(resp *http.Response) error {
	op, _ := resp.Request.Context().Value(operationKey{}).(string)
	if op != "CreateVpcEndpoint" && op != "DescribeVpcEndpoints" || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case op == "CreateVpcEndpoint":
		for _, m := range endpointID.FindAllSubmatch(body, -1) {
			p.created[string(m[1])] = true
		}
		body = pendingStates(body, p.created)
	case p.pending > 0:
		p.pending--
		body = pendingStates(body, p.created)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
	return nil
}

// pendingStates sets the state of the named endpoints to pending in an EC2
// answer, wherever the state element sits among the endpoint's fields.
func pendingStates(body []byte, ids map[string]bool) []byte {
	type span struct{ start, end int64 }
	var (
		spans []span
		depth int
		// endpointDepth is the depth of the endpoint element being read
		// (an item of vpcEndpointSet, or CreateVpcEndpoint's vpcEndpoint).
		endpointDepth = -1
		id            string
		state         *span
		field         string
	)
	dec := xml.NewDecoder(bytes.NewReader(body))
	parent := []string{}
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			name := t.Name.Local
			up := ""
			if len(parent) > 0 {
				up = parent[len(parent)-1]
			}
			parent = append(parent, name)
			if endpointDepth < 0 && (name == "item" && up == "vpcEndpointSet" || name == "vpcEndpoint") {
				endpointDepth, id, state = depth, "", nil
			} else if depth == endpointDepth+1 {
				field = name
			}
		case xml.CharData:
			if endpointDepth >= 0 && depth == endpointDepth+1 {
				switch field {
				case "vpcEndpointId":
					id = strings.TrimSpace(string(t))
				case "state":
					state = &span{before, dec.InputOffset()}
				}
			}
		case xml.EndElement:
			if depth == endpointDepth {
				if ids[id] && state != nil {
					spans = append(spans, *state)
				}
				endpointDepth = -1
			}
			field = ""
			parent = parent[:len(parent)-1]
			depth--
		}
	}
	var out []byte
	last := int64(0)
	for _, s := range spans {
		out = append(out, body[last:s.start]...)
		out = append(out, "pending"...)
		last = s.end
	}
	return append(out, body[last:]...)
}
