package scenario_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// env is a fresh emulator account with a Scenario and plain SDK clients to
// check what it built.
type env struct {
	t      *testing.T
	ctx    context.Context
	s      *scenario.Scenario
	ec2    *ec2.Client
	iam    *iam.Client
	kafka  *kafka.Client
	lambda *lambda.Client
}

func newEnv(t *testing.T, opts ...scenario.Option) *env {
	t.Helper()
	cfg := emulator.Shared(t).MustConfig(t)
	return &env{
		t:      t,
		ctx:    t.Context(),
		s:      scenario.New(cfg, append([]scenario.Option{scenario.WithContext(t.Context())}, opts...)...),
		ec2:    ec2.NewFromConfig(cfg),
		iam:    iam.NewFromConfig(cfg),
		kafka:  kafka.NewFromConfig(cfg),
		lambda: lambda.NewFromConfig(cfg),
	}
}

// built fails the test when the scenario recorded an error.
func (e *env) built() {
	e.t.Helper()
	if err := e.s.Err(); err != nil {
		e.t.Fatalf("build scenario: %v", err)
	}
}

func (e *env) routeTable(id string) ec2types.RouteTable {
	e.t.Helper()
	out, err := e.ec2.DescribeRouteTables(e.ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{id}})
	if err != nil || len(out.RouteTables) != 1 {
		e.t.Fatalf("describe route table %s: %v (%d found)", id, err, len(out.RouteTables))
	}
	return out.RouteTables[0]
}

// explicitRouteTable returns the route table explicitly associated with the
// subnet, or "" when it uses the main route table.
func (e *env) explicitRouteTable(subnetID string) string {
	e.t.Helper()
	out, err := e.ec2.DescribeRouteTables(e.ctx, &ec2.DescribeRouteTablesInput{
		Filters: []ec2types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnetID}}},
	})
	if err != nil {
		e.t.Fatalf("describe route tables of %s: %v", subnetID, err)
	}
	if len(out.RouteTables) > 1 {
		e.t.Fatalf("subnet %s has %d explicit route tables", subnetID, len(out.RouteTables))
	}
	if len(out.RouteTables) == 0 {
		return ""
	}
	return aws.ToString(out.RouteTables[0].RouteTableId)
}

// defaultRoute returns the 0.0.0.0/0 route of a route table, or nil.
func (e *env) defaultRoute(routeTableID string) *ec2types.Route {
	e.t.Helper()
	for _, r := range e.routeTable(routeTableID).Routes {
		if aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" {
			return &r
		}
	}
	return nil
}

