package topology

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// fakeEC2 answers every Describe with two pages and counts the calls; the
// resources of each page belong to the VPCs of the filter in turn.
type fakeEC2 struct {
	mu    sync.Mutex
	calls map[string]int
	// filterSizes records the number of vpc-id values per call.
	filterSizes []int
	missing     string
	// bpaMode is the account's BPA mode (default block-bidirectional);
	// bpaErr and exclusionsErr fail those reads.
	bpaMode              types.InternetGatewayBlockMode
	bpaErr               error
	exclusionsErr        error
	lastExclusionFilters []types.Filter
}

var _ EC2 = (*fakeEC2)(nil)

func (f *fakeEC2) count(op string, filters []types.Filter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
	for _, fl := range filters {
		if aws.ToString(fl.Name) == "vpc-id" || aws.ToString(fl.Name) == "attachment.vpc-id" {
			f.filterSizes = append(f.filterSizes, len(fl.Values))
		}
	}
}

func vpcsOf(filters []types.Filter) []string {
	for _, fl := range filters {
		if aws.ToString(fl.Name) == "vpc-id" || aws.ToString(fl.Name) == "attachment.vpc-id" {
			return fl.Values
		}
	}
	return nil
}

// page returns the page's token and the VPCs its resources go to: the
// first page carries the first VPC of the filter, the second the others.
func page(token *string, vpcs []string) (*string, []string) {
	if token == nil {
		return aws.String("next"), vpcs[:1]
	}
	return nil, vpcs[1:]
}

func (f *fakeEC2) DescribeVpcs(_ context.Context, in *ec2.DescribeVpcsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	f.count("DescribeVpcs", in.Filters)
	out := &ec2.DescribeVpcsOutput{}
	var vpcs []string
	out.NextToken, vpcs = page(in.NextToken, vpcsOf(in.Filters))
	for _, v := range vpcs {
		if v != f.missing {
			out.Vpcs = append(out.Vpcs, types.Vpc{VpcId: aws.String(v), CidrBlock: aws.String("10.0.0.0/16"), DhcpOptionsId: aws.String("dopt-1"),
				EncryptionControl: &types.VpcEncryptionControl{
					VpcEncryptionControlId: aws.String("vpcec-" + v), Mode: types.VpcEncryptionControlModeEnforce, State: types.VpcEncryptionControlStateAvailable,
					ResourceExclusions: &types.VpcEncryptionControlExclusions{
						Lambda:     &types.VpcEncryptionControlExclusion{State: types.VpcEncryptionControlExclusionStateEnabled},
						NatGateway: &types.VpcEncryptionControlExclusion{State: types.VpcEncryptionControlExclusionStateDisabled},
					},
				},
				// A summary that disagrees with the options: never the rule.
				BlockPublicAccessStates: &types.BlockPublicAccessStates{InternetGatewayBlockMode: types.BlockPublicAccessModeOff},
			})
		}
	}
	return out, nil
}

func (f *fakeEC2) DescribeVpcAttribute(_ context.Context, in *ec2.DescribeVpcAttributeInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error) {
	f.count("DescribeVpcAttribute", nil)
	on := &types.AttributeBooleanValue{Value: aws.Bool(true)}
	return &ec2.DescribeVpcAttributeOutput{EnableDnsSupport: on, EnableDnsHostnames: on}, nil
}

func (f *fakeEC2) DescribeDhcpOptions(_ context.Context, in *ec2.DescribeDhcpOptionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeDhcpOptionsOutput, error) {
	f.count("DescribeDhcpOptions", nil)
	return &ec2.DescribeDhcpOptionsOutput{DhcpOptions: []types.DhcpOptions{{DhcpOptionsId: aws.String("dopt-1"), DhcpConfigurations: []types.DhcpConfiguration{
		{Key: aws.String("domain-name-servers"), Values: []types.AttributeValue{{Value: aws.String("10.0.0.53")}}},
	}}}}, nil
}

