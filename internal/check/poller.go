package check

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// MappingRequirements are the services an event source mapping's pollers
// must reach from its VPC, whatever its source.
func MappingRequirements(w *workload.Workload) []Requirement {
	if w.Poller != nil {
		return PollerRequirements(w)
	}
	return KafkaRequirements(w)
}

// MappingPermissionNeeds are what an event source mapping's execution role
// must be allowed, whatever its source.
func MappingPermissionNeeds(w *workload.Workload) []PermissionNeed {
	if w.Poller != nil {
		return PollerPermissionNeeds(w)
	}
	return KafkaPermissionNeeds(w)
}

// PollerRequirements applies the Lambda guide to Amazon MQ and DocumentDB
// mappings.
//
// Amazon MQ ("Using Lambda with Amazon MQ", Network configuration): "Deploy
// an endpoint for Lambda, and, for ActiveMQ only, an endpoint for Amazon
// Security Token Service (Amazon STS). If your broker uses authentication,
// also deploy an endpoint for Amazon Secrets Manager", or a NAT gateway.
//
// DocumentDB ("Configure network security"): endpoints for Lambda, STS and,
// "if your cluster uses Secrets Manager to store credentials", Secrets
// Manager, or a NAT gateway; but "if your event source mapping uses
// provisioned mode, you don't need to configure AWS PrivateLink VPC
// endpoints".
func PollerRequirements(w *workload.Workload) []Requirement {
	p := w.Poller
	if p == nil {
		return nil
	}
	var out []Requirement
	switch p.Source {
	case workload.SourceActiveMQ, workload.SourceRabbitMQ:
		const why = "Lambda's pollers in the broker's subnets call it (Lambda guide: \"Deploy an endpoint for Lambda, and, for ActiveMQ only, an endpoint for Amazon STS\")"
		out = append(out, Requirement{Service: "lambda", Why: why, Evidence: EvidenceDeclared})
		if p.Source == workload.SourceActiveMQ {
			out = append(out, Requirement{Service: "sts", Why: why, Evidence: EvidenceDeclared})
		}
		if len(p.SecretARNs) > 0 {
			out = append(out, Requirement{Service: "secretsmanager", Why: fmt.Sprintf("the broker authenticates the mapping with secret %s (Lambda guide: \"If your broker uses authentication, also deploy an endpoint for Secrets Manager\")", strings.Join(p.SecretARNs, ", ")), Evidence: EvidenceDeclared})
		}
	case workload.SourceDocumentDB:
		if !p.OnDemand {
			break
		}
		const why = "the mapping runs in on-demand mode: Lambda's pollers in the cluster's subnets call it (Lambda guide, DocumentDB: \"AWS PrivateLink VPC endpoints are required for functions with event source mappings that use the default (on-demand) mode\")"
		out = append(out, Requirement{Service: "lambda", Why: why, Evidence: EvidenceDeclared}, Requirement{Service: "sts", Why: why, Evidence: EvidenceDeclared})
		if len(p.SecretARNs) > 0 {
			out = append(out, Requirement{Service: "secretsmanager", Why: fmt.Sprintf("the mapping authenticates to the cluster with secret %s", strings.Join(p.SecretARNs, ", ")), Evidence: EvidenceDeclared})
		}
	}
	if d := p.OnFailureDestination; d != "" {
		if service := serviceOfARN(d); service != "" {
			out = append(out, Requirement{Service: service, Why: fmt.Sprintf("the mapping sends failed batches to %s", d), Evidence: EvidenceDeclared})
		}
	}
	return out
}

// PollerPermissionNeeds are the execution role permissions the Lambda guide
// lists for the source. Amazon MQ ("Execution role permissions"):
// mq:DescribeBroker, secretsmanager:GetSecretValue, ec2:CreateNetworkInterface,
// ec2:DeleteNetworkInterface, ec2:DescribeNetworkInterfaces,
// ec2:DescribeSecurityGroups, ec2:DescribeSubnets, ec2:DescribeVpcs (and the
// logs actions any function needs). DocumentDB ("Prerequisites and
// permissions"): rds:DescribeDBClusters, rds:DescribeDBClusterParameters,
// rds:DescribeDBSubnetGroups, the same ec2 actions, kms:Decrypt (for a
// customer managed key, not known here) and secretsmanager:GetSecretValue.
func PollerPermissionNeeds(w *workload.Workload) []PermissionNeed {
	p := w.Poller
	if p == nil || w.ExecutionRoleARN == "" {
		return nil
	}
	out := mappingInterfaceNeeds(w)
	for _, secret := range p.SecretARNs {
		out = append(out, PermissionNeed{AnyOf: []string{"secretsmanager:GetSecretValue"}, Resource: secret, Why: "the mapping's BASIC_AUTH source access configuration names this secret"})
	}
	switch p.Source {
	case workload.SourceActiveMQ, workload.SourceRabbitMQ:
		out = append(out, PermissionNeed{AnyOf: []string{"mq:DescribeBroker"}, Resource: p.EventSourceARN, Why: "Lambda reads the broker's configuration"})
	case workload.SourceDocumentDB:
		why := "Lambda reads the cluster's configuration"
		out = append(out,
			PermissionNeed{AnyOf: []string{"rds:DescribeDBClusters"}, Resource: p.EventSourceARN, Why: why},
			// Parameter and subnet groups are named by the cluster, not by
			// the mapping: simulated on any.
			PermissionNeed{AnyOf: []string{"rds:DescribeDBClusterParameters"}, Resource: "*", Why: why},
			PermissionNeed{AnyOf: []string{"rds:DescribeDBSubnetGroups"}, Resource: "*", Why: why},
		)
	}
	return out
}

// sourceService names what a Poller mapping reads from, for findings.
func sourceService(p *workload.Poller) (service, what string) {
	if p.Source == workload.SourceDocumentDB {
		return "docdb", "the cluster"
	}
	return "mq", "the broker"
}

// sourceAccess: the pollers' interfaces take the broker's or cluster's own
// groups, so the group must admit the port from itself and let it out
// (Lambda guide, DocumentDB: "Inbound rules – Allow all traffic on the
// default broker port for the security group associated with your event
// source ... a self-referencing security group rule"; Amazon MQ: "Inbound
// rules – For a broker without public accessibility, allow all traffic on
// all ports for the security group that's specified as your source").
var sourceAccess = Check{
	ID:          "VM123",
	Name:        "event-source-access",
	Title:       "The mapping's network interfaces cannot reach the broker or cluster",
	Impact:      "Lambda cannot connect to the Amazon MQ broker or DocumentDB cluster: the mapping delivers no message or change event.",
	Remediation: "Allow the broker or cluster port inbound on its security group from the group itself (a self-referencing rule), and outbound from it.",
	Severity:    report.SeverityError,
	Applies: func(t *Target) bool {
		return t.Workload.Poller != nil && resolved(t) && len(t.Workload.Poller.Ports) > 0
	},
	Run: func(t *Target) []Result {
		service, what := sourceService(t.Workload.Poller)
		return groupAccess(t, t.Workload.Poller.Ports, service, what)
	},
}
