package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// command is the AWS CLI command that makes a change by hand. Planned
// resources that do not exist yet are named by placeholders.
func command(region string, c Change) string {
	r := " --region " + region
	switch c.Action {
	case EnableVPCAttribute:
		return fmt.Sprintf("aws ec2 modify-vpc-attribute --vpc-id %s --%s '{\"Value\":true}'%s", c.VPCID, kebab(c.Attribute), r)
	case CreateSecurityGroup:
		perms := make([]string, len(c.CIDRs))
		for i, cidr := range c.CIDRs {
			perms[i] = "{CidrIp=" + cidr + "}"
		}
		return fmt.Sprintf("aws ec2 create-security-group --vpc-id %s --group-name %s --description 'TCP 443 from the VPC to interface endpoints' --tag-specifications 'ResourceType=security-group,Tags=[{Key=vpcmedic:managed,Value=true}]'%s && aws ec2 authorize-security-group-ingress --group-id %s --ip-permissions 'IpProtocol=tcp,FromPort=%d,ToPort=%d,IpRanges=[%s]'%s",
			c.VPCID, EndpointGroupName, r, c.GroupID, c.Port, c.Port, strings.Join(perms, ","), r)
	case CreateInterfaceEndpoint:
		cmd := fmt.Sprintf("aws ec2 create-vpc-endpoint --vpc-id %s --vpc-endpoint-type Interface --service-name %s --subnet-ids %s --security-group-ids %s --private-dns-enabled",
			c.VPCID, c.ServiceName, strings.Join(c.SubnetIDs, " "), strings.Join(c.GroupIDs, " "))
		if c.Policy != "" {
			cmd += " --policy-document '" + compactJSON(c.Policy) + "'"
		}
		return cmd + " --tag-specifications 'ResourceType=vpc-endpoint,Tags=[{Key=vpcmedic:managed,Value=true}]'" + r
	case CreateGatewayEndpoint:
		return fmt.Sprintf("aws ec2 create-vpc-endpoint --vpc-id %s --vpc-endpoint-type Gateway --service-name %s --route-table-ids %s --tag-specifications 'ResourceType=vpc-endpoint,Tags=[{Key=vpcmedic:managed,Value=true}]'%s",
			c.VPCID, c.ServiceName, strings.Join(c.RouteTableIDs, " "), r)
	case EnableEndpointDNS:
		return fmt.Sprintf("aws ec2 modify-vpc-endpoint --vpc-endpoint-id %s --private-dns-enabled%s", c.EndpointID, r)
	case AddEndpointSubnets:
		return fmt.Sprintf("aws ec2 modify-vpc-endpoint --vpc-endpoint-id %s --add-subnet-ids %s%s", c.EndpointID, strings.Join(c.SubnetIDs, " "), r)
	case AuthorizeIngress, AuthorizeEgress:
		return fmt.Sprintf("aws ec2 %s --group-id %s --ip-permissions 'IpProtocol=tcp,FromPort=%d,ToPort=%d,UserIdGroupPairs=[{GroupId=%s}]'%s",
			c.Action, c.GroupID, c.Port, c.Port, c.PeerGroupID, r)
	case AllocateAddress:
		return "aws ec2 allocate-address --domain vpc --tag-specifications 'ResourceType=elastic-ip,Tags=[{Key=vpcmedic:managed,Value=true}]'" + r
	case CreateNATGateway:
		return fmt.Sprintf("aws ec2 create-nat-gateway --subnet-id %s --allocation-id %s --connectivity-type public --tag-specifications 'ResourceType=natgateway,Tags=[{Key=vpcmedic:managed,Value=true}]'%s",
			c.SubnetIDs[0], c.AllocationID, r)
	case CreateRoute:
		return fmt.Sprintf("aws ec2 create-route --route-table-id %s --destination-cidr-block 0.0.0.0/0 --nat-gateway-id %s%s", c.RouteTableIDs[0], c.NATGatewayID, r)
	}
	return ""
}

func compactJSON(doc string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(doc)); err != nil {
		return doc
	}
	return b.String()
}

// kebab turns enableDnsSupport into enable-dns-support (the CLI's spelling).
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// EndpointGroupName is the name of the security group vpcmedic creates, once
// per VPC, for the interface endpoints it creates.
const EndpointGroupName = "vpcmedic-interface-endpoints"

// managedTag marks what vpcmedic created.
const managedTag = "vpcmedic:managed"
