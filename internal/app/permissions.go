package app

import (
	"slices"

	"github.com/vpcmedic/vpcmedic/internal/remediate"
)

// IAM actions the pipeline calls, grouped by the code that calls them.
// template.yaml grants each function exactly the union for that function,
// through the managed policies of its tiers (reads shared by all, the
// changed workload's reads, the inventory reads), and a test holds the two
// together, so that a new API call cannot ship without its permission and
// no permission outlives its call.
var (
	// sts:GetCallerIdentity needs no permission.
	alertActions = []string{"sns:Publish", "sqs:SendMessage"}
	// The alert memory (when the template's table is configured).
	stateActions = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}
	// Execution roles are checked by simulation and their policies read
	// to infer what a function calls; never changed.
	roleActions = []string{
		"iam:SimulatePrincipalPolicy", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
		"iam:GetPolicy", "iam:GetPolicyVersion",
	}
	// The security groups and subnets of the databases functions name.
	databaseActions = []string{"rds:DescribeDBInstances", "rds:DescribeDBClusters", "rds:DescribeDBSubnetGroups"}
	topologyActions = []string{
		"ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets",
		"ec2:DescribeRouteTables", "ec2:DescribeNatGateways", "ec2:DescribeInternetGateways",
		"ec2:DescribeVpcEndpoints", "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkAcls",
		"ec2:GetManagedPrefixListEntries",
		// The account's VPC Block Public Access mode and exclusions.
		"ec2:DescribeVpcBlockPublicAccessOptions", "ec2:DescribeVpcBlockPublicAccessExclusions",
	}
	// The Amazon MQ broker of a mapping (its subnets, groups and ports);
	// DocumentDB clusters are read with databaseActions.
	brokerActions = []string{"mq:DescribeBroker"}
	// The capacity provider whose network a function on Lambda Managed
	// Instances runs in.
	capacityProviderActions = []string{"lambda:GetCapacityProvider"}
	esmActions              = slices.Concat([]string{"lambda:GetEventSourceMapping", "kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers", "ec2:DescribeSubnets", "kafka:DescribeVpcConnection"}, brokerActions)
	functionActions         = slices.Concat([]string{"lambda:GetFunctionConfiguration", "lambda:ListTags"}, capacityProviderActions)
	// An MSK change is mapped to the mappings of its cluster or VPC
	// connection, each then read as a mapping change is.
	kafkaChangeActions = []string{"lambda:ListEventSourceMappings"}
	// A broker, DocumentDB cluster or DB subnet group change likewise: the
	// broker's ARN and the clusters of a subnet group are read first.
	sourceChangeActions = []string{"lambda:ListEventSourceMappings", "mq:DescribeBroker", "rds:DescribeDBClusters"}
	listActions         = slices.Concat([]string{"lambda:ListEventSourceMappings", "lambda:ListFunctions", "lambda:GetFunction", "tag:GetResources", "kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers", "ec2:DescribeSubnets", "kafka:DescribeVpcConnection"}, brokerActions, capacityProviderActions)
	// Finding the VPC of a changed resource reads a subset of the topology.
	resolveActions = []string{
		"ec2:DescribeRouteTables", "ec2:DescribeSubnets", "ec2:DescribeNatGateways", "ec2:DescribeVpcEndpoints",
		"ec2:DescribeSecurityGroups", "ec2:DescribeNetworkAcls", "ec2:DescribeInternetGateways",
		// A group revoked by name is looked up in the default VPC.
		"ec2:DescribeVpcs",
	}

	// What Lambda itself does with a function's role: the mappings that
	// invoke it and its asynchronous destinations.
	lambdaUseActions = []string{"lambda:ListEventSourceMappings", "lambda:ListFunctionEventInvokeConfigs"}

	// A hub reaches other accounts through their member role (runner's
	// connect), whichever function checks them.
	memberRoleActions = []string{"sts:AssumeRole"}
	// The account names in alerts (DescribeAccount, any function) and the
	// accounts a sweep of the organisation walks (ListAccounts). The
	// template grants both in the read tier that all functions share: it
	// has no tier of the sweep's own.
	organizationActions = []string{"organizations:DescribeAccount", "organizations:ListAccounts"}
	// A sweep fanned out over its shard queue sends the shards
	// (SendMessageBatch is authorised as sqs:SendMessage) and counts them
	// in the alert memory. The template grants them with SweepFanOut only.
	fanOutActions = []string{"sqs:SendMessage", "dynamodb:UpdateItem"}
	// What Lambda's event source mapping calls with the function's role to
	// poll the shard queue: no code of vpcmedic's calls them.
	// https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
	shardPollActions = []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
)

// Actions returns the IAM actions a function calls, sorted.
func Actions(function string) []string {
	var all []string
	switch function {
	case OnLambdaChange:
		all = slices.Concat(alertActions, stateActions, roleActions, databaseActions, topologyActions, esmActions, functionActions, kafkaChangeActions, sourceChangeActions, lambdaUseActions)
	case OnNetworkChange:
		all = slices.Concat(alertActions, stateActions, roleActions, databaseActions, topologyActions, listActions, resolveActions, lambdaUseActions)
	case Sweep:
		all = slices.Concat(alertActions, stateActions, roleActions, databaseActions, topologyActions, listActions, lambdaUseActions)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// MemberRoleActions returns the IAM actions a hub function needs to act in
// other accounts; the template grants them only when the hub watches other
// accounts (OrganizationId or MemberAccounts set).
func MemberRoleActions() []string { return slices.Clone(memberRoleActions) }

// OrganizationActions returns the Organizations actions a hub function
// calls; the template grants them only with OrganizationId set.
func OrganizationActions() []string { return slices.Clone(organizationActions) }

// SweepFanOutActions returns what the sweep function needs to fan out over
// its shard queue: what its code calls and what its queue's event source
// calls with its role, sorted. The template grants them only with
// SweepFanOut, on the queue and the alert memory.
func SweepFanOutActions() []string {
	return slices.Sorted(slices.Values(slices.Concat(fanOutActions, shardPollActions)))
}

// MemberActions returns what the member role in another account must allow:
// every read any function makes there. Alerts, the alert memory and dead
// letters stay the hub's, as do the member role and Organizations reads.
func MemberActions() []string {
	var all []string
	for _, f := range []string{OnLambdaChange, OnNetworkChange, Sweep} {
		all = append(all, Actions(f)...)
	}
	hubOnly := slices.Concat(alertActions, stateActions)
	all = slices.DeleteFunc(all, func(a string) bool { return slices.Contains(hubOnly, a) })
	slices.Sort(all)
	return slices.Compact(all)
}

// RemediationActions returns the IAM actions the applier may call; the
// template grants them only when Mode is remediate.
func RemediationActions() []string {
	return (&remediate.Applier{}).Actions()
}
