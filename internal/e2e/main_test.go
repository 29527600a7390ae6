// Package e2e runs vpcmedic's real function binaries, built as Lambda
// builds them, against a fake Lambda Runtime API and the local AWS
// emulator, the way `sam local invoke` would without Docker.
package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/fakeruntime"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

var functions = []string{app.OnLambdaChange, app.OnNetworkChange, app.Sweep}

// bootstraps holds the binaries of the three functions, built once per test
// binary.
var bootstraps struct {
	once  sync.Once
	paths map[string]string
	err   error
}

func TestMain(m *testing.M) {
	code := emulator.Run(m)
	for _, path := range bootstraps.paths {
		os.RemoveAll(filepath.Dir(path))
	}
	os.Exit(code)
}

// bootstrap returns the function's binary, building all three on first use.
func bootstrap(t *testing.T, function string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("Lambda function binaries are linux executables")
	}
	bootstraps.once.Do(func() {
		// One after another: the first build fills the build cache for the
		// others. No deadline of its own: on a cold cache the build takes
		// minutes, and go test's -timeout guards the whole run.
		bootstraps.paths = map[string]string{}
		for _, fn := range functions {
			path, err := fakeruntime.BuildBootstrap(context.Background(), filepath.Join("..", "..", "functions", fn))
			if err != nil {
				bootstraps.err = err
				return
			}
			bootstraps.paths[fn] = path
		}
	})
	if bootstraps.err != nil {
		t.Fatal(bootstraps.err)
	}
	return bootstraps.paths[function]
}

// account is the broken on-demand MSK mapping of the demo, with an alert
// topic and a dead-letter queue.
type account struct {
	Orders *scenario.MSKWorkload
	// TopicARN is the alert topic; Oncall the queue subscribed to it.
	TopicARN string
	Oncall   string
	// DeadLetters is the URL of the dead-letter queue.
	DeadLetters string
}

var seeded *account

func seededAccount(t *testing.T) (*emulator.Server, *account) {
	t.Helper()
	srv := emulator.Seeded(t, "broken mapping with alerts and dead letters", func(tb testing.TB, srv *emulator.Server) {
		tb.Helper()
		cfg := srv.MustConfig(tb)
		s := scenario.New(cfg)
		a := &account{Orders: scenario.BrokenOnDemandMSK(s)}
		if err := s.Err(); err != nil {
			tb.Fatal(err)
		}
		ctx := context.Background()
		q := sqs.NewFromConfig(cfg)
		dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("vpcmedic-dead-letters")})
		if err != nil {
			tb.Fatal(err)
		}
		a.DeadLetters = aws.ToString(dlq.QueueUrl)
		oncall, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("oncall")})
		if err != nil {
			tb.Fatal(err)
		}
		a.Oncall = aws.ToString(oncall.QueueUrl)
		attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: oncall.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
		})
		if err != nil {
			tb.Fatal(err)
		}
		topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vpcmedic-alerts")})
		if err != nil {
			tb.Fatal(err)
		}
		a.TopicARN = aws.ToString(topic.TopicArn)
		if _, err := sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
		}); err != nil {
			tb.Fatal(err)
		}
		seeded = a
	})
	// The queues are shared by the tests: start each one with them empty.
	for _, url := range []string{seeded.DeadLetters, seeded.Oncall} {
		if _, err := sqs.NewFromConfig(srv.MustConfig(t)).PurgeQueue(t.Context(), &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
			t.Fatal(err)
		}
	}
	return srv, seeded
}

// function is a function binary running against a fake Runtime API.
type function struct {
	rt *fakeruntime.Runtime
	p  *fakeruntime.Process
}

// start runs a function as Lambda would, configured like template.yaml
// configures it, with extra variables overriding the defaults.
func start(t *testing.T, srv *emulator.Server, a *account, name string, extra ...string) *function {
	t.Helper()
	path := bootstrap(t, name)
	rt, err := fakeruntime.Start()
	if err != nil {
		t.Fatal(err)
	}
	env := append(srv.Env(),
		"MODE=alarm",
		"ALERT_TOPIC_ARN="+a.TopicARN,
		"LAMBDA_TASK_ROOT="+filepath.Dir(path),
		"AWS_LAMBDA_FUNCTION_NAME=vpcmedic-"+name,
	)
	p, err := rt.StartFunction(t.Context(), path, append(env, extra...))
	if err != nil {
		rt.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rt.Close()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.Logs())
		}
	})
	return &function{rt: rt, p: p}
}

func (f *function) invoke(t *testing.T, event []byte) fakeruntime.Result {
	t.Helper()
	return f.invokeWithOptions(t, event, fakeruntime.InvokeOptions{})
}

func (f *function) invokeWithOptions(t *testing.T, event []byte, opts fakeruntime.InvokeOptions) fakeruntime.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := f.rt.InvokeWithOptions(ctx, event, opts)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	return res
}

// logLines parses the function's output: every line must be a JSON object,
// as CloudWatch Logs Insights expects of a function with JSON logging.
func (f *function) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(f.p.Logs(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line is not JSON: %s", line)
			continue
		}
		out = append(out, m)
	}
	return out
}

// logLine returns the first log line with message msg about eventID.
func (f *function) logLine(t *testing.T, msg, eventID string) map[string]any {
	t.Helper()
	for _, l := range f.logLines(t) {
		if l["message"] == msg && l["eventId"] == eventID {
			return l
		}
	}
	t.Fatalf("no log line %q with eventId %s in:\n%s", msg, eventID, f.p.Logs())
	return nil
}

// metricDocuments returns the CloudWatch embedded metric format documents
// the function wrote.
func (f *function) metricDocuments(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range f.logLines(t) {
		if _, ok := l["_aws"]; ok {
			out = append(out, l)
		}
	}
	return out
}

// sample reads a sample event from events/ with old/new replacements;
// every old value must occur.
func sample(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	return emulator.Sample(t, name, replace...)
}

// messages takes every message off a queue and returns their bodies.
func messages(t *testing.T, srv *emulator.Server, queueURL string) []string {
	t.Helper()
	q := sqs.NewFromConfig(srv.MustConfig(t))
	out, err := q.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
		if _, err := q.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	return bodies
}
