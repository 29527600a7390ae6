package emulator

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func (f *fixture) capacityProvider(name string, subnets, groups []string) *lambdatypes.CapacityProvider {
	f.t.Helper()
	out, err := f.lambda.CreateCapacityProvider(f.ctx, &lambda.CreateCapacityProviderInput{
		CapacityProviderName: aws.String(name),
		VpcConfig:            &lambdatypes.CapacityProviderVpcConfig{SubnetIds: subnets, SecurityGroupIds: groups},
		PermissionsConfig:    &lambdatypes.CapacityProviderPermissionsConfig{CapacityProviderOperatorRoleArn: aws.String(f.role(name + "-operator"))},
	})
	if err != nil {
		f.t.Fatalf("CreateCapacityProvider %s: %v", name, err)
	}
	return out.CapacityProvider
}

// CreateCapacityProvider and GetCapacityProvider follow the Lambda API
// reference: the provider's ARN, state, VPC and permissions configuration,
// found by name or ARN; an unknown provider is ResourceNotFoundException.
func TestCapacityProviderFollowsTheLambdaAPIReference(t *testing.T) {
	f := newFixture(t)
	vpc, subnet := f.subnet("10.61.0.0/16")
	group := f.securityGroup(vpc)
	created := f.capacityProvider("lmi-orders", []string{subnet}, []string{group})
	arn := aws.ToString(created.CapacityProviderArn)
	if arn != "arn:aws:lambda:"+Region+":"+Account+":capacity-provider:lmi-orders" {
		t.Errorf("ARN %s, want arn:aws:lambda:REGION:ACCOUNT:capacity-provider:NAME", arn)
	}
	for _, name := range []string{"lmi-orders", arn} {
		got, err := f.lambda.GetCapacityProvider(f.ctx, &lambda.GetCapacityProviderInput{CapacityProviderName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetCapacityProvider %s: %v", name, err)
		}
		p := got.CapacityProvider
		if aws.ToString(p.CapacityProviderArn) != arn || p.State != lambdatypes.CapacityProviderStateActive ||
			!slices.Equal(p.VpcConfig.SubnetIds, []string{subnet}) || !slices.Equal(p.VpcConfig.SecurityGroupIds, []string{group}) ||
			aws.ToString(p.PermissionsConfig.CapacityProviderOperatorRoleArn) == "" {
			t.Errorf("GetCapacityProvider %s = %+v", name, p)
		}
	}

	var notFound *lambdatypes.ResourceNotFoundException
	for _, name := range []string{"no-such-provider", "arn:aws:lambda:" + Region + ":" + Account + ":capacity-provider:no-such-provider"} {
		_, err := f.lambda.GetCapacityProvider(f.ctx, &lambda.GetCapacityProviderInput{CapacityProviderName: aws.String(name)})
		if !errors.As(err, &notFound) {
			t.Errorf("GetCapacityProvider %s: %v, want ResourceNotFoundException", name, err)
		}
	}

	// The same name twice is a conflict; subnets and an operator role are
	// required (the SDK itself refuses a request without the structures).
	_, err := f.lambda.CreateCapacityProvider(f.ctx, &lambda.CreateCapacityProviderInput{
		CapacityProviderName: aws.String("lmi-orders"),
		VpcConfig:            &lambdatypes.CapacityProviderVpcConfig{SubnetIds: []string{subnet}, SecurityGroupIds: []string{group}},
		PermissionsConfig:    &lambdatypes.CapacityProviderPermissionsConfig{CapacityProviderOperatorRoleArn: aws.String("arn:aws:iam::" + Account + ":role/op")},
	})
	var conflict *lambdatypes.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("second CreateCapacityProvider lmi-orders: %v, want ResourceConflictException", err)
	}
	var invalid *lambdatypes.InvalidParameterValueException
	for _, in := range []*lambda.CreateCapacityProviderInput{
		{CapacityProviderName: aws.String("no-subnets"), VpcConfig: &lambdatypes.CapacityProviderVpcConfig{SubnetIds: []string{}, SecurityGroupIds: []string{group}},
			PermissionsConfig: &lambdatypes.CapacityProviderPermissionsConfig{CapacityProviderOperatorRoleArn: aws.String("arn:aws:iam::" + Account + ":role/op")}},
		{CapacityProviderName: aws.String("no-role"), VpcConfig: &lambdatypes.CapacityProviderVpcConfig{SubnetIds: []string{subnet}, SecurityGroupIds: []string{group}},
			PermissionsConfig: &lambdatypes.CapacityProviderPermissionsConfig{CapacityProviderOperatorRoleArn: aws.String("")}},
	} {
		if _, err := f.lambda.CreateCapacityProvider(f.ctx, in); !errors.As(err, &invalid) {
			t.Errorf("CreateCapacityProvider %s: %v, want InvalidParameterValueException", aws.ToString(in.CapacityProviderName), err)
		}
	}
}

