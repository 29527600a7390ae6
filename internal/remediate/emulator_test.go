package remediate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/remediate"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
	"github.com/vpcmedic/vpcmedic/internal/topology"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// brokenMSK seeds the on-demand MSK mapping that cannot reach Lambda and STS.
func brokenMSK(t *testing.T) (*ec2.Client, *scenario.MSKWorkload) {
	t.Helper()
	cfg := emulator.Shared(t).MustConfig(t)
	s := scenario.New(cfg)
	w := scenario.BrokenOnDemandMSK(s)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return ec2.NewFromConfig(cfg), w
}

// diagnose reads the VPC as it is now and builds the mapping's target.
func diagnose(t *testing.T, client *ec2.Client, w *scenario.MSKWorkload) *check.Target {
	t.Helper()
	snap, err := (&topology.Reader{EC2: client}).Read(context.Background(), w.VPC.ID)
	if err != nil {
		t.Fatal(err)
	}
	wl := &workload.Workload{
		Kind: workload.KindKafkaESM, ID: w.ESM.UUID, Name: "orders-consumer <- MSK orders",
		FunctionARN: w.Function.ARN, ExecutionRoleARN: w.Role.ARN,
		Network: workload.Network{VPCID: w.VPC.ID, SubnetIDs: w.Private.IDs(), SecurityGroupIDs: []string{w.ClusterSG.ID}},
		Kafka: &workload.Kafka{Source: workload.SourceMSK, EventSourceARN: w.Cluster.ARN, ClusterName: w.Cluster.Name, Topics: []string{"orders"},
			OnDemand: true, BrokerPorts: []int{9098}, ClientAuthentication: []string{"iam"}},
	}
	return &check.Target{Workload: wl, Network: snap, Region: emulator.Region, Requirements: check.KafkaRequirements(wl)}
}

func errorFindings(t *check.Target) []string {
	findings, _ := check.Run(t)
	var out []string
	for _, f := range findings {
		if f.Severity == report.SeverityError {
			out = append(out, f.Message)
		}
	}
	return out
}

func statuses(outcomes []remediate.Outcome) []string {
	var out []string
	for _, o := range outcomes {
		out = append(out, o.Status)
	}
	return out
}

func describe(outcomes []remediate.Outcome) string {
	var b strings.Builder
	for _, o := range outcomes {
		fmt.Fprintf(&b, "\n  %s %s: %s (%s)", o.Change.Action, o.Change.Target, o.Status, o.Detail)
	}
	return b.String()
}

// liveEndpoints counts the VPC's endpoints that are not deleted, by service.
func liveEndpoints(t *testing.T, client *ec2.Client, vpcID string) map[string][]types.VpcEndpoint {
	t.Helper()
	out := map[string][]types.VpcEndpoint{}
	p := ec2.NewDescribeVpcEndpointsPaginator(client, &ec2.DescribeVpcEndpointsInput{
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.VpcEndpoints {
			if !strings.EqualFold(string(e.State), "deleted") {
				name := aws.ToString(e.ServiceName)
				out[name[strings.LastIndex(name, ".")+1:]] = append(out[name[strings.LastIndex(name, ".")+1:]], e)
			}
		}
	}
	return out
}

// groupRules returns a group's rules that reference peer on TCP port.
func groupRules(t *testing.T, client *ec2.Client, group, peer string, port int32, egress bool) []types.SecurityGroupRule {
	t.Helper()
	var out []types.SecurityGroupRule
	p := ec2.NewDescribeSecurityGroupRulesPaginator(client, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{group}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.SecurityGroupRules {
			if aws.ToBool(r.IsEgress) == egress && aws.ToInt32(r.FromPort) == port && r.ReferencedGroupInfo != nil && aws.ToString(r.ReferencedGroupInfo.GroupId) == peer {
				out = append(out, r)
			}
		}
	}
	return out
}

// endpointGroup returns the one group vpcmedic made for its endpoints in
// the VPC, after checking it: tagged at creation, admitting TCP 443 from
// the VPC's block and from nothing else.
func endpointGroup(t *testing.T, client *ec2.Client, vpcID, cidr string) string {
	t.Helper()
	out, err := client.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpcID}}, {Name: aws.String("group-name"), Values: []string{plan.EndpointGroupName}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SecurityGroups) != 1 {
		t.Fatalf("%d groups named %s, want 1", len(out.SecurityGroups), plan.EndpointGroupName)
	}
	g := out.SecurityGroups[0]
	if tags := tagsOf(g.Tags); tags[remediate.TagManaged] != "true" || tags[remediate.TagPurpose] != remediate.PurposeInterfaceEndpoints {
		t.Errorf("group %s tags %v", aws.ToString(g.GroupId), tags)
	}
	var from []string
	for _, perm := range g.IpPermissions {
		for _, r := range perm.IpRanges {
			from = append(from, fmt.Sprintf("%s %d-%d %s", aws.ToString(perm.IpProtocol), aws.ToInt32(perm.FromPort), aws.ToInt32(perm.ToPort), aws.ToString(r.CidrIp)))
		}
		if len(perm.UserIdGroupPairs)+len(perm.Ipv6Ranges)+len(perm.PrefixListIds) > 0 {
			t.Errorf("group %s admits more than CIDRs: %+v", aws.ToString(g.GroupId), perm)
		}
	}
	if want := []string{"tcp 443-443 " + cidr}; !slices.Equal(from, want) {
		t.Errorf("group %s admits %q, want %q", aws.ToString(g.GroupId), from, want)
	}
	return aws.ToString(g.GroupId)
}

