package remediate

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

func endpointGroupChange(cidrs ...string) plan.Change {
	return plan.Change{Action: plan.CreateSecurityGroup, Target: "vpc-1", VPCID: "vpc-1", GroupID: "sg-planned1", Port: 443, CIDRs: cidrs, CheckIDs: []string{"VM102"}}
}

func groupedEndpoint() plan.Change {
	return plan.Change{Action: plan.CreateInterfaceEndpoint, Target: "vpc-1", VPCID: "vpc-1", ServiceName: "com.amazonaws.us-east-1.sts",
		SubnetIDs: []string{"priv-a"}, GroupIDs: []string{"sg-planned1"}, PrivateDNS: true, EndpointID: "vpce-planned2"}
}

func TestEndpointGroup(t *testing.T) {
	t.Run("created tagged, admitting the VPC's blocks, then given to the endpoint", func(t *testing.T) {
		f := newFake()
		var created *ec2.CreateSecurityGroupInput
		var endpoint *ec2.CreateVpcEndpointInput
		var ingress *ec2.AuthorizeSecurityGroupIngressInput
		f.createSecurityGroup = func(in *ec2.CreateSecurityGroupInput) (*ec2.CreateSecurityGroupOutput, error) {
			created = in
			return &ec2.CreateSecurityGroupOutput{GroupId: aws.String("sg-0abc")}, nil
		}
		f.authorizeIngress = func(in *ec2.AuthorizeSecurityGroupIngressInput) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
			ingress = in
			return &ec2.AuthorizeSecurityGroupIngressOutput{}, nil
		}
		create := f.createVpcEndpoint
		f.createVpcEndpoint = func(in *ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error) {
			endpoint = in
			return create(in)
		}
		a, _ := applier(f)
		outcomes, err := a.Apply(context.Background(), Request{EventID: event}, []plan.Change{endpointGroupChange("10.0.0.0/16", "10.1.0.0/16"), groupedEndpoint()})
		if err != nil {
			t.Fatal(err)
		}
		if outcomes[0].Status != report.ChangeCreated || outcomes[0].ResourceID != "sg-0abc" {
			t.Errorf("group outcome %+v", outcomes[0])
		}
		if created == nil || created.TagSpecifications[0].ResourceType != types.ResourceTypeSecurityGroup ||
			tagValue(created.TagSpecifications[0].Tags, TagManaged) != "true" || tagValue(created.TagSpecifications[0].Tags, TagPurpose) != PurposeInterfaceEndpoints {
			t.Errorf("CreateSecurityGroup %+v: want the group tagged at creation", created)
		}
		var from []string
		for _, r := range ingress.IpPermissions[0].IpRanges {
			from = append(from, aws.ToString(r.CidrIp))
		}
		if aws.ToString(ingress.GroupId) != "sg-0abc" || aws.ToInt32(ingress.IpPermissions[0].FromPort) != 443 || !slices.Equal(from, []string{"10.0.0.0/16", "10.1.0.0/16"}) {
			t.Errorf("ingress %+v from %v", ingress, from)
		}
		if endpoint == nil || !slices.Equal(endpoint.SecurityGroupIds, []string{"sg-0abc"}) {
			t.Errorf("endpoint %+v, want group sg-0abc", endpoint)
		}
	})
	t.Run("the group vpcmedic made before is found by its tags, and only the missing block added", func(t *testing.T) {
		f := newFake()
		f.describeSecurityGroups = func(in *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
			if !matches(in.Filters, "tag:"+TagPurpose, PurposeInterfaceEndpoints) || !matches(in.Filters, "vpc-id", "vpc-1") {
				return &ec2.DescribeSecurityGroupsOutput{}, nil
			}
			return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []types.SecurityGroup{{GroupId: aws.String("sg-0old")}}}, nil
		}
		f.describeSecurityGroupRules = func(*ec2.DescribeSecurityGroupRulesInput) (*ec2.DescribeSecurityGroupRulesOutput, error) {
			return &ec2.DescribeSecurityGroupRulesOutput{SecurityGroupRules: []types.SecurityGroupRule{
				{GroupId: aws.String("sg-0old"), IsEgress: aws.Bool(false), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIpv4: aws.String("10.0.0.0/16")}}}, nil
		}
		var from []string
		f.authorizeIngress = func(in *ec2.AuthorizeSecurityGroupIngressInput) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
			for _, r := range in.IpPermissions[0].IpRanges {
				from = append(from, aws.ToString(r.CidrIp))
			}
			return &ec2.AuthorizeSecurityGroupIngressOutput{}, nil
		}
		a, _ := applier(f)
		outcomes, err := a.Apply(context.Background(), Request{EventID: event}, []plan.Change{endpointGroupChange("10.0.0.0/16", "10.1.0.0/16")})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(f.calls, "CreateSecurityGroup") {
			t.Errorf("calls %v: a second group", f.calls)
		}
		if outcomes[0].ResourceID != "sg-0old" || !slices.Equal(from, []string{"10.1.0.0/16"}) {
			t.Errorf("outcome %+v, ingress added from %v; want sg-0old and 10.1.0.0/16 alone", outcomes[0], from)
		}
	})
	t.Run("an endpoint whose planned group was not made is skipped", func(t *testing.T) {
		f := newFake()
		a, _ := applier(f)
		outcomes, _ := a.Apply(context.Background(), Request{EventID: event}, []plan.Change{groupedEndpoint()})
		if outcomes[0].Status != report.ChangeSkipped || slices.Contains(f.calls, "CreateVpcEndpoint") {
			t.Errorf("outcome %+v, calls %v", outcomes[0], f.calls)
		}
	})
}

func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}
