package emulator

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func (f *fixture) interfaceEndpoint(vpc, subnet, service, token string, privateDNS bool) (*ec2.CreateVpcEndpointOutput, error) {
	in := &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(vpc), ServiceName: aws.String("com.amazonaws." + Region + "." + service),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{subnet},
		PrivateDnsEnabled: aws.Bool(privateDNS),
	}
	if token != "" {
		in.ClientToken = aws.String(token)
	}
	return f.ec2.CreateVpcEndpoint(f.ctx, in)
}

func (f *fixture) endpointCount(vpc string) int {
	f.t.Helper()
	out, err := f.ec2.DescribeVpcEndpoints(f.ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(out.VpcEndpoints)
}

// CreateVpcEndpoint, ClientToken: "Unique, case-sensitive identifier that
// you provide to ensure the idempotency of the request"; EC2 answers a
// repeated request with its first result, and a reused token with other
// parameters with IdempotentParameterMismatch.
func TestCreateVpcEndpointClientTokenIsIdempotent(t *testing.T) {
	f := newFixture(t)
	vpc, subnets := f.vpcWithZones("10.70.0.0/16", "a")
	first, err := f.interfaceEndpoint(vpc, subnets[0], "lambda", "token-1", true)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.interfaceEndpoint(vpc, subnets[0], "lambda", "token-1", true)
	if err != nil {
		t.Fatalf("the repeated request failed: %v", err)
	}
	if a, b := aws.ToString(first.VpcEndpoint.VpcEndpointId), aws.ToString(again.VpcEndpoint.VpcEndpointId); a == "" || a != b {
		t.Errorf("repeated request answered %s, want the first endpoint %s", b, a)
	}
	if aws.ToString(again.ClientToken) != "token-1" {
		t.Errorf("client token %q not echoed", aws.ToString(again.ClientToken))
	}
	if n := f.endpointCount(vpc); n != 1 {
		t.Errorf("%d endpoints after a repeated request, want 1", n)
	}
	_, err = f.interfaceEndpoint(vpc, subnets[0], "sts", "token-1", false)
	wantAPIError(t, "a reused token with other parameters", err, "IdempotentParameterMismatch")
	if n := f.endpointCount(vpc); n != 1 {
		t.Errorf("%d endpoints after a mismatched token, want 1", n)
	}
}

// EC2 associates one private hosted zone per service DNS name with a VPC:
// a second endpoint of the service with private DNS is refused, on create
// and on modify; without private DNS, or in another VPC, it is not.
func TestSecondPrivateDNSEndpointOfAServiceIsRefused(t *testing.T) {
	f := newFixture(t)
	vpc, subnets := f.vpcWithZones("10.71.0.0/16", "a")
	other, otherSubnets := f.vpcWithZones("10.72.0.0/16", "a")
	if _, err := f.interfaceEndpoint(vpc, subnets[0], "lambda", "", true); err != nil {
		t.Fatal(err)
	}
	_, err := f.interfaceEndpoint(vpc, subnets[0], "lambda", "", true)
	wantAPIError(t, "a second private DNS endpoint", err, "InvalidParameter")
	if err == nil || !strings.Contains(err.Error(), "conflicting DNS domain for lambda."+Region+".amazonaws.com in the VPC "+vpc) {
		t.Errorf("error %v does not name the DNS name and the VPC", err)
	}
	plain, err := f.interfaceEndpoint(vpc, subnets[0], "lambda", "", false)
	if err != nil {
		t.Fatalf("an endpoint without private DNS was refused: %v", err)
	}
	if _, err := f.interfaceEndpoint(other, otherSubnets[0], "lambda", "", true); err != nil {
		t.Fatalf("private DNS in another VPC was refused: %v", err)
	}
	if _, err := f.interfaceEndpoint(vpc, subnets[0], "sts", "", true); err != nil {
		t.Fatalf("private DNS for another service was refused: %v", err)
	}

	id := plain.VpcEndpoint.VpcEndpointId
	_, err = f.ec2.ModifyVpcEndpoint(f.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: id, PrivateDnsEnabled: aws.Bool(true)})
	wantAPIError(t, "private DNS turned on for a second endpoint", err, "InvalidParameter")
	out, err := f.ec2.DescribeVpcEndpoints(f.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(id)}})
	if err != nil || len(out.VpcEndpoints) != 1 || aws.ToBool(out.VpcEndpoints[0].PrivateDnsEnabled) {
		t.Errorf("after the refused modify: %+v, %v; want private DNS still off", out, err)
	}
}

// ModifyVpcEndpoint PrivateDnsEnabled turns private DNS on or off when
// nothing conflicts.
func TestModifyVpcEndpointTurnsPrivateDNSOn(t *testing.T) {
	f := newFixture(t)
	vpc, subnets := f.vpcWithZones("10.73.0.0/16", "a")
	e, err := f.interfaceEndpoint(vpc, subnets[0], "sts", "", false)
	if err != nil {
		t.Fatal(err)
	}
	id := e.VpcEndpoint.VpcEndpointId
	if _, err := f.ec2.ModifyVpcEndpoint(f.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: id, PrivateDnsEnabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	out, err := f.ec2.DescribeVpcEndpoints(f.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(id)}})
	if err != nil || len(out.VpcEndpoints) != 1 || !aws.ToBool(out.VpcEndpoints[0].PrivateDnsEnabled) {
		t.Errorf("after the modify: %+v, %v; want private DNS on", out, err)
	}
}
