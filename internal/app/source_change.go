package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	mqtypes "github.com/aws/aws-sdk-go-v2/service/mq/types"

	"github.com/vpcmedic/vpcmedic/internal/inventory"
	"github.com/vpcmedic/vpcmedic/internal/trail"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// sourceChangeWorkloads returns the mappings an Amazon MQ broker, DocumentDB
// cluster or DB subnet group change can break: those whose event source is
// the broker or a cluster, each read as a mapping change reads it, so that
// their pollers are checked in the broker's or cluster's current subnets
// and groups.
func (a *App) sourceChangeWorkloads(ctx context.Context, c *trail.SourceChange) ([]*workload.Workload, string, error) {
	// One scoped read: the broker described to find its ARN is not read
	// again for its mappings.
	inv := a.Inventory.Scoped()
	sources, skip, err := a.changedSources(ctx, inv, c)
	if err != nil || skip != "" {
		return nil, skip, err
	}
	var uuids []string
	for _, source := range sources {
		found, err := a.mappingsOf(ctx, source)
		if err != nil {
			return nil, "", err
		}
		uuids = append(uuids, found...)
	}
	named := strings.Join(sources, ", ")
	if len(uuids) == 0 {
		return nil, fmt.Sprintf("no event source mapping of this account reads from %s", named), nil
	}
	out, err := readMappings(ctx, inv, uuids)
	if err != nil {
		return nil, "", err
	}
	if len(out) == 0 {
		return nil, fmt.Sprintf("the event source mappings of %s (%d) are gone or being deleted", named, len(uuids)), nil
	}
	return out, "", nil
}

// changedSources returns the event source ARNs the change touches, or why
// it touches none.
func (a *App) changedSources(ctx context.Context, inv *inventory.Reader, c *trail.SourceChange) ([]string, string, error) {
	switch {
	case c.BrokerID != "":
		return brokerSource(ctx, inv, c.BrokerID)
	case c.ClusterARN != "":
		if c.Engine != "" && c.Engine != inventory.DocDBEngine {
			return nil, fmt.Sprintf("DB cluster %s runs %s, not DocumentDB: no event source mapping can read from it", c.ClusterARN, c.Engine), nil
		}
		return []string{c.ClusterARN}, "", nil
	case c.SubnetGroup != "":
		return subnetGroupSources(ctx, inv, c.SubnetGroup)
	}
	return nil, "", &TerminalError{Err: errors.New("the broker or cluster change names no broker, cluster or DB subnet group")}
}

// brokerSource is the ARN of a broker, which mappings name and the events
// do not: it holds the broker's name (arn:aws:mq:REGION:ACCOUNT:broker:NAME:ID).
func brokerSource(ctx context.Context, inv *inventory.Reader, id string) ([]string, string, error) {
	if inv.MQ == nil {
		return nil, "", errors.New("the Amazon MQ client is not configured: the mappings of broker " + id + " cannot be found")
	}
	out, err := inv.DescribeBroker(ctx, id)
	var nf *mqtypes.NotFoundException
	switch {
	case errors.As(err, &nf):
		return nil, fmt.Sprintf("Amazon MQ broker %s no longer exists", id), nil
	case err != nil:
		return nil, "", fmt.Errorf("describe broker %s: %w", id, err)
	}
	return []string{aws.ToString(out.BrokerArn)}, "", nil
}

// subnetGroupSources are the DocumentDB clusters in a DB subnet group,
// read into inv for their mappings.
func subnetGroupSources(ctx context.Context, inv *inventory.Reader, group string) ([]string, string, error) {
	if inv.RDS == nil {
		return nil, "", errors.New("the RDS client is not configured: the clusters of DB subnet group " + group + " cannot be found")
	}
	sources, err := inv.DocDBClustersInSubnetGroup(ctx, group)
	if err != nil {
		return nil, "", err
	}
	if len(sources) == 0 {
		return nil, fmt.Sprintf("no DocumentDB cluster of this account is in DB subnet group %s", group), nil
	}
	return sources, "", nil
}

// readMappings reads each mapping as a mapping change reads it, leaving
// out those that are gone, being deleted, or polled outside any customer
// VPC. The mappings share inv's one read of their sources.
func readMappings(ctx context.Context, inv *inventory.Reader, uuids []string) ([]*workload.Workload, error) {
	var out []*workload.Workload
	for _, uuid := range uuids {
		w, err := inv.ESM(ctx, uuid)
		switch {
		case errors.Is(err, inventory.ErrNotFound):
			continue
		case err != nil:
			return nil, err
		case w == nil || !w.IsMapping() || w.MappingState() == inventory.StateDeleting:
			continue
		}
		out = append(out, w)
	}
	return out, nil
}