func tagsOf(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, tag := range tags {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}

func TestApplyHealsBrokenOnDemandMSK(t *testing.T) {
	client, w := brokenMSK(t)
	ctx := context.Background()
	before := diagnose(t, client, w)
	if len(errorFindings(before)) == 0 {
		t.Fatal("the broken mapping has no error finding before remediation")
	}
	p := plan.For(before, plan.Options{})
	if len(p.Changes) == 0 {
		t.Fatalf("nothing planned; unfixable: %v", p.Unfixable)
	}
	a := &remediate.Applier{EC2: client}
	req := remediate.Request{EventID: "event-1", Tags: map[string]string{"owner": "platform"}}

	outcomes, err := a.Apply(ctx, req, p.Changes)
	if err != nil {
		t.Fatalf("apply: %v%s", err, describe(outcomes))
	}
	for _, o := range outcomes {
		if o.Status != report.ChangeCreated {
			t.Errorf("first run: %s %s is %s, want created (%s)", o.Change.Action, o.Change.Target, o.Status, o.Detail)
		}
	}
	after := diagnose(t, client, w)
	if errs := errorFindings(after); len(errs) > 0 {
		t.Errorf("after remediation the checks still report:\n%s", strings.Join(errs, "\n"))
	}
	if again := plan.For(after, plan.Options{}); len(again.Changes) > 0 {
		t.Errorf("after remediation the planner still plans %d changes", len(again.Changes))
	}

	endpoints := liveEndpoints(t, client, w.VPC.ID)
	for _, service := range []string{"lambda", "sts"} {
		if len(endpoints[service]) != 1 {
			t.Fatalf("%d %s endpoints, want 1", len(endpoints[service]), service)
		}
		e := endpoints[service][0]
		want := map[string]string{"vpcmedic:managed": "true", "vpcmedic:check": "VM102", "vpcmedic:event": "event-1", "owner": "platform"}
		for k, v := range want {
			if got := tagsOf(e.Tags)[k]; got != v {
				t.Errorf("%s endpoint tag %s = %q, want %q", service, k, got, v)
			}
		}
		if !aws.ToBool(e.PrivateDnsEnabled) || !slices.Equal(e.SubnetIds, w.Private.IDs()) {
			t.Errorf("%s endpoint: private DNS %v, subnets %v; want on, %v", service, aws.ToBool(e.PrivateDnsEnabled), e.SubnetIds, w.Private.IDs())
		}
	}
	group := endpointGroup(t, client, w.VPC.ID, w.VPC.CIDR)
	for _, service := range []string{"lambda", "sts"} {
		if e := endpoints[service][0]; len(e.Groups) != 1 || aws.ToString(e.Groups[0].GroupId) != group {
			t.Errorf("%s endpoint groups %+v, want only %s", service, e.Groups, group)
		}
	}

	// The same event delivered again: everything is found, nothing made.
	outcomes, err = a.Apply(ctx, req, p.Changes)
	if err != nil {
		t.Fatalf("second apply: %v%s", err, describe(outcomes))
	}
	for i, o := range outcomes {
		if o.Status != report.ChangeUnchanged {
			t.Errorf("second run: %s %s is %s, want unchanged (%s)", o.Change.Action, o.Change.Target, o.Status, o.Detail)
		}
		if o.Change.Action == plan.CreateInterfaceEndpoint && o.ResourceID != aws.ToString(endpoints[o.Change.Service][0].VpcEndpointId) {
			t.Errorf("second run, change %d: found %q, want the endpoint created first", i, o.ResourceID)
		}
	}
	if got := liveEndpoints(t, client, w.VPC.ID); len(got["lambda"]) != 1 || len(got["sts"]) != 1 {
		t.Errorf("after the second run: %d lambda and %d sts endpoints, want 1 each", len(got["lambda"]), len(got["sts"]))
	}
	if again := endpointGroup(t, client, w.VPC.ID, w.VPC.CIDR); again != group {
		t.Errorf("after the second run the endpoints' group is %s, want %s", again, group)
	}
}

// faulty fails the nth mutation it passes on, once.
type faulty struct {
	remediate.EC2
	nth, mutations int
}

func (f *faulty) fault() error {
	f.mutations++
	if f.mutations == f.nth {
		return &smithy.GenericAPIError{Code: "InternalError", Message: "injected fault"}
	}
	return nil
}

func (f *faulty) CreateVpcEndpoint(ctx context.Context, in *ec2.CreateVpcEndpointInput, opts ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.EC2.CreateVpcEndpoint(ctx, in, opts...)
}

func (f *faulty) AuthorizeSecurityGroupIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, opts ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.EC2.AuthorizeSecurityGroupIngress(ctx, in, opts...)
}

