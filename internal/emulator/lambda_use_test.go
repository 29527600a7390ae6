package emulator

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func (f *fixture) queueARN(name string) string {
	f.t.Helper()
	client := sqs.NewFromConfig(f.srv.MustConfig(f.t))
	q, err := client.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		f.t.Fatal(err)
	}
	attrs, err := client.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		f.t.Fatal(err)
	}
	return attrs.Attributes["QueueArn"]
}

// ListEventSourceMappings' FunctionName is the function's name, its ARN or
// a partial ARN, whichever the mapping was created with.
func TestEventSourceMappingsListedByFunctionNameOrARN(t *testing.T) {
	f := newFixture(t)
	fn := f.function("poller", nil)
	other := f.function("other-poller", nil)
	queue := f.queueARN("poller-jobs")
	if _, err := f.lambda.CreateEventSourceMapping(f.ctx, &lambda.CreateEventSourceMappingInput{FunctionName: fn.FunctionName, EventSourceArn: aws.String(queue)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lambda.CreateEventSourceMapping(f.ctx, &lambda.CreateEventSourceMappingInput{FunctionName: other.FunctionArn, EventSourceArn: aws.String(f.queueARN("other-jobs"))}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"poller", aws.ToString(fn.FunctionArn), Account + ":function:poller"} {
		out, err := f.lambda.ListEventSourceMappings(f.ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.EventSourceMappings) != 1 || aws.ToString(out.EventSourceMappings[0].EventSourceArn) != queue {
			t.Errorf("mappings of %s: %+v, want the one on %s", name, out.EventSourceMappings, queue)
		}
	}
	out, err := f.lambda.ListEventSourceMappings(f.ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("other-poller")})
	if err != nil || len(out.EventSourceMappings) != 1 {
		t.Errorf("mappings of other-poller (created with its ARN): %+v, %v", out, err)
	}
}

// ListFunctionEventInvokeConfigs answers a timestamp the SDK reads, and a
// function's DeadLetterConfig is kept and reported.
func TestAsynchronousDestinationsAndDeadLetterTarget(t *testing.T) {
	f := newFixture(t)
	fn := f.function("async-worker", nil)
	topic := "arn:aws:sns:" + Region + ":" + Account + ":failed-work"
	if _, err := f.lambda.PutFunctionEventInvokeConfig(f.ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:      fn.FunctionName,
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(topic)}},
	}); err != nil {
		t.Fatal(err)
	}
	configs, err := f.lambda.ListFunctionEventInvokeConfigs(f.ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: fn.FunctionArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(configs.FunctionEventInvokeConfigs) != 1 {
		t.Fatalf("configs %+v, want one", configs.FunctionEventInvokeConfigs)
	}
	c := configs.FunctionEventInvokeConfigs[0]
	if c.LastModified == nil || c.LastModified.IsZero() || aws.ToString(c.DestinationConfig.OnFailure.Destination) != topic {
		t.Errorf("config %+v, want a modification time and the on-failure topic", c)
	}

	dlq := f.queueARN("async-worker-dlq")
	if _, err := f.lambda.UpdateFunctionConfiguration(f.ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: fn.FunctionName, DeadLetterConfig: &lambdatypes.DeadLetterConfig{TargetArn: aws.String(dlq)},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := f.lambda.GetFunctionConfiguration(f.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: fn.FunctionName})
	if err != nil {
		t.Fatal(err)
	}
	if got.DeadLetterConfig == nil || aws.ToString(got.DeadLetterConfig.TargetArn) != dlq {
		t.Errorf("dead-letter config %+v, want %s", got.DeadLetterConfig, dlq)
	}
	listed, err := f.lambda.ListFunctions(f.ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(listed.Functions, func(c lambdatypes.FunctionConfiguration) bool { return aws.ToString(c.FunctionName) == "async-worker" }); i < 0 ||
		listed.Functions[i].DeadLetterConfig == nil || aws.ToString(listed.Functions[i].DeadLetterConfig.TargetArn) != dlq {
		t.Errorf("the listing does not carry the dead-letter target")
	}
	if _, err := f.lambda.UpdateFunctionConfiguration(f.ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: fn.FunctionName, DeadLetterConfig: &lambdatypes.DeadLetterConfig{TargetArn: aws.String("")},
	}); err != nil {
		t.Fatal(err)
	}
	got, err = f.lambda.GetFunctionConfiguration(f.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: fn.FunctionName})
	if err != nil || got.DeadLetterConfig != nil && aws.ToString(got.DeadLetterConfig.TargetArn) != "" {
		t.Errorf("an empty target did not remove the dead-letter config: %+v, %v", got.DeadLetterConfig, err)
	}
}
