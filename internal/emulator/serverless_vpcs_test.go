package emulator

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"
)

// A serverless cluster keeps every VPC configuration it was created with,
// in order, each with its own subnets and security groups, and its IAM
// bootstrap brokers.
func TestServerlessClusterKeepsItsVPCConfigs(t *testing.T) {
	f := newFixture(t)
	vpcA, subnetA := f.subnet("10.81.0.0/16")
	vpcB, subnetB := f.subnet("10.82.0.0/16")
	want := []kafkatypes.VpcConfig{
		{SubnetIds: []string{subnetA}, SecurityGroupIds: []string{f.securityGroup(vpcA)}},
		{SubnetIds: []string{subnetB}, SecurityGroupIds: []string{f.securityGroup(vpcB)}},
	}
	out, err := f.kafka.CreateClusterV2(f.ctx, &kafka.CreateClusterV2Input{
		ClusterName: aws.String("two-vpcs"),
		Serverless: &kafkatypes.ServerlessRequest{
			VpcConfigs: want,
			ClientAuthentication: &kafkatypes.ServerlessClientAuthentication{
				Sasl: &kafkatypes.ServerlessSasl{Iam: &kafkatypes.Iam{Enabled: enabled()}},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.kafka.DescribeClusterV2(f.ctx, &kafka.DescribeClusterV2Input{ClusterArn: out.ClusterArn})
	if err != nil {
		t.Fatal(err)
	}
	c := got.ClusterInfo
	if c == nil || c.Serverless == nil {
		t.Fatalf("cluster %+v, want a serverless one", c)
	}
	var configs []kafkatypes.VpcConfig
	for _, vc := range c.Serverless.VpcConfigs {
		configs = append(configs, kafkatypes.VpcConfig{SubnetIds: vc.SubnetIds, SecurityGroupIds: vc.SecurityGroupIds})
	}
	if !reflect.DeepEqual(configs, want) {
		t.Errorf("VPC configurations %+v, want %+v", configs, want)
	}
	brokers, err := f.kafka.GetBootstrapBrokers(f.ctx, &kafka.GetBootstrapBrokersInput{ClusterArn: out.ClusterArn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(brokers.BootstrapBrokerStringSaslIam) == "" {
		t.Errorf("no IAM bootstrap brokers: %+v", brokers)
	}
}
