package inventory

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func TestKafkaSourceAccessSecrets(t *testing.T) {
	const (
		oauth    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:oauth-AbC"
		rootCA   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ca-DeF"
		registry = "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-GhI"
	)
	access := func(kind lambdatypes.SourceAccessType, uri string) lambdatypes.SourceAccessConfiguration {
		return lambdatypes.SourceAccessConfiguration{Type: kind, URI: aws.String(uri)}
	}
	cfg := lambdatypes.EventSourceMappingConfiguration{
		UUID:                   aws.String("5e1f"),
		FunctionArn:            aws.String("arn:aws:lambda:us-east-1:123456789012:function:sync"),
		SelfManagedEventSource: &lambdatypes.SelfManagedEventSource{Endpoints: map[string][]string{"KAFKA_BOOTSTRAP_SERVERS": {"kafka-1.example.com:9096"}}},
		SourceAccessConfigurations: []lambdatypes.SourceAccessConfiguration{
			access(lambdatypes.SourceAccessTypeVpcSubnet, "subnet:subnet-1"),
			access(lambdatypes.SourceAccessTypeOauthbearerAuth, oauth),
			// Values, not secrets.
			access(lambdatypes.SourceAccessTypeOauthbearerScope, "inventory.read"),
			access(lambdatypes.SourceAccessTypeOauthbearerAudience, "https://kafka.example.com"),
			access(lambdatypes.SourceAccessTypeServerRootCaCertificate, rootCA),
		},
		ProvisionedPollerConfig: &lambdatypes.ProvisionedPollerConfig{MinimumPollers: aws.Int32(1)},
		SelfManagedKafkaEventSourceConfig: &lambdatypes.SelfManagedKafkaEventSourceConfig{SchemaRegistryConfig: &lambdatypes.KafkaSchemaRegistryConfig{
			SchemaRegistryURI: aws.String("https://registry.example.com"),
			AccessConfigs:     []lambdatypes.KafkaSchemaRegistryAccessConfig{{Type: lambdatypes.KafkaSchemaRegistryAuthTypeBasicAuth, URI: aws.String(registry)}},
		}},
	}
	w, err := (&Reader{}).kafkaWorkload(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.Kafka.SecretARNs, []string{oauth, rootCA}) {
		t.Errorf("secrets %v, want the OAuth and root CA secrets only", w.Kafka.SecretARNs)
	}
	r := w.Kafka.SchemaRegistry
	if r == nil || r.URI != "https://registry.example.com" || !slices.Equal(r.SecretARNs, []string{registry}) {
		t.Errorf("schema registry %+v", r)
	}
	cfg.SelfManagedKafkaEventSourceConfig = nil
	if w, _ := (&Reader{}).kafkaWorkload(t.Context(), cfg); w.Kafka.SchemaRegistry != nil {
		t.Errorf("schema registry %+v without one configured", w.Kafka.SchemaRegistry)
	}
}
