package inventory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const outOfIPs = "Lambda was unable to create an ENI in the subnet because the subnet has no available IP addresses."

// fakeLambda answers like Lambda: ListFunctions without the state fields,
// GetFunction and GetFunctionConfiguration with them.
type fakeLambda struct {
	Lambda
	listed []lambdatypes.FunctionConfiguration
	full   map[string]lambdatypes.FunctionConfiguration

	mu  sync.Mutex
	got []string
}

func (f *fakeLambda) ListEventSourceMappings(context.Context, *lambda.ListEventSourceMappingsInput, ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	return &lambda.ListEventSourceMappingsOutput{}, nil
}

func (f *fakeLambda) ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return &lambda.ListFunctionsOutput{Functions: f.listed}, nil
}

func (f *fakeLambda) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	f.mu.Lock()
	f.got = append(f.got, aws.ToString(in.FunctionName))
	f.mu.Unlock()
	c, ok := f.full[aws.ToString(in.FunctionName)]
	if !ok {
		return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String("Function not found")}
	}
	return &lambda.GetFunctionOutput{Configuration: &c}, nil
}

func (f *fakeLambda) GetFunctionConfiguration(_ context.Context, in *lambda.GetFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	c := f.full[aws.ToString(in.FunctionName)]
	return &lambda.GetFunctionConfigurationOutput{
		FunctionArn: c.FunctionArn, FunctionName: c.FunctionName, Role: c.Role, VpcConfig: c.VpcConfig,
		State: c.State, StateReason: c.StateReason, StateReasonCode: c.StateReasonCode,
		LastUpdateStatus: c.LastUpdateStatus, LastUpdateStatusReason: c.LastUpdateStatusReason,
		LastUpdateStatusReasonCode: c.LastUpdateStatusReasonCode,
	}, nil
}

func (f *fakeLambda) ListTags(context.Context, *lambda.ListTagsInput, ...func(*lambda.Options)) (*lambda.ListTagsOutput, error) {
	return &lambda.ListTagsOutput{}, nil
}

func fnARN(name string) string { return "arn:aws:lambda:us-east-1:123456789012:function:" + name }

func listedFunction(name string, subnets ...string) lambdatypes.FunctionConfiguration {
	f := lambdatypes.FunctionConfiguration{FunctionArn: aws.String(fnARN(name)), FunctionName: aws.String(name), Role: aws.String("arn:aws:iam::123456789012:role/app")}
	if len(subnets) > 0 {
		f.VpcConfig = &lambdatypes.VpcConfigResponse{VpcId: aws.String("vpc-1"), SubnetIds: subnets, SecurityGroupIds: []string{"sg-1"}}
	}
	return f
}

func withState(f lambdatypes.FunctionConfiguration, state lambdatypes.State, code lambdatypes.StateReasonCode, reason string) lambdatypes.FunctionConfiguration {
	f.State, f.StateReasonCode, f.StateReason = state, code, aws.String(reason)
	f.LastUpdateStatus = lambdatypes.LastUpdateStatusFailed
	f.LastUpdateStatusReasonCode = lambdatypes.LastUpdateStatusReasonCode(code)
	f.LastUpdateStatusReason = aws.String(reason)
	return f
}

