// Command demo runs vpcmedic end to end on a workstation, without an AWS
// account: it starts the local AWS emulator, seeds a broken network (an
// on-demand MSK event source mapping whose cluster sits in private subnets
// with no NAT gateway and no PrivateLink endpoints), delivers the
// CreateEventSourceMapping event CloudTrail would send, and runs the
// on-lambda-change handler on it exactly as the command line does. It shows
// the diagnosis and the alert, then runs again in remediate mode, where
// vpcmedic fixes the network itself and re-checks, and checks once more.
// It then does the same for a VPC-attached function whose execution role
// publishes to SNS, in private subnets with no NAT gateway: what the
// function must reach is inferred from its role, and the CreateFunction
// event is diagnosed, remediated and re-checked.
//
//	go run ./internal/demo [-format text|json]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

func main() {
	format := flag.String("format", "text", "report format: text or json")
	flag.Parse()
	if err := run(*format); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

func run(format string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	say("starting the local AWS emulator (moto) on 127.0.0.1 ...")
	srv, err := emulator.Start(ctx)
	if err != nil {
		return err
	}
	defer srv.Stop()
	cfg, err := srv.Config(ctx)
	if err != nil {
		return err
	}

	say("seeding a broken network ...")
	s := scenario.New(cfg, scenario.WithContext(ctx))
	w := scenario.BrokenOnDemandMSK(s)
	if err := s.Err(); err != nil {
		return fmt.Errorf("seed the scenario: %w", err)
	}
	say("  VPC %s: public subnets %s, private subnets %s", w.VPC.ID, strings.Join(w.Public.IDs(), ", "), strings.Join(w.Private.IDs(), ", "))
	say("  MSK cluster %s (IAM auth) in the private subnets, no NAT gateway, no VPC endpoints", w.Cluster.ARN)
	say("  on-demand Kafka event source mapping %s for function %s", w.ESM.UUID, w.Function.Name)

	dir, err := os.MkdirTemp("", "vpcmedic-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	eventPath := filepath.Join(dir, "CreateEventSourceMapping.json")
	event := createESMEvent(w, time.Now().UTC())
	if err := os.WriteFile(eventPath, []byte(event), 0o600); err != nil {
		return err
	}

	topic, queue, err := alertInbox(ctx, cfg)
	if err != nil {
		return err
	}

	// The handler reads its configuration from the environment, as it does
	// in Lambda and on the command line.
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	os.Setenv("MODE", "alarm")
	os.Setenv("ALERT_TOPIC_ARN", topic)
	os.Unsetenv("AWS_PROFILE")

	say("\n== 1. diagnosis: %s receives CreateEventSourceMapping20150331 for %s\n", app.OnLambdaChange, w.ESM.UUID)
	if err := handle(eventPath, format); err != nil {
		return err
	}
	msg, err := readAlert(ctx, cfg, queue)
	if err != nil {
		return err
	}
	say("\n== the alert on-call receives (SNS topic %s)\n\n%s", topic, msg)

	say("\n== 2. remediation: the same event with MODE=remediate; vpcmedic applies its plan and re-checks\n")
	os.Setenv("MODE", "remediate")
	if err := handle(eventPath, format); err != nil {
		return err
	}
	if msg, err = readAlert(ctx, cfg, queue); err != nil {
		return err
	}
	say("\n== the alert on-call receives\n\n%s", msg)

	say("\n== 3. re-check: the same event again, alarm mode\n")
	os.Setenv("MODE", "alarm")
	if err := handle(eventPath, format); err != nil {
		return err
	}
	return functionDemo(ctx, cfg, s, dir, queue, format)
}

// functionDemo is the second scenario: a function attached to a VPC loses
// its internet path, so its calls to SNS time out (seed 002's blog).
func functionDemo(ctx context.Context, cfg aws.Config, s *scenario.Scenario, dir, queue, format string) error {
	say("\n\nseeding a VPC function that publishes to SNS ...")
	vpc := s.VPC("10.1.0.0/16")
	vpc.PublicSubnets("10.1.0.0/24@a", "10.1.1.0/24@b")
	private := vpc.PrivateSubnets("10.1.10.0/24@a", "10.1.11.0/24@b")
	role := s.Role("orders-notifier", scenario.ManagedPolicy("AWSLambdaVPCAccessExecutionRole"),
		scenario.Inline(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}]}`))
	fn := s.Function("orders-notifier", role, scenario.InVPC(private, vpc.SecurityGroup("orders-notifier")),
		scenario.Env("TOPIC_ARN", "arn:aws:sns:"+emulator.Region+":"+emulator.Account+":order-events"))
	if err := s.Err(); err != nil {
		return fmt.Errorf("seed the function scenario: %w", err)
	}
	say("  VPC %s: private subnets %s, no NAT gateway, no VPC endpoints", vpc.ID, strings.Join(private.IDs(), ", "))
	say("  function %s, execution role %s allowed sns:Publish, TOPIC_ARN in its environment", fn.Name, role.Name)

	eventPath := filepath.Join(dir, "CreateFunction.json")
	if err := os.WriteFile(eventPath, []byte(createFunctionEvent(fn, time.Now().UTC())), 0o600); err != nil {
		return err
	}
	say("\n== 4. diagnosis: %s receives CreateFunction20150331 for %s\n", app.OnLambdaChange, fn.Name)
	os.Setenv("MODE", "alarm")
	if err := handle(eventPath, format); err != nil {
		return err
	}
	msg, err := readAlert(ctx, cfg, queue)
	if err != nil {
		return err
	}
	say("\n== the alert on-call receives\n\n%s", msg)

	say("\n== 5. remediation: MODE=remediate creates the sns endpoint and re-checks\n")
	os.Setenv("MODE", "remediate")
	if err := handle(eventPath, format); err != nil {
		return err
	}
	if msg, err = readAlert(ctx, cfg, queue); err != nil {
		return err
	}
	say("\n== the alert on-call receives\n\n%s", msg)

	say("\n== 6. re-check: the same event again, alarm mode\n")
	os.Setenv("MODE", "alarm")
	return handle(eventPath, format)
}

func handle(eventPath, format string) error {
	if code := runner.RunOnce(app.OnLambdaChange, []string{"-event", eventPath, "-format", format}, os.Stdin, os.Stdout, os.Stderr); code != 0 {
		return fmt.Errorf("%s exited with %d", app.OnLambdaChange, code)
	}
	return nil
}

// alertInbox creates the alert topic and an SQS queue subscribed to it, so
// the demo can show the message on-call would receive.
func alertInbox(ctx context.Context, cfg aws.Config) (topicARN, queueURL string, err error) {
	t, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vpcmedic-alerts")})
	if err != nil {
		return "", "", fmt.Errorf("create the alert topic: %w", err)
	}
	q := sqs.NewFromConfig(cfg)
	qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("on-call")})
	if err != nil {
		return "", "", fmt.Errorf("create the on-call queue: %w", err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qu.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", "", fmt.Errorf("read the on-call queue: %w", err)
	}
	_, err = sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: t.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	})
	if err != nil {
		return "", "", fmt.Errorf("subscribe the on-call queue: %w", err)
	}
	return aws.ToString(t.TopicArn), aws.ToString(qu.QueueUrl), nil
}

func readAlert(ctx context.Context, cfg aws.Config, queueURL string) (string, error) {
	out, err := sqs.NewFromConfig(cfg).ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 1, WaitTimeSeconds: 1})
	if err != nil {
		return "", fmt.Errorf("read the alert: %w", err)
	}
	if len(out.Messages) == 0 {
		return "(no alert was sent)", nil
	}
	return aws.ToString(out.Messages[0].Body), nil
}

// say writes the demo's narration to stderr, so that stdout is only the
// report (and -format json pipes into jq).
func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// createFunctionEvent is the event CloudTrail delivers to EventBridge when
// a function is created in a VPC.
func createFunctionEvent(fn *scenario.Function, now time.Time) string {
	vpcConfig := map[string]any{"subnetIds": fn.SubnetIDs, "securityGroupIds": fn.SGIDs}
	return apiCall("CreateFunction20150331", "4e1c2b7a-9d3f-4c8e-a1b2-6f5e4d3c2b1a", "8f7e6d5c-4b3a-4291-8e7d-6c5b4a392817", now,
		map[string]any{"functionName": fn.Name, "role": fn.RoleARN, "vpcConfig": vpcConfig},
		map[string]any{"functionName": fn.Name, "functionArn": fn.ARN, "role": fn.RoleARN, "vpcConfig": vpcConfig, "state": "Pending"})
}

// createESMEvent is the event CloudTrail delivers to EventBridge when the
// mapping is created.
func createESMEvent(w *scenario.MSKWorkload, now time.Time) string {
	topics := []string{"orders"}
	return apiCall("CreateEventSourceMapping20150331", "0d9f6a4e-8c1b-4e7a-9b0c-2f4d5e6a7b8c", "5b2c7e1a-3d4f-4a6b-8c9d-0e1f2a3b4c5d", now,
		map[string]any{"eventSourceArn": w.Cluster.ARN, "functionName": w.Function.Name, "topics": topics, "startingPosition": "LATEST"},
		map[string]any{"uUID": w.ESM.UUID, "eventSourceArn": w.Cluster.ARN, "functionArn": w.Function.ARN, "state": "Creating", "topics": topics})
}

// apiCall is a Lambda API call as CloudTrail delivers it to EventBridge,
// made by a deployment role.
func apiCall(eventName, id, eventID string, now time.Time, request, response map[string]any) string {
	at := now.Format(time.RFC3339)
	event := map[string]any{
		"version": "0", "id": id, "detail-type": "AWS API Call via CloudTrail", "source": "aws.lambda",
		"account": emulator.Account, "time": at, "region": emulator.Region, "resources": []string{},
		"detail": map[string]any{
			"eventVersion": "1.09",
			"userIdentity": map[string]any{
				"type": "AssumedRole", "arn": "arn:aws:sts::" + emulator.Account + ":assumed-role/PlatformDeploy/ci", "accountId": emulator.Account,
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": "arn:aws:iam::" + emulator.Account + ":role/PlatformDeploy"}},
			},
			"eventTime": at, "eventSource": "lambda.amazonaws.com", "eventName": eventName, "awsRegion": emulator.Region,
			"requestParameters": request, "responseElements": response,
			"eventID": eventID, "readOnly": false, "eventType": "AwsApiCall", "recipientAccountId": emulator.Account,
		},
	}
	raw, err := json.MarshalIndent(event, "", "  ")
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return string(raw)
}
