package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/needs"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// RDS is the part of the RDS API the inventory calls: to find the security
// groups and subnets of a database a function connects to.
type RDS interface {
	rds.DescribeDBInstancesAPIClient
	rds.DescribeDBClustersAPIClient
	rds.DescribeDBSubnetGroupsAPIClient
}

// Database finds the network identity of a database endpoint named in a
// function's environment. The identifier is the first label of an RDS
// endpoint (ID.HASH.REGION.rds.amazonaws.com; ID.cluster-HASH... for an
// Aurora cluster), and the instance or cluster found must own that very
// endpoint. Whatever cannot be read is Unresolved, never guessed: a proxy,
// ElastiCache, a database of another account or Region, a refusal.
func (r *Reader) Database(ctx context.Context, d needs.Database) (workload.Database, error) {
	db := workload.Database{Kind: d.Kind, Host: d.Host, Port: d.Port, Why: d.Why()}
	labels := strings.Split(d.Host, ".")
	switch {
	case d.Kind != needs.RDS:
		db.Unresolved = "vpcmedic does not read ElastiCache clusters, so their security groups are unknown"
		return db, nil
	case r.RDS == nil:
		db.Unresolved = "RDS is not read in this run"
		return db, nil
	case strings.HasPrefix(labels[1], "proxy-"):
		db.Unresolved = "it is an RDS Proxy endpoint, which vpcmedic does not read"
		return db, nil
	}
	db.Identifier = labels[0]
	var err error
	if strings.HasPrefix(labels[1], "cluster-") {
		err = r.rdsCluster(ctx, &db)
	} else {
		err = r.rdsInstance(ctx, &db)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch code := apiErr.ErrorCode(); {
		case strings.Contains(code, "NotFound"):
			db.Unresolved = fmt.Sprintf("no RDS instance or cluster %s in this account and Region owns it", db.Identifier)
			return db, nil
		case code == "AccessDenied", code == "AccessDeniedException":
			db.Unresolved = fmt.Sprintf("RDS refused to describe %s: %s", db.Identifier, apiErr.ErrorMessage())
			return db, nil
		}
	}
	return db, err
}

func (r *Reader) rdsInstance(ctx context.Context, db *workload.Database) error {
	p := rds.NewDescribeDBInstancesPaginator(r.RDS, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(db.Identifier)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe DB instance %s: %w", db.Identifier, err)
		}
		for _, i := range page.DBInstances {
			if i.Endpoint == nil || !strings.EqualFold(aws.ToString(i.Endpoint.Address), db.Host) {
				continue
			}
			if db.Port == 0 {
				db.Port = int(aws.ToInt32(i.Endpoint.Port))
			}
			db.SecurityGroupIDs = vpcGroups(i.VpcSecurityGroups)
			if g := i.DBSubnetGroup; g != nil {
				db.VPCID = aws.ToString(g.VpcId)
				zones := []string{aws.ToString(i.AvailabilityZone), aws.ToString(i.SecondaryAvailabilityZone)}
				db.SubnetIDs = subnetsIn(g.Subnets, zones)
			}
			return nil
		}
	}
	db.Unresolved = fmt.Sprintf("DB instance %s does not own the endpoint %s", db.Identifier, db.Host)
	return nil
}

func (r *Reader) rdsCluster(ctx context.Context, db *workload.Database) error {
	p := rds.NewDescribeDBClustersPaginator(r.RDS, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(db.Identifier)})
	var cluster *rdstypes.DBCluster
	for p.HasMorePages() && cluster == nil {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe DB cluster %s: %w", db.Identifier, err)
		}
		for i, c := range page.DBClusters {
			if strings.EqualFold(aws.ToString(c.Endpoint), db.Host) || strings.EqualFold(aws.ToString(c.ReaderEndpoint), db.Host) ||
				strings.Split(strings.ToLower(aws.ToString(c.Endpoint)), ".")[0] == db.Identifier {
				cluster = &page.DBClusters[i]
				break
			}
		}
	}
	if cluster == nil {
		db.Unresolved = fmt.Sprintf("DB cluster %s does not own the endpoint %s", db.Identifier, db.Host)
		return nil
	}
	if db.Port == 0 {
		db.Port = int(aws.ToInt32(cluster.Port))
	}
	db.SecurityGroupIDs = vpcGroups(cluster.VpcSecurityGroups)
	name := aws.ToString(cluster.DBSubnetGroup)
	if name == "" {
		return nil
	}
	groups := rds.NewDescribeDBSubnetGroupsPaginator(r.RDS, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: aws.String(name)})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe DB subnet group %s of cluster %s: %w", name, db.Identifier, err)
		}
		for _, g := range page.DBSubnetGroups {
			db.VPCID = aws.ToString(g.VpcId)
			// The cluster's instances may be in any zone of the group.
			db.SubnetIDs = subnetsIn(g.Subnets, nil)
		}
	}
	return nil
}

func vpcGroups(gs []rdstypes.VpcSecurityGroupMembership) []string {
	var out []string
	for _, g := range gs {
		if s := aws.ToString(g.Status); s == "" || s == "active" || s == "adding" {
			out = append(out, aws.ToString(g.VpcSecurityGroupId))
		}
	}
	return out
}

// subnetsIn returns the subnets of a DB subnet group in the given zones
// (all of them when no zone is known).
func subnetsIn(subnets []rdstypes.Subnet, zones []string) []string {
	zones = slices.DeleteFunc(slices.Clone(zones), func(z string) bool { return z == "" })
	var out []string
	for _, s := range subnets {
		az := ""
		if s.SubnetAvailabilityZone != nil {
			az = aws.ToString(s.SubnetAvailabilityZone.Name)
		}
		if len(zones) == 0 || slices.Contains(zones, az) {
			out = append(out, aws.ToString(s.SubnetIdentifier))
		}
	}
	return out
}
