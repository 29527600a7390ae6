package inventory

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const serverlessARN = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/0b1c2d3e-4f56-7890-abcd-ef0123456789-s1"

// serverlessFakes answer for one serverless cluster with the given VPC
// configurations, its mapping, and subnets in the VPCs vpcOf says.
type serverlessFakes struct {
	Lambda
	Kafka
	configs []kafkatypes.VpcConfig
	vpcOf   map[string]string
}

func (f *serverlessFakes) mapping() lambdatypes.EventSourceMappingConfiguration {
	return lambdatypes.EventSourceMappingConfiguration{
		UUID: aws.String("esm-1"), EventSourceArn: aws.String(serverlessARN), Topics: []string{"orders"},
		FunctionArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:consumer"), State: aws.String("Enabled"),
	}
}

func (f *serverlessFakes) GetEventSourceMapping(context.Context, *lambda.GetEventSourceMappingInput, ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error) {
	m := f.mapping()
	return &lambda.GetEventSourceMappingOutput{UUID: m.UUID, EventSourceArn: m.EventSourceArn, Topics: m.Topics, FunctionArn: m.FunctionArn, State: m.State}, nil
}

func (f *serverlessFakes) GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	return &lambda.GetFunctionConfigurationOutput{Role: aws.String("arn:aws:iam::123456789012:role/consumer")}, nil
}

func (f *serverlessFakes) ListEventSourceMappings(context.Context, *lambda.ListEventSourceMappingsInput, ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	return &lambda.ListEventSourceMappingsOutput{EventSourceMappings: []lambdatypes.EventSourceMappingConfiguration{f.mapping()}}, nil
}

func (f *serverlessFakes) ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return &lambda.ListFunctionsOutput{}, nil
}

func (f *serverlessFakes) GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String("not found")}
}

func (f *serverlessFakes) DescribeClusterV2(context.Context, *kafka.DescribeClusterV2Input, ...func(*kafka.Options)) (*kafka.DescribeClusterV2Output, error) {
	return &kafka.DescribeClusterV2Output{ClusterInfo: &kafkatypes.Cluster{
		ClusterArn: aws.String(serverlessARN), ClusterName: aws.String("orders"),
		Serverless: &kafkatypes.Serverless{VpcConfigs: f.configs},
	}}, nil
}

func (f *serverlessFakes) GetBootstrapBrokers(context.Context, *kafka.GetBootstrapBrokersInput, ...func(*kafka.Options)) (*kafka.GetBootstrapBrokersOutput, error) {
	return &kafka.GetBootstrapBrokersOutput{BootstrapBrokerStringSaslIam: aws.String("boot-abc.c2.kafka-serverless.us-east-1.amazonaws.com:9098")}, nil
}

func (f *serverlessFakes) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	out := &ec2.DescribeSubnetsOutput{}
	for _, id := range in.Filters[0].Values {
		if vpc, ok := f.vpcOf[id]; ok {
			out.Subnets = append(out.Subnets, ec2types.Subnet{SubnetId: aws.String(id), VpcId: aws.String(vpc)})
		}
	}
	return out, nil
}

func (f *serverlessFakes) reader() *Reader { return &Reader{Lambda: f, Kafka: f, EC2: f} }

func vpcConfig(sg string, subnets ...string) kafkatypes.VpcConfig {
	return kafkatypes.VpcConfig{SubnetIds: subnets, SecurityGroupIds: []string{sg}}
}

