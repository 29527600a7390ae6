package inventory

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// refusingLambda lists the function's mappings but refuses its
// asynchronous invocation configurations.
type refusingLambda struct {
	Lambda
	mappings []lambdatypes.EventSourceMappingConfiguration
}

func (f *refusingLambda) ListEventSourceMappings(_ context.Context, in *lambda.ListEventSourceMappingsInput, _ ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	return &lambda.ListEventSourceMappingsOutput{EventSourceMappings: f.mappings}, nil
}

func (f *refusingLambda) ListFunctionEventInvokeConfigs(context.Context, *lambda.ListFunctionEventInvokeConfigsInput, ...func(*lambda.Options)) (*lambda.ListFunctionEventInvokeConfigsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform lambda:ListFunctionEventInvokeConfigs"}
}

func TestLambdaUseRecordsARefusalAndTheMappings(t *testing.T) {
	queue := "arn:aws:sqs:us-east-1:123456789012:jobs"
	secret := "arn:aws:secretsmanager:us-east-1:123456789012:secret:mq-AbCd"
	client := &refusingLambda{mappings: []lambdatypes.EventSourceMappingConfiguration{
		{FunctionArn: aws.String(fnARN("worker")), EventSourceArn: aws.String(queue)},
		{FunctionArn: aws.String(fnARN("worker") + ":live"), EventSourceArn: aws.String("arn:aws:mq:us-east-1:123456789012:broker:b:b-1"),
			SourceAccessConfigurations: []lambdatypes.SourceAccessConfiguration{{Type: "BASIC_AUTH", URI: aws.String(secret)}}},
	}}
	r := &Reader{Lambda: client}
	w := functionWorkload(listedFunction("worker", "subnet-a"))
	if err := r.LambdaUse(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	u := w.Function.LambdaUse
	if !slices.Contains(u.EventSources, queue) || !slices.Contains(u.Targets, secret) || !u.MappingsRead {
		t.Errorf("use %+v, want the queue polled and the broker's secret read", u)
	}
	if u.DestinationsRead || len(u.Unread) != 1 || !strings.Contains(u.Unread[0], "AccessDeniedException") {
		t.Errorf("unread %q, want the refused asynchronous configuration", u.Unread)
	}
}

// A listing of every mapping gives each function its own; one without
// any has none, and nothing more is read for it.
func TestMappingUsesOfAListing(t *testing.T) {
	uses := mappingUses{}
	uses.add(lambdatypes.EventSourceMappingConfiguration{FunctionArn: aws.String(fnARN("a") + ":3"), EventSourceArn: aws.String("arn:aws:kinesis:us-east-1:123456789012:stream/s"),
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:123456789012:failed")}}})
	a, b := functionWorkload(listedFunction("a", "subnet-a")), functionWorkload(listedFunction("b", "subnet-a"))
	uses.apply([]*workload.Workload{a, b})
	if got := a.Function.LambdaUse; !got.MappingsRead || len(got.EventSources) != 1 || !slices.Contains(got.Targets, "arn:aws:sqs:us-east-1:123456789012:failed") {
		t.Errorf("a's use %+v", got)
	}
	if got := b.Function.LambdaUse; !got.MappingsRead || len(got.EventSources) != 0 {
		t.Errorf("b's use %+v, want read and empty", got)
	}
}
