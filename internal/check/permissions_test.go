package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const (
	clusterARN = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/abc-1"
	roleARN    = "arn:aws:iam::123456789012:role/consumer"
)

func iamESM() *workload.Workload {
	w := onDemandESM()
	w.ExecutionRoleARN = roleARN
	w.Kafka.EventSourceARN = clusterARN
	w.Kafka.Topics = []string{"orders"}
	w.Kafka.ConsumerGroupID = "3f1c0d2e"
	return w
}

// allowAll simulates a role allowed everything it needs except the listed
// actions.
func allowAllBut(needs []PermissionNeed, denied ...string) *Permissions {
	p := &Permissions{RoleARN: roleARN, Decisions: map[[2]string]string{}}
	for _, n := range needs {
		for _, a := range n.AnyOf {
			d := DecisionAllowed
			if slices.Contains(denied, a) {
				d = "implicitDeny"
			}
			for _, r := range n.On() {
				p.Decisions[[2]string{a, r}] = d
			}
		}
	}
	return p
}

func TestKafkaPermissionNeeds(t *testing.T) {
	needs := KafkaPermissionNeeds(iamESM())
	has := func(action, resource string) bool {
		return slices.ContainsFunc(needs, func(n PermissionNeed) bool {
			return slices.Contains(n.AnyOf, action) && slices.Contains(n.On(), resource)
		})
	}
	for _, want := range [][2]string{
		{"ec2:CreateNetworkInterface", "*"},
		{"kafka:DescribeClusterV2", clusterARN},
		{"kafka:GetBootstrapBrokers", clusterARN},
		{"kafka-cluster:Connect", clusterARN},
		{"kafka-cluster:ReadData", "arn:aws:kafka:us-east-1:123456789012:topic/orders/abc-1/orders"},
		{"kafka-cluster:AlterGroup", "arn:aws:kafka:us-east-1:123456789012:group/orders/abc-1/3f1c0d2e"},
	} {
		if !has(want[0], want[1]) {
			t.Errorf("missing %s on %s", want[0], want[1])
		}
	}
	// A secret replaces IAM authentication.
	w := iamESM()
	w.Kafka.SecretARNs = []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-AbC"}
	needs = KafkaPermissionNeeds(w)
	if slices.ContainsFunc(needs, func(n PermissionNeed) bool { return strings.HasPrefix(n.AnyOf[0], "kafka-cluster:") }) {
		t.Error("data-plane IAM actions required though the mapping uses a secret")
	}
	if !slices.ContainsFunc(needs, func(n PermissionNeed) bool {
		return n.AnyOf[0] == "secretsmanager:GetSecretValue" && n.Resource == w.Kafka.SecretARNs[0]
	}) {
		t.Error("secret read not required")
	}
	// Without a known role there is nothing to simulate.
	w.ExecutionRoleARN = ""
	if len(KafkaPermissionNeeds(w)) != 0 {
		t.Error("needs without a role")
	}
}

func TestExecutionRole(t *testing.T) {
	w := iamESM()
	needs := KafkaPermissionNeeds(w)
	tgt := func(p *Permissions) *Target {
		t := target(w, baseVPC())
		t.PermissionNeeds, t.Permissions = needs, p
		return t
	}
	t.Run("everything allowed", func(t *testing.T) {
		oneCheck(t, executionRole, tgt(allowAllBut(needs)), len(needs))
	})
	t.Run("DescribeCluster instead of DescribeClusterV2 is enough", func(t *testing.T) {
		oneCheck(t, executionRole, tgt(allowAllBut(needs, "kafka:DescribeClusterV2")), len(needs))
	})
	t.Run("no CreateNetworkInterface", func(t *testing.T) {
		f := oneCheck(t, executionRole, tgt(allowAllBut(needs, "ec2:CreateNetworkInterface")), len(needs)-1,
			"execution role "+roleARN+" is not allowed ec2:CreateNetworkInterface on *")
		if f[0].Service != "ec2" {
			t.Errorf("service = %q", f[0].Service)
		}
	})
	t.Run("no ReadData on the topic", func(t *testing.T) {
		oneCheck(t, executionRole, tgt(allowAllBut(needs, "kafka-cluster:ReadData")), len(needs)-1,
			"not allowed kafka-cluster:ReadData on arn:aws:kafka:us-east-1:123456789012:topic/orders/abc-1/orders")
	})
	t.Run("simulation refused", func(t *testing.T) {
		f := oneCheck(t, executionRole, tgt(&Permissions{RoleARN: roleARN, Err: "AccessDenied"}), 0, "could not be checked: AccessDenied")
		if !f[0].Unverified {
			t.Error("an unchecked role is not marked unverified")
		}
	})
}