func (e *env) natGateways(vpcID string) []ec2types.NatGateway {
	e.t.Helper()
	out, err := e.ec2.DescribeNatGateways(e.ctx, &ec2.DescribeNatGatewaysInput{
		Filter: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	if err != nil {
		e.t.Fatalf("describe nat gateways: %v", err)
	}
	return out.NatGateways
}

func (e *env) natState(id string) ec2types.NatGatewayState {
	e.t.Helper()
	out, err := e.ec2.DescribeNatGateways(e.ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{id}})
	if err != nil || len(out.NatGateways) != 1 {
		e.t.Fatalf("describe nat gateway %s: %v", id, err)
	}
	return out.NatGateways[0].State
}

func (e *env) endpoints(vpcID string) []ec2types.VpcEndpoint {
	e.t.Helper()
	out, err := e.ec2.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	if err != nil {
		e.t.Fatalf("describe vpc endpoints: %v", err)
	}
	return out.VpcEndpoints
}

func (e *env) securityGroup(id string) ec2types.SecurityGroup {
	e.t.Helper()
	out, err := e.ec2.DescribeSecurityGroups(e.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil || len(out.SecurityGroups) != 1 {
		e.t.Fatalf("describe security group %s: %v", id, err)
	}
	return out.SecurityGroups[0]
}

func (e *env) vpcAttribute(vpcID string, attr ec2types.VpcAttributeName) bool {
	e.t.Helper()
	out, err := e.ec2.DescribeVpcAttribute(e.ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: attr})
	if err != nil {
		e.t.Fatalf("describe %s of %s: %v", attr, vpcID, err)
	}
	if attr == ec2types.VpcAttributeNameEnableDnsSupport {
		return aws.ToBool(out.EnableDnsSupport.Value)
	}
	return aws.ToBool(out.EnableDnsHostnames.Value)
}

func tag(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// tcpRule says whether perms hold a TCP rule on port from peer (an SG ID or
// a CIDR).
func tcpRule(perms []ec2types.IpPermission, port int32, peer string) bool {
	for _, p := range perms {
		if aws.ToString(p.IpProtocol) != "tcp" || aws.ToInt32(p.FromPort) != port || aws.ToInt32(p.ToPort) != port {
			continue
		}
		for _, pair := range p.UserIdGroupPairs {
			if aws.ToString(pair.GroupId) == peer {
				return true
			}
		}
		for _, r := range p.IpRanges {
			if aws.ToString(r.CidrIp) == peer {
				return true
			}
		}
	}
	return false
}

func allTrafficTo(perms []ec2types.IpPermission, cidr string) bool {
	for _, p := range perms {
		if aws.ToString(p.IpProtocol) == "-1" && slices.ContainsFunc(p.IpRanges, func(r ec2types.IpRange) bool {
			return aws.ToString(r.CidrIp) == cidr
		}) {
			return true
		}
	}
	return false
}

func TestOnDemandMSKWorkloads(t *testing.T) {
	tests := []struct {
		name    string
		build   func(*scenario.Scenario) *scenario.MSKWorkload
		wantNAT bool
	}{
		{name: "broken: private subnets without NAT or endpoints", build: scenario.BrokenOnDemandMSK},
		{name: "healthy: a NAT gateway per AZ", build: scenario.HealthyOnDemandMSK, wantNAT: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := tt.build(e.s)
			e.built()

			checkVPC(e, w)
			checkSubnets(e, w)
			checkNATs(e, w, tt.wantNAT)
			if eps := e.endpoints(w.VPC.ID); len(eps) != 0 {
				t.Errorf("vpc has %d endpoints, want none", len(eps))
			}
			checkClusterSG(e, w)
			checkCluster(e, w)
			checkConsumer(e, w)
		})
	}
}

func checkVPC(e *env, w *scenario.MSKWorkload) {
	e.t.Helper()
	for _, attr := range []ec2types.VpcAttributeName{ec2types.VpcAttributeNameEnableDnsSupport, ec2types.VpcAttributeNameEnableDnsHostnames} {
		if !e.vpcAttribute(w.VPC.ID, attr) {
			e.t.Errorf("%s is off, want on", attr)
		}
	}
	out, err := e.ec2.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{VpcIds: []string{w.VPC.ID}})
	if err != nil {
		e.t.Fatal(err)
	}
	if got := tag(out.Vpcs[0].Tags, "Name"); got == "" {
		e.t.Error("vpc has no Name tag")
	}
	igws, err := e.ec2.DescribeInternetGateways(e.ctx, &ec2.DescribeInternetGatewaysInput{
		Filters: []ec2types.Filter{{Name: aws.String("attachment.vpc-id"), Values: []string{w.VPC.ID}}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(igws.InternetGateways) != 1 || aws.ToString(igws.InternetGateways[0].InternetGatewayId) != w.VPC.IGWID {
		e.t.Errorf("internet gateways attached: %d, want exactly %s", len(igws.InternetGateways), w.VPC.IGWID)
	}
}

func checkSubnets(e *env, w *scenario.MSKWorkload) {
	e.t.Helper()
	if got, want := w.Private.AZs(), []string{"us-east-1a", "us-east-1b"}; !slices.Equal(got, want) {
		e.t.Errorf("private subnet AZs = %v, want %v", got, want)
	}
	out, err := e.ec2.DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{SubnetIds: append(w.Public.IDs(), w.Private.IDs()...)})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, sub := range out.Subnets {
		if aws.ToString(sub.VpcId) != w.VPC.ID || tag(sub.Tags, "Name") == "" {
			e.t.Errorf("subnet %s: vpc %s, Name %q; want vpc %s and a Name", aws.ToString(sub.SubnetId),
				aws.ToString(sub.VpcId), tag(sub.Tags, "Name"), w.VPC.ID)
		}
	}
	for _, sub := range w.Public {
		rt := e.explicitRouteTable(sub.ID)
		if rt == "" || rt != sub.RouteTableID {
			e.t.Errorf("public subnet %s associated with %q, want %s", sub.CIDR, rt, sub.RouteTableID)
		}
		r := e.defaultRoute(rt)
		if r == nil || aws.ToString(r.GatewayId) != w.VPC.IGWID {
			e.t.Errorf("public subnet %s: default route %s, want one to %s", sub.CIDR, route(r), w.VPC.IGWID)
		}
	}
	seen := map[string]bool{}
	for _, sub := range w.Private {
		rt := e.explicitRouteTable(sub.ID)
		if rt == "" || rt != sub.RouteTableID || rt == w.VPC.MainRouteTableID {
			e.t.Errorf("private subnet %s associated with %q, want its own table %s", sub.CIDR, rt, sub.RouteTableID)
		}
		if seen[rt] {
			e.t.Errorf("private subnet %s shares route table %s", sub.CIDR, rt)
		}
		seen[rt] = true
		if tag(e.routeTable(rt).Tags, "Name") == "" {
			e.t.Errorf("route table %s has no Name tag", rt)
		}
	}
}

func checkNATs(e *env, w *scenario.MSKWorkload, want bool) {
	e.t.Helper()
	nats := e.natGateways(w.VPC.ID)
	if !want {
		if len(nats) != 0 || len(w.NATs) != 0 {
			e.t.Errorf("%d nat gateways, want none", len(nats))
		}
		for _, sub := range w.Private {
			if r := e.defaultRoute(sub.RouteTableID); r != nil {
				e.t.Errorf("private subnet %s has a default route %s, want none", sub.CIDR, route(r))
			}
		}
		return
	}
	if len(nats) != 2 {
		e.t.Fatalf("%d nat gateways, want one per AZ (2)", len(nats))
	}
	natSubnet := map[string]string{}
	for _, n := range nats {
		natSubnet[aws.ToString(n.NatGatewayId)] = aws.ToString(n.SubnetId)
		if n.State != ec2types.NatGatewayStateAvailable || n.ConnectivityType != ec2types.ConnectivityTypePublic {
			e.t.Errorf("nat %s: state %s, connectivity %s", aws.ToString(n.NatGatewayId), n.State, n.ConnectivityType)
		}
	}
	for _, sub := range w.Private {
		r := e.defaultRoute(sub.RouteTableID)
		if r == nil || r.NatGatewayId == nil {
			e.t.Errorf("private subnet %s: default route %s, want one to a nat gateway", sub.CIDR, route(r))
			continue
		}
		want := w.Public.InAZ(sub.AZ).ID
		if got := natSubnet[aws.ToString(r.NatGatewayId)]; got != want {
			e.t.Errorf("private subnet %s (%s) routes to a nat in subnet %s, want the public subnet of its AZ %s",
				sub.CIDR, sub.AZ, got, want)
		}
	}
}

func checkClusterSG(e *env, w *scenario.MSKWorkload) {
	e.t.Helper()
	sg := e.securityGroup(w.ClusterSG.ID)
	if !tcpRule(sg.IpPermissions, 9098, w.ClusterSG.ID) {
		e.t.Errorf("cluster sg ingress %s lacks tcp 9098 from itself", rules(sg.IpPermissions))
	}
	if len(sg.IpPermissions) != 1 {
		e.t.Errorf("cluster sg has %d ingress rules, want 1", len(sg.IpPermissions))
	}
	if !allTrafficTo(sg.IpPermissionsEgress, "0.0.0.0/0") {
		e.t.Errorf("cluster sg egress %s lacks the default allow-all rule", rules(sg.IpPermissionsEgress))
	}
}

func checkCluster(e *env, w *scenario.MSKWorkload) {
	e.t.Helper()
	out, err := e.kafka.DescribeClusterV2(e.ctx, &kafka.DescribeClusterV2Input{ClusterArn: aws.String(w.Cluster.ARN)})
	if err != nil {
		e.t.Fatalf("describe cluster: %v", err)
	}
	p := out.ClusterInfo.Provisioned
	if p == nil || out.ClusterInfo.ClusterType != kafkatypes.ClusterTypeProvisioned {
		e.t.Fatalf("cluster type %s, want a provisioned cluster", out.ClusterInfo.ClusterType)
	}
	if got := p.BrokerNodeGroupInfo.ClientSubnets; !slices.Equal(got, w.Private.IDs()) {
		e.t.Errorf("cluster client subnets %v, want the private subnets %v", got, w.Private.IDs())
	}
	if got := p.BrokerNodeGroupInfo.SecurityGroups; !slices.Equal(got, []string{w.ClusterSG.ID}) {
		e.t.Errorf("cluster security groups %v, want [%s]", got, w.ClusterSG.ID)
	}
	ca := p.ClientAuthentication
	if ca == nil || ca.Sasl == nil || ca.Sasl.Iam == nil || !aws.ToBool(ca.Sasl.Iam.Enabled) {
		e.t.Errorf("cluster client authentication %s, want SASL/IAM", clientAuth(ca))
	}
	brokers, err := e.kafka.GetBootstrapBrokers(e.ctx, &kafka.GetBootstrapBrokersInput{ClusterArn: aws.String(w.Cluster.ARN)})
	if err != nil {
		e.t.Fatalf("get bootstrap brokers: %v", err)
	}
	if s := aws.ToString(brokers.BootstrapBrokerStringSaslIam); !strings.Contains(s, ":9098") {
		e.t.Errorf("IAM bootstrap brokers %q, want port 9098", s)
	}
}

func checkConsumer(e *env, w *scenario.MSKWorkload) {
	e.t.Helper()
	esm, err := e.lambda.GetEventSourceMapping(e.ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(w.ESM.UUID)})
	if err != nil {
		e.t.Fatalf("get event source mapping: %v", err)
	}
	if aws.ToString(esm.EventSourceArn) != w.Cluster.ARN || aws.ToString(esm.FunctionArn) != w.Function.ARN {
		e.t.Errorf("esm source %s -> %s, want %s -> %s", aws.ToString(esm.EventSourceArn), aws.ToString(esm.FunctionArn),
			w.Cluster.ARN, w.Function.ARN)
	}
	if esm.ProvisionedPollerConfig != nil {
		e.t.Errorf("esm has provisioned pollers %s, want on-demand", pollers(esm.ProvisionedPollerConfig))
	}
	if !slices.Equal(esm.Topics, []string{"orders"}) {
		e.t.Errorf("esm topics %v, want [orders]", esm.Topics)
	}
	fn, err := e.lambda.GetFunctionConfiguration(e.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.Function.Name)})
	if err != nil {
		e.t.Fatal(err)
	}
	if fn.VpcConfig != nil && len(fn.VpcConfig.SubnetIds) > 0 {
		e.t.Errorf("consumer function is in subnets %v, want no VPC config", fn.VpcConfig.SubnetIds)
	}
	if aws.ToString(fn.Role) != w.Role.ARN {
		e.t.Errorf("function role %s, want %s", aws.ToString(fn.Role), w.Role.ARN)
	}
	attached, err := e.iam.ListAttachedRolePolicies(e.ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(w.Role.Name)})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyArn) !=
		"arn:aws:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole" {
		e.t.Errorf("%d attached policies, want only AWSLambdaMSKExecutionRole", len(attached.AttachedPolicies))
	}
	inline, err := e.iam.GetRolePolicy(e.ctx, &iam.GetRolePolicyInput{RoleName: aws.String(w.Role.Name), PolicyName: aws.String(w.Role.Name + "-inline-1")})
	if err != nil {
		e.t.Fatalf("get inline policy: %v", err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(inline.PolicyDocument))
	if !strings.Contains(doc, "kafka-cluster:ReadData") {
		e.t.Errorf("inline policy %s lacks kafka-cluster:ReadData", doc)
	}
}

