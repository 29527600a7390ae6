package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const fnRole = "arn:aws:iam::123456789012:role/service/api-exec"

// functionIn is a function in subnets with sg-fn (all egress) and a
// database group sg-db that admits nothing, both added to s.
func functionIn(s *network.Snapshot, services []string, subnets ...string) *check.Target {
	s.SecurityGroups = append(s.SecurityGroups,
		network.SecurityGroup{ID: "sg-fn", Egress: []network.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: prefix("0.0.0.0/0")}}},
		network.SecurityGroup{ID: "sg-db"})
	w := &workload.Workload{Kind: workload.KindFunction, ID: "arn:aws:lambda:us-east-1:123456789012:function:api", Name: "api", ExecutionRoleARN: fnRole,
		Network: workload.Network{VPCID: "vpc-1", SubnetIDs: subnets, SecurityGroupIDs: []string{"sg-fn"}}, Function: &workload.Function{RoleARN: fnRole}}
	t := &check.Target{Workload: w, Network: s, Region: region}
	for _, svc := range services {
		t.Requirements = append(t.Requirements, check.Requirement{Service: svc, Why: "policy app allows " + svc + ":*"})
	}
	return t
}

func errorsOf(findings []report.Finding) []string {
	var out []string
	for _, f := range findings {
		if f.Severity == report.SeverityError {
			out = append(out, f.Message)
		}
	}
	return out
}

func TestPlanForAFunction(t *testing.T) {
	t.Run("S3 from a public subnet: a free gateway endpoint on its route table", func(t *testing.T) {
		tgt := functionIn(vpc(true), []string{"s3"}, "pub-a", "pub-b")
		p := For(tgt, Options{})
		if len(p.Changes) != 1 || p.Changes[0].Action != CreateGatewayEndpoint || !slices.Equal(p.Changes[0].RouteTableIDs, []string{"rtb-pub"}) {
			t.Fatalf("changes %+v, want one gateway endpoint on rtb-pub (a NAT route cannot help a public subnet)", p.Changes)
		}
		if errs := errorsOf(verify(t, tgt, p)); len(errs) > 0 {
			t.Errorf("after the plan: %v", errs)
		}
	})
	t.Run("SNS without NAT: an interface endpoint with a group of its own admitting 443 from the VPC", func(t *testing.T) {
		tgt := functionIn(vpc(false), []string{"sns"}, "priv-a", "priv-b")
		p := For(tgt, Options{})
		var actions []string
		for _, c := range p.Changes {
			actions = append(actions, c.Action+" "+c.Target)
		}
		want := []string{CreateSecurityGroup + " vpc-1", CreateInterfaceEndpoint + " vpc-1"}
		if !slices.Equal(actions, want) {
			t.Fatalf("changes %v, want %v", actions, want)
		}
		group := p.Changes[0]
		if !slices.Equal(group.CIDRs, []string{"10.0.0.0/16"}) || group.Port != 443 {
			t.Errorf("group change %+v, want 443 from the VPC's block", group)
		}
		if c := p.Changes[1]; c.ServiceName != "com.amazonaws.us-east-1.sns" || !slices.Equal(c.GroupIDs, []string{group.GroupID}) || !c.PrivateDNS {
			t.Errorf("endpoint change %+v", c)
		}
		if errs := errorsOf(verify(t, tgt, p)); len(errs) > 0 {
			t.Errorf("after the plan: %v", errs)
		}
	})
	t.Run("a database the function cannot reach: the rules are recommended, not made", func(t *testing.T) {
		tgt := functionIn(vpc(false), nil, "priv-a")
		tgt.Databases = []workload.Database{{Kind: "rds", Host: "orders.x.us-east-1.rds.amazonaws.com", Port: 3306, VPCID: "vpc-1",
			SubnetIDs: []string{"priv-b"}, SecurityGroupIDs: []string{"sg-db"}, Why: "environment variable DB_HOST names it"}}
		p := For(tgt, Options{})
		if len(p.Changes) != 0 {
			t.Errorf("changes %+v: database groups are not vpcmedic's to change", p.Changes)
		}
		if len(p.Recommendations) != 1 || !strings.Contains(p.Recommendations[0], "aws ec2 authorize-security-group-ingress --region us-east-1 --group-id sg-db --protocol tcp --port 3306 --source-group sg-fn") ||
			!strings.Contains(p.Recommendations[0], "needed because environment variable DB_HOST names it") {
			t.Errorf("recommendations %q, want the ingress rule on sg-db from sg-fn and why", p.Recommendations)
		}
		if strings.Contains(p.Recommendations[0], "authorize-security-group-egress") {
			t.Errorf("recommendation %q adds egress, yet sg-fn allows all egress", p.Recommendations[0])
		}
	})
	t.Run("a role without the network interface actions: the managed policy is recommended", func(t *testing.T) {
		tgt := functionIn(vpc(false), nil, "priv-a")
		tgt.PermissionNeeds = check.FunctionPermissionNeeds(tgt.Workload)
		tgt.Permissions = &check.Permissions{RoleARN: fnRole, Decisions: map[[2]string]string{{"ec2:DescribeNetworkInterfaces", "*"}: check.DecisionAllowed}}
		p := For(tgt, Options{})
		if len(p.Changes) != 0 || len(p.Recommendations) != 1 ||
			!strings.Contains(p.Recommendations[0], "aws iam attach-role-policy --role-name api-exec --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole") ||
			!strings.Contains(p.Recommendations[0], "ec2:CreateNetworkInterface") || strings.Contains(p.Recommendations[0], "ec2:DescribeNetworkInterfaces") {
			t.Errorf("changes %+v, recommendations %q", p.Changes, p.Recommendations)
		}
	})
}