const (
	fnSubnetA = "arn:aws:ec2:us-east-1:123456789012:subnet/priv-a"
	fnGroup   = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-fn"
	fnENIs    = "arn:aws:ec2:us-east-1:123456789012:network-interface/*"
)

func TestFunctionPermissionNeeds(t *testing.T) {
	needs := FunctionPermissionNeeds(vpcFunction("priv-a", "priv-b"))
	on := map[string][]string{}
	for _, n := range needs {
		on[n.AnyOf[0]] = n.On()
	}
	want := map[string][]string{
		// The request names every subnet, every group and the new
		// interface: a role may scope the action to any of them.
		"ec2:CreateNetworkInterface": {fnSubnetA, "arn:aws:ec2:us-east-1:123456789012:subnet/priv-b", fnGroup, fnENIs},
		// Describe actions work only on "*".
		"ec2:DescribeNetworkInterfaces": {"*"}, "ec2:DescribeSubnets": {"*"},
		"ec2:DeleteNetworkInterface": {fnENIs}, "ec2:AssignPrivateIpAddresses": {fnENIs}, "ec2:UnassignPrivateIpAddresses": {fnENIs},
	}
	for action, resources := range want {
		if !slices.Equal(on[action], resources) {
			t.Errorf("%s simulated on %v, want %v", action, on[action], resources)
		}
	}
	if len(on) != len(want) {
		t.Errorf("needs %v, want %v", on, want)
	}
	if n := FunctionPermissionNeeds(onDemandESM()); n != nil {
		t.Errorf("a mapping gets function needs %v", n)
	}
	detached := vpcFunction()
	if n := FunctionPermissionNeeds(detached); n != nil {
		t.Errorf("a function in no subnet needs %v", n)
	}
	unparsed := vpcFunction("priv-a")
	unparsed.FunctionARN = ""
	for _, n := range FunctionPermissionNeeds(unparsed) {
		if !slices.Equal(n.On(), []string{"*"}) {
			t.Errorf("%v on %v: without the function's account only \"*\" can be named", n.AnyOf, n.On())
		}
	}
}

// decisions simulates a role from the resources each action is allowed on
// ("*" for all).
func decisions(needs []PermissionNeed, allowed map[string][]string) *Permissions {
	p := &Permissions{RoleARN: roleARN, Decisions: map[[2]string]string{}}
	for _, n := range needs {
		for _, a := range n.AnyOf {
			for _, r := range n.On() {
				d := "implicitDeny"
				if slices.Contains(allowed[a], "*") || slices.Contains(allowed[a], r) {
					d = DecisionAllowed
				}
				p.Decisions[[2]string{a, r}] = d
			}
		}
	}
	return p
}

