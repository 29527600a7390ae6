package check

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// KafkaRequirements applies DOMAIN's table to an event source mapping: in
// on-demand mode Lambda's pollers in the cluster's VPC call Lambda and STS
// (and Secrets Manager for a secret); in provisioned mode nothing beyond the
// brokers. An on-failure destination needs its own path in either mode.
func KafkaRequirements(w *workload.Workload) []Requirement {
	k := w.Kafka
	if k == nil {
		return nil
	}
	var out []Requirement
	if k.OnDemand {
		const why = "the mapping runs in on-demand mode: Lambda's pollers in the cluster's subnets call it"
		out = append(out, Requirement{Service: "lambda", Why: why, Evidence: EvidenceDeclared}, Requirement{Service: "sts", Why: why, Evidence: EvidenceDeclared})
		if len(k.SecretARNs) > 0 {
			out = append(out, Requirement{Service: "secretsmanager", Why: fmt.Sprintf("the mapping authenticates with secret %s", strings.Join(k.SecretARNs, ", ")), Evidence: EvidenceDeclared})
		}
	}
	if d := k.OnFailureDestination; d != "" {
		if service := serviceOfARN(d); service != "" && service != "kafka" {
			out = append(out, Requirement{Service: service, Why: fmt.Sprintf("the mapping sends failed batches to %s", d), Evidence: EvidenceDeclared})
		}
	}
	return out
}

// serviceOfARN returns the service of an ARN (sqs, sns, s3, ...).
func serviceOfARN(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return a.Service
}