// The listing reads the state ListFunctions leaves out with one
// GetFunction per VPC function, none for the others, and drops a function
// deleted in between.
func TestListingReadsTheStateOfVPCFunctions(t *testing.T) {
	api, broken, plain, gone := listedFunction("api", "subnet-a"), listedFunction("worker", "subnet-b"), listedFunction("cron"), listedFunction("old", "subnet-a")
	fake := &fakeLambda{
		listed: []lambdatypes.FunctionConfiguration{api, broken, plain, gone},
		full: map[string]lambdatypes.FunctionConfiguration{
			fnARN("api"):    withState(api, lambdatypes.StateActive, "", ""),
			fnARN("worker"): withState(broken, lambdatypes.StateFailed, lambdatypes.StateReasonCodeSubnetOutOfIPAddresses, outOfIPs),
		},
	}
	all, err := (&Reader{Lambda: fake}).All(t.Context(), fake)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(all), []string{"api", "worker"}; !slices.Equal(got, want) {
		t.Fatalf("workloads = %v, want %v", got, want)
	}
	slices.Sort(fake.got)
	if want := []string{fnARN("api"), fnARN("old"), fnARN("worker")}; !slices.Equal(fake.got, want) {
		t.Errorf("GetFunction calls = %v, want %v", fake.got, want)
	}
	want := [6]string{"Failed", "SubnetOutOfIPAddresses", outOfIPs, "Failed", "SubnetOutOfIPAddresses", outOfIPs}
	if got := lambdaState(all[1].Function); got != want {
		t.Errorf("state = %q, want %q", got, want)
	}
	if all[0].Function.State != "Active" {
		t.Errorf("api state = %q, want Active", all[0].Function.State)
	}
}

// A listing that already carries the state costs no further call.
func TestListingKeepsTheStateItCarries(t *testing.T) {
	api := withState(listedFunction("api", "subnet-a"), lambdatypes.StatePending, lambdatypes.StateReasonCodeCreating, "")
	fake := &fakeLambda{listed: []lambdatypes.FunctionConfiguration{api}}
	all, err := (&Reader{Lambda: fake}).All(t.Context(), fake)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Function.State != "Pending" || all[0].Function.StateReasonCode != "Creating" || len(fake.got) != 0 {
		t.Errorf("workloads = %v, GetFunction calls = %v", names(all), fake.got)
	}
}

// A function read on its own carries Lambda's words from its configuration.
func TestFunctionCarriesLambdaState(t *testing.T) {
	worker := listedFunction("worker", "subnet-b")
	fake := &fakeLambda{full: map[string]lambdatypes.FunctionConfiguration{
		fnARN("worker"): withState(worker, lambdatypes.StateFailed, lambdatypes.StateReasonCodeInvalidSecurityGroup, "The security group sg-1 does not exist."),
	}}
	w, err := (&Reader{Lambda: fake}).Function(t.Context(), fnARN("worker"))
	if err != nil {
		t.Fatal(err)
	}
	f := w.Function
	if f.State != "Failed" || f.StateReasonCode != "InvalidSecurityGroup" || f.StateReason != "The security group sg-1 does not exist." ||
		f.LastUpdateStatus != "Failed" || f.LastUpdateStatusReasonCode != "InvalidSecurityGroup" {
		t.Errorf("function = %+v", f)
	}
}

func names(ws []*workload.Workload) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Name)
	}
	return out
}

// lambdaState is State, StateReasonCode, StateReason, LastUpdateStatus,
// LastUpdateStatusReasonCode and LastUpdateStatusReason.
func lambdaState(f *workload.Function) [6]string {
	return [6]string{f.State, f.StateReasonCode, f.StateReason, f.LastUpdateStatus, f.LastUpdateStatusReasonCode, f.LastUpdateStatusReason}
}

// A state that cannot be read fails the listing: a sweep that silently
// skipped it would report a failed function as fine.
func TestListingFailsWhenAStateCannotBeRead(t *testing.T) {
	fake := &throttledLambda{fakeLambda{listed: []lambdatypes.FunctionConfiguration{listedFunction("api", "subnet-a")}}}
	if _, err := (&Reader{Lambda: fake}).All(t.Context(), fake); err == nil || !strings.Contains(err.Error(), "get function "+fnARN("api")) {
		t.Errorf("All() error = %v, want the GetFunction error", err)
	}
}

type throttledLambda struct{ fakeLambda }

func (*throttledLambda) GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return nil, &lambdatypes.TooManyRequestsException{Message: aws.String("Rate exceeded")}
}
