package emulator

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// vpcWithZones creates a VPC with one subnet in each zone letter given and
// returns the VPC and the subnets.
func (f *fixture) vpcWithZones(cidr string, zones ...string) (string, []string) {
	f.t.Helper()
	vpc, err := f.ec2.CreateVpc(f.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
	if err != nil {
		f.t.Fatalf("create vpc: %v", err)
	}
	var subnets []string
	for _, z := range zones {
		subnets = append(subnets, f.subnetIn(aws.ToString(vpc.Vpc.VpcId), z))
	}
	return aws.ToString(vpc.Vpc.VpcId), subnets
}

// subnetIn adds a subnet in zone us-east-1<zone> to a VPC made by vpcWithZones.
func (f *fixture) subnetIn(vpc, zone string) string {
	f.t.Helper()
	out, err := f.ec2.DescribeVpcs(f.ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc}})
	if err != nil || len(out.Vpcs) != 1 {
		f.t.Fatalf("describe vpc %s: %v", vpc, err)
	}
	third := strings.Index("abcdef", zone) + 1
	cidr := strings.Replace(aws.ToString(out.Vpcs[0].CidrBlock), "0.0/16", string(rune('0'+third))+".0/24", 1)
	sn, err := f.ec2.CreateSubnet(f.ctx, &ec2.CreateSubnetInput{
		VpcId: aws.String(vpc), CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(Region + zone),
	})
	if err != nil {
		f.t.Fatalf("create subnet in %s: %v", zone, err)
	}
	return aws.ToString(sn.Subnet.SubnetId)
}

func (f *fixture) natGateway(id string) ec2types.NatGateway {
	f.t.Helper()
	out, err := f.ec2.DescribeNatGateways(f.ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{id}})
	if err != nil || len(out.NatGateways) != 1 {
		f.t.Fatalf("describe nat gateway %s: %v", id, err)
	}
	return out.NatGateways[0]
}

func addressZones(n ec2types.NatGateway) []string {
	var zones []string
	for _, a := range n.NatGatewayAddresses {
		if a.Status == ec2types.NatGatewayAddressStatusSucceeded {
			zones = append(zones, aws.ToString(a.AvailabilityZone))
		}
	}
	slices.Sort(zones)
	return zones
}

func wantAPIError(t *testing.T, what string, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code {
		t.Errorf("%s: err = %v, want %s", what, err, code)
	}
}

// CreateNatGateway (API reference): with AvailabilityMode regional and no
// AvailabilityZoneAddresses the NAT gateway is created in a VPC, not a
// subnet, and manages its zones itself; NatGateway.autoProvisionZones
// enabled "associates EIPs in all AZs where your VPC has subnets ... [and]
// expands to new AZs when you create subnets there". Routes name it by ID
// like any NAT gateway; a zonal one reports AvailabilityMode zonal.
func TestRegionalNATGatewayAutomaticFollowsTheVPCsZones(t *testing.T) {
	f := newFixture(t)
	vpc, subnets := f.vpcWithZones("10.20.0.0/16", "a", "b")
	out, err := f.ec2.CreateNatGateway(f.ctx, &ec2.CreateNatGatewayInput{
		AvailabilityMode: ec2types.AvailabilityModeRegional, VpcId: aws.String(vpc),
	})
	if err != nil {
		t.Fatalf("create regional nat gateway: %v", err)
	}
	created := out.NatGateway
	if created.AvailabilityMode != ec2types.AvailabilityModeRegional || created.AutoProvisionZones != ec2types.AutoProvisionZonesStateEnabled ||
		aws.ToString(created.SubnetId) != "" || aws.ToString(created.VpcId) != vpc || created.State != ec2types.NatGatewayStateAvailable {
		t.Errorf("created %+v", created)
	}
	id := aws.ToString(created.NatGatewayId)
	if got := addressZones(f.natGateway(id)); !slices.Equal(got, []string{"us-east-1a", "us-east-1b"}) {
		t.Errorf("zones in use = %v, want a and b", got)
	}
	f.subnetIn(vpc, "c")
	if got := addressZones(f.natGateway(id)); !slices.Equal(got, []string{"us-east-1a", "us-east-1b", "us-east-1c"}) {
		t.Errorf("zones after a subnet in c = %v, want a, b and c", got)
	}

	rt, err := f.ec2.CreateRouteTable(f.ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpc)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ec2.CreateRoute(f.ctx, &ec2.CreateRouteInput{
		RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(id),
	}); err != nil {
		t.Fatalf("route to the regional nat gateway: %v", err)
	}
	tables, err := f.ec2.DescribeRouteTables(f.ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{aws.ToString(rt.RouteTable.RouteTableId)}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tables.RouteTables[0].Routes, func(r ec2types.Route) bool {
		return aws.ToString(r.NatGatewayId) == id && r.State == ec2types.RouteStateActive
	}) {
		t.Errorf("routes = %+v, want an active route to %s", tables.RouteTables[0].Routes, id)
	}

	eip, err := f.ec2.AllocateAddress(f.ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	if err != nil {
		t.Fatal(err)
	}
	zonal, err := f.ec2.CreateNatGateway(f.ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(subnets[0]), AllocationId: eip.AllocationId})
	if err != nil {
		t.Fatalf("create zonal nat gateway: %v", err)
	}
	if got := f.natGateway(aws.ToString(zonal.NatGateway.NatGatewayId)); got.AvailabilityMode != ec2types.AvailabilityModeZonal || aws.ToString(got.SubnetId) != subnets[0] {
		t.Errorf("zonal nat gateway = mode %q subnet %q", got.AvailabilityMode, aws.ToString(got.SubnetId))
	}
}