func (f *fakeEC2) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	f.count("DescribeSubnets", in.Filters)
	out := &ec2.DescribeSubnetsOutput{}
	var vpcs []string
	out.NextToken, vpcs = page(in.NextToken, vpcsOf(in.Filters))
	for _, v := range vpcs {
		out.Subnets = append(out.Subnets, types.Subnet{SubnetId: aws.String("subnet-" + v), VpcId: aws.String(v), CidrBlock: aws.String("10.0.0.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	}
	return out, nil
}

func (f *fakeEC2) DescribeRouteTables(_ context.Context, in *ec2.DescribeRouteTablesInput, _ ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	f.count("DescribeRouteTables", in.Filters)
	out := &ec2.DescribeRouteTablesOutput{}
	var vpcs []string
	out.NextToken, vpcs = page(in.NextToken, vpcsOf(in.Filters))
	for _, v := range vpcs {
		out.RouteTables = append(out.RouteTables, types.RouteTable{RouteTableId: aws.String("rtb-" + v), VpcId: aws.String(v),
			Associations: []types.RouteTableAssociation{{Main: aws.Bool(true)}},
			Routes: []types.Route{
				{DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String("nat-gone"), State: types.RouteStateActive},
				{DestinationPrefixListId: aws.String("pl-gateway"), GatewayId: aws.String("vpce-s3-" + v), State: types.RouteStateActive},
			}})
	}
	return out, nil
}

func (f *fakeEC2) DescribeNatGateways(_ context.Context, in *ec2.DescribeNatGatewaysInput, _ ...func(*ec2.Options)) (*ec2.DescribeNatGatewaysOutput, error) {
	f.count("DescribeNatGateways", in.Filter)
	out := &ec2.DescribeNatGatewaysOutput{}
	var vpcs []string
	out.NextToken, vpcs = page(in.NextToken, vpcsOf(in.Filter))
	address := func(zone string, status types.NatGatewayAddressStatus) types.NatGatewayAddress {
		return types.NatGatewayAddress{AvailabilityZone: aws.String(zone), Status: status}
	}
	for _, v := range vpcs {
		out.NatGateways = append(out.NatGateways, types.NatGateway{
			NatGatewayId: aws.String("nat-regional-" + v), VpcId: aws.String(v), State: types.NatGatewayStateAvailable,
			AvailabilityMode: types.AvailabilityModeRegional, AutoProvisionZones: types.AutoProvisionZonesStateEnabled,
			NatGatewayAddresses: []types.NatGatewayAddress{
				address("us-east-1a", types.NatGatewayAddressStatusSucceeded),
				address("us-east-1b", types.NatGatewayAddressStatusAssociating),
				address("us-east-1c", types.NatGatewayAddressStatusSucceeded),
				address("us-east-1a", types.NatGatewayAddressStatusSucceeded), // a second address in a
				address("us-east-1d", types.NatGatewayAddressStatusDisassociating),
			},
		}, types.NatGateway{
			NatGatewayId: aws.String("nat-zonal-" + v), VpcId: aws.String(v), SubnetId: aws.String("subnet-" + v), State: types.NatGatewayStateAvailable,
		})
	}
	return out, nil
}

func (f *fakeEC2) DescribeInternetGateways(_ context.Context, in *ec2.DescribeInternetGatewaysInput, _ ...func(*ec2.Options)) (*ec2.DescribeInternetGatewaysOutput, error) {
	f.count("DescribeInternetGateways", in.Filters)
	out := &ec2.DescribeInternetGatewaysOutput{}
	var vpcs []string
	out.NextToken, vpcs = page(in.NextToken, vpcsOf(in.Filters))
	for _, v := range vpcs {
		out.InternetGateways = append(out.InternetGateways, types.InternetGateway{InternetGatewayId: aws.String("igw-" + v),
			Attachments: []types.InternetGatewayAttachment{{VpcId: aws.String(v), State: types.AttachmentStatusAttached}}})
	}
	return out, nil
}

func (f *fakeEC2) DescribeVpcEndpoints(_ context.Context, in *ec2.DescribeVpcEndpointsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	f.count("DescribeVpcEndpoints", in.Filters)
	out := &ec2.DescribeVpcEndpointsOutput{}
	var vpcs []string
	out.NextToken, vpcs = page(in.NextToken, vpcsOf(in.Filters))
	for _, v := range vpcs {
		out.VpcEndpoints = append(out.VpcEndpoints, types.VpcEndpoint{
			VpcEndpointId: aws.String("vpce-s3-interface-" + v), VpcId: aws.String(v), VpcEndpointType: types.VpcEndpointTypeInterface,
			ServiceName: aws.String("com.amazonaws.us-east-1.s3"), PrivateDnsEnabled: aws.Bool(true),
			DnsOptions: &types.DnsOptions{PrivateDnsOnlyForInboundResolverEndpoint: aws.Bool(true)},
		})
	}
	return out, nil
}

func (f *fakeEC2) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	f.count("DescribeSecurityGroups", in.Filters)
	out := &ec2.DescribeSecurityGroupsOutput{}
	var vpcs []string
	out.NextToken, vpcs = page(in.NextToken, vpcsOf(in.Filters))
	for _, v := range vpcs {
		out.SecurityGroups = append(out.SecurityGroups, types.SecurityGroup{GroupId: aws.String("sg-" + v), VpcId: aws.String(v),
			IpPermissionsEgress: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
				PrefixListIds: []types.PrefixListId{{PrefixListId: aws.String("pl-s3")}}}}})
	}
	return out, nil
}

