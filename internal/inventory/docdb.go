package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// docDBDefaultPort: "By default, Amazon DocumentDB uses the following
// ports: 27017" (Lambda guide, DocumentDB, "Configure network security").
const docDBDefaultPort = 27017

// docDBWorkload resolves a DocumentDB change-stream mapping. Its pollers
// take the cluster's network identity ("Lambda checks whether Elastic
// Network Interfaces (ENIs) are already present for the subnets and
// security groups configured for your Amazon VPC"): the cluster's
// VpcSecurityGroups and the subnets of its DB subnet group.
func (r *Reader) docDBWorkload(ctx context.Context, cfg lambdatypes.EventSourceMappingConfiguration) (*workload.Workload, error) {
	w := pollerWorkload(cfg, workload.KindDocDBESM, workload.SourceDocumentDB)
	clusterARN := w.Poller.EventSourceARN
	if c := cfg.DocumentDBEventSourceConfig; c != nil {
		w.Poller.Database = aws.ToString(c.DatabaseName)
		w.Poller.Collection = aws.ToString(c.CollectionName)
	}
	id := clusterARN[strings.LastIndex(clusterARN, ":")+1:]
	w.Poller.SourceName = id
	describeMapping(w, "DocumentDB "+id)
	if r.RDS == nil {
		w.Unresolved = "RDS is not read in this run: the DocumentDB cluster's network is unknown"
		return w, nil
	}
	out, err := r.describeDBCluster(ctx, id)
	var nf *rdstypes.DBClusterNotFoundFault
	switch {
	case errors.As(err, &nf), err == nil && len(out.DBClusters) == 0:
		w.Unresolved = fmt.Sprintf("the DocumentDB cluster %s does not exist (any more)", clusterARN)
		return w, nil
	case err != nil:
		return nil, fmt.Errorf("describe DB cluster %s: %w", clusterARN, err)
	}
	c := out.DBClusters[0]
	w.Poller.Ports = []int{docDBDefaultPort}
	if p := int(aws.ToInt32(c.Port)); p > 0 {
		w.Poller.Ports = []int{p}
	}
	w.Network.SecurityGroupIDs = vpcGroups(c.VpcSecurityGroups)
	group := aws.ToString(c.DBSubnetGroup)
	if group == "" {
		w.Unresolved = fmt.Sprintf("the DocumentDB cluster %s reports no DB subnet group", clusterARN)
		return w, nil
	}
	groups, err := r.describeDBSubnetGroup(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("describe DB subnet group %s: %w", group, err)
	}
	for _, g := range groups.DBSubnetGroups {
		for _, s := range g.Subnets {
			w.Network.SubnetIDs = append(w.Network.SubnetIDs, aws.ToString(s.SubnetIdentifier))
		}
	}
	if len(w.Network.SubnetIDs) == 0 {
		w.Unresolved = fmt.Sprintf("the DB subnet group %s of DocumentDB cluster %s has no subnets", group, clusterARN)
	}
	return w, nil
}