func (f *faulty) AuthorizeSecurityGroupEgress(ctx context.Context, in *ec2.AuthorizeSecurityGroupEgressInput, opts ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupEgressOutput, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.EC2.AuthorizeSecurityGroupEgress(ctx, in, opts...)
}

func TestRetryAfterAFaultFinishesWithoutDuplicates(t *testing.T) {
	client, w := brokenMSK(t)
	ctx := context.Background()
	p := plan.For(diagnose(t, client, w), plan.Options{})
	if len(p.Changes) < 3 {
		t.Fatalf("planned %d changes, want at least 3 for a fault in the middle", len(p.Changes))
	}
	a := &remediate.Applier{EC2: &faulty{EC2: client, nth: 2}}
	req := remediate.Request{EventID: "event-2"}

	outcomes, err := a.Apply(ctx, req, p.Changes)
	if err == nil {
		t.Fatalf("no error despite the fault%s", describe(outcomes))
	}
	if len(outcomes) != len(p.Changes) {
		t.Fatalf("%d outcomes for %d changes", len(outcomes), len(p.Changes))
	}
	var failed []int
	for i, o := range outcomes {
		if o.Status == report.ChangeFailed {
			failed = append(failed, i)
			if !strings.Contains(err.Error(), o.Change.Action+" "+o.Change.Target) || !strings.Contains(o.Detail, "injected fault") {
				t.Errorf("failed change %d: error %q, detail %q should name it and the fault", i, err, o.Detail)
			}
		} else if o.Status != report.ChangeCreated {
			t.Errorf("change %d (%s): %s, want created around the fault", i, o.Change.Action, o.Status)
		}
	}
	if len(failed) != 1 || failed[0] != 1 {
		t.Fatalf("failed changes %v, want the second alone%s", failed, describe(outcomes))
	}

	// The invocation is retried.
	retried, err := a.Apply(ctx, req, p.Changes)
	if err != nil {
		t.Fatalf("retry: %v%s", err, describe(retried))
	}
	for i, o := range retried {
		want := report.ChangeUnchanged
		if i == failed[0] {
			want = report.ChangeCreated
		}
		if o.Status != want {
			t.Errorf("retry, change %d (%s): %s, want %s (%s)", i, o.Change.Action, o.Status, want, o.Detail)
		}
	}
	for service, eps := range liveEndpoints(t, client, w.VPC.ID) {
		if len(eps) != 1 {
			t.Errorf("%d %s endpoints, want 1", len(eps), service)
		}
	}
	endpointGroup(t, client, w.VPC.ID, w.VPC.CIDR)
	if errs := errorFindings(diagnose(t, client, w)); len(errs) > 0 {
		t.Errorf("after the retry the checks still report:\n%s", strings.Join(errs, "\n"))
	}
}

// recorder keeps the endpoint modifications it passes on.
type recorder struct {
	remediate.EC2
	modified []*ec2.ModifyVpcEndpointInput
}

func (r *recorder) ModifyVpcEndpoint(ctx context.Context, in *ec2.ModifyVpcEndpointInput, opts ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error) {
	r.modified = append(r.modified, in)
	return r.EC2.ModifyVpcEndpoint(ctx, in, opts...)
}

