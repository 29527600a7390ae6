package app_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/topology"
)

func TestBadInputIsTerminal(t *testing.T) {
	srv, _ := seededAccount(t)

	tests := []struct {
		name, function string
		event          func(t *testing.T) []byte
		want           string
	}{
		{"EC2 event given to on-lambda-change", app.OnLambdaChange,
			func(t *testing.T) []byte { return sample(t, "on-network-change/DeleteNatGateway-az-a.json") },
			"on-lambda-change handles aws.lambda events, not aws.ec2 DeleteNatGateway"},
		{"Lambda event given to on-network-change", app.OnNetworkChange,
			func(t *testing.T) []byte { return sample(t, "on-lambda-change/CreateFunction-vpc.json") },
			"on-network-change handles aws.ec2 events"},
		{"scheduled event given to on-lambda-change", app.OnLambdaChange,
			func(t *testing.T) []byte { return sample(t, "sweep/scheduled.json") },
			"on-lambda-change handles aws.lambda events"},
		{"malformed JSON", app.OnLambdaChange,
			func(*testing.T) []byte { return []byte(`{"version": "0", "detail-type": `) },
			"not valid JSON"},
		{"JSON that is not an event", app.OnNetworkChange,
			func(*testing.T) []byte { return []byte(`["DeleteNatGateway"]`) },
			"not a JSON object"},
		{"empty input", app.Sweep,
			func(*testing.T) []byte { return nil },
			"empty input"},
		{"API call without the member that names the resource", app.OnNetworkChange,
			func(t *testing.T) []byte {
				return sample(t, "on-network-change/DeleteNatGateway-az-a.json", `"NatGatewayId": "nat-0b2e8d4f1a7c39650"`, `"Note": "none"`)
			},
			"NatGatewayId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := build(t, srv, tt.function)
			rep, err := d.App.Handle(t.Context(), tt.event(t))
			if err == nil {
				t.Fatalf("no error; report %+v", rep)
			}
			if !app.IsTerminal(err) {
				t.Errorf("error %v is not terminal: the event would be retried for nothing", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if len(rep.Workloads) != 0 || rep.Workloads == nil || rep.Changes == nil {
				t.Errorf("report of a rejected event: workloads %v, changes %v: want empty lists", rep.Workloads, rep.Changes)
			}
		})
	}
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// throttlingAWS answers every call as AWS does when its rate limit is hit:
// EC2 (query protocol) with RequestLimitExceeded, Lambda (REST-JSON) with
// TooManyRequestsException.
func throttlingAWS(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/2015-03-31/") {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}`))
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>5b8f2c4e-1d3a-4f6b-9c7e-0a2d4f6b8c1e</RequestID></Response>`))
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func TestAWSErrorIsNotTerminal(t *testing.T) {
	srv, f := seededAccount(t)
	cfg := srv.MustConfig(t)

	ec2At := func(url string) *ec2.Client {
		return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(url) })
	}
	lambdaAt := func(url string) *lambda.Client {
		return lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(url) })
	}
	vpcAttributeChanged := func(t *testing.T) []byte {
		return sample(t, "on-network-change/ModifyVpcAttribute-disable-dns-hostnames.json", sampleBillingVPC, f.BillingVPC.ID)
	}

	tests := []struct {
		name, function string
		event          func(t *testing.T) []byte
		// breakAWS points part of the pipeline at a failing endpoint.
		breakAWS func(t *testing.T, a *app.App)
		// wantCode is the AWS error code, when the endpoint answers.
		wantCode string
	}{
		{"EC2 unreachable", app.OnNetworkChange, vpcAttributeChanged,
			func(t *testing.T, a *app.App) {
				c := ec2At(closedPort(t))
				a.Topology, a.Inventory.EC2 = &topology.Reader{EC2: c}, c
			}, ""},
		{"EC2 throttling", app.OnNetworkChange, vpcAttributeChanged,
			func(t *testing.T, a *app.App) {
				c := ec2At(throttlingAWS(t))
				a.Topology, a.Inventory.EC2 = &topology.Reader{EC2: c}, c
			}, "RequestLimitExceeded"},
		{"Lambda throttling while listing", app.Sweep,
			func(t *testing.T) []byte { return sample(t, "sweep/scheduled.json") },
			func(t *testing.T, a *app.App) { a.Lister = lambdaAt(throttlingAWS(t)) }, "TooManyRequestsException"},
		{"Lambda throttling while reading a mapping", app.OnLambdaChange, func(t *testing.T) []byte { return ordersCreated(t, f) },
			func(t *testing.T, a *app.App) { a.Inventory.Lambda = lambdaAt(throttlingAWS(t)) }, "TooManyRequestsException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := build(t, srv, tt.function)
			tt.breakAWS(t, d.App)
			_, err := d.App.Handle(t.Context(), tt.event(t))
			if err == nil {
				t.Fatal("no error, want the AWS error")
			}
			if app.IsTerminal(err) {
				t.Errorf("error %v is terminal: a transient AWS error must be retried", err)
			}
			if tt.wantCode != "" {
				var apiErr interface{ ErrorCode() string }
				if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
					t.Errorf("error %v does not wrap the AWS error %s", err, tt.wantCode)
				}
			}
		})
	}
}
