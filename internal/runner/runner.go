// Package runner starts a vpcmedic function: under the Lambda runtime it
// serves invocations; anywhere else it runs the handler once on an event
// from a file or stdin and prints the report. Configuration comes from the
// standard AWS variables plus MODE, ALERT_TOPIC_ARN and
// DEAD_LETTER_QUEUE_URL, the same way in both cases.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/config"
	"github.com/vpcmedic/vpcmedic/internal/metrics"
	"github.com/vpcmedic/vpcmedic/internal/notify"
	"github.com/vpcmedic/vpcmedic/internal/remediate"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// InLambda reports whether the process was started by the Lambda runtime.
func InLambda() bool { return os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" }

// Main runs the named function. instrument, when not nil, adds tracing to
// the SDK configuration (X-Ray in Lambda).
func Main(function string, instrument func(*aws.Config)) {
	if InLambda() {
		serve(function, instrument)
		return
	}
	os.Exit(RunOnce(function, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Deps is what a function needs from outside: its configuration and AWS.
type Deps struct {
	App    *app.App
	STS    *sts.Client
	SQS    *sqs.Client
	Region string
}

// Build wires the pipeline from the environment.
func Build(ctx context.Context, function string, log *slog.Logger, instrument func(*aws.Config)) (*Deps, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, errors.New("no AWS Region: set AWS_REGION")
	}
	WithTimeouts(&awsCfg, AttemptTimeout, OperationTimeout)
	if instrument != nil {
		instrument(&awsCfg)
	}
	stsClient := sts.NewFromConfig(awsCfg)
	d := &Deps{STS: stsClient, Region: awsCfg.Region}
	if cfg.DeadLetterQueueURL != "" || cfg.SweepShardQueueURL != "" {
		d.SQS = sqs.NewFromConfig(awsCfg)
	}
	c := accountClients(cfg, awsCfg)
	c.OwnRoleARNs = ownRoles(os.Getenv("VPCMEDIC_ROLE_ARNS"))
	d.App = &app.App{
		Function: function,
		Region:   awsCfg.Region,
		Config:   cfg,
		Clients:  *c,
		State:    stateTable(cfg, awsCfg),
		Notifier: &notify.Notifier{SNS: sns.NewFromConfig(awsCfg), TopicARN: cfg.AlertTopicARN},
		Log:      log,
	}
	if cfg.SweepShardQueueURL != "" && function == app.Sweep {
		d.App.Shards = d.SQS
	}
	organize(d.App, function, cfg, awsCfg, stsClient, OrganizationFromEnv())
	return d, nil
}

// ownRoles are the roles of vpcmedic's functions, comma-separated (set
// by the template): changes made by any of them are vpcmedic's own.
func ownRoles(list string) []string {
	var out []string
	for _, r := range strings.Split(list, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// applier makes changes only in remediate mode: in alarm mode the
// pipeline has no way to change anything.
func applier(cfg config.Config, client *ec2.Client) app.Applier {
	if cfg.Mode != config.ModeRemediate {
		return nil
	}
	a := remediate.New(client)
	a.AllowNATCreation = cfg.AllowNATCreation
	return a
}

// stateTable is the alert memory, when a table is configured.
func stateTable(cfg config.Config, awsCfg aws.Config) *alertstate.Table {
	if cfg.StateTable == "" {
		return nil
	}
	return &alertstate.Table{DynamoDB: dynamodb.NewFromConfig(awsCfg), Name: cfg.StateTable}
}

// maxLoggedEvent bounds how much of a rejected event goes into a log line.
const maxLoggedEvent = 8 << 10

func serve(function string, instrument func(*aws.Config)) {
	log := LambdaLogger(os.Stdout)
	// aws-lambda-go reports handler errors through the standard logger:
	// route it through the JSON handler so every line stays JSON.
	slog.SetDefault(log)
	deps, err := Build(context.Background(), function, log, instrument)
	if err != nil {
		// An init error: Lambda reports it on every invocation until the
		// configuration is fixed.
		log.Error("cannot start", "function", function, "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(Entry(function, deps, log, os.Stdout))
}

// Handler is the Lambda handler of function. Each invocation logs through
// log with its request and trace IDs on every line, and ends by writing
// its metrics to out (the log stream: stdout), whatever its outcome.
func Handler(function string, deps *Deps, log *slog.Logger, out io.Writer) func(context.Context, json.RawMessage) (report.Report, error) {
	name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	if name == "" {
		name = function
	}
	return func(ctx context.Context, raw json.RawMessage) (report.Report, error) {
		start := time.Now()
		log := invocationLogger(ctx, log)
		rep, runErr, err := handle(app.WithLog(ctx, log), deps, log, raw)
		end := time.Now()
		if werr := metrics.Write(out, metrics.Run{
			Function: name, Mode: deps.App.Config.Mode, Report: rep, Err: err,
			Duration: end.Sub(start), At: end,
			// A fanned-out sweep completes in the shard that sends its summary.
			SweepCompleted: function == app.Sweep && runErr == nil && !app.FannedOut(rep),
		}); werr != nil {
			log.Error("could not write the run's metrics", "error", werr.Error())
		}
		return rep, err
	}
}

// handle runs the pipeline on one event. It returns the run's error and
// the invocation's: a rejected event that is parked fails the run but not
// the invocation, since retrying it cannot help.
func handle(ctx context.Context, deps *Deps, log *slog.Logger, raw json.RawMessage) (rep report.Report, runErr, err error) {
	rep, err = deps.App.Handle(ctx, raw)
	if err == nil {
		return rep, nil, nil
	}
	if !app.IsTerminal(err) {
		// Transient (AWS errors, throttling): Lambda retries, then the
		// dead-letter queue keeps the event.
		log.Error("run failed, will be retried", "eventId", rep.Trigger.EventID, "error", err.Error())
		return rep, err, err
	}
	// Retrying bad input cannot help: log it, park it in the
	// dead-letter queue, and succeed so that nothing retries.
	log.Error("rejected event", "eventId", rep.Trigger.EventID, "error", err.Error(), "event", truncate(raw, maxLoggedEvent))
	if perr := park(ctx, deps, raw, err); perr != nil {
		log.Error("could not park the rejected event; failing so Lambda keeps it", "error", perr.Error())
		return rep, err, fmt.Errorf("%w (and parking it failed: %v)", err, perr)
	}
	return rep, err, nil
}

func park(ctx context.Context, deps *Deps, raw []byte, reason error) error {
	url := deps.App.Config.DeadLetterQueueURL
	if url == "" || deps.SQS == nil {
		return nil
	}
	body, err := json.Marshal(struct {
		Reason string          `json:"reason"`
		Event  json.RawMessage `json:"event"`
	}{reason.Error(), rawOrString(raw)})
	if err != nil {
		return err
	}
	_, err = deps.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))})
	return err
}

// rawOrString keeps valid JSON as it is and quotes anything else.
func rawOrString(raw []byte) json.RawMessage {
	if json.Valid(raw) {
		return raw
	}
	quoted, _ := json.Marshal(string(raw))
	return quoted
}

func truncate(raw []byte, n int) string {
	if len(raw) <= n {
		return string(raw)
	}
	return string(raw[:n]) + "...(truncated)"
}

// RunOnce is the command-line mode. It returns the exit code: 0 whenever
// the run completed (whatever it found, skips included), 1 when it could
// not (unreadable input, AWS errors), 2 for bad usage.
func RunOnce(function string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(function, flag.ContinueOnError)
	fs.SetOutput(stderr)
	eventUsage := "`file` holding the EventBridge event to handle (default: stdin)"
	if function == app.Sweep {
		eventUsage = "`file` holding the EventBridge event to handle (default: stdin; none: sweep now)"
	}
	eventFile := fs.String("event", "", eventUsage)
	format := fs.String("format", "text", "report format: text or json")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [-event FILE] [-format text|json]\n\nRuns vpcmedic's %s handler once and prints its report on stdout; logs go to stderr.\nAWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL and credentials pick the account; MODE and ALERT_TOPIC_ARN configure it.\n\n", function, function)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "%s: -format %q: want text or json\n", function, *format)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx := context.Background()

	raw, err := readEvent(*eventFile, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", function, err)
		return 1
	}
	deps, err := Build(ctx, function, log, nil)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", function, err)
		return 1
	}
	var rep report.Report
	if len(raw) == 0 {
		if function != app.Sweep {
			fmt.Fprintf(stderr, "%s: no event: pass -event FILE or pipe one on stdin (samples are in events/%s/)\n", function, function)
			return 1
		}
		rep, err = manualSweep(ctx, deps)
	} else {
		rep, err = deps.App.Handle(ctx, raw)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", function, err)
		return 1
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = report.WriteText(stdout, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: write report: %v\n", function, err)
		return 1
	}
	return 0
}

func manualSweep(ctx context.Context, deps *Deps) (report.Report, error) {
	id, err := deps.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return report.Report{}, fmt.Errorf("get caller identity: %w", err)
	}
	return deps.App.Run(ctx, trail.Sweep(aws.ToString(id.Account), deps.Region, time.Now().UTC()))
}

// readEvent reads the event from a file, or from stdin when it is not a
// terminal. No event at all is an empty result.
func readEvent(file string, stdin io.Reader) ([]byte, error) {
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read event: %w", err)
		}
		if len(strings.TrimSpace(string(raw))) == 0 {
			return nil, fmt.Errorf("event file %s is empty", file)
		}
		return raw, nil
	}
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return nil, nil
		}
	}
	raw, err := io.ReadAll(io.LimitReader(stdin, 2<<20))
	if err != nil {
		return nil, fmt.Errorf("read event from stdin: %w", err)
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil, nil
	}
	return raw, nil
}