// CreateNatGateway (API reference): AvailabilityZoneAddresses names the
// zones (by name or ID) and the EIPs to use in each; "auto-expansion is
// disabled and you must manually manage AZ coverage". The regional NAT
// gateway is created in the VPC given by VpcId.
func TestRegionalNATGatewayManualServesOnlyItsZones(t *testing.T) {
	f := newFixture(t)
	vpc, _ := f.vpcWithZones("10.21.0.0/16", "a", "b", "c")
	var eips []string
	for range 2 {
		eip, err := f.ec2.AllocateAddress(f.ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
		if err != nil {
			t.Fatal(err)
		}
		eips = append(eips, aws.ToString(eip.AllocationId))
	}
	out, err := f.ec2.CreateNatGateway(f.ctx, &ec2.CreateNatGatewayInput{
		AvailabilityMode: ec2types.AvailabilityModeRegional, VpcId: aws.String(vpc),
		AvailabilityZoneAddresses: []ec2types.AvailabilityZoneAddress{
			{AvailabilityZone: aws.String("us-east-1a"), AllocationIds: eips[:1]},
			{AvailabilityZoneId: aws.String("use1-az1"), AllocationIds: eips[1:]}, // us-east-1b in moto
		},
	})
	if err != nil {
		t.Fatalf("create regional nat gateway with zones: %v", err)
	}
	got := f.natGateway(aws.ToString(out.NatGateway.NatGatewayId))
	if got.AutoProvisionZones != ec2types.AutoProvisionZonesStateDisabled || got.AvailabilityMode != ec2types.AvailabilityModeRegional {
		t.Errorf("mode %q, auto-provision %q", got.AvailabilityMode, got.AutoProvisionZones)
	}
	if zones := addressZones(got); !slices.Equal(zones, []string{"us-east-1a", "us-east-1b"}) {
		t.Errorf("zones = %v, want only a and b (c has a subnet but no address)", zones)
	}
	for i, a := range got.NatGatewayAddresses {
		if aws.ToString(a.AllocationId) != eips[i] || aws.ToString(a.PublicIp) == "" {
			t.Errorf("address %d = %+v, want allocation %s", i, a, eips[i])
		}
	}

	_, err = f.ec2.CreateNatGateway(f.ctx, &ec2.CreateNatGatewayInput{
		AvailabilityMode: ec2types.AvailabilityModeRegional, VpcId: aws.String(vpc),
		AvailabilityZoneAddresses: []ec2types.AvailabilityZoneAddress{{AvailabilityZone: aws.String("us-east-1a"), AllocationIds: []string{"eipalloc-00000000000000000"}}},
	})
	wantAPIError(t, "unknown allocation", err, "InvalidAllocationID.NotFound")
	_, err = f.ec2.CreateNatGateway(f.ctx, &ec2.CreateNatGatewayInput{AvailabilityMode: ec2types.AvailabilityModeRegional})
	wantAPIError(t, "regional without a VPC", err, "MissingParameter")
}

// DescribeVpcBlockPublicAccessOptions (API reference): the account's mode in
// the Region, off (state default-state) until ModifyVpcBlockPublicAccessOptions
// sets block-bidirectional or block-ingress; Vpc.BlockPublicAccessStates
// gives "the mode of VPC BPA" in DescribeVpcs.
func TestBlockPublicAccessOptions(t *testing.T) {
	f := newFixture(t)
	vpc, _ := f.subnet("10.22.0.0/16")
	before, err := f.ec2.DescribeVpcBlockPublicAccessOptions(f.ctx, &ec2.DescribeVpcBlockPublicAccessOptionsInput{})
	if err != nil {
		t.Fatalf("describe options: %v", err)
	}
	if o := before.VpcBlockPublicAccessOptions; o == nil || o.InternetGatewayBlockMode != ec2types.InternetGatewayBlockModeOff ||
		o.State != ec2types.VpcBlockPublicAccessStateDefaultState || aws.ToString(o.AwsAccountId) != Account || aws.ToString(o.AwsRegion) != Region {
		t.Errorf("options before = %+v", o)
	}
	if _, err := f.ec2.ModifyVpcBlockPublicAccessOptions(f.ctx, &ec2.ModifyVpcBlockPublicAccessOptionsInput{
		InternetGatewayBlockMode: ec2types.InternetGatewayBlockModeBlockIngress,
	}); err != nil {
		t.Fatalf("modify options: %v", err)
	}
	after, err := f.ec2.DescribeVpcBlockPublicAccessOptions(f.ctx, &ec2.DescribeVpcBlockPublicAccessOptionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if o := after.VpcBlockPublicAccessOptions; o.InternetGatewayBlockMode != ec2types.InternetGatewayBlockModeBlockIngress || o.State != ec2types.VpcBlockPublicAccessStateUpdateComplete {
		t.Errorf("options after = %+v", o)
	}
	vpcs, err := f.ec2.DescribeVpcs(f.ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc}})
	if err != nil {
		t.Fatal(err)
	}
	if s := vpcs.Vpcs[0].BlockPublicAccessStates; s == nil || s.InternetGatewayBlockMode != ec2types.BlockPublicAccessModeBlockIngress {
		t.Errorf("Vpc.BlockPublicAccessStates = %+v", s)
	}
}

