package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/endpointpolicy"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// sharedVPC has a NAT gateway in us-east-1a only, which priv-a's route
// table uses: a function in priv-a reaches STS and SNS through it, while an
// on-demand mapping in the public subnets needs private-DNS endpoints for
// Lambda, STS and SNS.
func sharedVPC() (s *network.Snapshot, mapping, function *check.Target) {
	s = vpc(true)
	s.NATGateways = s.NATGateways[:1]
	s.RouteTables[2].Routes = append(s.RouteTables[2].Routes, network.Route{Destination: prefix("0.0.0.0/0"), TargetKind: network.TargetNATGateway, TargetID: "nat-a", Active: true})
	w := esm()
	w.Network.SubnetIDs = []string{"pub-a", "pub-b"}
	mapping = withRequirements(target(w, s), "sns")
	function = functionIn(s, []string{"sns", "sts"}, "priv-a")
	return s, mapping, function
}

func TestVerifyAgainstTheWholeVPC(t *testing.T) {
	t.Run("a function reaching STS and SNS through NAT keeps working once the mapping's endpoints exist", func(t *testing.T) {
		s, mapping, function := sharedVPC()
		if got := statusOn(function, s); got != report.StatusOK {
			t.Fatalf("function before: %s, want ok", got)
		}
		p := Verify(mapping, For(mapping, Options{}), []*check.Target{mapping, function})
		if len(p.Unfixable) > 0 || len(p.Changes) == 0 {
			t.Fatalf("changes %q, unfixable %q", actions(p), p.Unfixable)
		}
		after := patch(s, p.Changes, region)
		if got := statusOn(function, after); got != report.StatusOK {
			t.Errorf("function after: %s (%s)", got, firstError(function, after))
		}
		if got := statusOn(mapping, after); got != report.StatusOK {
			t.Errorf("mapping after: %s (%s)", got, firstError(mapping, after))
		}
		// The set-up of before, on the mapping's group with a policy for
		// Lambda alone, would have broken the function.
		narrow := slices.Clone(p.Changes)
		for i, c := range narrow {
			if c.Action == CreateInterfaceEndpoint && c.Service == "sts" {
				narrow[i].GroupIDs, narrow[i].Policy = []string{"sg-msk"}, endpointpolicy.STS()
			}
		}
		if got := statusOn(function, patch(s, narrow, region)); got != report.StatusBroken {
			t.Errorf("function after an STS endpoint for Lambda alone: %s, want broken", got)
		}
		for _, c := range p.Changes {
			if c.Action != CreateInterfaceEndpoint {
				continue
			}
			lambdaAllowed := endpointpolicy.LambdaAction(c.Service) == ""
			if c.Service == "sts" || c.Service == "lambda" {
				d, _ := endpointpolicy.Evaluate(c.Policy, endpointpolicy.Request{Action: endpointpolicy.LambdaAction(c.Service), Resource: "*", PrincipalService: endpointpolicy.LambdaService})
				lambdaAllowed = d.Allowed
			}
			role, _ := endpointpolicy.Evaluate(c.Policy, endpointpolicy.Request{Action: c.Service + ":Publish", Resource: "*", PrincipalARN: fnRole})
			if !lambdaAllowed || !role.Allowed {
				t.Errorf("%s endpoint policy admits Lambda %v, the function's role %v:\n%s", c.Service, lambdaAllowed, role.Allowed, c.Policy)
			}
		}
	})
	t.Run("a second mapping with another role is admitted by the endpoints", func(t *testing.T) {
		s, mapping, _ := sharedVPC()
		mapping = withRequirements(mapping, "secretsmanager")
		w := esm()
		w.ID, w.Name, w.ExecutionRoleARN = "9a8b7c6d", "billing <- MSK invoices", "arn:aws:iam::123456789012:role/billing"
		w.Network.SubnetIDs = []string{"pub-a", "pub-b"}
		second := withRequirements(target(w, s), "secretsmanager")
		p := Verify(mapping, For(mapping, Options{}), []*check.Target{second})
		after := patch(s, p.Changes, region)
		if got := statusOn(second, after); got != report.StatusOK {
			t.Errorf("second mapping after the first one's fix: %s (%s)", got, firstError(second, after))
		}
	})
	t.Run("restricted egress of another function: the rule to the endpoints' group is added", func(t *testing.T) {
		s, mapping, function := sharedVPC()
		s.SecurityGroups[len(s.SecurityGroups)-2].Egress = []network.Rule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: prefix("52.0.0.0/8")},
			{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: prefix("54.0.0.0/8")}}
		p := Verify(mapping, For(mapping, Options{}), []*check.Target{function})
		if !slices.ContainsFunc(p.Changes, func(c Change) bool { return c.Action == AuthorizeEgress && c.GroupID == "sg-fn" }) {
			t.Fatalf("changes %q: no egress rule for sg-fn", actions(p))
		}
		if got := statusOn(function, patch(s, p.Changes, region)); got == report.StatusBroken {
			t.Errorf("function after: broken")
		}
	})
	t.Run("a network ACL keeping another function from the endpoints' subnets: the plan is refused", func(t *testing.T) {
		s, mapping, function := sharedVPC()
		s.NetworkACLs = []network.NetworkACL{{ID: "acl-fn", SubnetIDs: []string{"priv-a"}, Entries: []network.ACLEntry{
			{RuleNumber: 90, Egress: true, Allow: false, Protocol: "6", CIDR: prefix("10.0.0.0/23"), FromPort: 443, ToPort: 443},
			{RuleNumber: 100, Egress: true, Allow: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), FromPort: 0, ToPort: 65535},
			{RuleNumber: 100, Allow: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), FromPort: 0, ToPort: 65535},
		}}, {ID: "acl-default", Default: true, SubnetIDs: []string{"pub-a", "pub-b", "priv-b"}, Entries: []network.ACLEntry{
			{RuleNumber: 100, Egress: true, Allow: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), FromPort: 0, ToPort: 65535},
			{RuleNumber: 100, Allow: true, Protocol: "-1", CIDR: prefix("0.0.0.0/0"), FromPort: 0, ToPort: 65535},
		}}}
		if got := statusOn(function, s); got != report.StatusOK {
			t.Fatalf("function before: %s (%s)", got, firstError(function, s))
		}
		p := Verify(mapping, For(mapping, Options{}), []*check.Target{function})
		if len(p.Changes) != 0 {
			t.Fatalf("changes %q, want none", actions(p))
		}
		if len(p.Unfixable) == 0 || !strings.Contains(p.Unfixable[len(p.Unfixable)-1], `"api"`) {
			t.Errorf("unfixable %q, want the function named", p.Unfixable)
		}
		if !slices.ContainsFunc(p.Recommendations, func(r string) bool { return strings.Contains(r, "aws ec2 create-vpc-endpoint") }) {
			t.Errorf("recommendations %q, want the commands", p.Recommendations)
		}
	})
	t.Run("workloads of other VPCs and the workload itself are not neighbours", func(t *testing.T) {
		_, mapping, function := sharedVPC()
		function.Workload.Network.VPCID = "vpc-2"
		if got := neighbours(mapping, []*check.Target{mapping, function}); len(got) != 0 {
			t.Errorf("neighbours = %d, want 0", len(got))
		}
	})
}