func TestFunctionExecutionRole(t *testing.T) {
	w := vpcFunction("priv-a")
	needs := FunctionPermissionNeeds(w)
	run := func(t *testing.T, allowed map[string][]string, wantPassed int, want ...string) []report.Finding {
		t.Helper()
		tgt := functionTarget(w, withFunctionGroups(baseVPC()))
		tgt.PermissionNeeds, tgt.Permissions = needs, decisions(needs, allowed)
		return oneCheck(t, executionRole, tgt, wantPassed, want...)
	}
	all := []string{"*"}
	t.Run("AWSLambdaENIManagementAccess only", func(t *testing.T) {
		f := run(t, map[string][]string{
			"ec2:CreateNetworkInterface": all, "ec2:DescribeNetworkInterfaces": all, "ec2:DeleteNetworkInterface": all,
			"ec2:AssignPrivateIpAddresses": all, "ec2:UnassignPrivateIpAddresses": all,
		}, len(needs)-1, "not allowed ec2:DescribeSubnets on *")
		if f[0].Severity != report.SeverityWarning {
			t.Errorf("severity %s: AWS documents the policy without DescribeSubnets as enough", f[0].Severity)
		}
	})
	t.Run("CreateNetworkInterface scoped to the function's subnet, group and interfaces", func(t *testing.T) {
		run(t, map[string][]string{
			"ec2:CreateNetworkInterface":    {fnSubnetA, fnGroup, fnENIs},
			"ec2:DescribeNetworkInterfaces": all, "ec2:DeleteNetworkInterface": all, "ec2:DescribeSubnets": all,
			"ec2:AssignPrivateIpAddresses": all, "ec2:UnassignPrivateIpAddresses": all,
		}, len(needs))
	})
	t.Run("CreateNetworkInterface scoped to other subnets", func(t *testing.T) {
		f := run(t, map[string][]string{
			"ec2:CreateNetworkInterface":    {"arn:aws:ec2:us-east-1:123456789012:subnet/priv-b", fnGroup, fnENIs},
			"ec2:DescribeNetworkInterfaces": all, "ec2:DeleteNetworkInterface": all, "ec2:DescribeSubnets": all,
			"ec2:AssignPrivateIpAddresses": all, "ec2:UnassignPrivateIpAddresses": all,
		}, len(needs)-1, "is not allowed ec2:CreateNetworkInterface on "+fnSubnetA+", which it needs because")
		if f[0].Severity != report.SeverityError || !slices.Contains(f[0].Resources, fnSubnetA) || slices.Contains(f[0].Resources, fnGroup) {
			t.Errorf("finding %+v: want an error naming the denied subnet only", f[0])
		}
	})
	t.Run("no CreateNetworkInterface", func(t *testing.T) {
		f := run(t, map[string][]string{
			"ec2:DescribeNetworkInterfaces": all, "ec2:DeleteNetworkInterface": all, "ec2:DescribeSubnets": all,
			"ec2:AssignPrivateIpAddresses": all, "ec2:UnassignPrivateIpAddresses": all,
		}, len(needs)-1, "function api: execution role "+roleARN+" is not allowed ec2:CreateNetworkInterface on "+fnSubnetA+", "+fnGroup+", "+fnENIs)
		if !strings.Contains(f[0].Message, "does not have permissions to call CreateNetworkInterface on EC2") || f[0].Severity != report.SeverityError {
			t.Errorf("finding %+v: want an error quoting Lambda's refusal", f[0])
		}
	})
	t.Run("no DeleteNetworkInterface", func(t *testing.T) {
		f := run(t, map[string][]string{
			"ec2:CreateNetworkInterface": all, "ec2:DescribeNetworkInterfaces": all, "ec2:DescribeSubnets": all,
			"ec2:AssignPrivateIpAddresses": all, "ec2:UnassignPrivateIpAddresses": all,
		}, len(needs)-1, "not allowed ec2:DeleteNetworkInterface on "+fnENIs)
		if f[0].Severity != report.SeverityError {
			t.Errorf("severity %s, want error", f[0].Severity)
		}
	})
}

const (
	orderSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders-AbC"
	glueARN     = "arn:aws:glue:us-east-1:123456789012:registry/orders"
)

