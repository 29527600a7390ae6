package scenario

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// CapacityProvider is a Lambda Managed Instances capacity provider created
// by a Scenario: the subnets and security groups its instances run in.
type CapacityProvider struct {
	Name            string
	ARN             string
	OperatorRoleARN string
	SubnetIDs       []string
	SGIDs           []string
}

// CapacityProvider creates a capacity provider whose instances run in the
// subnets with the security groups, and an operator role for it
// (name-operator, with no policy: vpcmedic does not judge that role).
func (s *Scenario) CapacityProvider(name string, subnets Subnets, sgs ...*SG) *CapacityProvider {
	role := s.Role(name + "-operator")
	cp := &CapacityProvider{Name: name, OperatorRoleARN: role.ARN, SubnetIDs: subnets.IDs(), SGIDs: sgIDs(sgs...)}
	s.do("create capacity provider "+name, func(ctx context.Context) error {
		out, err := s.lambda.CreateCapacityProvider(ctx, &lambda.CreateCapacityProviderInput{
			CapacityProviderName: aws.String(name),
			VpcConfig:            &lambdatypes.CapacityProviderVpcConfig{SubnetIds: cp.SubnetIDs, SecurityGroupIds: cp.SGIDs},
			PermissionsConfig:    &lambdatypes.CapacityProviderPermissionsConfig{CapacityProviderOperatorRoleArn: aws.String(role.ARN)},
			Tags:                 s.tagsWith(name),
		})
		if err != nil {
			return err
		}
		cp.ARN = aws.ToString(out.CapacityProvider.CapacityProviderArn)
		return nil
	})
	return cp
}

// OnCapacityProvider runs the function on Lambda Managed Instances of the
// capacity provider instead of Lambda's own fleet.
func OnCapacityProvider(cp *CapacityProvider) FunctionOption {
	return func(f *Function) { f.CapacityProviderARN = cp.ARN }
}

// WithTracing sets the function's X-Ray tracing mode (Active or
// PassThrough).
func WithTracing(mode lambdatypes.TracingMode) FunctionOption {
	return func(f *Function) { f.TracingMode = mode }
}

func (f *Function) managedInstancesInput(in *lambda.CreateFunctionInput) {
	if f.TracingMode != "" {
		in.TracingConfig = &lambdatypes.TracingConfig{Mode: f.TracingMode}
	}
	if f.CapacityProviderARN != "" {
		in.CapacityProviderConfig = &lambdatypes.CapacityProviderConfig{
			LambdaManagedInstancesCapacityProviderConfig: &lambdatypes.LambdaManagedInstancesCapacityProviderConfig{CapacityProviderArn: aws.String(f.CapacityProviderARN)},
		}
	}
}

// MapPublicIPOnLaunch makes the subnets assign a public IPv4 address to
// the instances launched in them.
func (ss Subnets) MapPublicIPOnLaunch(s *Scenario) Subnets {
	for _, sub := range ss {
		s.do("map public IPv4 on launch in "+sub.ID, func(ctx context.Context) error {
			_, err := s.ec2.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{
				SubnetId: aws.String(sub.ID), MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)},
			})
			return err
		})
	}
	return ss
}
