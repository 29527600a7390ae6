package runner

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestTraceRoot(t *testing.T) {
	for header, want := range map[string]string{
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1": "1-5759e988-bd862e3fe1be46a994272793",
		"Parent=53995c3f42cd8ad8; Root=1-5759e988-bd862e3fe1be46a994272793":          "1-5759e988-bd862e3fe1be46a994272793",
		"":          "",
		"Sampled=0": "",
	} {
		if got := traceRoot(header); got != want {
			t.Errorf("traceRoot(%q) = %q, want %q", header, got, want)
		}
	}
}

// A line the invocation's logger writes with the invocation's context
// names the invocation once, not twice.
func TestInvocationLoggerNamesTheInvocationOnce(t *testing.T) {
	var out bytes.Buffer
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-once"})
	log := invocationLogger(ctx, LambdaLogger(&out)).With("eventId", "e-1")
	log.InfoContext(ctx, "with context")
	log.Info("without context")
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if n := strings.Count(line, `"requestId":"req-once"`); n != 1 {
			t.Errorf("requestId %d times in %s, want once", n, line)
		}
	}
}