func TestKafkaPermissionNeedsOfSecretsRegistriesAndDestinations(t *testing.T) {
	has := func(needs []PermissionNeed, action, resource string) bool {
		return slices.ContainsFunc(needs, func(n PermissionNeed) bool {
			return slices.Contains(n.AnyOf, action) && slices.Contains(n.On(), resource)
		})
	}
	registrySecret := "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-XyZ"
	cases := []struct {
		name       string
		edit       func(*workload.Workload)
		want, none [][2]string
	}{
		{"Glue registry in provisioned mode", func(w *workload.Workload) {
			w.Kafka.OnDemand = false
			w.Kafka.SchemaRegistry = &workload.SchemaRegistry{URI: glueARN}
		}, [][2]string{{"glue:GetRegistry", glueARN}, {"glue:GetSchemaVersion", glueARN}}, nil},
		{"Confluent registry with a secret", func(w *workload.Workload) {
			w.Kafka.OnDemand = false
			w.Kafka.SchemaRegistry = &workload.SchemaRegistry{URI: "https://registry.example.com", SecretARNs: []string{registrySecret}}
		}, [][2]string{{"secretsmanager:GetSecretValue", registrySecret}}, [][2]string{{"glue:GetRegistry", "https://registry.example.com"}}},
		{"registry ignored in on-demand mode, which has none", func(w *workload.Workload) {
			w.Kafka.SchemaRegistry = &workload.SchemaRegistry{URI: glueARN}
		}, nil, [][2]string{{"glue:GetRegistry", glueARN}}},
		{"SQS destination", func(w *workload.Workload) { w.Kafka.OnFailureDestination = "arn:aws:sqs:us-east-1:123456789012:dlq" },
			[][2]string{{"sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:dlq"}}, nil},
		{"SNS destination", func(w *workload.Workload) { w.Kafka.OnFailureDestination = "arn:aws:sns:us-east-1:123456789012:failed" },
			[][2]string{{"sns:Publish", "arn:aws:sns:us-east-1:123456789012:failed"}}, nil},
		{"S3 destination", func(w *workload.Workload) { w.Kafka.OnFailureDestination = "arn:aws:s3:::failed-batches" },
			[][2]string{{"s3:PutObject", "arn:aws:s3:::failed-batches/*"}, {"s3:ListBucket", "arn:aws:s3:::failed-batches"}}, nil},
		{"Kafka destination of an IAM cluster", func(w *workload.Workload) { w.Kafka.OnFailureDestination = "kafka://orders-dlt" },
			[][2]string{{"kafka-cluster:WriteData", "arn:aws:kafka:us-east-1:123456789012:topic/orders/abc-1/orders-dlt"}, {"kafka-cluster:DescribeTopic", "arn:aws:kafka:us-east-1:123456789012:topic/orders/abc-1/orders-dlt"}}, nil},
		{"Kafka destination of a cluster the mapping reads with a secret", func(w *workload.Workload) {
			w.Kafka.SecretARNs = []string{orderSecret}
			w.Kafka.OnFailureDestination = "kafka://orders-dlt"
		}, [][2]string{{"secretsmanager:GetSecretValue", orderSecret}}, [][2]string{{"kafka-cluster:WriteData", "arn:aws:kafka:us-east-1:123456789012:topic/orders/abc-1/orders-dlt"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := iamESM()
			c.edit(w)
			needs := KafkaPermissionNeeds(w)
			for _, p := range c.want {
				if !has(needs, p[0], p[1]) {
					t.Errorf("missing %s on %s", p[0], p[1])
				}
			}
			for _, p := range c.none {
				if has(needs, p[0], p[1]) {
					t.Errorf("%s on %s required", p[0], p[1])
				}
			}
		})
	}
}

func TestSecretRegion(t *testing.T) {
	w := onDemandESM()
	w.Kafka.SecretARNs = []string{orderSecret, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-copy-QwE"}
	f := oneCheck(t, secretRegion, target(w, baseVPC()), 1,
		"secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-copy-QwE, which is in Region eu-west-1, but the mapping runs in us-east-1")
	if f[0].Severity != report.SeverityError || f[0].Service != "secretsmanager" {
		t.Errorf("finding %+v: want a secretsmanager error", f[0])
	}
	w.Kafka.SecretARNs = nil
	w.Kafka.SchemaRegistry = &workload.SchemaRegistry{URI: "https://registry.example.com", SecretARNs: []string{"arn:aws:secretsmanager:us-west-2:123456789012:secret:registry-XyZ"}}
	oneCheck(t, secretRegion, target(w, baseVPC()), 0, "which is in Region us-west-2, but the mapping runs in us-east-1")
	w.Kafka.SchemaRegistry = nil
	if secretRegion.Applies(target(w, baseVPC())) {
		t.Error("applies to a mapping without secrets")
	}
}