// CreateVpcBlockPublicAccessExclusion (API reference): one VPC or one
// subnet, allow-bidirectional or allow-egress, named by its ARN;
// DescribeVpcBlockPublicAccessExclusions filters by state and pages;
// DeleteVpcBlockPublicAccessExclusion leaves it listed as delete-complete.
func TestBlockPublicAccessExclusions(t *testing.T) {
	f := newFixture(t)
	vpc, subnet := f.subnet("10.23.0.0/16")
	create := func(in *ec2.CreateVpcBlockPublicAccessExclusionInput) ec2types.VpcBlockPublicAccessExclusion {
		t.Helper()
		out, err := f.ec2.CreateVpcBlockPublicAccessExclusion(f.ctx, in)
		if err != nil {
			t.Fatalf("create exclusion: %v", err)
		}
		return *out.VpcBlockPublicAccessExclusion
	}
	ofVPC := create(&ec2.CreateVpcBlockPublicAccessExclusionInput{VpcId: aws.String(vpc), InternetGatewayExclusionMode: ec2types.InternetGatewayExclusionModeAllowBidirectional})
	ofSubnet := create(&ec2.CreateVpcBlockPublicAccessExclusionInput{SubnetId: aws.String(subnet), InternetGatewayExclusionMode: ec2types.InternetGatewayExclusionModeAllowEgress})
	if aws.ToString(ofVPC.ResourceArn) != "arn:aws:ec2:us-east-1:123456789012:vpc/"+vpc || ofVPC.State != ec2types.VpcBlockPublicAccessExclusionStateCreateComplete ||
		!strings.HasPrefix(aws.ToString(ofVPC.ExclusionId), "exclusion-") {
		t.Errorf("vpc exclusion = %+v", ofVPC)
	}
	if aws.ToString(ofSubnet.ResourceArn) != "arn:aws:ec2:us-east-1:123456789012:subnet/"+subnet || ofSubnet.InternetGatewayExclusionMode != ec2types.InternetGatewayExclusionModeAllowEgress {
		t.Errorf("subnet exclusion = %+v", ofSubnet)
	}
	if _, err := f.ec2.DeleteVpcBlockPublicAccessExclusion(f.ctx, &ec2.DeleteVpcBlockPublicAccessExclusionInput{ExclusionId: ofVPC.ExclusionId}); err != nil {
		t.Fatalf("delete exclusion: %v", err)
	}

	list := func(in *ec2.DescribeVpcBlockPublicAccessExclusionsInput) map[string]ec2types.VpcBlockPublicAccessExclusionState {
		t.Helper()
		got := map[string]ec2types.VpcBlockPublicAccessExclusionState{}
		pages := 0
		for {
			page, err := f.ec2.DescribeVpcBlockPublicAccessExclusions(f.ctx, in)
			if err != nil {
				t.Fatalf("describe exclusions: %v", err)
			}
			pages++
			for _, e := range page.VpcBlockPublicAccessExclusions {
				got[aws.ToString(e.ExclusionId)] = e.State
			}
			if in.NextToken = page.NextToken; in.NextToken == nil {
				break
			}
		}
		if in.MaxResults != nil && pages != len(got) {
			t.Errorf("%d exclusions in %d pages of one", len(got), pages)
		}
		return got
	}
	all := list(&ec2.DescribeVpcBlockPublicAccessExclusionsInput{MaxResults: aws.Int32(1)})
	if len(all) != 2 || all[aws.ToString(ofVPC.ExclusionId)] != ec2types.VpcBlockPublicAccessExclusionStateDeleteComplete {
		t.Errorf("all exclusions = %v, want the deleted one as delete-complete", all)
	}
	inEffect := list(&ec2.DescribeVpcBlockPublicAccessExclusionsInput{
		Filters: []ec2types.Filter{{Name: aws.String("state"), Values: []string{"create-complete", "update-complete"}}},
	})
	if len(inEffect) != 1 || inEffect[aws.ToString(ofSubnet.ExclusionId)] == "" {
		t.Errorf("exclusions in effect = %v, want only the subnet's", inEffect)
	}

	_, err := f.ec2.CreateVpcBlockPublicAccessExclusion(f.ctx, &ec2.CreateVpcBlockPublicAccessExclusionInput{
		VpcId: aws.String(vpc), SubnetId: aws.String(subnet), InternetGatewayExclusionMode: ec2types.InternetGatewayExclusionModeAllowEgress,
	})
	wantAPIError(t, "vpc and subnet at once", err, "InvalidParameterCombination")
}