func (f *fakeEC2) DescribeNetworkAcls(_ context.Context, in *ec2.DescribeNetworkAclsInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error) {
	f.count("DescribeNetworkAcls", in.Filters)
	out := &ec2.DescribeNetworkAclsOutput{}
	out.NextToken, _ = page(in.NextToken, vpcsOf(in.Filters))
	return out, nil
}

func (f *fakeEC2) GetManagedPrefixListEntries(_ context.Context, in *ec2.GetManagedPrefixListEntriesInput, _ ...func(*ec2.Options)) (*ec2.GetManagedPrefixListEntriesOutput, error) {
	f.count("GetManagedPrefixListEntries", nil)
	return &ec2.GetManagedPrefixListEntriesOutput{Entries: []types.PrefixListEntry{{Cidr: aws.String("52.216.0.0/15")}}}, nil
}

func (f *fakeEC2) DescribeVpcBlockPublicAccessOptions(_ context.Context, _ *ec2.DescribeVpcBlockPublicAccessOptionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcBlockPublicAccessOptionsOutput, error) {
	f.count("DescribeVpcBlockPublicAccessOptions", nil)
	if f.bpaErr != nil {
		return nil, f.bpaErr
	}
	mode := f.bpaMode
	if mode == "" {
		mode = types.InternetGatewayBlockModeBlockBidirectional
	}
	return &ec2.DescribeVpcBlockPublicAccessOptionsOutput{VpcBlockPublicAccessOptions: &types.VpcBlockPublicAccessOptions{InternetGatewayBlockMode: mode}}, nil
}

// DescribeVpcBlockPublicAccessExclusions answers two pages: the first has
// an exclusion of vpc-a and a deleted one of vpc-c, the second one of vpc-b's
// subnet and one of a VPC that is not read.
func (f *fakeEC2) DescribeVpcBlockPublicAccessExclusions(_ context.Context, in *ec2.DescribeVpcBlockPublicAccessExclusionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcBlockPublicAccessExclusionsOutput, error) {
	f.count("DescribeVpcBlockPublicAccessExclusions", in.Filters)
	f.mu.Lock()
	f.lastExclusionFilters = in.Filters
	f.mu.Unlock()
	if f.exclusionsErr != nil {
		return nil, f.exclusionsErr
	}
	exclusion := func(id, resource string, mode types.InternetGatewayExclusionMode, state types.VpcBlockPublicAccessExclusionState) types.VpcBlockPublicAccessExclusion {
		return types.VpcBlockPublicAccessExclusion{ExclusionId: aws.String(id), ResourceArn: aws.String("arn:aws:ec2:us-east-1:123456789012:" + resource),
			InternetGatewayExclusionMode: mode, State: state}
	}
	if in.NextToken == nil {
		return &ec2.DescribeVpcBlockPublicAccessExclusionsOutput{NextToken: aws.String("next"), VpcBlockPublicAccessExclusions: []types.VpcBlockPublicAccessExclusion{
			exclusion("exclusion-a", "vpc/vpc-a", types.InternetGatewayExclusionModeAllowBidirectional, types.VpcBlockPublicAccessExclusionStateCreateComplete),
			exclusion("exclusion-c", "vpc/vpc-c", types.InternetGatewayExclusionModeAllowBidirectional, types.VpcBlockPublicAccessExclusionStateDeleteComplete),
		}}, nil
	}
	return &ec2.DescribeVpcBlockPublicAccessExclusionsOutput{VpcBlockPublicAccessExclusions: []types.VpcBlockPublicAccessExclusion{
		exclusion("exclusion-b", "subnet/subnet-vpc-b", types.InternetGatewayExclusionModeAllowEgress, types.VpcBlockPublicAccessExclusionStateUpdateComplete),
		exclusion("exclusion-x", "vpc/vpc-x", types.InternetGatewayExclusionModeAllowEgress, types.VpcBlockPublicAccessExclusionStateCreateComplete),
	}}, nil
}