func TestNetworkVariants(t *testing.T) {
	e := newEnv(t, scenario.WithName("variants"), scenario.WithTags(map[string]string{"vpcmedic:remediate": "false"}))
	vpc := e.s.VPC("10.1.0.0/16").DisableDNSHostnames()
	pub := vpc.PublicSubnets("10.1.0.0/24@a", "10.1.1.0/24@b")
	priv := vpc.PrivateSubnets("10.1.10.0/24@a", "10.1.11.0/24@b", "10.1.12.0/24@c")
	onMain := vpc.SubnetsOnMainTable("10.1.20.0/24@a")
	natA := vpc.NAT(pub[0])
	natB := vpc.NAT(pub[1])
	vpc.RouteToNAT(priv[0], natA)
	vpc.RouteToNAT(priv[1], natA) // cross-AZ
	vpc.RouteToNAT(priv[2], natB)
	e.s.DeleteNAT(natB) // leaves a blackhole in priv[2]
	nacl := vpc.NACL("locked", priv[0]).AllowOut(100, "0.0.0.0/0", 443, 443).AllowIn(100, "0.0.0.0/0", 1024, 65535).DenyIn(90, "10.9.0.0/16", 0, 65535)
	dhcp := vpc.DHCPOptions("10.1.0.2", "192.0.2.53")
	app := vpc.SecurityGroup("app").RevokeAllEgress().EgressTCP(443, "0.0.0.0/0")
	epSG := vpc.SecurityGroup("endpoints").Ingress(443, app)
	app.EgressTo(3306, epSG)
	sts := vpc.InterfaceEndpoint("sts", priv[:2], epSG)
	policy := `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"*"}]}`
	lam := vpc.InterfaceEndpoint("lambda", priv[:1], epSG, scenario.WithoutPrivateDNS(), scenario.EndpointPolicy(policy))
	s3 := vpc.GatewayEndpoint("s3", priv.RouteTableIDs())
	e.s.TagEC2(priv[0].ID, "team", "payments")
	e.built()

	t.Run("dns hostnames off, dns support on", func(t *testing.T) {
		if e.vpcAttribute(vpc.ID, ec2types.VpcAttributeNameEnableDnsHostnames) {
			t.Error("enableDnsHostnames is on")
		}
		if !e.vpcAttribute(vpc.ID, ec2types.VpcAttributeNameEnableDnsSupport) {
			t.Error("enableDnsSupport is off")
		}
	})
	t.Run("internet gateway attached once for one public route table", func(t *testing.T) {
		if pub[0].RouteTableID != pub[1].RouteTableID || vpc.IGWID == "" {
			t.Errorf("public route tables %s, %s; igw %q", pub[0].RouteTableID, pub[1].RouteTableID, vpc.IGWID)
		}
	})
	t.Run("subnet on the main route table has no explicit association", func(t *testing.T) {
		if rt := e.explicitRouteTable(onMain[0].ID); rt != "" {
			t.Errorf("explicitly associated with %s", rt)
		}
		if onMain[0].RouteTableID != vpc.MainRouteTableID || vpc.MainRouteTableID == "" {
			t.Errorf("RouteTableID %s, main %s", onMain[0].RouteTableID, vpc.MainRouteTableID)
		}
		if !slices.ContainsFunc(e.routeTable(vpc.MainRouteTableID).Associations, func(a ec2types.RouteTableAssociation) bool {
			return aws.ToBool(a.Main)
		}) {
			t.Errorf("%s is not the main route table", vpc.MainRouteTableID)
		}
	})
	t.Run("routes to a NAT in the same AZ, in another AZ, and a blackhole", func(t *testing.T) {
		cases := []struct {
			sub       *scenario.Subnet
			nat       *scenario.NAT
			blackhole bool
		}{{priv[0], natA, false}, {priv[1], natA, false}, {priv[2], natB, true}}
		for _, c := range cases {
			r := e.defaultRoute(c.sub.RouteTableID)
			if r == nil || aws.ToString(r.NatGatewayId) != c.nat.ID {
				t.Errorf("%s: default route %s, want one to %s", c.sub.CIDR, route(r), c.nat.ID)
				continue
			}
			// AWS then reports the route as a blackhole; moto keeps it
			// active, so the NAT's own state is what tells.
			if c.blackhole && r.State != ec2types.RouteStateBlackhole && e.natState(c.nat.ID) != ec2types.NatGatewayStateDeleted {
				t.Errorf("%s: route state %s and nat %s, want a blackhole", c.sub.CIDR, r.State, e.natState(c.nat.ID))
			}
			if !c.blackhole && (r.State != ec2types.RouteStateActive || e.natState(c.nat.ID) != ec2types.NatGatewayStateAvailable) {
				t.Errorf("%s: route state %s and nat %s, want an active route", c.sub.CIDR, r.State, e.natState(c.nat.ID))
			}
		}
		if natA.AZ != "us-east-1a" || priv[1].AZ != "us-east-1b" {
			t.Errorf("nat in %s, subnet in %s: not a cross-AZ route", natA.AZ, priv[1].AZ)
		}
	})
	t.Run("custom NACL with rules replaces the default on its subnet", func(t *testing.T) {
		out, err := e.ec2.DescribeNetworkAcls(e.ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{nacl.ID}})
		if err != nil || len(out.NetworkAcls) != 1 {
			t.Fatalf("describe nacl: %v", err)
		}
		acl := out.NetworkAcls[0]
		if len(acl.Associations) != 1 || aws.ToString(acl.Associations[0].SubnetId) != priv[0].ID {
			t.Errorf("%d associations, want only %s", len(acl.Associations), priv[0].ID)
		}
		type rule struct {
			number int32
			egress bool
			action ec2types.RuleAction
			from   int32
		}
		var got []rule
		for _, en := range acl.Entries {
			if aws.ToInt32(en.RuleNumber) == 32767 {
				continue
			}
			got = append(got, rule{aws.ToInt32(en.RuleNumber), aws.ToBool(en.Egress), en.RuleAction, aws.ToInt32(en.PortRange.From)})
		}
		want := []rule{{100, true, ec2types.RuleActionAllow, 443}, {100, false, ec2types.RuleActionAllow, 1024}, {90, false, ec2types.RuleActionDeny, 0}}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("entries %+v lack %+v", got, w)
			}
		}
	})
	t.Run("DHCP options with custom DNS servers", func(t *testing.T) {
		vpcs, err := e.ec2.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc.ID}})
		if err != nil || aws.ToString(vpcs.Vpcs[0].DhcpOptionsId) != dhcp {
			t.Fatalf("vpc dhcp options %v, want %s (%v)", vpcs, dhcp, err)
		}
		out, err := e.ec2.DescribeDhcpOptions(e.ctx, &ec2.DescribeDhcpOptionsInput{DhcpOptionsIds: []string{dhcp}})
		if err != nil {
			t.Fatal(err)
		}
		var servers []string
		for _, c := range out.DhcpOptions[0].DhcpConfigurations {
			if aws.ToString(c.Key) == "domain-name-servers" {
				for _, v := range c.Values {
					servers = append(servers, aws.ToString(v.Value))
				}
			}
		}
		if !slices.Equal(servers, []string{"10.1.0.2", "192.0.2.53"}) {
			t.Errorf("dns servers %v", servers)
		}
	})
	t.Run("security group rules", func(t *testing.T) {
		a, ep := e.securityGroup(app.ID), e.securityGroup(epSG.ID)
		if allTrafficTo(a.IpPermissionsEgress, "0.0.0.0/0") {
			t.Error("app sg kept the default egress rule")
		}
		if !tcpRule(a.IpPermissionsEgress, 443, "0.0.0.0/0") || !tcpRule(a.IpPermissionsEgress, 3306, epSG.ID) {
			t.Errorf("app sg egress %s, want tcp 443 to 0.0.0.0/0 and 3306 to the endpoint sg", rules(a.IpPermissionsEgress))
		}
		if !tcpRule(ep.IpPermissions, 443, app.ID) {
			t.Errorf("endpoint sg ingress %s, want tcp 443 from the app sg", rules(ep.IpPermissions))
		}
	})
	t.Run("endpoints", func(t *testing.T) {
		byID := map[string]ec2types.VpcEndpoint{}
		for _, ep := range e.endpoints(vpc.ID) {
			byID[aws.ToString(ep.VpcEndpointId)] = ep
		}
		if got := byID[sts.ID]; aws.ToString(got.ServiceName) != "com.amazonaws.us-east-1.sts" ||
			!aws.ToBool(got.PrivateDnsEnabled) || !slices.Equal(got.SubnetIds, priv[:2].IDs()) ||
			len(got.Groups) != 1 || aws.ToString(got.Groups[0].GroupId) != epSG.ID {
			t.Errorf("sts endpoint: service %s, private dns %v, subnets %v, groups %d; want sts, private dns, subnets %v, group %s",
				aws.ToString(got.ServiceName), aws.ToBool(got.PrivateDnsEnabled), got.SubnetIds, len(got.Groups), priv[:2].IDs(), epSG.ID)
		}
		if got := byID[lam.ID]; aws.ToBool(got.PrivateDnsEnabled) || !strings.Contains(aws.ToString(got.PolicyDocument), "lambda:InvokeFunction") {
			t.Errorf("lambda endpoint: private dns %v, policy %s", aws.ToBool(got.PrivateDnsEnabled), aws.ToString(got.PolicyDocument))
		}
		got := byID[s3.ID]
		if got.VpcEndpointType != ec2types.VpcEndpointTypeGateway || !slices.Equal(got.RouteTableIds, priv.RouteTableIDs()) {
			t.Errorf("s3 endpoint %s on %v, want a gateway on %v", got.VpcEndpointType, got.RouteTableIds, priv.RouteTableIDs())
		}
		if tag(got.Tags, "Name") == "" {
			t.Errorf("s3 endpoint has no Name tag")
		}
	})
	t.Run("every resource carries the scenario tags", func(t *testing.T) {
		out, err := e.ec2.DescribeTags(e.ctx, &ec2.DescribeTagsInput{
			Filters: []ec2types.Filter{{Name: aws.String("key"), Values: []string{"vpcmedic:remediate"}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		tagged := map[string]bool{}
		for _, td := range out.Tags {
			tagged[aws.ToString(td.ResourceId)] = true
		}
		for _, id := range []string{vpc.ID, pub[0].ID, priv[2].ID, priv[2].RouteTableID, pub[0].RouteTableID,
			natA.ID, natA.AllocationID, nacl.ID, dhcp, app.ID, sts.ID, s3.ID, vpc.IGWID} {
			if !tagged[id] {
				t.Errorf("%s lacks tag vpcmedic:remediate", id)
			}
		}
		subs, err := e.ec2.DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{priv[0].ID}})
		if err != nil || tag(subs.Subnets[0].Tags, "team") != "payments" {
			t.Errorf("subnet lacks tag team=payments (%v)", err)
		}
	})
}

func TestLambdaVariants(t *testing.T) {
	e := newEnv(t)
	vpc := e.s.VPC("10.2.0.0/16")
	priv := vpc.PrivateSubnets("10.2.10.0/24@a", "10.2.11.0/24@b")
	sg := vpc.SecurityGroup("kafka").IngressSelf(9092).IngressSelf(9096)
	role := e.s.Role("worker", scenario.ManagedPolicy("AWSLambdaVPCAccessExecutionRole"), scenario.ManagedPolicy("AWSLambdaMSKExecutionRole"))
	fn := e.s.Function("worker", role, scenario.InVPC(priv, sg), scenario.Env("TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alerts")).
		Tag("vpcmedic:services", "sns")
	scram := e.s.MSKCluster("payments", priv, sg, scenario.AuthSCRAM|scenario.AuthTLS)
	serverless := e.s.MSKServerless("events", priv, sg)
	secret := "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_payments-abc"
	provisioned := e.s.KafkaESM(fn, scram, "payments", scenario.Provisioned(1, 2), scenario.Secret(secret, "SASL_SCRAM_512_AUTH"))
	selfManaged := e.s.SelfManagedKafkaESM(fn, []string{"kafka1.internal:9092", "kafka2.internal:9092"}, "audit", priv, sg)
	e.built()

	t.Run("function in the VPC with its environment and tags", func(t *testing.T) {
		cfg, err := e.lambda.GetFunctionConfiguration(e.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn.Name)})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.VpcConfig == nil || !slices.Equal(cfg.VpcConfig.SubnetIds, priv.IDs()) ||
			!slices.Equal(cfg.VpcConfig.SecurityGroupIds, []string{sg.ID}) || aws.ToString(cfg.VpcConfig.VpcId) != vpc.ID {
			t.Errorf("vpc config %s, want subnets %v, sg %s in %s", vpcConfig(cfg.VpcConfig), priv.IDs(), sg.ID, vpc.ID)
		}
		if cfg.Environment == nil || cfg.Environment.Variables["TOPIC_ARN"] == "" {
			t.Error("environment lacks TOPIC_ARN")
		}
		tags, err := e.lambda.ListTags(e.ctx, &lambda.ListTagsInput{Resource: aws.String(fn.ARN)})
		if err != nil || tags.Tags["vpcmedic:services"] != "sns" || tags.Tags["Name"] != "worker" {
			t.Errorf("tags %v (%v)", tags, err)
		}
	})
	t.Run("SCRAM and TLS cluster keeps both authentications", func(t *testing.T) {
		out, err := e.kafka.DescribeClusterV2(e.ctx, &kafka.DescribeClusterV2Input{ClusterArn: aws.String(scram.ARN)})
		if err != nil {
			t.Fatal(err)
		}
		ca := out.ClusterInfo.Provisioned.ClientAuthentication
		if ca == nil || ca.Sasl == nil || ca.Sasl.Scram == nil || !aws.ToBool(ca.Sasl.Scram.Enabled) ||
			ca.Tls == nil || !aws.ToBool(ca.Tls.Enabled) || (ca.Sasl.Iam != nil && aws.ToBool(ca.Sasl.Iam.Enabled)) {
			t.Errorf("client authentication %s, want SCRAM and TLS only", clientAuth(ca))
		}
	})
	t.Run("serverless cluster in the subnets", func(t *testing.T) {
		out, err := e.kafka.DescribeClusterV2(e.ctx, &kafka.DescribeClusterV2Input{ClusterArn: aws.String(serverless.ARN)})
		if err != nil {
			t.Fatal(err)
		}
		sl := out.ClusterInfo.Serverless
		if out.ClusterInfo.ClusterType != kafkatypes.ClusterTypeServerless || sl == nil || len(sl.VpcConfigs) != 1 ||
			!slices.Equal(sl.VpcConfigs[0].SubnetIds, priv.IDs()) || !slices.Equal(sl.VpcConfigs[0].SecurityGroupIds, []string{sg.ID}) {
			t.Errorf("cluster type %s, want a serverless cluster in subnets %v with sg %s", out.ClusterInfo.ClusterType, priv.IDs(), sg.ID)
		}
	})
	t.Run("provisioned MSK ESM with a SCRAM secret", func(t *testing.T) {
		got, err := e.lambda.GetEventSourceMapping(e.ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(provisioned.UUID)})
		if err != nil {
			t.Fatal(err)
		}
		p := got.ProvisionedPollerConfig
		if p == nil || aws.ToInt32(p.MinimumPollers) != 1 || aws.ToInt32(p.MaximumPollers) != 2 {
			t.Errorf("provisioned pollers %s, want 1..2", pollers(p))
		}
		want := []lambdatypes.SourceAccessConfiguration{{Type: lambdatypes.SourceAccessTypeSaslScram512Auth, URI: aws.String(secret)}}
		if !sameAccess(got.SourceAccessConfigurations, want) || aws.ToString(got.EventSourceArn) != scram.ARN {
			t.Errorf("source %s with access %s", aws.ToString(got.EventSourceArn), access(got.SourceAccessConfigurations))
		}
	})
	t.Run("self-managed ESM reaches the brokers from the subnets", func(t *testing.T) {
		got, err := e.lambda.GetEventSourceMapping(e.ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(selfManaged.UUID)})
		if err != nil {
			t.Fatal(err)
		}
		if got.SelfManagedEventSource == nil || !slices.Equal(got.SelfManagedEventSource.Endpoints["KAFKA_BOOTSTRAP_SERVERS"],
			[]string{"kafka1.internal:9092", "kafka2.internal:9092"}) {
			t.Errorf("self-managed source %v, want the two brokers", got.SelfManagedEventSource)
		}
		want := []lambdatypes.SourceAccessConfiguration{
			{Type: lambdatypes.SourceAccessTypeVpcSubnet, URI: aws.String("subnet:" + priv[0].ID)},
			{Type: lambdatypes.SourceAccessTypeVpcSubnet, URI: aws.String("subnet:" + priv[1].ID)},
			{Type: lambdatypes.SourceAccessTypeVpcSecurityGroup, URI: aws.String("security_group:" + sg.ID)},
		}
		if !sameAccess(got.SourceAccessConfigurations, want) {
			t.Errorf("source access %s, want %s", access(got.SourceAccessConfigurations), access(want))
		}
		if got.ProvisionedPollerConfig != nil || aws.ToString(got.EventSourceArn) != "" {
			t.Errorf("pollers %s, source arn %q: want on-demand and no ARN", pollers(got.ProvisionedPollerConfig), aws.ToString(got.EventSourceArn))
		}
	})
}

