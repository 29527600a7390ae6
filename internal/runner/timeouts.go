package runner

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"
)

// Client-side timeouts of every AWS call. Without them a stalled
// connection is waited out until Lambda kills the function, and no alert
// goes out.
const (
	// AttemptTimeout bounds one HTTP attempt, from dialling to the last
	// byte of the response. The describes and mutations vpcmedic makes
	// answer in well under a second; 10 s tells a stall from a slow answer,
	// and the SDK's retryer then tries again on a fresh connection.
	AttemptTimeout = 10 * time.Second
	// OperationTimeout bounds one operation, its retries included: the
	// standard retryer makes 3 attempts, so at most about 3 stalls, and a
	// service that stalls that long fails the run (Lambda retries it) with
	// most of the invocation left for the outcome alert.
	OperationTimeout = 30 * time.Second
	// dialTimeout and tlsTimeout bound connection set-up within an
	// attempt: a regional endpoint that does not accept in 3 s is retried.
	dialTimeout = 3 * time.Second
	tlsTimeout  = 5 * time.Second
)

// WithTimeouts sets the attempt and operation timeouts on an SDK
// configuration, replacing those set before.
func WithTimeouts(cfg *aws.Config, attempt, operation time.Duration) {
	cfg.HTTPClient = awshttp.NewBuildableClient().
		WithTimeout(attempt).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = dialTimeout }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = tlsTimeout
			tr.ResponseHeaderTimeout = attempt
		})
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		m := operationTimeout(operation)
		_, _ = stack.Initialize.Remove(m.ID())
		return stack.Initialize.Add(m, middleware.Before)
	})
}

// operationTimeout gives each operation (all its attempts) a deadline.
func operationTimeout(d time.Duration) middleware.InitializeMiddleware {
	return middleware.InitializeMiddlewareFunc("vpcmedicOperationTimeout", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return next.HandleInitialize(ctx, in)
	})
}
