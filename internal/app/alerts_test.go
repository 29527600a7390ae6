package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/config"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// oncall is an SNS topic with an SQS queue subscribed, to read back what
// vpcmedic pages.
type oncall struct {
	TopicARN string
	queueURL string
	sqs      *sqs.Client
}

func newOncall(t *testing.T, srv *emulator.Server) *oncall {
	t.Helper()
	cfg := srv.MustConfig(t)
	ctx := t.Context()
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vpcmedic-alerts")})
	if err != nil {
		t.Fatal(err)
	}
	o := &oncall{TopicARN: aws.ToString(topic.TopicArn), sqs: sqs.NewFromConfig(cfg)}
	queue, err := o.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("oncall")})
	if err != nil {
		t.Fatal(err)
	}
	o.queueURL = aws.ToString(queue.QueueUrl)
	attrs, err := o.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
	}); err != nil {
		t.Fatal(err)
	}
	return o
}

// notification is the SNS envelope an SQS subscriber receives.
type notification struct {
	Subject string
	Message string
}

// received returns, and takes off the queue, the notifications delivered
// so far.
func (o *oncall) received(t *testing.T) []notification {
	t.Helper()
	out, err := o.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(o.queueURL), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []notification
	for _, m := range out.Messages {
		var n notification
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
			t.Fatalf("queue message %s is not an SNS notification: %v", aws.ToString(m.Body), err)
		}
		// A queue receives the JSON alert; its text is what a person reads.
		var alert struct{ Text string }
		if err := json.Unmarshal([]byte(n.Message), &alert); err != nil || alert.Text == "" {
			t.Fatalf("queue message %.300s is not a JSON alert with its text: %v", n.Message, err)
		}
		n.Message = alert.Text
		got = append(got, n)
		if _, err := o.sqs.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(o.queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func TestPagingRule(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg)
	broken := scenario.BrokenOnDemandMSK(s)
	payments := s.Function("payments-ledger", s.Role("payments-ledger", scenario.Inline(crossAccountConsumerPolicy)))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	// A mapping on an AVAILABLE managed VPC connection is unknown: the
	// cluster's VPC is in another account.
	if err := srv.SeedVPCConnection(t.Context(), emulator.VPCConnection{ARN: samplePaymentsConnection, TargetClusterARN: paymentsCluster}); err != nil {
		t.Fatal(err)
	}
	crossAccount, err := lambda.NewFromConfig(cfg).CreateEventSourceMapping(t.Context(), &lambda.CreateEventSourceMappingInput{
		FunctionName:     aws.String(payments.ARN),
		EventSourceArn:   aws.String(samplePaymentsConnection),
		Topics:           []string{"payments.settled"},
		StartingPosition: lambdatypes.EventSourcePositionLatest,
	})
	if err != nil {
		t.Fatal(err)
	}
	page := newOncall(t, srv)
	unknownOnly := sample(t, "on-lambda-change/CreateEventSourceMapping-msk-cross-account.json",
		samplePaymentsUUID, aws.ToString(crossAccount.UUID))

	for _, mode := range []string{config.ModeAlarm, config.ModeRemediate} {
		t.Run("unknown only in "+mode+" mode pages nobody", func(t *testing.T) {
			useEmulatorEnv(t, srv)
			t.Setenv("MODE", mode)
			t.Setenv("ALERT_TOPIC_ARN", page.TopicARN)
			d := buildFromEnv(t, app.OnLambdaChange)

			rep := handle(t, d, unknownOnly)
			if rep.Mode != mode {
				t.Errorf("report mode %q, want %q", rep.Mode, mode)
			}
			if len(rep.Workloads) != 1 || rep.Workloads[0].Status != report.StatusUnknown {
				t.Fatalf("workloads %+v, want the cross-account mapping, unknown", rep.Workloads)
			}
			if rep.Alert != nil {
				t.Errorf("alert %+v sent for an unknown workload", rep.Alert)
			}
			if got := page.received(t); len(got) != 0 {
				t.Errorf("on-call received %+v for an unknown workload", got)
			}
		})
	}

	// The same topic does deliver what the paging rule lets through, so the
	// silence above is the rule's doing.
	t.Run("broken in alarm mode pages once", func(t *testing.T) {
		useEmulatorEnv(t, srv)
		t.Setenv("MODE", config.ModeAlarm)
		t.Setenv("ALERT_TOPIC_ARN", page.TopicARN)
		d := buildFromEnv(t, app.OnLambdaChange)

		rep := handle(t, d, sample(t, "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json",
			sampleOrdersUUID, broken.ESM.UUID, sampleOrdersCluster, broken.Cluster.ARN))
		if len(rep.Workloads) != 1 || rep.Workloads[0].Status != report.StatusBroken {
			t.Fatalf("workloads %+v, want the mapping with no NAT gateway nor endpoint, broken", rep.Workloads)
		}
		if rep.Alert == nil {
			t.Fatal("no alert for a broken workload")
		}
		got := page.received(t)
		if len(got) != 1 || got[0].Subject != rep.Alert.Subject || !strings.Contains(got[0].Subject, "orders-consumer") ||
			!strings.Contains(got[0].Message, broken.ESM.UUID) {
			t.Errorf("on-call received %+v, want one alert %q about %s", got, rep.Alert.Subject, broken.ESM.UUID)
		}
	})
}
