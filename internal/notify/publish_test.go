package notify

import (
	"encoding/json"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vpcmedic/vpcmedic/internal/config"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// TestPublishThroughSNS sends a 500-workload alert through SNS to an SQS
// subscriber: SNS takes the structured message with its attributes, and
// the queue (no "sqs" key) receives the default body, the JSON summary.
func TestPublishThroughSNS(t *testing.T) {
	cfg := emulator.Shared(t).MustConfig(t)
	ctx := t.Context()
	snsClient, sqsClient := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topic, err := snsClient.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vpcmedic-alerts")})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("oncall")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sqsClient.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsClient.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
	}); err != nil {
		t.Fatal(err)
	}

	n := &Notifier{SNS: snsClient, TopicARN: aws.ToString(topic.TopicArn), Log: slog.New(slog.DiscardHandler)}
	alert, err := n.Send(ctx, config.ModeAlarm, sweepOf(500))
	if err != nil || alert == nil || alert.MessageID == "" {
		t.Fatalf("alert %+v, error %v: want it published", alert, err)
	}

	out, err := sqsClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("queue received %d messages, want 1", len(out.Messages))
	}
	var envelope struct {
		Subject string
		Message string
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &envelope); err != nil {
		t.Fatal(err)
	}
	var machine machineAlert
	if err := json.Unmarshal([]byte(envelope.Message), &machine); err != nil {
		t.Fatalf("the queue did not receive the JSON body: %v\n%.300s", err, envelope.Message)
	}
	if machine.Summary.Broken != 500 || machine.FullReport == "" || envelope.Subject != alert.Subject {
		t.Errorf("received %d broken, full report %q, subject %q; sent subject %q", machine.Summary.Broken, machine.FullReport, envelope.Subject, alert.Subject)
	}
	// moto also passes the attributes on; AWS documents that it sends
	// attributes only with a String message structure, so that is not
	// asserted here.
	if machine.Summary.Severity != SeverityCritical || machine.Summary.Kind != KindBroken {
		t.Errorf("summary severity %q kind %q, want critical broken", machine.Summary.Severity, machine.Summary.Kind)
	}
}