// CreateVpcEncryptionControl takes only the VPC and starts in monitor mode;
// ModifyVpcEncryptionControl sets the mode and each exclusion (enable or
// disable, reported enabled/disabled in ResourceExclusions); DescribeVpcs
// carries it as Vpc.EncryptionControl (API reference).
func TestVPCEncryptionControl(t *testing.T) {
	f := newFixture(t)
	vpc, _ := f.subnet("10.24.0.0/16")
	created, err := f.ec2.CreateVpcEncryptionControl(f.ctx, &ec2.CreateVpcEncryptionControlInput{VpcId: aws.String(vpc)})
	if err != nil {
		t.Fatalf("create encryption control: %v", err)
	}
	control := created.VpcEncryptionControl
	if control.Mode != ec2types.VpcEncryptionControlModeMonitor || aws.ToString(control.VpcId) != vpc || aws.ToString(control.VpcEncryptionControlId) == "" {
		t.Errorf("created %+v", control)
	}
	if _, err := f.ec2.ModifyVpcEncryptionControl(f.ctx, &ec2.ModifyVpcEncryptionControlInput{
		VpcEncryptionControlId: control.VpcEncryptionControlId,
		Mode:                   ec2types.VpcEncryptionControlModeEnforce,
		LambdaExclusion:        ec2types.VpcEncryptionControlExclusionStateInputEnable,
		NatGatewayExclusion:    ec2types.VpcEncryptionControlExclusionStateInputDisable,
	}); err != nil {
		t.Fatalf("modify encryption control: %v", err)
	}
	vpcs, err := f.ec2.DescribeVpcs(f.ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc}})
	if err != nil {
		t.Fatal(err)
	}
	got := vpcs.Vpcs[0].EncryptionControl
	if got == nil || got.Mode != ec2types.VpcEncryptionControlModeEnforce || aws.ToString(got.VpcEncryptionControlId) != aws.ToString(control.VpcEncryptionControlId) {
		t.Fatalf("Vpc.EncryptionControl = %+v", got)
	}
	ex := got.ResourceExclusions
	if ex == nil || ex.Lambda == nil || ex.Lambda.State != ec2types.VpcEncryptionControlExclusionStateEnabled ||
		ex.NatGateway == nil || ex.NatGateway.State != ec2types.VpcEncryptionControlExclusionStateDisabled || ex.InternetGateway != nil {
		t.Errorf("ResourceExclusions = %+v", ex)
	}
	listed, err := f.ec2.DescribeVpcEncryptionControls(f.ctx, &ec2.DescribeVpcEncryptionControlsInput{VpcIds: []string{vpc}})
	if err != nil || len(listed.VpcEncryptionControls) != 1 {
		t.Errorf("describe encryption controls: %v, %+v", err, listed)
	}
	other, _ := f.subnet("10.25.0.0/16")
	none, err := f.ec2.DescribeVpcs(f.ctx, &ec2.DescribeVpcsInput{VpcIds: []string{other}})
	if err != nil || none.Vpcs[0].EncryptionControl != nil {
		t.Errorf("a VPC without a control reports %+v (%v)", none.Vpcs[0].EncryptionControl, err)
	}
}

