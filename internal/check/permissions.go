package check

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// PermissionNeed is one thing the execution role must be allowed: any one
// of the actions, on the resource ("*" for actions without resource-level
// permissions).
type PermissionNeed struct {
	AnyOf    []string
	Resource string
	Why      string
}

// Decision values of iam:SimulatePrincipalPolicy.
const (
	DecisionAllowed = "allowed"
)

// Permissions holds the simulated decisions for a workload's execution
// role, keyed by action and resource.
type Permissions struct {
	RoleARN   string
	Decisions map[[2]string]string
	// Err, when not empty, says why the role could not be simulated.
	Err string
}

// Allowed reports whether the simulation allowed one of the need's actions.
func (p *Permissions) Allowed(n PermissionNeed) bool {
	for _, a := range n.AnyOf {
		if p.Decisions[[2]string{a, n.Resource}] == DecisionAllowed {
			return true
		}
	}
	return false
}

// eniActions are what Lambda needs to manage its network interfaces in the
// workload's subnets (AWSLambdaVPCAccessExecutionRole and DOMAIN §6).
var eniActions = []string{
	"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
	"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
}

// functionENIActions are what Lambda needs to attach a function to its VPC
// (AWSLambdaVPCAccessExecutionRole, DOMAIN §5).
var functionENIActions = []string{
	"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
	"ec2:DescribeSubnets", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}

// FunctionPermissionNeeds lists what the execution role of a VPC-attached
// function must be allowed for Lambda to create and manage its network
// interfaces. vpcmedic reports a missing one, never grants it.
func FunctionPermissionNeeds(w *workload.Workload) []PermissionNeed {
	if w.Kind != workload.KindFunction || w.ExecutionRoleARN == "" || len(w.Network.SubnetIDs) == 0 {
		return nil
	}
	var out []PermissionNeed
	for _, a := range functionENIActions {
		out = append(out, PermissionNeed{AnyOf: []string{a}, Resource: "*",
			Why: "Lambda manages the function's network interfaces in its subnets with it; without it the function cannot be attached to its VPC (\"The provided execution role does not have permissions to call CreateNetworkInterface on EC2\")"})
	}
	return out
}

// KafkaPermissionNeeds lists what the execution role of a Kafka mapping's
// function must be allowed for Lambda to poll (DOMAIN §6).
func KafkaPermissionNeeds(w *workload.Workload) []PermissionNeed {
	k := w.Kafka
	if k == nil || w.ExecutionRoleARN == "" {
		return nil
	}
	var out []PermissionNeed
	if len(w.Network.SubnetIDs) > 0 {
		for _, a := range eniActions {
			out = append(out, PermissionNeed{AnyOf: []string{a}, Resource: "*", Why: "Lambda manages the mapping's network interfaces in the VPC with it"})
		}
	}
	for _, secret := range k.SecretARNs {
		out = append(out, PermissionNeed{AnyOf: []string{"secretsmanager:GetSecretValue"}, Resource: secret, Why: "the mapping authenticates with this secret"})
	}
	switch k.Source {
	case workload.SourceMSK, workload.SourceMSKServerless:
		cluster := k.EventSourceARN
		out = append(out,
			PermissionNeed{AnyOf: []string{"kafka:DescribeClusterV2", "kafka:DescribeCluster"}, Resource: cluster, Why: "Lambda reads the cluster's configuration"},
			PermissionNeed{AnyOf: []string{"kafka:GetBootstrapBrokers"}, Resource: cluster, Why: "Lambda looks up the brokers"},
		)
		if usesIAMAuth(k) {
			why := "the cluster authenticates clients with IAM"
			out = append(out,
				PermissionNeed{AnyOf: []string{"kafka-cluster:Connect"}, Resource: cluster, Why: why},
				PermissionNeed{AnyOf: []string{"kafka-cluster:DescribeClusterDynamicConfiguration"}, Resource: cluster, Why: why},
			)
			for _, topic := range k.Topics {
				arn := dataPlaneARN(cluster, "topic", topic)
				out = append(out,
					PermissionNeed{AnyOf: []string{"kafka-cluster:DescribeTopic"}, Resource: arn, Why: why},
					PermissionNeed{AnyOf: []string{"kafka-cluster:ReadData"}, Resource: arn, Why: why},
				)
			}
			if k.ConsumerGroupID != "" {
				arn := dataPlaneARN(cluster, "group", k.ConsumerGroupID)
				out = append(out,
					PermissionNeed{AnyOf: []string{"kafka-cluster:DescribeGroup"}, Resource: arn, Why: why},
					PermissionNeed{AnyOf: []string{"kafka-cluster:AlterGroup"}, Resource: arn, Why: why},
				)
			}
		}
	case workload.SourceMSKCrossAccount:
		out = append(out, PermissionNeed{AnyOf: []string{"kafka:DescribeVpcConnection"}, Resource: k.EventSourceARN, Why: "the mapping reaches the cluster through a managed VPC connection"})
	}
	return out
}

// usesIAMAuth: with no secret, Lambda authenticates to an IAM-enabled
// cluster with the execution role.
func usesIAMAuth(k *workload.Kafka) bool {
	if len(k.SecretARNs) > 0 {
		return false
	}
	for _, a := range k.ClientAuthentication {
		if a == "iam" {
			return true
		}
	}
	return false
}

// dataPlaneARN turns a cluster ARN (…:cluster/NAME/UUID) into the ARN of one
// of its topics or groups (…:topic/NAME/UUID/TOPIC). Only the resource type
// is replaced: names are never parsed out of ARNs.
func dataPlaneARN(clusterARN, kind, name string) string {
	return strings.Replace(clusterARN, ":cluster/", ":"+kind+"/", 1) + "/" + name
}

var executionRole = Check{
	ID:          "VM107",
	Name:        "execution-role-permissions",
	Title:       "The execution role lacks a permission Lambda needs",
	Impact:      "Lambda cannot create the workload's network interfaces (a function cannot be attached to its VPC), read the cluster or the secret, or join the consumer group: the function or mapping fails.",
	Remediation: "Grant the missing action to the function's execution role, e.g. attach AWSLambdaVPCAccessExecutionRole (vpcmedic never changes IAM).",
	Severity:    report.SeverityError,
	Applies: func(t *Target) bool {
		return t.Permissions != nil && len(t.PermissionNeeds) > 0
	},
	Run: func(t *Target) []Result {
		p := t.Permissions
		if p.Err != "" {
			return []Result{{
				Unverified: true,
				Message:    fmt.Sprintf("%s: the permissions of execution role %s could not be checked: %s", t.Describe(), p.RoleARN, p.Err),
				Resources:  []string{p.RoleARN},
			}}
		}
		var out []Result
		for _, n := range t.PermissionNeeds {
			if p.Allowed(n) {
				out = append(out, Result{Pass: true})
				continue
			}
			out = append(out, Result{
				Message:   fmt.Sprintf("%s: execution role %s is not allowed %s on %s, which it needs because %s", t.Describe(), p.RoleARN, strings.Join(n.AnyOf, " or "), n.Resource, n.Why),
				Service:   strings.SplitN(n.AnyOf[0], ":", 2)[0],
				Resources: []string{p.RoleARN, n.Resource},
			})
		}
		return out
	},
}
