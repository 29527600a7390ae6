package check

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// schemaRegistryNeeds: Lambda reads a Glue registry with the execution
// role, and a Confluent registry with the secrets of its access
// configuration. Schema registries exist only in provisioned mode, where
// Lambda's pollers do not call AWS from the cluster's VPC: permissions,
// no path.
func schemaRegistryNeeds(k *workload.Kafka) []PermissionNeed {
	r := k.SchemaRegistry
	if r == nil || k.OnDemand {
		return nil
	}
	var out []PermissionNeed
	if serviceOfARN(r.URI) == "glue" {
		why := fmt.Sprintf("the mapping validates records against Glue schema registry %s", r.URI)
		out = append(out,
			PermissionNeed{AnyOf: []string{"glue:GetRegistry"}, Resource: r.URI, Why: why},
			PermissionNeed{AnyOf: []string{"glue:GetSchemaVersion"}, Resource: r.URI, Why: why},
		)
	}
	for _, secret := range r.SecretARNs {
		out = append(out, PermissionNeed{AnyOf: []string{"secretsmanager:GetSecretValue"}, Resource: secret,
			Why: fmt.Sprintf("the mapping authenticates to schema registry %s with this secret", r.URI)})
	}
	return out
}

// destinationNeeds are what Lambda's "Capturing discarded batches" page
// asks of the execution role for the mapping's on-failure destination.
func destinationNeeds(k *workload.Kafka) []PermissionNeed {
	d := k.OnFailureDestination
	if d == "" {
		return nil
	}
	why := fmt.Sprintf("the mapping sends failed batches to %s", d)
	if topic, ok := strings.CutPrefix(d, "kafka://"); ok {
		// A Kafka destination is a topic of the source cluster, written
		// with the mapping's own authentication: IAM actions only for an
		// MSK cluster the role authenticates to (MSK: producing needs
		// Connect, DescribeTopic and WriteData; Connect is asked already).
		if !isMSK(k) || !usesIAMAuth(k) {
			return nil
		}
		arn := dataPlaneARN(k.EventSourceARN, "topic", topic)
		return []PermissionNeed{
			{AnyOf: []string{"kafka-cluster:DescribeTopic"}, Resource: arn, Why: why},
			{AnyOf: []string{"kafka-cluster:WriteData"}, Resource: arn, Why: why},
		}
	}
	a, err := arn.Parse(d)
	if err != nil {
		return nil
	}
	switch a.Service {
	case "sqs":
		return []PermissionNeed{{AnyOf: []string{"sqs:SendMessage"}, Resource: d, Why: why}}
	case "sns":
		return []PermissionNeed{{AnyOf: []string{"sns:Publish"}, Resource: d, Why: why}}
	case "s3":
		return []PermissionNeed{
			{AnyOf: []string{"s3:PutObject"}, Resource: d + "/*", Why: why},
			{AnyOf: []string{"s3:ListBucket"}, Resource: d, Why: why},
		}
	}
	return nil
}

func isMSK(k *workload.Kafka) bool {
	return k.Source == workload.SourceMSK || k.Source == workload.SourceMSKServerless
}

// kafkaSecrets are every secret a mapping names, its schema registry's too.
func kafkaSecrets(k *workload.Kafka) []string {
	out := append([]string(nil), k.SecretARNs...)
	if k.SchemaRegistry != nil {
		out = append(out, k.SchemaRegistry.SecretARNs...)
	}
	return out
}

// secretRegion: Lambda reads a mapping's secrets only in its own Region
// ("secrets must be stored in the same AWS region as your Lambda
// function"); a secret elsewhere fails the mapping whatever the role says.
var secretRegion = Check{
	ID:          "VM113",
	Name:        "kafka-secret-region",
	Title:       "A secret of the mapping is in another Region",
	Impact:      "Lambda reads Secrets Manager secrets only in the mapping's own Region: it cannot authenticate to the brokers or the schema registry, and the mapping fails.",
	Remediation: "Replicate the secret to the mapping's Region (aws secretsmanager replicate-secret-to-regions) and point the mapping at the replica.",
	Severity:    report.SeverityError,
	Applies: func(t *Target) bool {
		return t.Workload.Kafka != nil && t.Region != "" && len(kafkaSecrets(t.Workload.Kafka)) > 0
	},
	Run: func(t *Target) []Result {
		var out []Result
		for _, secret := range kafkaSecrets(t.Workload.Kafka) {
			a, err := arn.Parse(secret)
			switch {
			case err != nil:
				out = append(out, Result{Unverified: true, Service: "secretsmanager", Resources: []string{secret},
					Message: fmt.Sprintf("%s names %q as a secret, which is not an ARN: its Region cannot be checked", t.Describe(), secret)})
			case a.Region != t.Region:
				out = append(out, Result{Service: "secretsmanager", Resources: []string{secret},
					Message: fmt.Sprintf("%s names secret %s, which is in Region %s, but the mapping runs in %s: Lambda reads the mapping's secrets only in its own Region", t.Describe(), secret, a.Region, t.Region)})
			default:
				out = append(out, Result{Pass: true})
			}
		}
		return out
	},
}
