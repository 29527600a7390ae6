package runner

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Under Lambda every line is a JSON object with the keys of Lambda's JSON
// log format: timestamp, level, message and requestId, plus traceId
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html).
// For an OS-only runtime Lambda reads "level" (and an RFC 3339
// "timestamp") from the JSON lines the function writes, to filter them by
// the ApplicationLogLevel
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html);
// aws-lambda-go's lambdacontext.ReplaceAttr renames slog's time and msg keys
// to these.
const (
	keyRequestID = "requestId"
	keyTraceID   = "traceId"
)

// LambdaLogger is the functions' logger under Lambda: JSON lines on w at
// the level Lambda passes in AWS_LAMBDA_LOG_LEVEL, each naming the
// invocation when it is logged with the invocation's context.
func LambdaLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(os.Getenv("AWS_LAMBDA_LOG_LEVEL")))
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: lambdacontext.ReplaceAttr})
	return slog.New(invocationHandler{Handler: h})
}

// invocationLogger is base with the invocation's request and trace IDs on
// every line, also the lines logged without a context.
func invocationLogger(ctx context.Context, base *slog.Logger) *slog.Logger {
	attrs := invocationAttrs(ctx, true)
	if h, ok := base.Handler().(invocationHandler); ok {
		return slog.New(invocationHandler{Handler: h.Handler.WithAttrs(attrs), named: true})
	}
	args := make([]any, len(attrs))
	for i, a := range attrs {
		args[i] = a
	}
	return base.With(args...)
}

// invocationHandler adds the request and trace IDs of the context a line
// is logged with (slog's ...Context methods), unless the logger already
// names its invocation.
type invocationHandler struct {
	slog.Handler
	named bool
}

func (h invocationHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.named {
		r.AddAttrs(invocationAttrs(ctx, false)...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h invocationHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return invocationHandler{Handler: h.Handler.WithAttrs(attrs), named: h.named}
}

func (h invocationHandler) WithGroup(name string) slog.Handler {
	return invocationHandler{Handler: h.Handler.WithGroup(name), named: h.named}
}

// invocationAttrs are the request ID aws-lambda-go puts in the context and
// the X-Ray trace ID of the invocation: the Root of the trace header, which
// aws-lambda-go puts in the context as "x-amzn-trace-id" (and, when the
// function serves one invocation at a time, in _X_AMZN_TRACE_ID, read only
// when env is set). Nothing outside an invocation.
func invocationAttrs(ctx context.Context, env bool) []slog.Attr {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return nil
	}
	attrs := []slog.Attr{slog.String(keyRequestID, lc.AwsRequestID)}
	header, _ := ctx.Value("x-amzn-trace-id").(string)
	if header == "" && env {
		header = os.Getenv("_X_AMZN_TRACE_ID")
	}
	if id := traceRoot(header); id != "" {
		attrs = append(attrs, slog.String(keyTraceID, id))
	}
	return attrs
}

// traceRoot returns the trace ID of an X-Ray trace header
// ("Root=1-…;Parent=…;Sampled=1").
func traceRoot(header string) string {
	for part := range strings.SplitSeq(header, ";") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(part), "Root="); ok {
			return id
		}
	}
	return ""
}
