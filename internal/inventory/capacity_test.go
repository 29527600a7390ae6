package inventory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const providerPrefix = "arn:aws:lambda:us-east-1:123456789012:capacity-provider:"

// providersLambda adds GetCapacityProvider to fakeLambda, counting calls.
type providersLambda struct {
	*fakeLambda
	mu    sync.Mutex
	calls map[string]int
}

func (p *providersLambda) GetCapacityProvider(_ context.Context, in *lambda.GetCapacityProviderInput, _ ...func(*lambda.Options)) (*lambda.GetCapacityProviderOutput, error) {
	arn := aws.ToString(in.CapacityProviderName)
	p.mu.Lock()
	p.calls[arn]++
	p.mu.Unlock()
	switch strings.TrimPrefix(arn, providerPrefix) {
	case "shared":
		return &lambda.GetCapacityProviderOutput{CapacityProvider: &lambdatypes.CapacityProvider{
			CapacityProviderArn: aws.String(arn), State: lambdatypes.CapacityProviderStateActive,
			VpcConfig:         &lambdatypes.CapacityProviderVpcConfig{SubnetIds: []string{"subnet-p1", "subnet-p2"}, SecurityGroupIds: []string{"sg-instances"}},
			PermissionsConfig: &lambdatypes.CapacityProviderPermissionsConfig{CapacityProviderOperatorRoleArn: aws.String("arn:aws:iam::123456789012:role/operator")},
		}}, nil
	case "denied":
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform lambda:GetCapacityProvider"}
	}
	return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String("Capacity provider not found")}
}

// subnetsOf answers DescribeSubnets from a subnet-to-VPC map.
type subnetsOf map[string]string

func (s subnetsOf) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	var out ec2.DescribeSubnetsOutput
	for _, f := range in.Filters {
		for _, id := range f.Values {
			if vpc, ok := s[id]; ok {
				out.Subnets = append(out.Subnets, ec2types.Subnet{SubnetId: aws.String(id), VpcId: aws.String(vpc)})
			}
		}
	}
	return &out, nil
}

func onProvider(f lambdatypes.FunctionConfiguration, provider string) lambdatypes.FunctionConfiguration {
	f.CapacityProviderConfig = &lambdatypes.CapacityProviderConfig{LambdaManagedInstancesCapacityProviderConfig: &lambdatypes.LambdaManagedInstancesCapacityProviderConfig{
		CapacityProviderArn: aws.String(providerPrefix + provider),
	}}
	f.TracingConfig = &lambdatypes.TracingConfigResponse{Mode: lambdatypes.TracingModeActive}
	return f
}

// A listing reads each capacity provider once, gives its functions the
// provider's network (their own VpcConfig is ignored), and leaves the
// functions of a provider it may not read, or that is gone, unresolved.
func TestListingResolvesCapacityProvidersOnce(t *testing.T) {
	a, b := onProvider(listedFunction("lmi-a", "subnet-ignored"), "shared"), onProvider(listedFunction("lmi-b"), "shared")
	denied, gone := onProvider(listedFunction("lmi-denied"), "denied"), onProvider(listedFunction("lmi-gone"), "gone")
	full := map[string]lambdatypes.FunctionConfiguration{}
	for _, f := range []lambdatypes.FunctionConfiguration{a, b, denied, gone} {
		full[aws.ToString(f.FunctionArn)] = withState(f, lambdatypes.StateActive, "", "")
	}
	api := &providersLambda{fakeLambda: &fakeLambda{listed: []lambdatypes.FunctionConfiguration{a, b, denied, gone, listedFunction("not-in-vpc")}, full: full}, calls: map[string]int{}}
	r := &Reader{Lambda: api, EC2: subnetsOf{"subnet-p1": "vpc-lmi", "subnet-p2": "vpc-lmi", "subnet-ignored": "vpc-other"}}
	all, err := r.All(t.Context(), api)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(all), []string{"lmi-a", "lmi-b", "lmi-denied", "lmi-gone"}; !slices.Equal(got, want) {
		t.Fatalf("workloads %v, want %v", got, want)
	}
	if n := api.calls[providerPrefix+"shared"]; n != 1 {
		t.Errorf("shared provider read %d times, want once", n)
	}
	byName := map[string]*workload.Workload{}
	for _, w := range all {
		byName[w.Name] = w
		if w.Kind != workload.KindManagedInstancesFunction || w.Function.TracingMode != workload.TracingActive {
			t.Errorf("%s: kind %s, tracing %q", w.Name, w.Kind, w.Function.TracingMode)
		}
	}
	for _, name := range []string{"lmi-a", "lmi-b"} {
		w := byName[name]
		if w.Unresolved != "" || w.Network.VPCID != "vpc-lmi" || !slices.Equal(w.Network.SubnetIDs, []string{"subnet-p1", "subnet-p2"}) ||
			!slices.Equal(w.Network.SecurityGroupIDs, []string{"sg-instances"}) || w.Function.CapacityProvider.OperatorRoleARN == "" {
			t.Errorf("%s: network %+v, unresolved %q, provider %+v; want the provider's", name, w.Network, w.Unresolved, w.Function.CapacityProvider)
		}
	}
	if u := byName["lmi-denied"].Unresolved; !strings.Contains(u, "AccessDeniedException") || !strings.Contains(u, "lambda:GetCapacityProvider") {
		t.Errorf("denied provider: unresolved %q", u)
	}
	if u := byName["lmi-gone"].Unresolved; !strings.Contains(u, "does not exist") {
		t.Errorf("gone provider: unresolved %q", u)
	}
}
