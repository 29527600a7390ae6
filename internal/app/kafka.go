package app

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/vpcmedic/vpcmedic/internal/trail"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// kafkaWorkloads returns the mappings an MSK change can break: those whose
// event source is the changed cluster or VPC connection, each read as a
// mapping change reads it. Mappings of other accounts (those on a VPC
// connection to a cluster of this account) are not visible from here.
func (a *App) kafkaWorkloads(ctx context.Context, k *trail.KafkaChange) ([]*workload.Workload, string, error) {
	source := k.EventSourceARN()
	uuids, err := a.mappingsOf(ctx, source)
	if err != nil {
		return nil, "", err
	}
	if len(uuids) == 0 {
		skip := fmt.Sprintf("no event source mapping of this account reads from %s", source)
		if k.ClusterARN != "" && k.VPCConnectionARN != "" {
			skip += ": the mappings on a client VPC connection belong to the client account, which owns the connection"
		}
		return nil, skip, nil
	}
	// The mappings of one source share their cluster or connection read.
	out, err := readMappings(ctx, a.Inventory.Scoped(), uuids)
	if err != nil {
		return nil, "", err
	}
	if len(out) == 0 {
		return nil, fmt.Sprintf("the event source mappings of %s (%d) are gone or being deleted", source, len(uuids)), nil
	}
	return out, "", nil
}

// mappingsOf lists the UUIDs of the mappings reading from an event source.
func (a *App) mappingsOf(ctx context.Context, sourceARN string) ([]string, error) {
	var uuids []string
	p := lambda.NewListEventSourceMappingsPaginator(a.Lister, &lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(sourceARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the event source mappings of %s: %w", sourceARN, err)
		}
		for _, m := range page.EventSourceMappings {
			uuids = append(uuids, aws.ToString(m.UUID))
		}
	}
	return uuids, nil
}

// workloadsInVPCs returns every workload attached to a VPC of the account,
// for a change that may affect any of them (why says which).
func (a *App) workloadsInVPCs(ctx context.Context, why string) ([]*workload.Workload, string, error) {
	all, err := a.Inventory.All(ctx, a.Lister)
	if err != nil {
		return nil, "", err
	}
	var out []*workload.Workload
	for _, w := range all {
		// A mapping on another account's cluster is in that account's
		// network, which no change here touches.
		if w.Network.VPCID != "" {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Sprintf("no Kafka event source mapping or VPC function in any VPC of the account (%s)", why), nil
	}
	return out, "", nil
}
