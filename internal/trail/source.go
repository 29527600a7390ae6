package trail

import (
	"fmt"
	"strings"
)

// Sources of the broker and cluster changes: Amazon MQ records its API calls
// as eventSource amazonmq.amazonaws.com (Amazon MQ Developer Guide, "Logging
// Amazon MQ API calls using AWS CloudTrail"), and DocumentDB's "console, AWS
// CLI, and API calls are logged as calls made to the Amazon RDS API"
// (Amazon DocumentDB Developer Guide, "Logging Amazon DocumentDB API calls
// with AWS CloudTrail").
const (
	SourceMQ  = "aws.amazonmq"
	SourceRDS = "aws.rds"
)

// Amazon MQ and RDS calls that change the network identity the pollers of
// an Amazon MQ or DocumentDB mapping take from their broker or cluster.
//
// Not handled: DeleteBroker and DeleteDBCluster break the mappings for a
// reason no network check shows (their source is gone), and a broker or
// cluster being deleted still reads as present, so a re-check would report
// it healthy; RebootBroker changes neither subnets nor security groups
// (a broker's subnets are set when it is created).
const (
	// UpdateBroker may replace the broker's security groups (ActiveMQ
	// only: Amazon MQ refuses it for RabbitMQ brokers).
	ActionUpdateBroker = "UpdateBroker"
	// ModifyDBCluster may replace VpcSecurityGroupIds; the DocumentDB API
	// Reference says ApplyImmediately "affects only the
	// NewDBClusterIdentifier and MasterUserPassword values", all other
	// changes apply at once.
	ActionModifyDBCluster = "ModifyDBCluster"
	// ModifyDBSubnetGroup replaces the subnets of a group, and so those of
	// every cluster in it.
	ActionModifyDBSubnetGroup = "ModifyDBSubnetGroup"
)

// Resource kinds of broker and cluster changes.
const (
	KindMQBroker      = "mq-broker"
	KindDBCluster     = "db-cluster"
	KindDBSubnetGroup = "db-subnet-group"
)

// SourceChange is what an Amazon MQ or RDS call says about the broker,
// cluster or DB subnet group that mappings read from. Exactly one of
// BrokerID, ClusterARN and SubnetGroup is set.
type SourceChange struct {
	// BrokerID is the Amazon MQ broker's ID: the records name the broker
	// by its ID only, while mappings name it by an ARN that also holds its
	// name.
	BrokerID string `json:"brokerId,omitempty"`
	// ClusterARN is the DB cluster's ARN, the event source ARN of its
	// DocumentDB mappings.
	ClusterARN string `json:"clusterArn,omitempty"`
	// SubnetGroup is the DB subnet group whose subnets changed.
	SubnetGroup string `json:"dbSubnetGroupName,omitempty"`
	// Engine is the cluster's engine when the response names it (docdb
	// for a DocumentDB cluster).
	Engine string `json:"engine,omitempty"`
	// SecurityGroupIDs and SubnetIDs are the new groups or subnets, when
	// the call sets them.
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	SubnetIDs        []string `json:"subnetIds,omitempty"`
}

// mqParsers read Amazon MQ's REST API records: lower-camel members, the
// broker-id path parameter as brokerId.
var mqParsers = map[string]func(*Trigger, node, node) error{
	ActionUpdateBroker: parseUpdateBroker,
}

// rdsParsers read RDS's query API records: lower-camel members with the
// acronym's case kept (dBClusterIdentifier), which node matches
// case-insensitively.
var rdsParsers = map[string]func(*Trigger, node, node) error{
	ActionModifyDBCluster:     parseModifyDBCluster,
	ActionModifyDBSubnetGroup: parseModifyDBSubnetGroup,
}

func parseUpdateBroker(t *Trigger, req, resp node) error {
	id := req.get("brokerId").str()
	if id == "" {
		id = resp.get("brokerId").str()
	}
	if id == "" {
		return missing("brokerId")
	}
	c := &SourceChange{BrokerID: id, SecurityGroupIDs: req.get("securityGroups").strs()}
	t.SourceChange = c
	t.add(KindMQBroker, id)
	t.add(KindSecurityGroup, c.SecurityGroupIDs...)
	return nil
}

func parseModifyDBCluster(t *Trigger, req, resp node) error {
	// The response carries the modified cluster, ARN and engine included;
	// under it or at its top, as the record is nested or not.
	cluster := resp.get("dBCluster")
	if !cluster.exists() {
		cluster = resp
	}
	id := req.get("dBClusterIdentifier").str()
	if id == "" {
		id = cluster.get("dBClusterIdentifier").str()
	}
	if id == "" {
		return missing("dBClusterIdentifier")
	}
	arn := cluster.get("dBClusterArn").str()
	if arn == "" {
		arn = clusterARN(t.Region, t.Account, id)
	}
	c := &SourceChange{
		ClusterARN:       arn,
		Engine:           cluster.get("engine").str(),
		SecurityGroupIDs: req.get("vpcSecurityGroupIds").strs(),
	}
	t.SourceChange = c
	t.add(KindDBCluster, arn)
	t.add(KindSecurityGroup, c.SecurityGroupIDs...)
	return nil
}

func parseModifyDBSubnetGroup(t *Trigger, req, resp node) error {
	name := req.get("dBSubnetGroupName").str()
	if name == "" {
		return missing("dBSubnetGroupName")
	}
	c := &SourceChange{SubnetGroup: name, SubnetIDs: req.get("subnetIds").strs()}
	t.SourceChange = c
	t.add(KindDBSubnetGroup, name)
	t.add(KindSubnet, c.SubnetIDs...)
	group := resp.get("dBSubnetGroup")
	if !group.exists() {
		group = resp
	}
	if vpc := group.get("vpcId").str(); strings.HasPrefix(vpc, "vpc-") {
		t.VPCID = vpc
		t.add(KindVPC, vpc)
	}
	return nil
}

// clusterARN is the ARN of a DB cluster
// (arn:PARTITION:rds:REGION:ACCOUNT:cluster:ID). The identifier "is stored
// as a lowercase string" (RDS API Reference, DBClusterIdentifier), while
// ModifyDBCluster takes it in any case ("isn't case-sensitive").
func clusterARN(region, account, id string) string {
	return fmt.Sprintf("arn:%s:rds:%s:%s:cluster:%s", PartitionOf(region), region, account, strings.ToLower(id))
}

// PartitionOf is the partition of a Region by its name's prefix (AWS
// General Reference, ARN format: aws, aws-cn, aws-us-gov).
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// MQActions lists the Amazon MQ event names vpcmedic handles.
func MQActions() []string { return keys(mqParsers) }

// RDSActions lists the RDS event names vpcmedic handles.
func RDSActions() []string { return keys(rdsParsers) }