func TestReadAllGroupsByVPCWithOneCallPerTypeAndPage(t *testing.T) {
	f := &fakeEC2{}
	vpcs := []string{"vpc-b", "vpc-a", "vpc-c"}
	snaps, err := (&Reader{EC2: f}).ReadAll(t.Context(), vpcs)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vpcs {
		s := snaps[v]
		if s == nil || len(s.Subnets) != 1 || s.Subnets[0].ID != "subnet-"+v || len(s.RouteTables) != 1 || len(s.SecurityGroups) != 1 || len(s.InternetGateways) != 1 {
			t.Fatalf("snapshot of %s = %+v", v, s)
		}
		if !s.VPC.DNSSupport || !s.VPC.DNSHostnames || !slices.Equal(s.VPC.DNSServers, []string{"10.0.0.53"}) {
			t.Errorf("%s: DNS %v/%v servers %v", v, s.VPC.DNSSupport, s.VPC.DNSHostnames, s.VPC.DNSServers)
		}
		for _, pl := range []string{"pl-s3", "pl-gateway"} {
			if got := s.PrefixLists[pl]; len(got) != 1 {
				t.Errorf("%s: entries of %s %v", v, pl, got)
			}
		}
		if s.RouteTables[0].Routes[0].Active {
			t.Errorf("%s: a route to a NAT gateway that does not exist is active", v)
		}
	}
	// Two pages per type for all three VPCs; attributes per VPC; one
	// read per prefix list, whatever number of groups and routes name it;
	// the account's BPA options once and its exclusions in one listing.
	want := map[string]int{
		"DescribeVpcs": 2, "DescribeSubnets": 2, "DescribeRouteTables": 2, "DescribeNatGateways": 2, "DescribeInternetGateways": 2,
		"DescribeVpcEndpoints": 2, "DescribeSecurityGroups": 2, "DescribeNetworkAcls": 2, "DescribeDhcpOptions": 1,
		"DescribeVpcAttribute": 6, "GetManagedPrefixListEntries": 2,
		"DescribeVpcBlockPublicAccessOptions": 1, "DescribeVpcBlockPublicAccessExclusions": 2,
	}
	for op, n := range want {
		if f.calls[op] != n {
			t.Errorf("%s called %d times, want %d", op, f.calls[op], n)
		}
	}
}

func TestReadAllChunksFilters(t *testing.T) {
	f := &fakeEC2{}
	var vpcs []string
	for i := range 450 {
		vpcs = append(vpcs, fmt.Sprintf("vpc-%03d", i))
	}
	if _, err := (&Reader{EC2: f}).ReadAll(t.Context(), vpcs); err != nil {
		t.Fatal(err)
	}
	for _, n := range f.filterSizes {
		if n > maxFilterValues {
			t.Fatalf("a filter with %d values", n)
		}
	}
	if f.calls["DescribeSubnets"] != 6 { // 3 chunks x 2 pages
		t.Errorf("DescribeSubnets called %d times, want 6", f.calls["DescribeSubnets"])
	}
}

