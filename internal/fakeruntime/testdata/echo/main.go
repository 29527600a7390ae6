// Command echo is a Lambda function for the fakeruntime tests: it returns
// its event, and on request fails, panics or describes its invocation.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// rejectedError gives the error a type name the tests can expect.
type rejectedError struct{ reason string }

func (e *rejectedError) Error() string { return "rejected: " + e.reason }

type request struct {
	Reject   string `json:"reject"`
	Panic    string `json:"panic"`
	Describe bool   `json:"describe"`
}

// description is what the function saw of its invocation.
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

var logger = lambdacontext.NewLogger()

func handle(ctx context.Context, event json.RawMessage) (any, error) {
	logger.InfoContext(ctx, "received event", "bytes", len(event))

	var req request
	_ = json.Unmarshal(event, &req) // anything but an object is simply echoed
	switch {
	case req.Reject != "":
		return nil, &rejectedError{reason: req.Reject}
	case req.Panic != "":
		panic(req.Panic)
	case req.Describe:
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		trace, _ := ctx.Value("x-amzn-trace-id").(string)
		return description{
			RequestID:        lc.AwsRequestID,
			FunctionARN:      lc.InvokedFunctionArn,
			TraceHeader:      trace,
			TraceEnv:         os.Getenv("_X_AMZN_TRACE_ID"),
			DeadlineMS:       deadline.UnixMilli(),
			FunctionName:     lambdacontext.FunctionName,
			MemoryLimitInMB:  lambdacontext.MemoryLimitInMB,
			FunctionVersion:  lambdacontext.FunctionVersion,
			LogFormat:        os.Getenv("AWS_LAMBDA_LOG_FORMAT"),
			Handler:          os.Getenv("_HANDLER"),
			Custom:           os.Getenv("ECHO_CUSTOM"),
			ClientContextEnv: lc.ClientContext.Env,
		}, nil
	}
	return event, nil
}

func main() {
	if os.Getenv("ECHO_EXIT_AT_INIT") != "" {
		fmt.Fprintln(os.Stderr, "echo: exiting during init as asked")
		os.Exit(3)
	}
	var opts []lambda.Option
	if os.Getenv("ECHO_ON_SIGTERM") != "" {
		opts = append(opts, lambda.WithEnableSIGTERM(func() {
			fmt.Println("echo: received SIGTERM")
			os.Exit(0)
		}))
	}
	lambda.StartWithOptions(handle, opts...)
}
