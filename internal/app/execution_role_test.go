package app_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// allowOn is an inline policy allowing actions on resources.
func allowOn(actions []string, resources ...string) scenario.Policy {
	return scenario.Inline(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["%s"],"Resource":["%s"]}]}`,
		strings.Join(actions, `","`), strings.Join(resources, `","`)))
}

func ec2ARN(resource string) string {
	return "arn:aws:ec2:us-east-1:" + emulator.Account + ":" + resource
}

// Lambda attaches a function with AWSLambdaENIManagementAccess, which lacks
// ec2:DescribeSubnets, and with a role that scopes ec2:CreateNetworkInterface
// to the function's own subnets and group: neither is an error.
func TestExecutionRoleJudgedAsLambdaEnforcesIt(t *testing.T) {
	describeSubnets := wantFinding{Check: "execution-role-permissions", Severity: report.SeverityWarning, Service: "ec2",
		Says: []string{"is not allowed ec2:DescribeSubnets on *", "AWSLambdaENIManagementAccess"}}
	tests := []struct {
		name   string
		status report.Status
		seed   func(s *scenario.Scenario, n zonedVPC, sg *scenario.SG) (*scenario.Role, []wantFinding)
	}{{
		name: "AWSLambdaENIManagementAccess only", status: report.StatusOK,
		seed: func(s *scenario.Scenario, _ zonedVPC, _ *scenario.SG) (*scenario.Role, []wantFinding) {
			return s.Role("notifier", scenario.ManagedPolicy("AWSLambdaENIManagementAccess"), scenario.Inline(snsPublish)), []wantFinding{describeSubnets}
		},
	}, {
		name: "CreateNetworkInterface scoped to the function's subnets, group and interfaces", status: report.StatusOK,
		seed: func(s *scenario.Scenario, n zonedVPC, sg *scenario.SG) (*scenario.Role, []wantFinding) {
			var scope []string
			for _, sn := range n.Private {
				scope = append(scope, ec2ARN("subnet/"+sn.ID))
			}
			scope = append(scope, ec2ARN("security-group/"+sg.ID), ec2ARN("network-interface/*"))
			return s.Role("notifier",
				allowOn([]string{"ec2:CreateNetworkInterface"}, scope...),
				allowOn([]string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}, "*"),
				allowOn([]string{"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}, ec2ARN("*/*")),
				scenario.Inline(snsPublish)), nil
		},
	}, {
		name: "CreateNetworkInterface scoped to another subnet", status: report.StatusBroken,
		seed: func(s *scenario.Scenario, n zonedVPC, sg *scenario.SG) (*scenario.Role, []wantFinding) {
			scope := []string{ec2ARN("subnet/" + n.Private[0].ID), ec2ARN("security-group/" + sg.ID), ec2ARN("network-interface/*")}
			role := s.Role("notifier",
				allowOn([]string{"ec2:CreateNetworkInterface"}, scope...),
				allowOn([]string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}, "*"),
				allowOn([]string{"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}, ec2ARN("*/*")),
				scenario.Inline(snsPublish))
			return role, []wantFinding{{Check: "execution-role-permissions", Severity: report.SeverityError, Service: "ec2",
				Says: []string{"is not allowed ec2:CreateNetworkInterface on " + ec2ARN("subnet/"+n.Private[1].ID) + ", which it needs"}}}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulator.Shared(t)
			s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
			n := twoZones(s)
			n.VPC.NATPerAZ(n.Public, n.Private)
			sg := n.VPC.SecurityGroup("notifier")
			role, want := tt.seed(s, n, sg)
			fn := s.Function("notifier", role, scenario.InVPC(n.Private, sg))
			if err := s.Err(); err != nil {
				t.Fatalf("seed: %v", err)
			}
			d := build(t, srv, app.OnLambdaChange)
			wantDiagnosis(t, handle(t, d, functionCreated(t, fn)), fn.ARN, tt.status, want)
		})
	}
}

// Every source access configuration that names a secret, and only those,
// makes Secrets Manager a need of an on-demand mapping and
// secretsmanager:GetSecretValue a permission; a secret outside the
// mapping's Region is an error whatever the role.
func TestKafkaSecretsAndDestinations(t *testing.T) {
	oauth := "arn:aws:secretsmanager:us-east-1:" + emulator.Account + ":secret:inventory-oauth-AbCdEf"
	selfManaged := func(s *scenario.Scenario, policies []scenario.Policy, opts ...scenario.ESMOption) (*scenario.ESM, scenario.Subnets) {
		vpc := s.VPC("10.2.0.0/16")
		mapped := vpc.PrivateSubnets("10.2.10.0/24@a", "10.2.11.0/24@b")
		sg := vpc.SecurityGroup("inventory-kafka")
		fn := s.Function("inventory-sync", s.Role("inventory-sync", policies...))
		return s.SelfManagedKafkaESM(fn, []string{"kafka-1.inventory.internal.example.com:9096"}, "inventory.changes", mapped, sg, opts...), mapped
	}
	withSecret := []scenario.Policy{scenario.ManagedPolicy("AWSLambdaMSKExecutionRole"), allowOn([]string{"secretsmanager:GetSecretValue"}, oauth)}
	// OAUTHBEARER_SCOPE holds a value, not a secret: counted as one, the
	// role would be found unable to read it.
	oauthAccess := []scenario.ESMOption{scenario.Secret(oauth, "OAUTHBEARER_AUTH"), scenario.Secret("inventory.read", "OAUTHBEARER_SCOPE")}
	checkMappings(t, []mappingCase{
		{
			name: "self-managed OAUTHBEARER_AUTH in on-demand mode without a path to Secrets Manager", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				esm, mapped := selfManaged(s, withSecret, oauthAccess...)
				return esm, unreachable(mapped, []string{"lambda", "sts", "secretsmanager"}, "has no 0.0.0.0/0 route")
			},
		},
		{
			name: "the same in provisioned mode: only the brokers", status: report.StatusOK,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				esm, _ := selfManaged(s, withSecret, append(oauthAccess, scenario.Provisioned(1, 2))...)
				return esm, nil
			},
		},
		{
			name: "a role that may not read the OAuth secret", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				esm, _ := selfManaged(s, []scenario.Policy{scenario.ManagedPolicy("AWSLambdaMSKExecutionRole")}, append(oauthAccess, scenario.Provisioned(1, 2))...)
				return esm, []wantFinding{{Check: "execution-role-permissions", Severity: report.SeverityError, Service: "secretsmanager",
					Says: []string{"is not allowed secretsmanager:GetSecretValue on " + oauth}}}
			},
		},
		{
			name: "a root CA secret in another Region", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				ca := "arn:aws:secretsmanager:eu-west-1:" + emulator.Account + ":secret:inventory-ca-QwErTy"
				esm, _ := selfManaged(s, []scenario.Policy{scenario.ManagedPolicy("AWSLambdaMSKExecutionRole"), allowOn([]string{"secretsmanager:GetSecretValue"}, ca)},
					scenario.Secret(ca, "SERVER_ROOT_CA_CERTIFICATE"), scenario.Provisioned(1, 2))
				return esm, []wantFinding{{Check: "kafka-secret-region", Severity: report.SeverityError, Service: "secretsmanager",
					Says: []string{"secret " + ca + ", which is in Region eu-west-1, but the mapping runs in us-east-1"}}}
			},
		},
		{
			name: "an on-failure queue the role may not send to", status: report.StatusBroken,
			seed: func(s *scenario.Scenario) (*scenario.ESM, []wantFinding) {
				n := twoZones(s)
				n.VPC.NATPerAZ(n.Public, n.Private)
				sg := n.VPC.SecurityGroup("orders-msk").IngressSelf(9098)
				queue := "arn:aws:sqs:us-east-1:" + emulator.Account + ":orders-failures"
				_, role, esm := mskMapping(s, n.Private, sg, scenario.AuthIAM, iamConsumer(), scenario.OnFailure(queue))
				return esm, []wantFinding{{Check: "execution-role-permissions", Severity: report.SeverityError, Service: "sqs",
					Says: []string{fmt.Sprintf("execution role %s is not allowed sqs:SendMessage on %s", role.ARN, queue)}}}
			},
		},
	})
}