func TestReadAllNamesAVPCThatIsGone(t *testing.T) {
	f := &fakeEC2{missing: "vpc-gone"}
	_, err := (&Reader{EC2: f}).ReadAll(t.Context(), []string{"vpc-a", "vpc-gone"})
	if !errors.Is(err, ErrVPCNotFound) || !strings.Contains(err.Error(), "vpc-gone") {
		t.Errorf("err = %v", err)
	}
}

func TestReadAllMapsRegionalNATsEncryptionAndEndpointDNS(t *testing.T) {
	snaps, err := (&Reader{EC2: &fakeEC2{}}).ReadAll(t.Context(), []string{"vpc-a", "vpc-b"})
	if err != nil {
		t.Fatal(err)
	}
	s := snaps["vpc-a"]
	nats := map[string]network.NATGateway{}
	for _, n := range s.NATGateways {
		nats[n.ID] = n
	}
	regional := nats["nat-regional-vpc-a"]
	// Only addresses in use count: b is still associating, d disassociating.
	if !regional.Regional() || regional.SubnetID != "" || regional.AutoProvisionZones != "enabled" || !slices.Equal(regional.Zones, []string{"us-east-1a", "us-east-1c"}) {
		t.Errorf("regional NAT = %+v", regional)
	}
	if zonal := nats["nat-zonal-vpc-a"]; zonal.Regional() || zonal.AvailabilityMode != network.NATZonal || zonal.SubnetID != "subnet-vpc-a" || zonal.Zones != nil {
		t.Errorf("zonal NAT = %+v", zonal)
	}
	ec := s.VPC.EncryptionControl
	if ec.ID != "vpcec-vpc-a" || ec.Mode != "enforce" || ec.State != "available" ||
		!maps.Equal(ec.Exclusions, map[string]string{network.ExclusionLambda: "enabled", network.ExclusionNATGateway: "disabled"}) {
		t.Errorf("encryption control = %+v", ec)
	}
	if len(s.Endpoints) != 1 || !s.Endpoints[0].PrivateDNSOnlyForInboundResolver {
		t.Errorf("endpoints = %+v, want inbound-resolver-only DNS", s.Endpoints)
	}
}

func TestReadAllFilesBlockPublicAccessExclusionsInEffect(t *testing.T) {
	f := &fakeEC2{}
	snaps, err := (&Reader{EC2: f}).ReadAll(t.Context(), []string{"vpc-a", "vpc-b", "vpc-c"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]network.BlockPublicAccess{
		"vpc-a": {Read: true, Mode: network.BPABlockBidirectional, VPCExclusion: network.BPAAllowBidirectional,
			ExclusionIDs: map[string]string{"vpc-a": "exclusion-a"}},
		"vpc-b": {Read: true, Mode: network.BPABlockBidirectional, SubnetExclusions: map[string]string{"subnet-vpc-b": network.BPAAllowEgress},
			ExclusionIDs: map[string]string{"subnet-vpc-b": "exclusion-b"}},
		// vpc-c's exclusion is deleted: it exempts nothing.
		"vpc-c": {Read: true, Mode: network.BPABlockBidirectional},
	}
	for vpc, w := range want {
		if got := snaps[vpc].BlockPublicAccess; !reflect.DeepEqual(got, w) {
			t.Errorf("%s: BlockPublicAccess = %+v, want %+v", vpc, got, w)
		}
	}
	var stateFilter []string
	for _, fl := range f.lastExclusionFilters {
		if aws.ToString(fl.Name) == "state" {
			stateFilter = fl.Values
		}
	}
	if !slices.Equal(stateFilter, []string{"create-complete", "update-complete"}) {
		t.Errorf("exclusions listed with state filter %v", stateFilter)
	}
}

func TestReadAllListsNoExclusionsWhenBlockPublicAccessIsOff(t *testing.T) {
	f := &fakeEC2{bpaMode: types.InternetGatewayBlockModeOff}
	snaps, err := (&Reader{EC2: f}).ReadAll(t.Context(), []string{"vpc-a"})
	if err != nil {
		t.Fatal(err)
	}
	if got := snaps["vpc-a"].BlockPublicAccess; !reflect.DeepEqual(got, network.BlockPublicAccess{Read: true, Mode: network.BPAOff}) {
		t.Errorf("BlockPublicAccess = %+v", got)
	}
	if n := f.calls["DescribeVpcBlockPublicAccessExclusions"]; n != 0 {
		t.Errorf("exclusions listed %d times with BPA off", n)
	}
}

func TestReadAllWithoutBlockPublicAccessPermissionAssumesNothing(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."}
	for name, f := range map[string]*fakeEC2{
		"options denied":    {bpaErr: denied},
		"exclusions denied": {exclusionsErr: &smithy.GenericAPIError{Code: "AccessDenied"}},
	} {
		t.Run(name, func(t *testing.T) {
			snaps, err := (&Reader{EC2: f}).ReadAll(t.Context(), []string{"vpc-a"})
			if err != nil {
				t.Fatalf("ReadAll failed on a denied BPA read: %v", err)
			}
			s := snaps["vpc-a"]
			if !reflect.DeepEqual(s.BlockPublicAccess, network.BlockPublicAccess{}) {
				t.Errorf("BlockPublicAccess = %+v, want nothing read", s.BlockPublicAccess)
			}
			if len(s.Subnets) != 1 || len(s.NATGateways) == 0 {
				t.Errorf("the rest of the snapshot was not read: %+v", s)
			}
		})
	}
}

func TestReadAllFailsOnOtherBlockPublicAccessErrors(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "RequestLimitExceeded"}
	for name, f := range map[string]*fakeEC2{
		"options":    {bpaErr: throttled},
		"exclusions": {exclusionsErr: throttled},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := (&Reader{EC2: f}).ReadAll(t.Context(), []string{"vpc-a"})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "RequestLimitExceeded" {
				t.Errorf("err = %v, want the throttling error", err)
			}
		})
	}
}