func TestApplyEveryChangeType(t *testing.T) {
	cfg := emulator.Shared(t).MustConfig(t)
	ctx := context.Background()
	client := ec2.NewFromConfig(cfg)
	s := scenario.New(cfg)
	vpc := s.VPC("10.1.0.0/16").DisableDNSHostnames()
	public := vpc.PublicSubnets("10.1.0.0/24@a")
	private := vpc.PrivateSubnets("10.1.10.0/24@a", "10.1.11.0/24@b")
	nat := vpc.NAT(public[0])
	app := vpc.SecurityGroup("app")
	endpointSG := vpc.SecurityGroup("endpoints")
	sts := vpc.InterfaceEndpoint("sts", private[:1], endpointSG, scenario.WithoutPrivateDNS())
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	// The app's egress is restricted: drop the default allow-all rule.
	if _, err := client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(app.ID),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		t.Fatal(err)
	}

	changes := []plan.Change{
		{Action: plan.EnableVPCAttribute, Target: vpc.ID, VPCID: vpc.ID, Attribute: "enableDnsHostnames", CheckIDs: []string{"VM102"}},
		{Action: plan.CreateInterfaceEndpoint, Target: vpc.ID, Service: "lambda", VPCID: vpc.ID, ServiceName: "com.amazonaws.us-east-1.lambda",
			SubnetIDs: private.IDs(), GroupIDs: []string{endpointSG.ID}, PrivateDNS: true, EndpointID: "vpce-planned1", CheckIDs: []string{"VM102"}},
		{Action: plan.CreateGatewayEndpoint, Target: vpc.ID, Service: "s3", VPCID: vpc.ID, ServiceName: "com.amazonaws.us-east-1.s3",
			RouteTableIDs: private.RouteTableIDs(), EndpointID: "vpce-planned2", CheckIDs: []string{"VM102"}},
		{Action: plan.AddEndpointSubnets, Target: sts.ID, EndpointID: sts.ID, SubnetIDs: private[1:].IDs(), CheckIDs: []string{"VM103"}},
		{Action: plan.AuthorizeIngress, Target: endpointSG.ID, GroupID: endpointSG.ID, PeerGroupID: app.ID, Port: 443, CheckIDs: []string{"VM102"}},
		{Action: plan.AuthorizeEgress, Target: app.ID, GroupID: app.ID, PeerGroupID: endpointSG.ID, Port: 443, CheckIDs: []string{"VM102"}},
		{Action: plan.CreateRoute, Target: private[0].RouteTableID, RouteTableIDs: []string{private[0].RouteTableID}, NATGatewayID: nat.ID, CheckIDs: []string{"VM102"}},
		{Action: plan.EnableEndpointDNS, Target: sts.ID, EndpointID: sts.ID, PrivateDNS: true, CheckIDs: []string{"VM102"}},
	}
	rec := &recorder{EC2: client}
	a := &remediate.Applier{EC2: rec}
	req := remediate.Request{EventID: "event-3"}
	outcomes, err := a.Apply(ctx, req, changes)
	if err != nil {
		t.Fatalf("apply: %v%s", err, describe(outcomes))
	}
	if got := statuses(outcomes); slices.ContainsFunc(got, func(s string) bool { return s != report.ChangeCreated }) {
		t.Fatalf("statuses %v, want all created%s", got, describe(outcomes))
	}

	t.Run(plan.EnableVPCAttribute, func(t *testing.T) {
		out, err := client.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpc.ID), Attribute: types.VpcAttributeNameEnableDnsHostnames})
		if err != nil || !aws.ToBool(out.EnableDnsHostnames.Value) {
			t.Errorf("DNS hostnames still off (%v)", err)
		}
	})
	endpoints := liveEndpoints(t, client, vpc.ID)
	t.Run(plan.CreateInterfaceEndpoint, func(t *testing.T) {
		eps := endpoints["lambda"]
		if len(eps) != 1 {
			t.Fatalf("%d lambda endpoints, want 1", len(eps))
		}
		e := eps[0]
		if e.VpcEndpointType != types.VpcEndpointTypeInterface || !slices.Equal(e.SubnetIds, private.IDs()) || !aws.ToBool(e.PrivateDnsEnabled) ||
			len(e.Groups) != 1 || aws.ToString(e.Groups[0].GroupId) != endpointSG.ID || tagsOf(e.Tags)["vpcmedic:event"] != "event-3" {
			t.Errorf("lambda endpoint %+v", e)
		}
		if outcomes[1].ResourceID != aws.ToString(e.VpcEndpointId) {
			t.Errorf("outcome names %q, want %q", outcomes[1].ResourceID, aws.ToString(e.VpcEndpointId))
		}
	})
	t.Run(plan.CreateGatewayEndpoint, func(t *testing.T) {
		eps := endpoints["s3"]
		if len(eps) != 1 || eps[0].VpcEndpointType != types.VpcEndpointTypeGateway || !slices.Equal(eps[0].RouteTableIds, private.RouteTableIDs()) {
			t.Errorf("s3 endpoints %+v, want one gateway endpoint on %v", eps, private.RouteTableIDs())
		}
	})
	t.Run(plan.AddEndpointSubnets, func(t *testing.T) {
		eps := endpoints["sts"]
		if len(eps) != 1 || !slices.Equal(eps[0].SubnetIds, private.IDs()) {
			t.Errorf("sts endpoints %+v, want one in %v", eps, private.IDs())
		}
	})
	t.Run(plan.EnableEndpointDNS, func(t *testing.T) {
		// moto 5.2.1 accepts but ignores PrivateDnsEnabled in
		// ModifyVpcEndpoint, so check the request rather than the state.
		i := slices.IndexFunc(rec.modified, func(in *ec2.ModifyVpcEndpointInput) bool { return in.PrivateDnsEnabled != nil })
		if i < 0 || aws.ToString(rec.modified[i].VpcEndpointId) != sts.ID || !aws.ToBool(rec.modified[i].PrivateDnsEnabled) {
			t.Errorf("no request turned on private DNS of %s", sts.ID)
		}
	})
	t.Run(plan.AuthorizeIngress, func(t *testing.T) {
		rules := groupRules(t, client, endpointSG.ID, app.ID, 443, false)
		if len(rules) != 1 || tagsOf(rules[0].Tags)["vpcmedic:check"] != "VM102" || outcomes[4].ResourceID != aws.ToString(rules[0].SecurityGroupRuleId) {
			t.Errorf("ingress rules %+v, outcome %q: want one tagged rule, named by the outcome", rules, outcomes[4].ResourceID)
		}
	})
	t.Run(plan.AuthorizeEgress, func(t *testing.T) {
		if rules := groupRules(t, client, app.ID, endpointSG.ID, 443, true); len(rules) != 1 || tagsOf(rules[0].Tags)["vpcmedic:managed"] != "true" {
			t.Errorf("egress rules %+v, want one tagged rule", rules)
		}
	})
	t.Run(plan.CreateRoute, func(t *testing.T) {
		out, err := client.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{private[0].RouteTableID}})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(out.RouteTables[0].Routes, func(r types.Route) bool { return aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" })
		if i < 0 || aws.ToString(out.RouteTables[0].Routes[i].NatGatewayId) != nat.ID {
			t.Errorf("routes %+v, want 0.0.0.0/0 to %s", out.RouteTables[0].Routes, nat.ID)
		}
		if !strings.Contains(outcomes[6].Detail, "cannot be tagged") {
			t.Errorf("detail %q does not say the route is untagged", outcomes[6].Detail)
		}
	})

	// Applied again, every change is found done. The private DNS change is
	// left out: moto does not record it (see above).
	again, err := a.Apply(ctx, req, changes[:len(changes)-1])
	if err != nil {
		t.Fatalf("second apply: %v%s", err, describe(again))
	}
	for _, o := range again {
		if o.Status != report.ChangeUnchanged {
			t.Errorf("second run: %s is %s, want unchanged (%s)", o.Change.Action, o.Status, o.Detail)
		}
	}
	for service, eps := range liveEndpoints(t, client, vpc.ID) {
		if len(eps) != 1 {
			t.Errorf("after the second run: %d %s endpoints, want 1", len(eps), service)
		}
	}
}

