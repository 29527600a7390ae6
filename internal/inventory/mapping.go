package inventory

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/vpcmedic/vpcmedic/internal/lambdaarn"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// mappingWorkload builds the workload of any mapping whose pollers run in a
// customer VPC: Kafka, Amazon MQ or DocumentDB. Other mappings (SQS,
// Kinesis, DynamoDB) are polled from Lambda's own network: (nil, nil).
func (r *Reader) mappingWorkload(ctx context.Context, cfg lambdatypes.EventSourceMappingConfiguration) (*workload.Workload, error) {
	switch pollerSource(cfg) {
	case "mq":
		return r.mqWorkload(ctx, cfg)
	case "docdb":
		return r.docDBWorkload(ctx, cfg)
	}
	return r.kafkaWorkload(ctx, cfg)
}

// pollerSource names the Amazon MQ ("mq") or DocumentDB ("docdb") source of
// a mapping, or "" for any other.
func pollerSource(cfg lambdatypes.EventSourceMappingConfiguration) string {
	a, err := arn.Parse(aws.ToString(cfg.EventSourceArn))
	switch {
	case err != nil:
		return ""
	case a.Service == "mq":
		return "mq"
	case a.Service == "rds" && strings.HasPrefix(a.Resource, "cluster:"):
		return "docdb"
	}
	return ""
}

// pollsInVPC reports whether Lambda polls a mapping's source from the
// customer's VPC: Kafka, Amazon MQ and DocumentDB mappings.
func pollsInVPC(cfg lambdatypes.EventSourceMappingConfiguration) bool {
	return isKafkaMapping(cfg) || pollerSource(cfg) != ""
}

// pollerWorkload fills what MQ and DocumentDB mappings share.
func pollerWorkload(cfg lambdatypes.EventSourceMappingConfiguration, kind, source string) *workload.Workload {
	w := &workload.Workload{
		Kind:        kind,
		ID:          aws.ToString(cfg.UUID),
		FunctionARN: lambdaarn.Unqualified(aws.ToString(cfg.FunctionArn), "", ""),
		Poller: &workload.Poller{
			Source:                source,
			EventSourceARN:        aws.ToString(cfg.EventSourceArn),
			Queues:                cfg.Queues,
			OnDemand:              cfg.ProvisionedPollerConfig == nil,
			State:                 aws.ToString(cfg.State),
			LastProcessingResult:  aws.ToString(cfg.LastProcessingResult),
			StateTransitionReason: aws.ToString(cfg.StateTransitionReason),
		},
	}
	if d := cfg.DestinationConfig; d != nil && d.OnFailure != nil {
		w.Poller.OnFailureDestination = aws.ToString(d.OnFailure.Destination)
	}
	for _, sa := range cfg.SourceAccessConfigurations {
		w.Poller.AuthTypes = append(w.Poller.AuthTypes, string(sa.Type))
		if sa.Type == lambdatypes.SourceAccessTypeBasicAuth {
			w.Poller.SecretARNs = append(w.Poller.SecretARNs, aws.ToString(sa.URI))
		}
	}
	return w
}

// describeMapping names a mapping by its function and source.
func describeMapping(w *workload.Workload, what string) {
	w.Name = fmt.Sprintf("%s <- %s", lambdaarn.Name(w.FunctionARN), what)
}
