package inventory

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// The broker ports of DOMAIN §3, picked from the bootstrap brokers by the
// authentication the mapping uses.
func TestMSKPorts(t *testing.T) {
	brokers := &kafka.GetBootstrapBrokersOutput{
		BootstrapBrokerString:          aws.String("b-1.orders.abc.c2.kafka.us-east-1.amazonaws.com:9092,b-2.orders.abc.c2.kafka.us-east-1.amazonaws.com:9092"),
		BootstrapBrokerStringTls:       aws.String("b-1.orders.abc.c2.kafka.us-east-1.amazonaws.com:9094"),
		BootstrapBrokerStringSaslScram: aws.String("b-1.orders.abc.c2.kafka.us-east-1.amazonaws.com:9096"),
		BootstrapBrokerStringSaslIam:   aws.String("b-1.orders.abc.c2.kafka.us-east-1.amazonaws.com:9098"),
	}
	tests := []struct {
		name  string
		kafka workload.Kafka
		want  []int
	}{
		{"IAM: the execution role authenticates", workload.Kafka{ClientAuthentication: []string{"iam", "scram"}}, []int{9098}},
		{"SASL/SCRAM secret", workload.Kafka{AuthTypes: []string{"SASL_SCRAM_512_AUTH"}, ClientAuthentication: []string{"iam", "scram"}}, []int{9096}},
		{"mutual TLS", workload.Kafka{AuthTypes: []string{"CLIENT_CERTIFICATE_TLS_AUTH"}, ClientAuthentication: []string{"tls"}}, []int{9094}},
		{"unauthenticated with TLS in transit", workload.Kafka{ClientAuthentication: []string{"unauthenticated"}}, []int{9094}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.kafka
			if got := mskPorts(&k, brokers); !slices.Equal(got, tt.want) {
				t.Errorf("ports = %v, want %v", got, tt.want)
			}
		})
	}
	plaintextOnly := &kafka.GetBootstrapBrokersOutput{BootstrapBrokerString: brokers.BootstrapBrokerString}
	if got := mskPorts(&workload.Kafka{ClientAuthentication: []string{"unauthenticated"}}, plaintextOnly); !slices.Equal(got, []int{9092}) {
		t.Errorf("plaintext ports = %v", got)
	}
}

func TestPortsOf(t *testing.T) {
	for list, want := range map[string][]int{
		"kafka1.internal:9092, kafka2.internal:9093,kafka3.internal:9092": {9092, 9093},
		"10.0.1.5":                  {9092},
		"[2001:db8::1]:19092":       {19092},
		"":                          nil,
		"kafka1.internal:notaport ": {9092},
	} {
		if got := portsOf(list, 9092); !slices.Equal(got, want) {
			t.Errorf("portsOf(%q) = %v, want %v", list, got, want)
		}
	}
}

func TestProvisionedAuth(t *testing.T) {
	p := &kafkatypes.Provisioned{ClientAuthentication: &kafkatypes.ClientAuthentication{
		Sasl: &kafkatypes.Sasl{Iam: &kafkatypes.Iam{Enabled: aws.Bool(true)}, Scram: &kafkatypes.Scram{Enabled: aws.Bool(false)}},
		Tls:  &kafkatypes.Tls{Enabled: aws.Bool(true)},
	}}
	if got := provisionedAuth(p); !slices.Equal(got, []string{"iam", "tls"}) {
		t.Errorf("auth = %v", got)
	}
	if got := provisionedAuth(&kafkatypes.Provisioned{}); !slices.Equal(got, []string{"unauthenticated"}) {
		t.Errorf("no client authentication = %v", got)
	}
}