// Each VPC configuration of a serverless cluster is a network of its own,
// in its own VPC, read the same by the event path and by a listing.
func TestServerlessClusterInSeveralVPCs(t *testing.T) {
	f := &serverlessFakes{
		configs: []kafkatypes.VpcConfig{vpcConfig("sg-a", "subnet-a1", "subnet-a2"), vpcConfig("sg-b", "subnet-b1")},
		vpcOf:   map[string]string{"subnet-a1": "vpc-a", "subnet-a2": "vpc-a", "subnet-b1": "vpc-b"},
	}
	want := []workload.Network{
		{VPCID: "vpc-a", SubnetIDs: []string{"subnet-a1", "subnet-a2"}, SecurityGroupIDs: []string{"sg-a"}},
		{VPCID: "vpc-b", SubnetIDs: []string{"subnet-b1"}, SecurityGroupIDs: []string{"sg-b"}},
	}
	event, err := f.reader().ESM(t.Context(), "esm-1")
	if err != nil {
		t.Fatal(err)
	}
	listed, err := f.reader().All(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 {
		t.Fatalf("listed %d workloads, want the mapping once", len(listed))
	}
	for name, w := range map[string]*workload.Workload{"event": event, "listing": listed[0]} {
		if w.Unresolved != "" {
			t.Fatalf("%s: unresolved: %s", name, w.Unresolved)
		}
		if !reflect.DeepEqual(w.VPCConfigs, want) {
			t.Errorf("%s: VPC configurations %+v, want %+v", name, w.VPCConfigs, want)
		}
		if !reflect.DeepEqual(w.Network, want[0]) {
			t.Errorf("%s: network %+v, want the first configuration %+v", name, w.Network, want[0])
		}
		if !reflect.DeepEqual(w.Kafka.BrokerPorts, []int{9098}) {
			t.Errorf("%s: broker ports %v, want [9098]", name, w.Kafka.BrokerPorts)
		}
	}
	// A change in either VPC selects the mapping, and only those.
	for _, vpc := range []string{"vpc-a", "vpc-b"} {
		in, err := f.reader().AllIn(t.Context(), f, []string{vpc})
		if err != nil {
			t.Fatal(err)
		}
		if len(in) != 1 || in[0].ID != "esm-1" {
			t.Errorf("workloads in %s: %v, want the mapping", vpc, in)
		}
	}
	if in, err := f.reader().AllIn(t.Context(), f, []string{"vpc-c"}); err != nil || len(in) != 0 {
		t.Errorf("workloads in vpc-c: %v, %v; want none", in, err)
	}
}

// One VPC configuration keeps the single network it always had.
func TestServerlessClusterInOneVPC(t *testing.T) {
	f := &serverlessFakes{
		configs: []kafkatypes.VpcConfig{vpcConfig("sg-a", "subnet-a1", "subnet-a2")},
		vpcOf:   map[string]string{"subnet-a1": "vpc-a", "subnet-a2": "vpc-a"},
	}
	w, err := f.reader().ESM(t.Context(), "esm-1")
	if err != nil {
		t.Fatal(err)
	}
	if w.Unresolved != "" || w.VPCConfigs != nil || w.Network.VPCID != "vpc-a" || len(w.Network.SubnetIDs) != 2 {
		t.Errorf("workload %+v, want one network in vpc-a", w)
	}
}

// A configuration that cannot be placed in one VPC leaves the mapping
// unverifiable, and says which configuration.
func TestServerlessConfigurationThatCannotBePlaced(t *testing.T) {
	for name, c := range map[string]struct {
		vpcOf map[string]string
		want  string
	}{
		"spans two VPCs": {map[string]string{"subnet-a1": "vpc-a", "subnet-b1": "vpc-b", "subnet-c1": "vpc-c"}, "subnets subnet-b1, subnet-c1 of VPC configuration 2 span 2 VPCs"},
		"subnet gone":    {map[string]string{"subnet-a1": "vpc-a", "subnet-b1": "vpc-b"}, "subnet subnet-c1 of VPC configuration 2 does not exist"},
	} {
		t.Run(name, func(t *testing.T) {
			f := &serverlessFakes{
				configs: []kafkatypes.VpcConfig{vpcConfig("sg-a", "subnet-a1"), vpcConfig("sg-b", "subnet-b1", "subnet-c1")},
				vpcOf:   c.vpcOf,
			}
			w, err := f.reader().ESM(t.Context(), "esm-1")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(w.Unresolved, c.want) {
				t.Errorf("unresolved %q, want %q", w.Unresolved, c.want)
			}
		})
	}
}