// countingEC2 is the emulator's EC2 counting the account-level BPA reads.
type countingEC2 struct {
	*ec2.Client
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingEC2) note(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

func (c *countingEC2) DescribeVpcBlockPublicAccessOptions(ctx context.Context, in *ec2.DescribeVpcBlockPublicAccessOptionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcBlockPublicAccessOptionsOutput, error) {
	c.note("DescribeVpcBlockPublicAccessOptions")
	return c.Client.DescribeVpcBlockPublicAccessOptions(ctx, in, opts...)
}

func (c *countingEC2) DescribeVpcBlockPublicAccessExclusions(ctx context.Context, in *ec2.DescribeVpcBlockPublicAccessExclusionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcBlockPublicAccessExclusionsOutput, error) {
	c.note("DescribeVpcBlockPublicAccessExclusions")
	return c.Client.DescribeVpcBlockPublicAccessExclusions(ctx, in, opts...)
}

func TestReadRegionalNATsEncryptionAndS3EndpointsFromEC2(t *testing.T) {
	cfg := emulator.Shared(t).MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	vpc := s.VPC("10.50.0.0/16")
	priv := vpc.PrivateSubnets("10.50.10.0/24@a", "10.50.11.0/24@b")
	auto := vpc.RegionalNAT()
	manual := vpc.RegionalNAT("b")
	vpc.RouteToNAT(priv[0], auto)
	gateway := vpc.GatewayEndpoint("s3", priv.RouteTableIDs())
	inbound := vpc.InterfaceEndpoint("s3", priv, nil, scenario.InboundResolverOnlyDNS())
	control := vpc.EncryptionControl("enforce", network.ExclusionLambda)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	snap, err := (&Reader{EC2: ec2.NewFromConfig(cfg)}).Read(t.Context(), vpc.ID)
	if err != nil {
		t.Fatal(err)
	}

	nats := map[string]network.NATGateway{}
	for _, n := range snap.NATGateways {
		nats[n.ID] = n
	}
	if n := nats[auto.ID]; !n.Regional() || n.AutoProvisionZones != "enabled" || n.SubnetID != "" || !slices.Equal(n.Zones, []string{"us-east-1a", "us-east-1b"}) {
		t.Errorf("automatic regional NAT = %+v", n)
	}
	if n := nats[manual.ID]; !n.Regional() || n.AutoProvisionZones != "disabled" || !slices.Equal(n.Zones, []string{"us-east-1b"}) {
		t.Errorf("manual regional NAT = %+v", n)
	}
	rt, _ := snap.RouteTableOf(priv[0].ID)
	var toNAT, toGateway *network.Route
	for i, r := range rt.Routes {
		switch {
		case r.TargetID == auto.ID:
			toNAT = &rt.Routes[i]
		case r.TargetID == gateway.ID:
			toGateway = &rt.Routes[i]
		}
	}
	if toNAT == nil || !toNAT.Active || toNAT.TargetKind != network.TargetNATGateway {
		t.Errorf("route to the regional NAT = %+v", toNAT)
	}
	if toGateway == nil || toGateway.DestinationPrefixList == "" {
		t.Fatalf("routes of %s = %+v, want the gateway endpoint's prefix-list route", rt.ID, rt.Routes)
	}
	if cidrs := snap.PrefixLists[toGateway.DestinationPrefixList]; len(cidrs) == 0 || !slices.ContainsFunc(cidrs, netip.Prefix.IsValid) {
		t.Errorf("entries of %s = %v, want the S3 ranges", toGateway.DestinationPrefixList, cidrs)
	}

	for _, ep := range snap.Endpoints {
		if got, want := ep.PrivateDNSOnlyForInboundResolver, ep.ID == inbound.ID; got != want {
			t.Errorf("%s (%s): inbound-resolver-only DNS %v, want %v", ep.ID, ep.Type, got, want)
		}
	}
	ec := snap.VPC.EncryptionControl
	if ec.ID != control || ec.Mode != "enforce" || !maps.Equal(ec.Exclusions, map[string]string{network.ExclusionLambda: "enabled"}) {
		t.Errorf("encryption control = %+v", ec)
	}
	if bpa := snap.BlockPublicAccess; !bpa.Read || bpa.Mode != network.BPAOff {
		t.Errorf("BlockPublicAccess = %+v, want read and off", bpa)
	}
}

func TestReadAllReadsBlockPublicAccessOnceForAllVPCs(t *testing.T) {
	cfg := emulator.Shared(t).MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	first := s.VPC("10.51.0.0/16")
	second := s.VPC("10.52.0.0/16")
	subnets := second.PrivateSubnets("10.52.10.0/24@a", "10.52.11.0/24@b")
	s.BlockPublicAccess(network.BPABlockBidirectional)
	vpcExclusion := first.ExcludeFromBPA(network.BPAAllowEgress)
	subnetExclusion := second.ExcludeSubnetFromBPA(subnets[1], network.BPAAllowBidirectional)
	deleted := second.ExcludeFromBPA(network.BPAAllowBidirectional)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	client := &countingEC2{Client: ec2.NewFromConfig(cfg), calls: map[string]int{}}
	if _, err := client.DeleteVpcBlockPublicAccessExclusion(t.Context(), &ec2.DeleteVpcBlockPublicAccessExclusionInput{ExclusionId: aws.String(deleted)}); err != nil {
		t.Fatal(err)
	}

	snaps, err := (&Reader{EC2: client}).ReadAll(t.Context(), []string{first.ID, second.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]network.BlockPublicAccess{
		first.ID: {Read: true, Mode: network.BPABlockBidirectional, VPCExclusion: network.BPAAllowEgress,
			ExclusionIDs: map[string]string{first.ID: vpcExclusion}},
		// The VPC-wide exclusion of the second VPC was deleted.
		second.ID: {Read: true, Mode: network.BPABlockBidirectional, SubnetExclusions: map[string]string{subnets[1].ID: network.BPAAllowBidirectional},
			ExclusionIDs: map[string]string{subnets[1].ID: subnetExclusion}},
	}
	for id, w := range want {
		if got := snaps[id].BlockPublicAccess; !reflect.DeepEqual(got, w) {
			t.Errorf("%s: BlockPublicAccess = %+v, want %+v", id, got, w)
		}
	}
	if client.calls["DescribeVpcBlockPublicAccessOptions"] != 1 || client.calls["DescribeVpcBlockPublicAccessExclusions"] != 1 {
		t.Errorf("BPA calls = %v, want one of each for both VPCs", client.calls)
	}
}