// Readable forms of SDK values for failure messages.

func rules(perms []ec2types.IpPermission) string {
	var out []string
	for _, p := range perms {
		var peers []string
		for _, pair := range p.UserIdGroupPairs {
			peers = append(peers, aws.ToString(pair.GroupId))
		}
		for _, r := range p.IpRanges {
			peers = append(peers, aws.ToString(r.CidrIp))
		}
		out = append(out, fmt.Sprintf("%s %d-%d %v", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort), peers))
	}
	return "[" + strings.Join(out, "; ") + "]"
}

func route(r *ec2types.Route) string {
	if r == nil {
		return "none"
	}
	target := aws.ToString(r.GatewayId) + aws.ToString(r.NatGatewayId)
	return fmt.Sprintf("%s -> %s (%s)", aws.ToString(r.DestinationCidrBlock), target, r.State)
}

func clientAuth(ca *kafkatypes.ClientAuthentication) string {
	if ca == nil {
		return "none"
	}
	var on []string
	if ca.Sasl != nil && ca.Sasl.Iam != nil && aws.ToBool(ca.Sasl.Iam.Enabled) {
		on = append(on, "iam")
	}
	if ca.Sasl != nil && ca.Sasl.Scram != nil && aws.ToBool(ca.Sasl.Scram.Enabled) {
		on = append(on, "scram")
	}
	if ca.Tls != nil && aws.ToBool(ca.Tls.Enabled) {
		on = append(on, "tls")
	}
	if ca.Unauthenticated != nil && aws.ToBool(ca.Unauthenticated.Enabled) {
		on = append(on, "unauthenticated")
	}
	return fmt.Sprint(on)
}

