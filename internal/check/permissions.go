package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// PermissionNeed is one thing the execution role must be allowed: any one
// of the actions, on the resource ("*" for actions without resource-level
// permissions), or on every one of Resources when the request names
// several (CreateNetworkInterface names a subnet, its security groups and
// the new network interface).
type PermissionNeed struct {
	AnyOf     []string
	Resource  string
	Resources []string
	Why       string
	// Severity, when set, replaces the check's own: what AWS documents as
	// dispensable is a warning, not an outage.
	Severity report.Severity
}

// On returns the resources the need's request names.
func (n PermissionNeed) On() []string {
	if len(n.Resources) > 0 {
		return n.Resources
	}
	return []string{n.Resource}
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

// Allowed reports whether the simulation allowed one of the need's actions
// on every resource of its request.
func (p *Permissions) Allowed(n PermissionNeed) bool {
	return slices.ContainsFunc(n.AnyOf, func(a string) bool {
		return !slices.ContainsFunc(n.On(), func(r string) bool { return p.Decisions[[2]string{a, r}] != DecisionAllowed })
	})
}

// Denied returns the need's resources on which no action of the need was
// allowed, for the finding to name.
func (p *Permissions) Denied(n PermissionNeed) []string {
	var out []string
	for _, r := range n.On() {
		if !slices.ContainsFunc(n.AnyOf, func(a string) bool { return p.Decisions[[2]string{a, r}] == DecisionAllowed }) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		// Each resource allowed by a different action: the request
		// needs one action on all of them.
		return n.On()
	}
	return out
}

// eniActions are what Lambda needs to manage its network interfaces in the
// workload's subnets (AWSLambdaVPCAccessExecutionRole and DOMAIN §6), besides
// ec2:CreateNetworkInterface, which createRequest scopes to the request's
// resources.
var eniActions = []string{
	"ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
	"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
}

// functionENIActions are what Lambda needs to attach a function to its VPC
// (AWSLambdaVPCAccessExecutionRole, DOMAIN §5).
var functionENIActions = []string{
	"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
	"ec2:DescribeSubnets", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}

// dispensableENIActions are not what attaching a function hangs on:
// AWSLambdaENIManagementAccess, which AWS documents as enough, lacks
// ec2:DescribeSubnets, and the address actions manage the addresses of an
// interface Lambda has already created. Missing, they are a warning.
var dispensableENIActions = []string{"ec2:DescribeSubnets", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}

const functionENIWhy = "Lambda manages the function's network interfaces in its subnets with it; without it the function cannot be attached to its VPC (\"The provided execution role does not have permissions to call CreateNetworkInterface on EC2\")"

// FunctionPermissionNeeds lists what the execution role of a VPC-attached
// function must be allowed for Lambda to create and manage its network
// interfaces. vpcmedic reports a missing one, never grants it.
func FunctionPermissionNeeds(w *workload.Workload) []PermissionNeed {
	if w.Kind != workload.KindFunction || w.ExecutionRoleARN == "" || len(w.Network.SubnetIDs) == 0 {
		return nil
	}
	ec2 := ec2ARNs(w)
	var out []PermissionNeed
	for _, a := range functionENIActions {
		n := PermissionNeed{AnyOf: []string{a}, Resource: ec2.resourceOf(a), Why: functionENIWhy}
		if a == "ec2:CreateNetworkInterface" {
			n.Resources = ec2.createRequest(w.Network)
		}
		if slices.Contains(dispensableENIActions, a) {
			n.Severity = report.SeverityWarning
			n.Why = "Lambda uses it to manage the function's network interfaces, though AWS documents AWSLambdaENIManagementAccess, which lacks ec2:DescribeSubnets, as enough to attach a function: the function may still attach"
		}
		out = append(out, n)
	}
	return out
}

// ec2Account names the EC2 resources of a workload's Region and account,
// taken from its function's ARN; zero when the ARN does not parse, and the
// needs then fall back to "*".
type ec2Account struct{ partition, region, account string }

func ec2ARNs(w *workload.Workload) ec2Account {
	a, err := arn.Parse(w.FunctionARN)
	if err != nil || a.Region == "" || a.AccountID == "" {
		return ec2Account{}
	}
	return ec2Account{a.Partition, a.Region, a.AccountID}
}

func (e ec2Account) arn(resource string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:%s", e.partition, e.region, e.account, resource)
}

// resourceOf is what an ENI action is simulated on: the Describe actions
// work only on "*" (Lambda developer guide); the others act on the
// network interfaces Lambda creates, whose IDs are not known beforehand.
func (e ec2Account) resourceOf(action string) string {
	if e.account == "" || strings.HasPrefix(action, "ec2:Describe") {
		return "*"
	}
	return e.arn("network-interface/*")
}

// createRequest is what ec2:CreateNetworkInterface is authorized on: each
// subnet, each security group and the new network interface (a role may
// scope the action to them, as AWSLambdaNetworkConnectorOperatorPolicy does).
func (e ec2Account) createRequest(n workload.Network) []string {
	if e.account == "" {
		return []string{"*"}
	}
	var out []string
	for _, s := range n.SubnetIDs {
		out = append(out, e.arn("subnet/"+s))
	}
	for _, g := range n.SecurityGroupIDs {
		out = append(out, e.arn("security-group/"+g))
	}
	return append(out, e.arn("network-interface/*"))
}

// mappingInterfaceNeeds is what a mapping's pollers need to manage their
// network interfaces in the VPC, with the execution role.
func mappingInterfaceNeeds(w *workload.Workload) []PermissionNeed {
	if len(w.Network.SubnetIDs) == 0 {
		return nil
	}
	const why = "Lambda manages the mapping's network interfaces in the VPC with it"
	ec2 := ec2ARNs(w)
	out := []PermissionNeed{{AnyOf: []string{"ec2:CreateNetworkInterface"}, Resources: ec2.createRequest(w.Network), Why: why}}
	for _, a := range eniActions {
		out = append(out, PermissionNeed{AnyOf: []string{a}, Resource: ec2.resourceOf(a), Why: why})
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
	out := mappingInterfaceNeeds(w)
	for _, secret := range k.SecretARNs {
		out = append(out, PermissionNeed{AnyOf: []string{"secretsmanager:GetSecretValue"}, Resource: secret, Why: "the mapping's source access configuration names this secret"})
	}
	out = append(out, schemaRegistryNeeds(k)...)
	out = append(out, destinationNeeds(k)...)
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
			denied := p.Denied(n)
			out = append(out, Result{
				Severity:  n.Severity,
				Message:   fmt.Sprintf("%s: execution role %s is not allowed %s on %s, which it needs because %s", t.Describe(), p.RoleARN, strings.Join(n.AnyOf, " or "), strings.Join(denied, ", "), n.Why),
				Service:   strings.SplitN(n.AnyOf[0], ":", 2)[0],
				Resources: append([]string{p.RoleARN}, denied...),
			})
		}
		return out
	},
}
