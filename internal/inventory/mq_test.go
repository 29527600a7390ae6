package inventory

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/mq"
	mqtypes "github.com/aws/aws-sdk-go-v2/service/mq/types"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// The ports Lambda consumes on: OpenWire (ssl://) for ActiveMQ, AMQPS for
// RabbitMQ, read from the broker's endpoints, else the documented default.
func TestEndpointPorts(t *testing.T) {
	active := []mqtypes.BrokerInstance{{Endpoints: []string{
		"ssl://b-1.mq.us-east-1.amazonaws.com:61617", "amqp+ssl://b-1.mq.us-east-1.amazonaws.com:5671", "stomp+ssl://b-1.mq.us-east-1.amazonaws.com:61614",
	}}, {Endpoints: []string{"ssl://b-1-2.mq.us-east-1.amazonaws.com:61617"}}}
	if got := endpointPorts(active, "ssl", activeMQOpenWirePort); !slices.Equal(got, []int{61617}) {
		t.Errorf("ActiveMQ ports %v, want [61617]", got)
	}
	custom := []mqtypes.BrokerInstance{{Endpoints: []string{"amqps://b-2.mq.us-east-1.amazonaws.com:5672"}}}
	if got := endpointPorts(custom, "amqps", rabbitMQAMQPSPort); !slices.Equal(got, []int{5672}) {
		t.Errorf("RabbitMQ ports %v, want the endpoint's 5672", got)
	}
	if got := endpointPorts(nil, "amqps", rabbitMQAMQPSPort); !slices.Equal(got, []int{5671}) {
		t.Errorf("ports without endpoints %v, want the default 5671", got)
	}
}

type fakeMQ struct {
	out   *mq.DescribeBrokerOutput
	id    string
	calls int
}

func (f *fakeMQ) DescribeBroker(_ context.Context, in *mq.DescribeBrokerInput, _ ...func(*mq.Options)) (*mq.DescribeBrokerOutput, error) {
	f.id = aws.ToString(in.BrokerId)
	f.calls++
	return f.out, nil
}

// The mappings of one broker in one listing read the broker once; a reader
// without a listing's cache reads it each time.
func TestMappingsOfOneBrokerReadItOnce(t *testing.T) {
	broker := "arn:aws:mq:us-east-1:123456789012:broker:orders:b-9bcfa592-423a"
	mapping := func(uuid string) lambdatypes.EventSourceMappingConfiguration {
		return lambdatypes.EventSourceMappingConfiguration{
			UUID: aws.String(uuid), FunctionArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:consumer"),
			EventSourceArn: aws.String(broker), Queues: []string{"orders"},
		}
	}
	f := &fakeMQ{out: &mq.DescribeBrokerOutput{
		BrokerName: aws.String("orders"), EngineType: mqtypes.EngineTypeActivemq, PubliclyAccessible: aws.Bool(false),
		SubnetIds: []string{"subnet-a"}, SecurityGroups: []string{"sg-1"},
	}}
	listing := (&Reader{MQ: f}).Scoped()
	for _, uuid := range []string{"uuid-1", "uuid-2", "uuid-3"} {
		if _, err := listing.mappingWorkload(t.Context(), mapping(uuid)); err != nil {
			t.Fatal(err)
		}
	}
	if f.calls != 1 {
		t.Errorf("DescribeBroker called %d times for three mappings of one broker in a listing, want 1", f.calls)
	}
	f.calls = 0
	single := &Reader{MQ: f}
	for _, uuid := range []string{"uuid-1", "uuid-2"} {
		if _, err := single.mappingWorkload(t.Context(), mapping(uuid)); err != nil {
			t.Fatal(err)
		}
	}
	if f.calls != 2 {
		t.Errorf("DescribeBroker called %d times without a listing, want 2 (nothing remembered across events)", f.calls)
	}
}

func TestMQWorkloadTakesTheBrokersNetwork(t *testing.T) {
	broker := "arn:aws:mq:us-east-1:123456789012:broker:orders:b-9bcfa592-423a"
	cfg := lambdatypes.EventSourceMappingConfiguration{
		UUID: aws.String("uuid-1"), FunctionArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:consumer"),
		EventSourceArn: aws.String(broker), Queues: []string{"orders"},
		SourceAccessConfigurations: []lambdatypes.SourceAccessConfiguration{
			{Type: lambdatypes.SourceAccessTypeBasicAuth, URI: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:creds")},
			{Type: lambdatypes.SourceAccessTypeVirtualHost, URI: aws.String("/prod")},
		},
	}
	f := &fakeMQ{out: &mq.DescribeBrokerOutput{
		BrokerName: aws.String("orders"), EngineType: mqtypes.EngineTypeRabbitmq, PubliclyAccessible: aws.Bool(false),
		SubnetIds: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"},
		BrokerInstances: []mqtypes.BrokerInstance{{Endpoints: []string{"amqps://b-9bcfa592.mq.us-east-1.amazonaws.com:5671"}}},
	}}
	r := &Reader{MQ: f}
	w, err := r.mappingWorkload(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if f.id != "b-9bcfa592-423a" {
		t.Errorf("DescribeBroker asked for %q, want the broker ID", f.id)
	}
	p := w.Poller
	if w.Kind != workload.KindMQESM || w.Unresolved != "" || p.Source != workload.SourceRabbitMQ ||
		!slices.Equal(w.Network.SubnetIDs, []string{"subnet-a", "subnet-b"}) || !slices.Equal(w.Network.SecurityGroupIDs, []string{"sg-1"}) ||
		!slices.Equal(p.Ports, []int{5671}) || len(p.SecretARNs) != 1 || !p.OnDemand {
		t.Errorf("workload %+v, poller %+v", w, p)
	}

	f.out.PubliclyAccessible = aws.Bool(true)
	if w, _ := r.mappingWorkload(t.Context(), cfg); w.Unresolved == "" {
		t.Error("a publicly accessible broker was resolved to its subnets")
	}
}
