package topology

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// fakeEC2 answers every Describe with two pages and counts the calls; the
// resources of each page belong to the VPCs of the filter in turn.
type fakeEC2 struct {
	mu    sync.Mutex
	calls map[string]int
	// filterSizes records the number of vpc-id values per call.
	filterSizes []int
	missing     string
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
			out.Vpcs = append(out.Vpcs, types.Vpc{VpcId: aws.String(v), CidrBlock: aws.String("10.0.0.0/16"), DhcpOptionsId: aws.String("dopt-1")})
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
			Routes:       []types.Route{{DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String("nat-gone"), State: types.RouteStateActive}}})
	}
	return out, nil
}

func (f *fakeEC2) DescribeNatGateways(_ context.Context, in *ec2.DescribeNatGatewaysInput, _ ...func(*ec2.Options)) (*ec2.DescribeNatGatewaysOutput, error) {
	f.count("DescribeNatGateways", in.Filter)
	out := &ec2.DescribeNatGatewaysOutput{}
	out.NextToken, _ = page(in.NextToken, vpcsOf(in.Filter))
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
	out.NextToken, _ = page(in.NextToken, vpcsOf(in.Filters))
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
		if got := s.PrefixLists["pl-s3"]; len(got) != 1 {
			t.Errorf("%s: prefix list entries %v", v, got)
		}
		if s.RouteTables[0].Routes[0].Active {
			t.Errorf("%s: a route to a NAT gateway that does not exist is active", v)
		}
	}
	// Two pages per type for all three VPCs; attributes per VPC; one
	// prefix list read for every group that references it.
	want := map[string]int{
		"DescribeVpcs": 2, "DescribeSubnets": 2, "DescribeRouteTables": 2, "DescribeNatGateways": 2, "DescribeInternetGateways": 2,
		"DescribeVpcEndpoints": 2, "DescribeSecurityGroups": 2, "DescribeNetworkAcls": 2, "DescribeDhcpOptions": 1,
		"DescribeVpcAttribute": 6, "GetManagedPrefixListEntries": 1,
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
