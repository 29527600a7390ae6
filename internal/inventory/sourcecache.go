package inventory

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mq"
	"github.com/aws/aws-sdk-go-v2/service/rds"
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

func (r *Reader) describeDBSubnetGroup(ctx context.Context, name string) (*rds.DescribeDBSubnetGroupsOutput, error) {
	return cached(r, func(c *sourceCache) *map[string]*rds.DescribeDBSubnetGroupsOutput { return &c.subnetGroups }, name, func() (*rds.DescribeDBSubnetGroupsOutput, error) {
		return r.RDS.DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: aws.String(name)})
	})
}
