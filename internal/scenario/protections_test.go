package scenario_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

func TestRegionalNATGateways(t *testing.T) {
	e := newEnv(t)
	vpc := e.s.VPC("10.40.0.0/16")
	priv := vpc.PrivateSubnets("10.40.10.0/24@a", "10.40.11.0/24@b")
	auto := vpc.RegionalNAT()
	manual := vpc.RegionalNAT("b")
	vpc.RouteToNAT(priv[0], auto)
	e.built()

	zones := func(id string) []string {
		out, err := e.ec2.DescribeNatGateways(e.ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{id}})
		if err != nil || len(out.NatGateways) != 1 {
			t.Fatalf("describe %s: %v", id, err)
		}
		n := out.NatGateways[0]
		if n.AvailabilityMode != ec2types.AvailabilityModeRegional || aws.ToString(n.SubnetId) != "" || aws.ToString(n.VpcId) != vpc.ID {
			t.Errorf("%s = %+v, want a regional NAT gateway of %s", id, n, vpc.ID)
		}
		var got []string
		for _, a := range n.NatGatewayAddresses {
			got = append(got, aws.ToString(a.AvailabilityZone))
		}
		return got
	}
	if got := zones(auto.ID); !slices.Equal(got, []string{"us-east-1a", "us-east-1b"}) || !auto.Regional || auto.SubnetID != "" {
		t.Errorf("automatic NAT %+v serves %v, want both zones", auto, got)
	}
	if got := zones(manual.ID); !slices.Equal(got, []string{"us-east-1b"}) || !slices.Equal(manual.Zones, []string{"us-east-1b"}) || len(manual.AllocationIDs) != 1 {
		t.Errorf("manual NAT %+v serves %v, want only b", manual, got)
	}
	if r := e.defaultRoute(priv[0].RouteTableID); r == nil || aws.ToString(r.NatGatewayId) != auto.ID {
		t.Errorf("default route = %+v, want the regional NAT gateway", r)
	}
	e.s.DeleteNAT(manual)
	e.built()
	if got := e.natState(manual.ID); got != ec2types.NatGatewayStateDeleted {
		t.Errorf("deleted regional NAT is %s", got)
	}
}

func TestBlockPublicAccessAndEncryptionControl(t *testing.T) {
	e := newEnv(t)
	vpc := e.s.VPC("10.41.0.0/16")
	pub := vpc.PublicSubnets("10.41.0.0/24@a")
	e.s.BlockPublicAccess("block-bidirectional")
	vpcExclusion := vpc.ExcludeFromBPA("allow-egress")
	subnetExclusion := vpc.ExcludeSubnetFromBPA(pub[0], "allow-bidirectional")
	control := vpc.EncryptionControl("enforce", "internet-gateway", "lambda")
	e.built()

	opts, err := e.ec2.DescribeVpcBlockPublicAccessOptions(e.ctx, &ec2.DescribeVpcBlockPublicAccessOptionsInput{})
	if err != nil || opts.VpcBlockPublicAccessOptions.InternetGatewayBlockMode != ec2types.InternetGatewayBlockModeBlockBidirectional {
		t.Errorf("options = %+v (%v)", opts, err)
	}
	out, err := e.ec2.DescribeVpcBlockPublicAccessExclusions(e.ctx, &ec2.DescribeVpcBlockPublicAccessExclusionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, x := range out.VpcBlockPublicAccessExclusions {
		got[aws.ToString(x.ExclusionId)] = string(x.InternetGatewayExclusionMode) + " " + aws.ToString(x.ResourceArn)
	}
	want := map[string]string{
		vpcExclusion:    "allow-egress arn:aws:ec2:us-east-1:123456789012:vpc/" + vpc.ID,
		subnetExclusion: "allow-bidirectional arn:aws:ec2:us-east-1:123456789012:subnet/" + pub[0].ID,
	}
	if len(got) != 2 || got[vpcExclusion] != want[vpcExclusion] || got[subnetExclusion] != want[subnetExclusion] {
		t.Errorf("exclusions = %v, want %v", got, want)
	}

	vpcs, err := e.ec2.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ec := vpcs.Vpcs[0].EncryptionControl
	if ec == nil || aws.ToString(ec.VpcEncryptionControlId) != control || ec.Mode != ec2types.VpcEncryptionControlModeEnforce ||
		ec.ResourceExclusions == nil || ec.ResourceExclusions.InternetGateway == nil || ec.ResourceExclusions.Lambda == nil || ec.ResourceExclusions.NatGateway != nil {
		t.Errorf("encryption control = %+v", ec)
	}

	bad := newEnv(t)
	bad.s.VPC("10.42.0.0/16").EncryptionControl("enforce", "no-such-kind")
	if bad.s.Err() == nil {
		t.Error("an unknown exclusion kind was accepted")
	}
}

func TestS3EndpointsAndCustomACLEntries(t *testing.T) {
	e := newEnv(t)
	vpc := e.s.VPC("10.43.0.0/16")
	priv := vpc.PrivateSubnets("10.43.10.0/24@a")
	gateway := vpc.GatewayEndpoint("s3", priv.RouteTableIDs())
	iface := vpc.InterfaceEndpoint("s3", priv, nil, scenario.InboundResolverOnlyDNS())
	acl := vpc.NACL("udp-dns", priv[0]).Rule(100, true, true, "17", "10.43.0.2/32", 53, 53).Rule(200, false, false, "-1", "0.0.0.0/0", 0, 0)
	e.built()

	eps, err := e.ec2.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{gateway.ID, iface.ID}})
	if err != nil || len(eps.VpcEndpoints) != 2 {
		t.Fatalf("describe endpoints: %v", err)
	}
	for _, ep := range eps.VpcEndpoints {
		inboundOnly := ep.DnsOptions != nil && aws.ToBool(ep.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint)
		if wantInbound := aws.ToString(ep.VpcEndpointId) == iface.ID; inboundOnly != wantInbound {
			t.Errorf("%s (%s): inbound-resolver-only DNS %v", aws.ToString(ep.VpcEndpointId), ep.VpcEndpointType, inboundOnly)
		}
	}
	if !iface.InboundResolverOnlyDNS || !iface.PrivateDNS {
		t.Errorf("interface endpoint %+v", iface)
	}
	acls, err := e.ec2.DescribeNetworkAcls(e.ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{acl.ID}})
	if err != nil || len(acls.NetworkAcls) != 1 {
		t.Fatalf("describe network acl: %v", err)
	}
	var udp, deny bool
	for _, en := range acls.NetworkAcls[0].Entries {
		switch aws.ToInt32(en.RuleNumber) {
		case 100:
			udp = aws.ToBool(en.Egress) && en.RuleAction == ec2types.RuleActionAllow && aws.ToString(en.Protocol) == "17" &&
				en.PortRange != nil && aws.ToInt32(en.PortRange.From) == 53
		case 200:
			deny = !aws.ToBool(en.Egress) && en.RuleAction == ec2types.RuleActionDeny && aws.ToString(en.Protocol) == "-1"
		}
	}
	if !udp || !deny {
		t.Errorf("entries = %+v, want outbound UDP 53 allowed (100) and all inbound denied (200)", acls.NetworkAcls[0].Entries)
	}
}
