package inventory

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// secretAuthTypes are the source access configuration types whose URI is a
// Secrets Manager secret ARN (SourceAccessConfiguration in the Lambda API
// reference). The other OAUTHBEARER_* types hold plain values, and IAM_AUTH
// and IAM_OAUTHBEARER_AUTH name no secret.
var secretAuthTypes = []string{
	string(lambdatypes.SourceAccessTypeSaslScram256Auth),
	string(lambdatypes.SourceAccessTypeSaslScram512Auth),
	string(lambdatypes.SourceAccessTypeBasicAuth),
	string(lambdatypes.SourceAccessTypeClientCertificateTlsAuth),
	string(lambdatypes.SourceAccessTypeServerRootCaCertificate),
	string(lambdatypes.SourceAccessTypeOauthbearerAuth),
}

// schemaRegistry reads the mapping's schema registry, of an MSK or a
// self-managed source; every access configuration of a registry names a
// secret (KafkaSchemaRegistryAccessConfig).
func schemaRegistry(cfg lambdatypes.EventSourceMappingConfiguration) *workload.SchemaRegistry {
	var c *lambdatypes.KafkaSchemaRegistryConfig
	switch {
	case cfg.AmazonManagedKafkaEventSourceConfig != nil && cfg.AmazonManagedKafkaEventSourceConfig.SchemaRegistryConfig != nil:
		c = cfg.AmazonManagedKafkaEventSourceConfig.SchemaRegistryConfig
	case cfg.SelfManagedKafkaEventSourceConfig != nil && cfg.SelfManagedKafkaEventSourceConfig.SchemaRegistryConfig != nil:
		c = cfg.SelfManagedKafkaEventSourceConfig.SchemaRegistryConfig
	default:
		return nil
	}
	r := &workload.SchemaRegistry{URI: aws.ToString(c.SchemaRegistryURI)}
	for _, a := range c.AccessConfigs {
		if uri := aws.ToString(a.URI); uri != "" {
			r.SecretARNs = append(r.SecretARNs, uri)
		}
	}
	return r
}