// DnsOptionsSpecification.PrivateDnsOnlyForInboundResolverEndpoint (API
// reference, CreateVpcEndpoint and ModifyVpcEndpoint) is answered in the
// endpoint's DnsOptions.
func TestInterfaceEndpointKeepsDNSOptions(t *testing.T) {
	f := newFixture(t)
	vpc, subnet := f.subnet("10.26.0.0/16")
	out, err := f.ec2.CreateVpcEndpoint(f.ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(vpc), ServiceName: aws.String("com.amazonaws.us-east-1.s3"),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{subnet}, PrivateDnsEnabled: aws.Bool(true),
		DnsOptions: &ec2types.DnsOptionsSpecification{PrivateDnsOnlyForInboundResolverEndpoint: aws.Bool(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.VpcEndpoint.VpcEndpointId)
	inboundOnly := func() bool {
		t.Helper()
		got, err := f.ec2.DescribeVpcEndpoints(f.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
		if err != nil || len(got.VpcEndpoints) != 1 {
			t.Fatalf("describe endpoint: %v", err)
		}
		o := got.VpcEndpoints[0].DnsOptions
		return o != nil && aws.ToBool(o.PrivateDnsOnlyForInboundResolverEndpoint)
	}
	if !inboundOnly() {
		t.Error("DnsOptions lost PrivateDnsOnlyForInboundResolverEndpoint")
	}
	if _, err := f.ec2.ModifyVpcEndpoint(f.ctx, &ec2.ModifyVpcEndpointInput{
		VpcEndpointId: aws.String(id),
		DnsOptions:    &ec2types.DnsOptionsSpecification{PrivateDnsOnlyForInboundResolverEndpoint: aws.Bool(false)},
	}); err != nil {
		t.Fatal(err)
	}
	if inboundOnly() {
		t.Error("ModifyVpcEndpoint did not turn PrivateDnsOnlyForInboundResolverEndpoint off")
	}
}