// ListCapacityProviders pages with Marker and MaxItems (1 to 50) and
// filters by State.
func TestCapacityProvidersListedInPages(t *testing.T) {
	f := newFixture(t)
	vpc, subnet := f.subnet("10.62.0.0/16")
	group := f.securityGroup(vpc)
	want := []string{"lmi-page-a", "lmi-page-b", "lmi-page-c"}
	for _, name := range want {
		f.capacityProvider(name, []string{subnet}, []string{group})
	}
	var got []string
	p := lambda.NewListCapacityProvidersPaginator(f.lambda, &lambda.ListCapacityProvidersInput{MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range page.CapacityProviders {
			got = append(got, lambdaResourceName(aws.ToString(c.CapacityProviderArn)))
		}
	}
	for _, name := range want {
		if !slices.Contains(got, name) {
			t.Errorf("listing %v lacks %s", got, name)
		}
	}
	if pages < 2 {
		t.Errorf("%d providers in %d page(s) of 2: want NextMarker paging", len(got), pages)
	}
	failed, err := f.lambda.ListCapacityProviders(f.ctx, &lambda.ListCapacityProvidersInput{State: lambdatypes.CapacityProviderStateFailed})
	if err != nil || len(failed.CapacityProviders) != 0 {
		t.Errorf("Failed providers: %+v, %v; want none", failed, err)
	}
	var invalid *lambdatypes.InvalidParameterValueException
	if _, err := f.lambda.ListCapacityProviders(f.ctx, &lambda.ListCapacityProvidersInput{MaxItems: aws.Int32(51)}); !errors.As(err, &invalid) {
		t.Errorf("MaxItems 51: %v, want InvalidParameterValueException", err)
	}
}

// A function created on a capacity provider reports its
// CapacityProviderConfig in GetFunctionConfiguration and ListFunctions,
// with its tracing mode.
func TestFunctionKeepsItsCapacityProviderConfig(t *testing.T) {
	f := newFixture(t)
	vpc, subnet := f.subnet("10.63.0.0/16")
	cp := f.capacityProvider("lmi-fn-host", []string{subnet}, []string{f.securityGroup(vpc)})
	_, err := f.lambda.CreateFunction(f.ctx, &lambda.CreateFunctionInput{
		FunctionName:  aws.String("on-managed-instances"),
		Role:          aws.String(f.role("on-managed-instances-role")),
		Runtime:       lambdatypes.RuntimePython313,
		Handler:       aws.String("app.handler"),
		Code:          &lambdatypes.FunctionCode{ZipFile: []byte("not really a zip")},
		TracingConfig: &lambdatypes.TracingConfig{Mode: lambdatypes.TracingModeActive},
		CapacityProviderConfig: &lambdatypes.CapacityProviderConfig{
			LambdaManagedInstancesCapacityProviderConfig: &lambdatypes.LambdaManagedInstancesCapacityProviderConfig{CapacityProviderArn: cp.CapacityProviderArn},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	plain := f.function("on-lambda-fleet", nil)

	cfg, err := f.lambda.GetFunctionConfiguration(f.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("on-managed-instances")})
	if err != nil {
		t.Fatal(err)
	}
	if providerOf(cfg.CapacityProviderConfig) != aws.ToString(cp.CapacityProviderArn) || cfg.TracingConfig == nil || cfg.TracingConfig.Mode != lambdatypes.TracingModeActive {
		t.Errorf("GetFunctionConfiguration: capacity provider %q, tracing %+v", providerOf(cfg.CapacityProviderConfig), cfg.TracingConfig)
	}
	listed := map[string]string{}
	p := lambda.NewListFunctionsPaginator(f.lambda, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, fn := range page.Functions {
			listed[aws.ToString(fn.FunctionName)] = providerOf(fn.CapacityProviderConfig)
		}
	}
	if listed["on-managed-instances"] != aws.ToString(cp.CapacityProviderArn) {
		t.Errorf("ListFunctions: on-managed-instances on %q, want %s", listed["on-managed-instances"], aws.ToString(cp.CapacityProviderArn))
	}
	if got, ok := listed[aws.ToString(plain.FunctionName)]; !ok || got != "" {
		t.Errorf("ListFunctions: a function on Lambda's own fleet reports provider %q (listed %v)", got, ok)
	}
}

func providerOf(c *lambdatypes.CapacityProviderConfig) string {
	if c == nil || c.LambdaManagedInstancesCapacityProviderConfig == nil {
		return ""
	}
	return aws.ToString(c.LambdaManagedInstancesCapacityProviderConfig.CapacityProviderArn)
}

// lambdaResourceName is the last field of a Lambda ARN.
func lambdaResourceName(arn string) string {
	i := len(arn) - 1
	for i >= 0 && arn[i] != ':' {
		i--
	}
	return arn[i+1:]
}