func pollers(p *lambdatypes.ProvisionedPollerConfig) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprintf("%d..%d", aws.ToInt32(p.MinimumPollers), aws.ToInt32(p.MaximumPollers))
}

func access(configs []lambdatypes.SourceAccessConfiguration) string {
	var out []string
	for _, c := range configs {
		out = append(out, string(c.Type)+"="+aws.ToString(c.URI))
	}
	return "[" + strings.Join(out, " ") + "]"
}

func vpcConfig(c *lambdatypes.VpcConfigResponse) string {
	if c == nil {
		return "none"
	}
	return fmt.Sprintf("vpc %s subnets %v sgs %v", aws.ToString(c.VpcId), c.SubnetIds, c.SecurityGroupIds)
}

func sameAccess(got, want []lambdatypes.SourceAccessConfiguration) bool {
	return slices.EqualFunc(got, want, func(a, b lambdatypes.SourceAccessConfiguration) bool {
		return a.Type == b.Type && aws.ToString(a.URI) == aws.ToString(b.URI)
	})
}

func TestFirstErrorIsKeptAndStopsLaterSteps(t *testing.T) {
	tests := []struct {
		name     string
		build    func(s *scenario.Scenario)
		wantStep string
	}{
		{
			name: "subnet outside the VPC range",
			build: func(s *scenario.Scenario) {
				vpc := s.VPC("10.3.0.0/16")
				vpc.PrivateSubnets("10.3.10.0/24@a", "192.168.0.0/24@b", "10.3.12.0/24@c")
				vpc.SecurityGroup("after-the-error")
			},
			wantStep: "create private subnet 192.168.0.0/24@b",
		},
		{
			name: "no public subnet for a NAT in the private subnet's AZ",
			build: func(s *scenario.Scenario) {
				vpc := s.VPC("10.3.0.0/16")
				pub := vpc.PublicSubnets("10.3.0.0/24@a")
				priv := vpc.PrivateSubnets("10.3.10.0/24@a", "10.3.11.0/24@b")
				vpc.NATPerAZ(pub, priv)
				vpc.SecurityGroup("after-the-error")
			},
			wantStep: "create nat gateway in us-east-1b",
		},
		{
			name: "malformed subnet spec",
			build: func(s *scenario.Scenario) {
				vpc := s.VPC("10.3.0.0/16")
				vpc.PublicSubnets("us-east-1a")
				vpc.SecurityGroup("after-the-error")
			},
			wantStep: "create public subnet us-east-1a",
		},
		{
			name: "function with a role that was never created",
			build: func(s *scenario.Scenario) {
				vpc := s.VPC("10.3.0.0/16")
				s.Function("orphan", &scenario.Role{Name: "missing", ARN: "arn:aws:iam::123456789012:role/missing"})
				vpc.SecurityGroup("after-the-error")
			},
			wantStep: "create function orphan",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.build(e.s)
			err := e.s.Err()
			var stepErr *scenario.StepError
			if !errors.As(err, &stepErr) {
				t.Fatalf("Err() = %v, want a *StepError", err)
			}
			if stepErr.Step != tt.wantStep || !strings.HasPrefix(err.Error(), tt.wantStep+": ") {
				t.Errorf("Err() = %q, want the step %q", err, tt.wantStep)
			}
			out, err := e.ec2.DescribeSecurityGroups(e.ctx, &ec2.DescribeSecurityGroupsInput{
				Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"after-the-error"}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.SecurityGroups) != 0 {
				t.Error("a step after the error still created its security group")
			}
		})
	}
}
