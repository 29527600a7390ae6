package check

import (
	"slices"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

func pollerMapping(source string, onDemand bool, secrets ...string) *workload.Workload {
	kind := workload.KindMQESM
	arn := "arn:aws:mq:us-east-1:123456789012:broker:orders:b-1"
	if source == workload.SourceDocumentDB {
		kind, arn = workload.KindDocDBESM, "arn:aws:rds:us-east-1:123456789012:cluster:shop"
	}
	return &workload.Workload{
		Kind: kind, ID: "uuid-1", FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:consumer", ExecutionRoleARN: roleARN,
		Network: workload.Network{SubnetIDs: []string{"subnet-a"}, SecurityGroupIDs: []string{"sg-1"}},
		Poller:  &workload.Poller{Source: source, EventSourceARN: arn, OnDemand: onDemand, SecretARNs: secrets},
	}
}

// The Lambda guide: Amazon MQ needs Lambda, STS for ActiveMQ only, Secrets
// Manager for an authenticated broker; DocumentDB needs Lambda, STS and
// Secrets Manager on demand and nothing in provisioned mode.
func TestPollerRequirements(t *testing.T) {
	const secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:creds"
	tests := []struct {
		name string
		w    *workload.Workload
		want []string
	}{
		{"ActiveMQ with a secret", pollerMapping(workload.SourceActiveMQ, true, secret), []string{"lambda", "secretsmanager", "sts"}},
		{"RabbitMQ with a secret", pollerMapping(workload.SourceRabbitMQ, true, secret), []string{"lambda", "secretsmanager"}},
		{"ActiveMQ without a secret", pollerMapping(workload.SourceActiveMQ, true), []string{"lambda", "sts"}},
		{"on-demand DocumentDB", pollerMapping(workload.SourceDocumentDB, true, secret), []string{"lambda", "secretsmanager", "sts"}},
		{"provisioned DocumentDB", pollerMapping(workload.SourceDocumentDB, false, secret), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range MappingRequirements(tt.w) {
				got = append(got, r.Service)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("requirements %v, want %v", got, tt.want)
			}
		})
	}
}

// The execution role permission lists of the Lambda guide.
func TestPollerPermissionNeeds(t *testing.T) {
	actions := func(w *workload.Workload) []string {
		var out []string
		for _, n := range MappingPermissionNeeds(w) {
			out = append(out, n.AnyOf...)
		}
		return out
	}
	eni := []string{"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"}
	mq := actions(pollerMapping(workload.SourceRabbitMQ, true, "arn:aws:secretsmanager:us-east-1:123456789012:secret:creds"))
	for _, a := range append([]string{"mq:DescribeBroker", "secretsmanager:GetSecretValue"}, eni...) {
		if !slices.Contains(mq, a) {
			t.Errorf("MQ needs %v, missing %s", mq, a)
		}
	}
	doc := actions(pollerMapping(workload.SourceDocumentDB, true))
	for _, a := range append([]string{"rds:DescribeDBClusters", "rds:DescribeDBClusterParameters", "rds:DescribeDBSubnetGroups"}, eni...) {
		if !slices.Contains(doc, a) {
			t.Errorf("DocumentDB needs %v, missing %s", doc, a)
		}
	}
	if slices.Contains(doc, "mq:DescribeBroker") || slices.Contains(mq, "rds:DescribeDBClusters") {
		t.Errorf("a source's needs leak into the other's: MQ %v, DocumentDB %v", mq, doc)
	}
}
