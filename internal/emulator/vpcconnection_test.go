package emulator

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"
)

// The MSK API reference's cluster of another account, as a client account
// names it when creating a managed VPC connection.
const ownerCluster = "arn:aws:kafka:us-east-1:210987654321:cluster/payments/7d1c2b3a-4e5f-6a7b-8c9d-0e1f2a3b4c5d-3"

func TestVPCConnectionLifecycleFollowsTheMSKAPIReference(t *testing.T) {
	f := newFixture(t)
	vpc, subnet := f.subnet("10.40.0.0/24")
	created, err := f.kafka.CreateVpcConnection(f.ctx, &kafka.CreateVpcConnectionInput{
		TargetClusterArn: aws.String(ownerCluster), Authentication: aws.String("SASL_IAM"),
		VpcId: aws.String(vpc), ClientSubnets: []string{subnet}, SecurityGroups: []string{"sg-0a1b"},
	})
	if err != nil {
		t.Fatalf("CreateVpcConnection: %v", err)
	}
	arn := aws.ToString(created.VpcConnectionArn)
	// arn:aws:kafka:REGION:CLIENT:vpc-connection/OWNER/CLUSTER-NAME/UUID
	if !strings.HasPrefix(arn, "arn:aws:kafka:us-east-1:"+Account+":vpc-connection/210987654321/payments/") {
		t.Errorf("ARN %s: want the client account's, naming the owner and the cluster", arn)
	}
	if created.State != kafkatypes.VpcConnectionStateAvailable {
		t.Errorf("state %s, want AVAILABLE", created.State)
	}

	got, err := f.kafka.DescribeVpcConnection(f.ctx, &kafka.DescribeVpcConnectionInput{Arn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeVpcConnection: %v", err)
	}
	if aws.ToString(got.VpcConnectionArn) != arn || aws.ToString(got.TargetClusterArn) != ownerCluster ||
		got.State != kafkatypes.VpcConnectionStateAvailable || aws.ToString(got.Authentication) != "SASL_IAM" ||
		aws.ToString(got.VpcId) != vpc || !slices.Equal(got.Subnets, []string{subnet}) ||
		!slices.Equal(got.SecurityGroups, []string{"sg-0a1b"}) || got.CreationTime == nil {
		t.Errorf("DescribeVpcConnection = %+v", got)
	}

	// The cluster's owner rejects it: the client then sees REJECTED.
	if _, err := f.kafka.RejectClientVpcConnection(f.ctx, &kafka.RejectClientVpcConnectionInput{
		ClusterArn: aws.String(ownerCluster), VpcConnectionArn: aws.String(arn),
	}); err != nil {
		t.Fatalf("RejectClientVpcConnection: %v", err)
	}
	if got, err := f.kafka.DescribeVpcConnection(f.ctx, &kafka.DescribeVpcConnectionInput{Arn: aws.String(arn)}); err != nil || got.State != kafkatypes.VpcConnectionStateRejected {
		t.Errorf("after rejection: %+v, %v; want REJECTED", got, err)
	}
	// Only an AVAILABLE connection can be rejected.
	_, err = f.kafka.RejectClientVpcConnection(f.ctx, &kafka.RejectClientVpcConnectionInput{
		ClusterArn: aws.String(ownerCluster), VpcConnectionArn: aws.String(arn),
	})
	var bad *kafkatypes.BadRequestException
	if !errors.As(err, &bad) {
		t.Errorf("rejecting a rejected connection: %v, want BadRequestException", err)
	}

	deleted, err := f.kafka.DeleteVpcConnection(f.ctx, &kafka.DeleteVpcConnectionInput{Arn: aws.String(arn)})
	if err != nil || deleted.State != kafkatypes.VpcConnectionStateDeleting {
		t.Fatalf("DeleteVpcConnection = %+v, %v; want DELETING", deleted, err)
	}
	_, err = f.kafka.DescribeVpcConnection(f.ctx, &kafka.DescribeVpcConnectionInput{Arn: aws.String(arn)})
	var notFound *kafkatypes.NotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("describe a deleted connection: %v, want NotFoundException", err)
	}
}

func TestSeededVPCConnectionKeepsItsARNAndState(t *testing.T) {
	f := newFixture(t)
	arn := "arn:aws:kafka:us-east-1:" + Account + ":vpc-connection/210987654321/payments/c83f1d2e-7a6b-4e05-9d14-b2a8e6f03c71-3"
	if err := f.srv.SeedVPCConnection(f.ctx, VPCConnection{ARN: arn, TargetClusterARN: ownerCluster, State: "FAILED"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.kafka.DescribeVpcConnection(f.ctx, &kafka.DescribeVpcConnectionInput{Arn: aws.String(arn)})
	if err != nil || got.State != kafkatypes.VpcConnectionStateFailed || aws.ToString(got.TargetClusterArn) != ownerCluster {
		t.Errorf("DescribeVpcConnection = %+v, %v; want the seeded FAILED connection", got, err)
	}
	// Every state of the SDK's VpcConnectionState can be seeded.
	for _, state := range kafkatypes.VpcConnectionState("").Values() {
		if err := f.srv.SeedVPCConnection(f.ctx, VPCConnection{ARN: arn, State: string(state)}); err != nil {
			t.Errorf("seed %s: %v", state, err)
		}
	}
	for _, bad := range []VPCConnection{{ARN: "arn:aws:kafka:us-east-1:" + Account + ":cluster/payments/1"}, {ARN: arn, State: "PAUSED"}} {
		if err := f.srv.SeedVPCConnection(f.ctx, bad); err == nil {
			t.Errorf("seeding %+v succeeded, want it refused", bad)
		}
	}
}
