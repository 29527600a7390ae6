package check

import (
	"slices"
	"strings"
	"testing"

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
			p.Decisions[[2]string{a, n.Resource}] = d
		}
	}
	return p
}

func TestKafkaPermissionNeeds(t *testing.T) {
	needs := KafkaPermissionNeeds(iamESM())
	has := func(action, resource string) bool {
		return slices.ContainsFunc(needs, func(n PermissionNeed) bool { return slices.Contains(n.AnyOf, action) && n.Resource == resource })
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

func TestFunctionPermissionNeeds(t *testing.T) {
	needs := FunctionPermissionNeeds(vpcFunction("priv-a", "priv-b"))
	var actions []string
	for _, n := range needs {
		actions = append(actions, n.AnyOf...)
		if n.Resource != "*" {
			t.Errorf("%v on %s: ENI actions have no resource-level permissions", n.AnyOf, n.Resource)
		}
	}
	for _, want := range []string{"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"} {
		if !slices.Contains(actions, want) {
			t.Errorf("needs %v, want %s", actions, want)
		}
	}
	if n := FunctionPermissionNeeds(onDemandESM()); n != nil {
		t.Errorf("a mapping gets function needs %v", n)
	}
	detached := vpcFunction()
	if n := FunctionPermissionNeeds(detached); n != nil {
		t.Errorf("a function in no subnet needs %v", n)
	}

	tgt := functionTarget(vpcFunction("priv-a"), withFunctionGroups(baseVPC()))
	tgt.PermissionNeeds = needs
	tgt.Permissions = allowAllBut(needs, "ec2:CreateNetworkInterface")
	f := oneCheck(t, executionRole, tgt, len(needs)-1,
		"function api: execution role "+roleARN+" is not allowed ec2:CreateNetworkInterface on *, which it needs because Lambda manages the function's network interfaces")
	if !strings.Contains(f[0].Message, "does not have permissions to call CreateNetworkInterface on EC2") || f[0].Severity != "error" {
		t.Errorf("finding %+v: want an error quoting Lambda's refusal", f[0])
	}
}