func TestApplyNeverReplacesADefaultRoute(t *testing.T) {
	cfg := emulator.Shared(t).MustConfig(t)
	ctx := context.Background()
	client := ec2.NewFromConfig(cfg)
	s := scenario.New(cfg)
	vpc := s.VPC("10.2.0.0/16")
	public := vpc.PublicSubnets("10.2.0.0/24@a")
	nat := vpc.NAT(public[0])
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	change := plan.Change{Action: plan.CreateRoute, Target: public[0].RouteTableID, RouteTableIDs: []string{public[0].RouteTableID}, NATGatewayID: nat.ID}
	outcomes, err := (&remediate.Applier{EC2: client}).Apply(ctx, remediate.Request{EventID: "event-4"}, []plan.Change{change})
	if err != nil {
		t.Fatal(err)
	}
	if o := outcomes[0]; o.Status != report.ChangeSkipped || !strings.Contains(o.Detail, vpc.IGWID) {
		t.Errorf("outcome %q %q, want skipped naming the internet gateway %s", o.Status, o.Detail, vpc.IGWID)
	}
	out, err := client.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{public[0].RouteTableID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.RouteTables[0].Routes {
		if aws.ToString(r.NatGatewayId) != "" {
			t.Errorf("route %s to %s added to a public route table", aws.ToString(r.DestinationCidrBlock), aws.ToString(r.NatGatewayId))
		}
	}
}

func TestDryRunAgainstTheEmulatorChangesNothing(t *testing.T) {
	client, w := brokenMSK(t)
	p := plan.For(diagnose(t, client, w), plan.Options{})
	outcomes, err := (&remediate.Applier{EC2: client}).Apply(context.Background(), remediate.Request{EventID: "event-5", DryRun: true}, p.Changes)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outcomes {
		if o.Status != report.ChangePlanned {
			t.Errorf("%s: %s, want planned", o.Change.Action, o.Status)
		}
	}
	if got := liveEndpoints(t, client, w.VPC.ID); len(got) > 0 {
		t.Errorf("a dry run created endpoints: %v", got)
	}
}

// natWorkload seeds a VPC with public and private subnets in two zones and
// no NAT gateway, and a function in the private subnets that must reach
// enough services for NAT gateways to cost less than interface endpoints.
func natWorkload(t *testing.T, cidr string) (*ec2.Client, *check.Target, scenario.Subnets) {
	t.Helper()
	cfg := emulator.Shared(t).MustConfig(t)
	client := ec2.NewFromConfig(cfg)
	s := scenario.New(cfg)
	vpc := s.VPC(cidr + ".0.0/16")
	public := vpc.PublicSubnets(cidr+".0.0/24@a", cidr+".1.0/24@b")
	private := vpc.PrivateSubnets(cidr+".10.0/24@a", cidr+".11.0/24@b")
	app := vpc.SecurityGroup("app")
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	snap, err := (&topology.Reader{EC2: client}).Read(context.Background(), vpc.ID)
	if err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::123456789012:role/api"
	w := &workload.Workload{Kind: workload.KindFunction, ID: "arn:aws:lambda:us-east-1:123456789012:function:api", Name: "api", ExecutionRoleARN: role,
		Network: workload.Network{VPCID: vpc.ID, SubnetIDs: private.IDs(), SecurityGroupIDs: []string{app.ID}}, Function: &workload.Function{RoleARN: role}}
	tgt := &check.Target{Workload: w, Network: snap, Region: emulator.Region}
	for _, svc := range []string{"sns", "sqs", "kms", "ssm", "secretsmanager", "logs"} {
		tgt.Requirements = append(tgt.Requirements, check.Requirement{Service: svc, Why: "its role allows " + svc + ":*"})
	}
	return client, tgt, public
}

// reread returns the target on the VPC as it is now.
func reread(t *testing.T, client *ec2.Client, tgt *check.Target) *check.Target {
	t.Helper()
	snap, err := (&topology.Reader{EC2: client}).Read(context.Background(), tgt.Workload.Network.VPCID)
	if err != nil {
		t.Fatal(err)
	}
	after := *tgt
	after.Network = snap
	return check.Fresh(&after)
}

// natsOf returns the live NAT gateways of a VPC.
func natsOf(t *testing.T, client *ec2.Client, vpcID string) []types.NatGateway {
	t.Helper()
	var out []types.NatGateway
	p := ec2.NewDescribeNatGatewaysPaginator(client, &ec2.DescribeNatGatewaysInput{Filter: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range page.NatGateways {
			if n.State == types.NatGatewayStateAvailable || n.State == types.NatGatewayStatePending {
				out = append(out, n)
			}
		}
	}
	return out
}

// addressesOf returns the Elastic IPs tagged with an event.
func addressesOf(t *testing.T, client *ec2.Client, eventID string) []types.Address {
	t.Helper()
	out, err := client.DescribeAddresses(context.Background(), &ec2.DescribeAddressesInput{Filters: []types.Filter{{Name: aws.String("tag:vpcmedic:event"), Values: []string{eventID}}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Addresses
}

func TestApplyCreatesNATGatewaysOnceWhenAllowed(t *testing.T) {
	client, tgt, public := natWorkload(t, "10.3")
	ctx := context.Background()
	p := plan.For(tgt, plan.Options{AllowNATCreation: true})
	var kinds []string
	for _, c := range p.Changes {
		kinds = append(kinds, c.Action)
	}
	if want := []string{plan.AllocateAddress, plan.CreateNATGateway, plan.AllocateAddress, plan.CreateNATGateway, plan.CreateRoute, plan.CreateRoute}; !slices.Equal(kinds, want) {
		t.Fatalf("planned %v, want %v; recommendations %q", kinds, want, p.Recommendations)
	}
	req := remediate.Request{EventID: "event-nat-1"}

	refused, err := (&remediate.Applier{EC2: client}).Apply(ctx, req, p.Changes)
	if !errors.Is(err, remediate.ErrRefused) || len(natsOf(t, client, tgt.Workload.Network.VPCID)) > 0 || len(addressesOf(t, client, req.EventID)) > 0 {
		t.Fatalf("without AllowNATCreation: error %v%s, want refusals and nothing made", err, describe(refused))
	}

	a := &remediate.Applier{EC2: client, AllowNATCreation: true}
	outcomes, err := a.Apply(ctx, req, p.Changes)
	if err != nil {
		t.Fatalf("apply: %v%s", err, describe(outcomes))
	}
	for _, o := range outcomes {
		if o.Status != report.ChangeCreated {
			t.Errorf("first run: %s %s is %s, want created (%s)", o.Change.Action, o.Change.Target, o.Status, o.Detail)
		}
	}
	after := reread(t, client, tgt)
	if errs := errorFindings(after); len(errs) > 0 {
		t.Errorf("after remediation the checks still report:\n%s", strings.Join(errs, "\n"))
	}
	if again := plan.For(after, plan.Options{AllowNATCreation: true}); len(again.Changes) > 0 {
		t.Errorf("after remediation the planner still plans %d changes", len(again.Changes))
	}
	nats := natsOf(t, client, tgt.Workload.Network.VPCID)
	if len(nats) != 2 {
		t.Fatalf("%d NAT gateways, want one per zone", len(nats))
	}
	for _, n := range nats {
		tags := tagsOf(n.Tags)
		if !slices.Contains(public.IDs(), aws.ToString(n.SubnetId)) || tags["vpcmedic:managed"] != "true" || tags["vpcmedic:event"] != req.EventID {
			t.Errorf("NAT gateway %s in %s with tags %v, want it in a public subnet, tagged", aws.ToString(n.NatGatewayId), aws.ToString(n.SubnetId), tags)
		}
	}
	addresses := addressesOf(t, client, req.EventID)
	if len(addresses) != 2 {
		t.Errorf("%d Elastic IPs tagged with the event, want 2", len(addresses))
	}
	for _, addr := range addresses {
		if tagsOf(addr.Tags)["vpcmedic:managed"] != "true" || addr.AssociationId == nil {
			t.Errorf("Elastic IP %s: tags %v, association %v; want managed and in use", aws.ToString(addr.AllocationId), tagsOf(addr.Tags), addr.AssociationId)
		}
	}

	// The same event delivered again: everything is found, nothing made.
	outcomes, err = a.Apply(ctx, req, p.Changes)
	if err != nil {
		t.Fatalf("second apply: %v%s", err, describe(outcomes))
	}
	for _, o := range outcomes {
		if o.Status != report.ChangeUnchanged {
			t.Errorf("second run: %s %s is %s, want unchanged (%s)", o.Change.Action, o.Change.Target, o.Status, o.Detail)
		}
	}
	if got, addrs := natsOf(t, client, tgt.Workload.Network.VPCID), addressesOf(t, client, req.EventID); len(got) != 2 || len(addrs) != 2 {
		t.Errorf("after the second run: %d NAT gateways and %d Elastic IPs, want 2 each", len(got), len(addrs))
	}
}

func (f *faulty) CreateNatGateway(ctx context.Context, in *ec2.CreateNatGatewayInput, opts ...func(*ec2.Options)) (*ec2.CreateNatGatewayOutput, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.EC2.CreateNatGateway(ctx, in, opts...)
}

func TestNATGatewayRetryTakesTheAddressOfTheFailedTry(t *testing.T) {
	client, tgt, _ := natWorkload(t, "10.4")
	ctx := context.Background()
	p := plan.For(tgt, plan.Options{AllowNATCreation: true})
	req := remediate.Request{EventID: "event-nat-2"}
	a := &remediate.Applier{EC2: &faulty{EC2: client, nth: 2}, AllowNATCreation: true}

	outcomes, err := a.Apply(ctx, req, p.Changes)
	if err == nil {
		t.Fatalf("no error despite the fault%s", describe(outcomes))
	}
	if got, want := statuses(outcomes), []string{report.ChangeCreated, report.ChangeCreated, report.ChangeCreated, report.ChangeFailed, report.ChangeCreated, report.ChangeSkipped}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v (the second NAT gateway failed, its route skipped)%s", got, want, describe(outcomes))
	}

	retried, err := a.Apply(ctx, req, p.Changes)
	if err != nil {
		t.Fatalf("retry: %v%s", err, describe(retried))
	}
	if got, want := statuses(retried), []string{report.ChangeUnchanged, report.ChangeUnchanged, report.ChangeUnchanged, report.ChangeCreated, report.ChangeUnchanged, report.ChangeCreated}; !slices.Equal(got, want) {
		t.Errorf("retry statuses %v, want %v%s", got, want, describe(retried))
	}
	if retried[2].ResourceID != outcomes[2].ResourceID {
		t.Errorf("the retry took Elastic IP %q, the failed try allocated %q", retried[2].ResourceID, outcomes[2].ResourceID)
	}
	if nats, addrs := natsOf(t, client, tgt.Workload.Network.VPCID), addressesOf(t, client, req.EventID); len(nats) != 2 || len(addrs) != 2 {
		t.Errorf("%d NAT gateways and %d Elastic IPs, want 2 each", len(nats), len(addrs))
	}
	if errs := errorFindings(reread(t, client, tgt)); len(errs) > 0 {
		t.Errorf("after the retry the checks still report:\n%s", strings.Join(errs, "\n"))
	}
}

// createRegionalNAT creates a regional NAT gateway in the VPC: in automatic
// zone mode when zones is empty, else with a new Elastic IP in each zone.
func createRegionalNAT(t *testing.T, client *ec2.Client, vpcID string, zones ...string) string {
	t.Helper()
	ctx := context.Background()
	in := &ec2.CreateNatGatewayInput{VpcId: aws.String(vpcID), AvailabilityMode: types.AvailabilityModeRegional, ConnectivityType: types.ConnectivityTypePublic}
	for _, zone := range zones {
		eip, err := client.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc})
		if err != nil {
			t.Fatal(err)
		}
		in.AvailabilityZoneAddresses = append(in.AvailabilityZoneAddresses, types.AvailabilityZoneAddress{AvailabilityZone: aws.String(zone), AllocationIds: []string{aws.ToString(eip.AllocationId)}})
	}
	out, err := client.CreateNatGateway(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.NatGateway.NatGatewayId)
}

func TestApplyNATPathsWithRegionalGatewaysAndBlockPublicAccess(t *testing.T) {
	ctx := context.Background()
	t.Run("automatic zone mode: routes to it, nothing made", func(t *testing.T) {
		client, tgt, _ := natWorkload(t, "10.5")
		regional := createRegionalNAT(t, client, tgt.Workload.Network.VPCID)
		tgt = reread(t, client, tgt)
		p := plan.For(tgt, plan.Options{AllowNATCreation: true})
		if len(p.Changes) != 2 || p.MonthlyCostUSD() != 0 {
			t.Fatalf("planned %d changes costing $%.2f, want the two free routes; recommendations %q", len(p.Changes), p.MonthlyCostUSD(), p.Recommendations)
		}
		for _, c := range p.Changes {
			if c.Action != plan.CreateRoute || c.NATGatewayID != regional {
				t.Fatalf("planned %s to %q, want routes to %s", c.Action, c.NATGatewayID, regional)
			}
		}
		// A route to an existing gateway needs no NAT option.
		outcomes, err := (&remediate.Applier{EC2: client}).Apply(ctx, remediate.Request{EventID: "event-regional-1"}, p.Changes)
		if err != nil {
			t.Fatalf("apply: %v%s", err, describe(outcomes))
		}
		after := reread(t, client, tgt)
		if errs := errorFindings(after); len(errs) > 0 {
			t.Errorf("after remediation the checks still report:\n%s", strings.Join(errs, "\n"))
		}
		if again := plan.For(after, plan.Options{AllowNATCreation: true}); len(again.Changes) > 0 {
			t.Errorf("after remediation the planner still plans %d changes", len(again.Changes))
		}
		if nats := natsOf(t, client, tgt.Workload.Network.VPCID); len(nats) != 1 || aws.ToString(nats[0].NatGatewayId) != regional {
			t.Errorf("%d NAT gateways after remediation, want only %s", len(nats), regional)
		}
	})
	t.Run("zones by hand, one without an address: no route, no NAT gateway beside it, the address recommended", func(t *testing.T) {
		client, tgt, _ := natWorkload(t, "10.6")
		zoneA := emulator.Region + "a"
		regional := createRegionalNAT(t, client, tgt.Workload.Network.VPCID, zoneA)
		tgt = reread(t, client, tgt)
		p := plan.For(tgt, plan.Options{AllowNATCreation: true})
		for _, c := range p.Changes {
			if c.Action == plan.CreateRoute || c.Action == plan.CreateNATGateway || c.Action == plan.AllocateAddress {
				t.Errorf("planned %s %s: a route to %s would not carry zone b's traffic, and no NAT gateway goes beside it", c.Action, c.Target, regional)
			}
		}
		want := fmt.Sprintf("aws ec2 associate-nat-gateway-address --nat-gateway-id %s --allocation-ids \"$(aws ec2 allocate-address --domain vpc --query AllocationId --output text --region %s)\" --availability-zone %sb --region %s", regional, emulator.Region, emulator.Region, emulator.Region)
		if !strings.Contains(strings.Join(p.Recommendations, "\n"), want) {
			t.Errorf("recommendations %q, want %q", p.Recommendations, want)
		}
		outcomes, err := (&remediate.Applier{EC2: client, AllowNATCreation: true}).Apply(ctx, remediate.Request{EventID: "event-regional-2"}, p.Changes)
		if err != nil {
			t.Fatalf("apply: %v%s", err, describe(outcomes))
		}
		if errs := errorFindings(reread(t, client, tgt)); len(errs) > 0 {
			t.Errorf("after remediation the checks still report:\n%s", strings.Join(errs, "\n"))
		}
		if nats := natsOf(t, client, tgt.Workload.Network.VPCID); len(nats) != 1 {
			t.Errorf("%d NAT gateways after remediation, want only %s", len(nats), regional)
		}
	})
	t.Run("Block Public Access: no NAT gateway or route it blocks; once the recommended exclusions exist, the free routes", func(t *testing.T) {
		client, tgt, public := natWorkload(t, "10.7")
		var nats []string
		for _, sn := range public {
			eip, err := client.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc})
			if err != nil {
				t.Fatal(err)
			}
			out, err := client.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(sn.ID), AllocationId: eip.AllocationId})
			if err != nil {
				t.Fatal(err)
			}
			nats = append(nats, aws.ToString(out.NatGateway.NatGatewayId))
		}
		setBPA := func(mode types.InternetGatewayBlockMode) {
			if _, err := client.ModifyVpcBlockPublicAccessOptions(ctx, &ec2.ModifyVpcBlockPublicAccessOptionsInput{InternetGatewayBlockMode: mode}); err != nil {
				t.Fatal(err)
			}
		}
		setBPA(types.InternetGatewayBlockModeBlockBidirectional)
		t.Cleanup(func() { setBPA(types.InternetGatewayBlockModeOff) })

		p := plan.For(reread(t, client, tgt), plan.Options{AllowNATCreation: true})
		for _, c := range p.Changes {
			if c.Action == plan.CreateRoute || c.Action == plan.CreateNATGateway || c.Action == plan.AllocateAddress {
				t.Errorf("planned %s %s under Block Public Access", c.Action, c.Target)
			}
		}
		recs := strings.Join(p.Recommendations, "\n")
		for _, sn := range public {
			want := fmt.Sprintf("aws ec2 create-vpc-block-public-access-exclusion --subnet-id %s --internet-gateway-exclusion-mode allow-egress --region %s", sn.ID, emulator.Region)
			if !strings.Contains(recs, want) {
				t.Errorf("recommendations %q, want %q", p.Recommendations, want)
			}
			// What the recommended command asks for, made by hand.
			if _, err := client.CreateVpcBlockPublicAccessExclusion(ctx, &ec2.CreateVpcBlockPublicAccessExclusionInput{
				SubnetId: aws.String(sn.ID), InternetGatewayExclusionMode: types.InternetGatewayExclusionModeAllowEgress}); err != nil {
				t.Fatal(err)
			}
		}
		again := plan.For(reread(t, client, tgt), plan.Options{AllowNATCreation: true})
		if len(again.Changes) != 2 || again.MonthlyCostUSD() != 0 {
			t.Fatalf("with the exclusions: %d changes costing $%.2f, want the two free routes; recommendations %q", len(again.Changes), again.MonthlyCostUSD(), again.Recommendations)
		}
		for _, c := range again.Changes {
			if c.Action != plan.CreateRoute || !slices.Contains(nats, c.NATGatewayID) {
				t.Errorf("with the exclusions: planned %s to %q, want routes to %v", c.Action, c.NATGatewayID, nats)
			}
		}
	})
}
