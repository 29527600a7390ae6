package inventory

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mq"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// sourceCache remembers the Amazon MQ brokers, DocumentDB clusters and DB
// subnet groups read during one listing, so that many mappings on one
// broker or cluster cost one read of it. Only answers are kept: a failed
// read is tried again by the next mapping. It is safe for concurrent use.
type sourceCache struct {
	mu           sync.Mutex
	brokers      map[string]*mq.DescribeBrokerOutput
	clusters     map[string]*rds.DescribeDBClustersOutput
	subnetGroups map[string]*rds.DescribeDBSubnetGroupsOutput
}

// cached returns m[key] when the reader remembers it, else calls read and
// remembers its answer.
func cached[O any](r *Reader, m func(*sourceCache) *map[string]*O, key string, read func() (*O, error)) (*O, error) {
	if r.cache == nil {
		return read()
	}
	c := &r.cache.sources
	c.mu.Lock()
	if out, ok := (*m(c))[key]; ok {
		c.mu.Unlock()
		return out, nil
	}
	c.mu.Unlock()
	out, err := read()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if *m(c) == nil {
		*m(c) = map[string]*O{}
	}
	(*m(c))[key] = out
	c.mu.Unlock()
	return out, nil
}

// DescribeBroker describes an Amazon MQ broker by its ID, once for a scoped
// reader and every mapping it reads afterwards.
func (r *Reader) DescribeBroker(ctx context.Context, id string) (*mq.DescribeBrokerOutput, error) {
	return r.describeBroker(ctx, id)
}

func (r *Reader) describeBroker(ctx context.Context, id string) (*mq.DescribeBrokerOutput, error) {
	return cached(r, func(c *sourceCache) *map[string]*mq.DescribeBrokerOutput { return &c.brokers }, id, func() (*mq.DescribeBrokerOutput, error) {
		return r.MQ.DescribeBroker(ctx, &mq.DescribeBrokerInput{BrokerId: aws.String(id)})
	})
}

func (r *Reader) describeDBCluster(ctx context.Context, id string) (*rds.DescribeDBClustersOutput, error) {
	return cached(r, func(c *sourceCache) *map[string]*rds.DescribeDBClustersOutput { return &c.clusters }, id, func() (*rds.DescribeDBClustersOutput, error) {
		return r.RDS.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	})
}

// DocDBEngine is the Engine of a DocumentDB cluster in the RDS API.
const DocDBEngine = "docdb"

// DocDBClustersInSubnetGroup returns the ARNs of the account's DocumentDB
// clusters in a DB subnet group. A group names no cluster, and
// DescribeDBClusters has no filter by group (its filters: clone-group-id,
// db-cluster-id, db-cluster-resource-id, domain, engine), so the DocumentDB
// clusters are listed and those in the group kept; a scoped reader
// remembers each, so that their mappings do not describe them again.
func (r *Reader) DocDBClustersInSubnetGroup(ctx context.Context, group string) ([]string, error) {
	var arns []string
	p := rds.NewDescribeDBClustersPaginator(r.RDS, &rds.DescribeDBClustersInput{
		Filters: []rdstypes.Filter{{Name: aws.String("engine"), Values: []string{DocDBEngine}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe the DocumentDB clusters of DB subnet group %s: %w", group, err)
		}
		for _, c := range page.DBClusters {
			if !strings.EqualFold(aws.ToString(c.DBSubnetGroup), group) || aws.ToString(c.Engine) != DocDBEngine {
				continue
			}
			arn := aws.ToString(c.DBClusterArn)
			arns = append(arns, arn)
			id := arn[strings.LastIndex(arn, ":")+1:]
			_, _ = cached(r, func(sc *sourceCache) *map[string]*rds.DescribeDBClustersOutput { return &sc.clusters }, id, func() (*rds.DescribeDBClustersOutput, error) {
				return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{c}}, nil
			})
		}
	}
	return arns, nil
}

func (r *Reader) describeDBSubnetGroup(ctx context.Context, name string) (*rds.DescribeDBSubnetGroupsOutput, error) {
	return cached(r, func(c *sourceCache) *map[string]*rds.DescribeDBSubnetGroupsOutput { return &c.subnetGroups }, name, func() (*rds.DescribeDBSubnetGroupsOutput, error) {
		return r.RDS.DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: aws.String(name)})
	})
}
