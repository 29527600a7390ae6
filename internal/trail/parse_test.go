package trail

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// apiCall builds a CloudTrail event as EventBridge delivers it.
func apiCall(source, eventName, req, resp string) []byte {
	eventSource := strings.TrimPrefix(source, "aws.") + ".amazonaws.com"
	return fmt.Appendf(nil, `{
  "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "AWS API Call via CloudTrail", "source": %q,
  "account": "123456789012", "time": "2026-11-02T10:15:00Z", "region": "eu-west-1", "resources": [],
  "detail": {
    "eventVersion": "1.09", "eventID": "evt-1", "eventTime": "2026-11-02T10:15:00Z",
    "eventSource": %q, "eventName": %q, "awsRegion": "eu-west-1",
    "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice",
      "accountId": "123456789012",
      "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::123456789012:role/Admin"}}},
    "requestParameters": %s, "responseElements": %s, "readOnly": false
  }
}`, source, eventSource, eventName, req, resp)
}

func mustParse(t *testing.T, raw []byte) Trigger {
	t.Helper()
	tr, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tr
}

func TestParseEnvelope(t *testing.T) {
	tr := mustParse(t, apiCall("aws.ec2", "DeleteNatGateway", `{"DeleteNatGatewayRequest": {"NatGatewayId": "nat-0a"}}`, `null`))
	want := Trigger{EventID: "evt-1", Source: SourceEC2, EventName: "DeleteNatGateway", Action: "DeleteNatGateway", Account: "123456789012", Region: "eu-west-1"}
	got := Trigger{EventID: tr.EventID, Source: tr.Source, EventName: tr.EventName, Action: tr.Action, Account: tr.Account, Region: tr.Region}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("envelope = %+v, want %+v", got, want)
	}
	if tr.Time.IsZero() || tr.Time.Minute() != 15 {
		t.Errorf("time = %v", tr.Time)
	}
	if tr.Actor == nil || tr.Actor.RoleARN != "arn:aws:iam::123456789012:role/Admin" || tr.Actor.ARN != "arn:aws:sts::123456789012:assumed-role/Admin/alice" {
		t.Errorf("actor = %+v", tr.Actor)
	}
	if tr.Skip != "" {
		t.Errorf("skip = %q for a successful call", tr.Skip)
	}
}

func TestParseLambda(t *testing.T) {
	tests := []struct {
		name      string
		eventName string
		req, resp string
		check     func(t *testing.T, tr Trigger)
	}{{
		name:      "on-demand MSK mapping, keys in Lambda's lowered casing",
		eventName: "CreateEventSourceMapping20150331",
		req:       `{"eventSourceArn": "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/abc-1", "functionName": "consumer", "topics": ["orders"]}`,
		resp:      `{"uUID": "3f1c0d2e-1111-2222-3333-444455556666", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:consumer", "eventSourceArn": "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/abc-1", "state": "Creating", "lastModified": "May 9, 2024, 9:05:41 PM", "topics": ["orders"]}`,
		check: func(t *testing.T, tr Trigger) {
			if tr.Action != ActionCreateEventSourceMapping || tr.ESM == nil {
				t.Fatalf("action %q esm %+v", tr.Action, tr.ESM)
			}
			if tr.ESM.UUID != "3f1c0d2e-1111-2222-3333-444455556666" || tr.ESM.Provisioned != nil || tr.ESM.State != "Creating" {
				t.Errorf("esm = %+v", tr.ESM)
			}
			if got := tr.IDs(KindEventSource); !slices.Equal(got, []string{"arn:aws:kafka:eu-west-1:123456789012:cluster/orders/abc-1"}) {
				t.Errorf("event source = %v", got)
			}
		},
	}, {
		name:      "provisioned mode with numbers as strings and keys in another casing",
		eventName: "UpdateEventSourceMapping20150331",
		req:       `{"UUID": "u-2", "ProvisionedPollerConfig": {"MinimumPollers": "1", "MaximumPollers": 3}}`,
		resp:      `null`,
		check: func(t *testing.T, tr Trigger) {
			if tr.ESM.UUID != "u-2" || tr.ESM.Provisioned == nil || *tr.ESM.Provisioned != (PollerConfig{Minimum: 1, Maximum: 3}) {
				t.Errorf("esm = %+v provisioned %+v", tr.ESM, tr.ESM.Provisioned)
			}
		},
	}, {
		name:      "self-managed Kafka with both URI forms and a comma-separated server string",
		eventName: "CreateEventSourceMapping20150331",
		req: `{"functionName": "arn:aws:lambda:eu-west-1:123456789012:function:consumer:live",
		  "selfManagedEventSource": {"endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["b1.internal:9092,b2.internal:9092"]}},
		  "sourceAccessConfigurations": [{"type": "VPC_SUBNET", "uRI": "subnet:subnet-0a"}, {"type": "VPC_SUBNET", "uRI": "subnet-0b"},
		    {"type": "VPC_SECURITY_GROUP", "uRI": "sg-0c"}, {"type": "SASL_SCRAM_512_AUTH", "uRI": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka-AbC"}]}`,
		resp: `{"uUID": "u-3"}`,
		check: func(t *testing.T, tr Trigger) {
			if got := tr.IDs(KindSubnet); !slices.Equal(got, []string{"subnet-0a", "subnet-0b"}) {
				t.Errorf("subnets = %v", got)
			}
			if got := tr.IDs(KindSecurityGroup); !slices.Equal(got, []string{"sg-0c"}) {
				t.Errorf("groups = %v", got)
			}
			if !slices.Equal(tr.ESM.BootstrapServers, []string{"b1.internal:9092", "b2.internal:9092"}) {
				t.Errorf("servers = %v", tr.ESM.BootstrapServers)
			}
			if tr.ESM.FunctionARN != "arn:aws:lambda:eu-west-1:123456789012:function:consumer" {
				t.Errorf("function ARN keeps its qualifier: %s", tr.ESM.FunctionARN)
			}
			if len(tr.ESM.SourceAccess) != 4 || tr.ESM.SourceAccess[3].URI == "" {
				t.Errorf("source access = %+v", tr.ESM.SourceAccess)
			}
		},
	}, {
		name:      "delete names only the mapping",
		eventName: "DeleteEventSourceMapping20150331",
		req:       `{"uUID": "u-4"}`,
		resp:      `{"uUID": "u-4", "state": "Deleting"}`,
		check: func(t *testing.T, tr Trigger) {
			if tr.Action != ActionDeleteEventSourceMapping || tr.ESM.UUID != "u-4" {
				t.Errorf("trigger = %+v", tr)
			}
		},
	}, {
		name:      "function created in a VPC",
		eventName: "CreateFunction20150331",
		req:       `{"functionName": "api", "vpcConfig": {"subnetIds": ["subnet-1", "subnet-2"], "securityGroupIds": ["sg-1"], "ipv6AllowedForDualStack": false}}`,
		resp:      `{"functionName": "api", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:api", "vpcConfig": {"subnetIds": ["subnet-1", "subnet-2"], "securityGroupIds": ["sg-1"], "vpcId": "vpc-9"}}`,
		check: func(t *testing.T, tr Trigger) {
			f := tr.Function
			if f.Name != "api" || f.ARN != "arn:aws:lambda:eu-west-1:123456789012:function:api" || f.VPCConfig == nil {
				t.Fatalf("function = %+v", f)
			}
			if tr.VPCID != "vpc-9" || f.VPCConfig.Detached() || len(f.VPCConfig.SubnetIDs) != 2 {
				t.Errorf("vpc = %q config %+v", tr.VPCID, f.VPCConfig)
			}
		},
	}, {
		name:      "configuration update without vpcConfig leaves the VPC as it is",
		eventName: "UpdateFunctionConfiguration20150331v2",
		req:       `{"functionName": "api", "memorySize": 512}`,
		resp:      `{"functionName": "api", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:api:$LATEST"}`,
		check: func(t *testing.T, tr Trigger) {
			if tr.Function.VPCConfig != nil {
				t.Errorf("vpc config = %+v, want nil (unchanged)", tr.Function.VPCConfig)
			}
			if tr.Function.ARN != "arn:aws:lambda:eu-west-1:123456789012:function:api" {
				t.Errorf("arn = %s", tr.Function.ARN)
			}
		},
	}, {
		name:      "configuration update with empty lists detaches",
		eventName: "UpdateFunctionConfiguration20150331v2",
		req:       `{"functionName": "api", "vpcConfig": {"subnetIds": [], "securityGroupIds": []}}`,
		resp:      `null`,
		check: func(t *testing.T, tr Trigger) {
			if !tr.Function.VPCConfig.Detached() {
				t.Errorf("vpc config = %+v, want detached", tr.Function.VPCConfig)
			}
			if tr.Function.ARN != "arn:aws:lambda:eu-west-1:123456789012:function:api" {
				t.Errorf("arn built from name = %s", tr.Function.ARN)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustParse(t, apiCall("aws.lambda", tt.eventName, tt.req, tt.resp)))
		})
	}
}

func TestParseEC2(t *testing.T) {
	tests := []struct {
		name, eventName, req, resp string
		want                       []Resource
		check                      func(t *testing.T, tr Trigger)
	}{{
		name: "route to a NAT gateway", eventName: "CreateRoute",
		req:  `{"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}`,
		want: []Resource{{KindRouteTable, "rtb-1"}, {KindNATGateway, "nat-1"}},
		check: func(t *testing.T, tr Trigger) {
			if *tr.Route != (RouteChange{RouteTableID: "rtb-1", Destination: "0.0.0.0/0", TargetKind: "natGatewayId", TargetID: "nat-1"}) {
				t.Errorf("route = %+v", tr.Route)
			}
		},
	}, {
		name: "route replaced by one to an internet gateway", eventName: "ReplaceRoute",
		req:  `{"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}`,
		want: []Resource{{KindRouteTable, "rtb-1"}, {KindInternetGateway, "igw-1"}},
	}, {
		name: "local route reset to its default target", eventName: "ReplaceRoute",
		req:  `{"routeTableId": "rtb-1", "destinationCidrBlock": "10.0.0.0/16", "localTarget": true}`,
		want: []Resource{{KindRouteTable, "rtb-1"}},
		check: func(t *testing.T, tr Trigger) {
			if *tr.Route != (RouteChange{RouteTableID: "rtb-1", Destination: "10.0.0.0/16", TargetKind: "localTarget", TargetID: "local"}) {
				t.Errorf("route = %+v", tr.Route)
			}
		},
	}, {
		name: "local target as a string, wrapped request", eventName: "ReplaceRoute",
		req:  `{"ReplaceRouteRequest": {"RouteTableId": "rtb-1", "DestinationCidrBlock": "10.0.0.0/16", "LocalTarget": "true"}}`,
		want: []Resource{{KindRouteTable, "rtb-1"}},
		check: func(t *testing.T, tr Trigger) {
			if tr.Route.TargetID != "local" {
				t.Errorf("route = %+v", tr.Route)
			}
		},
	}, {
		name: "route to an Oracle Database@AWS network", eventName: "CreateRoute",
		req:  `{"routeTableId": "rtb-1", "destinationCidrBlock": "10.50.0.0/16", "odbNetworkArn": "arn:aws:odb:eu-west-1:123456789012:odb-network/odbnet_1"}`,
		want: []Resource{{KindRouteTable, "rtb-1"}, {KindRouteTarget, "arn:aws:odb:eu-west-1:123456789012:odb-network/odbnet_1"}},
		check: func(t *testing.T, tr Trigger) {
			if tr.Route.TargetKind != "odbNetworkArn" {
				t.Errorf("route = %+v", tr.Route)
			}
		},
	}, {
		name: "a false local target is no target", eventName: "DeleteRoute",
		req:  `{"routeTableId": "rtb-1", "destinationCidrBlock": "10.9.0.0/16", "localTarget": false}`,
		want: []Resource{{KindRouteTable, "rtb-1"}},
		check: func(t *testing.T, tr Trigger) {
			if tr.Route.TargetID != "" {
				t.Errorf("route = %+v", tr.Route)
			}
		},
	}, {
		name: "deleted route names no target", eventName: "DeleteRoute",
		req:  `{"routeTableId": "rtb-1", "destinationPrefixListId": "pl-63a5400a"}`,
		want: []Resource{{KindRouteTable, "rtb-1"}},
	}, {
		name: "association names only its ID", eventName: "DisassociateRouteTable",
		req:  `{"associationId": "rtbassoc-1"}`,
		want: []Resource{{KindRouteTableAssoc, "rtbassoc-1"}},
	}, {
		name: "route table associated with a subnet", eventName: "AssociateRouteTable",
		req: `{"routeTableId": "rtb-2", "subnetId": "subnet-2"}`, resp: `{"associationId": "rtbassoc-2"}`,
		want: []Resource{{KindRouteTable, "rtb-2"}, {KindSubnet, "subnet-2"}, {KindRouteTableAssoc, "rtbassoc-2"}},
	}, {
		name: "association replaced", eventName: "ReplaceRouteTableAssociation",
		req: `{"associationId": "rtbassoc-1", "routeTableId": "rtb-3"}`, resp: `{"newAssociationId": "rtbassoc-9"}`,
		want: []Resource{{KindRouteTableAssoc, "rtbassoc-1"}, {KindRouteTableAssoc, "rtbassoc-9"}, {KindRouteTable, "rtb-3"}},
	}, {
		name: "NAT gateway deleted (wrapped request)", eventName: "DeleteNatGateway",
		req:  `{"DeleteNatGatewayRequest": {"NatGatewayId": "nat-7"}}`,
		want: []Resource{{KindNATGateway, "nat-7"}},
	}, {
		name: "one endpoint deleted: a single member as an object", eventName: "DeleteVpcEndpoints",
		req:  `{"DeleteVpcEndpointsRequest": {"VpcEndpointId": {"tag": 1, "content": "vpce-1"}}}`,
		want: []Resource{{KindVPCEndpoint, "vpce-1"}},
	}, {
		name: "two endpoints deleted: members as an array", eventName: "DeleteVpcEndpoints",
		req:  `{"DeleteVpcEndpointsRequest": {"VpcEndpointId": [{"tag": 1, "content": "vpce-1"}, {"tag": 2, "content": "vpce-2"}]}}`,
		want: []Resource{{KindVPCEndpoint, "vpce-1"}, {KindVPCEndpoint, "vpce-2"}},
	}, {
		name: "endpoint created with private DNS", eventName: "CreateVpcEndpoint",
		req:  `{"CreateVpcEndpointRequest": {"VpcId": "vpc-1", "ServiceName": "com.amazonaws.eu-west-1.sts", "VpcEndpointType": "Interface", "PrivateDnsEnabled": true, "SubnetId": {"tag": 1, "content": "subnet-1"}, "SecurityGroupId": {"tag": 1, "content": "sg-1"}}}`,
		resp: `{"CreateVpcEndpointResponse": {"vpcEndpoint": {"vpcEndpointId": "vpce-3"}}}`,
		want: []Resource{{KindVPCEndpoint, "vpce-3"}, {KindVPC, "vpc-1"}, {KindSubnet, "subnet-1"}, {KindSecurityGroup, "sg-1"}},
		check: func(t *testing.T, tr Trigger) {
			if tr.VPCID != "vpc-1" || tr.Endpoint.ServiceName != "com.amazonaws.eu-west-1.sts" || tr.Endpoint.PrivateDNSEnabled == nil || !*tr.Endpoint.PrivateDNSEnabled {
				t.Errorf("endpoint = %+v vpc %q", tr.Endpoint, tr.VPCID)
			}
		},
	}, {
		name: "endpoint loses a subnet", eventName: "ModifyVpcEndpoint",
		req:  `{"ModifyVpcEndpointRequest": {"VpcEndpointId": "vpce-1", "RemoveSubnetId": {"tag": 1, "content": "subnet-1"}, "PrivateDnsEnabled": "false"}}`,
		want: []Resource{{KindVPCEndpoint, "vpce-1"}, {KindSubnet, "subnet-1"}},
		check: func(t *testing.T, tr Trigger) {
			if p := tr.Endpoint.PrivateDNSEnabled; p == nil || *p {
				t.Errorf("private DNS = %v, want false", p)
			}
		},
	}, {
		name: "egress 443 revoked, ports as strings", eventName: "RevokeSecurityGroupEgress",
		req:  `{"groupId": "sg-1", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": "443", "toPort": "443", "groups": {"items": [{"groupId": "sg-2"}]}, "ipRanges": {"items": [{"cidrIp": "10.0.0.0/16"}]}, "ipv6Ranges": {}, "prefixListIds": {"items": [{"prefixListId": "pl-1"}]}}]}}`,
		want: []Resource{{KindSecurityGroup, "sg-1"}, {KindSecurityGroup, "sg-2"}},
		check: func(t *testing.T, tr Trigger) {
			p := tr.Permissions[0]
			if p.Protocol != "tcp" || *p.FromPort != 443 || *p.ToPort != 443 || !slices.Equal(p.CIDRs, []string{"10.0.0.0/16"}) || !slices.Equal(p.PrefixListIDs, []string{"pl-1"}) {
				t.Errorf("permission = %+v", p)
			}
		},
	}, {
		name: "ingress revoked by rule ID", eventName: "RevokeSecurityGroupIngress",
		req:  `{"groupId": "sg-1", "securityGroupRuleIds": {"items": [{"securityGroupRuleId": "sgr-1"}]}}`,
		want: []Resource{{KindSecurityGroup, "sg-1"}, {KindSecurityGroupRule, "sgr-1"}},
	}, {
		name: "ingress revoked by group name (default VPC)", eventName: "RevokeSecurityGroupIngress",
		req:  `{"groupName": "legacy-web", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "groups": {}, "ipRanges": {"items": [{"cidrIp": "172.31.0.0/16"}]}}]}}`,
		want: []Resource{{KindSecurityGroupName, "legacy-web"}},
		check: func(t *testing.T, tr Trigger) {
			if len(tr.Permissions) != 1 || !slices.Equal(tr.Permissions[0].CIDRs, []string{"172.31.0.0/16"}) {
				t.Errorf("permissions = %+v", tr.Permissions)
			}
		},
	}, {
		name: "ingress revoked with the older top-level members", eventName: "RevokeSecurityGroupIngress",
		req:  `{"groupName": "legacy-web", "ipProtocol": "tcp", "fromPort": "22", "toPort": 22, "cidrIp": "203.0.113.0/24"}`,
		want: []Resource{{KindSecurityGroupName, "legacy-web"}},
		check: func(t *testing.T, tr Trigger) {
			p := tr.Permissions
			if len(p) != 1 || p[0].Protocol != "tcp" || *p[0].FromPort != 22 || *p[0].ToPort != 22 || !slices.Equal(p[0].CIDRs, []string{"203.0.113.0/24"}) {
				t.Errorf("permissions = %+v", p)
			}
		},
	}, {
		name: "group ID wins over its name", eventName: "RevokeSecurityGroupIngress",
		req:  `{"groupId": "sg-1", "groupName": "web", "securityGroupRuleIds": {"items": [{"securityGroupRuleId": "sgr-1"}]}}`,
		want: []Resource{{KindSecurityGroup, "sg-1"}, {KindSecurityGroupRule, "sgr-1"}},
	}, {
		name: "rules modified", eventName: "ModifySecurityGroupRules",
		req:  `{"ModifySecurityGroupRulesRequest": {"GroupId": "sg-1", "SecurityGroupRule": {"tag": 1, "SecurityGroupRuleId": "sgr-1", "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "ReferencedGroupId": "sg-5"}}}}`,
		want: []Resource{{KindSecurityGroup, "sg-1"}, {KindSecurityGroupRule, "sgr-1"}, {KindSecurityGroup, "sg-5"}},
	}, {
		name: "NACL entry with numbers as numbers", eventName: "CreateNetworkAclEntry",
		req:  `{"networkAclId": "acl-1", "ruleNumber": 90, "egress": true, "ruleAction": "deny", "aclProtocol": "6", "cidrBlock": "0.0.0.0/0", "portRange": {"from": 443, "to": 443}}`,
		want: []Resource{{KindNetworkACL, "acl-1"}},
		check: func(t *testing.T, tr Trigger) {
			e := tr.NACLEntry
			if e.RuleNumber != 90 || !e.Egress || e.Action != "deny" || e.Protocol != "6" || *e.FromPort != 443 || *e.ToPort != 443 {
				t.Errorf("entry = %+v", e)
			}
		},
	}, {
		name: "NACL entry deleted with numbers as strings", eventName: "DeleteNetworkAclEntry",
		req:  `{"networkAclId": "acl-1", "ruleNumber": "100", "egress": "false"}`,
		want: []Resource{{KindNetworkACL, "acl-1"}},
		check: func(t *testing.T, tr Trigger) {
			if tr.NACLEntry.RuleNumber != 100 || tr.NACLEntry.Egress {
				t.Errorf("entry = %+v", tr.NACLEntry)
			}
		},
	}, {
		name: "NACL association replaced", eventName: "ReplaceNetworkAclAssociation",
		req:  `{"associationId": "aclassoc-1", "networkAclId": "acl-2"}`,
		want: []Resource{{KindNetworkACLAssoc, "aclassoc-1"}, {KindNetworkACL, "acl-2"}},
	}, {
		name: "internet gateway detached", eventName: "DetachInternetGateway",
		req:  `{"internetGatewayId": "igw-1", "vpcId": "vpc-1"}`,
		want: []Resource{{KindInternetGateway, "igw-1"}, {KindVPC, "vpc-1"}},
	}, {
		name: "internet gateway deleted", eventName: "DeleteInternetGateway",
		req:  `{"internetGatewayId": "igw-1"}`,
		want: []Resource{{KindInternetGateway, "igw-1"}},
	}, {
		name: "VPC DNS support switched off", eventName: "ModifyVpcAttribute",
		req:  `{"vpcId": "vpc-1", "enableDnsSupport": {"value": false}}`,
		want: []Resource{{KindVPC, "vpc-1"}},
		check: func(t *testing.T, tr Trigger) {
			if *tr.VPCAttribute != (VPCAttributeChange{Name: "enableDnsSupport", Value: false}) || tr.VPCID != "vpc-1" {
				t.Errorf("attribute = %+v", tr.VPCAttribute)
			}
		},
	}, {
		name: "VPC DNS hostnames with a capitalised value key", eventName: "ModifyVpcAttribute",
		req:  `{"vpcId": "vpc-1", "enableDnsHostnames": {"Value": "true"}}`,
		want: []Resource{{KindVPC, "vpc-1"}},
		check: func(t *testing.T, tr Trigger) {
			if *tr.VPCAttribute != (VPCAttributeChange{Name: "enableDnsHostnames", Value: true}) {
				t.Errorf("attribute = %+v", tr.VPCAttribute)
			}
		},
	}, {
		name: "egress-only internet gateway deleted", eventName: "DeleteEgressOnlyInternetGateway",
		req:  `{"DeleteEgressOnlyInternetGatewayRequest": {"EgressOnlyInternetGatewayId": "eigw-1"}}`,
		resp: `{"DeleteEgressOnlyInternetGatewayResponse": {"returnCode": true}}`,
		want: []Resource{{KindEgressOnlyIGW, "eigw-1"}},
		check: func(t *testing.T, tr Trigger) {
			if !strings.Contains(tr.AllVPCs, "eigw-1") || tr.VPCID != "" {
				t.Errorf("all VPCs %q, VPC %q", tr.AllVPCs, tr.VPCID)
			}
		},
	}, {
		name: "Block Public Access turned on for the account", eventName: "ModifyVpcBlockPublicAccessOptions",
		req:  `{"ModifyVpcBlockPublicAccessOptionsRequest": {"InternetGatewayBlockMode": "block-bidirectional"}}`,
		want: []Resource{},
		check: func(t *testing.T, tr Trigger) {
			if tr.BlockPublicAccess == nil || tr.BlockPublicAccess.Mode != "block-bidirectional" || !strings.Contains(tr.AllVPCs, "account-wide") {
				t.Errorf("change %+v, all VPCs %q", tr.BlockPublicAccess, tr.AllVPCs)
			}
		},
	}, {
		name: "exclusion created for a subnet, lower-camel request", eventName: "CreateVpcBlockPublicAccessExclusion",
		req:  `{"subnetId": "subnet-1", "internetGatewayExclusionMode": "allow-egress"}`,
		resp: `{"vpcBlockPublicAccessExclusion": {"exclusionId": "exclusion-1", "resourceArn": "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-1"}}`,
		want: []Resource{{KindBPAExclusion, "exclusion-1"}, {KindSubnet, "subnet-1"}},
		check: func(t *testing.T, tr Trigger) {
			if c := tr.BlockPublicAccess; c.ExclusionMode != "allow-egress" || tr.AllVPCs != "" {
				t.Errorf("change %+v, all VPCs %q", c, tr.AllVPCs)
			}
		},
	}, {
		name: "exclusion modified: its VPC from the response", eventName: "ModifyVpcBlockPublicAccessExclusion",
		req:  `{"ModifyVpcBlockPublicAccessExclusionRequest": {"ExclusionId": "exclusion-1", "InternetGatewayExclusionMode": "allow-bidirectional"}}`,
		resp: `{"ModifyVpcBlockPublicAccessExclusionResponse": {"vpcBlockPublicAccessExclusion": {"exclusionId": "exclusion-1", "resourceArn": "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-1"}}}`,
		want: []Resource{{KindBPAExclusion, "exclusion-1"}, {KindVPC, "vpc-1"}},
		check: func(t *testing.T, tr Trigger) {
			if tr.VPCID != "vpc-1" || tr.AllVPCs != "" {
				t.Errorf("VPC %q, all VPCs %q", tr.VPCID, tr.AllVPCs)
			}
		},
	}, {
		name: "exclusion deleted without its resource in the response", eventName: "DeleteVpcBlockPublicAccessExclusion",
		req:  `{"DeleteVpcBlockPublicAccessExclusionRequest": {"ExclusionId": "exclusion-2"}}`,
		resp: `{"DeleteVpcBlockPublicAccessExclusionResponse": {"requestId": "r-1"}}`,
		want: []Resource{{KindBPAExclusion, "exclusion-2"}},
		check: func(t *testing.T, tr Trigger) {
			if !strings.Contains(tr.AllVPCs, "exclusion-2") {
				t.Errorf("all VPCs %q, want the exclusion named as the reason", tr.AllVPCs)
			}
		},
	}, {
		name: "DHCP options replaced", eventName: "AssociateDhcpOptions",
		req:  `{"dhcpOptionsId": "dopt-1", "vpcId": "vpc-1"}`,
		want: []Resource{{KindVPC, "vpc-1"}, {KindDHCPOptions, "dopt-1"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.resp
			if resp == "" {
				resp = "null"
			}
			tr := mustParse(t, apiCall("aws.ec2", tt.eventName, tt.req, resp))
			if !reflect.DeepEqual(tr.Resources, tt.want) {
				t.Errorf("resources = %v, want %v", tr.Resources, tt.want)
			}
			if tt.check != nil {
				tt.check(t, tr)
			}
		})
	}
}

func TestParseKafka(t *testing.T) {
	const (
		cluster = "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/abc-1"
		conn    = "arn:aws:kafka:eu-west-1:123456789012:vpc-connection/210987654321/orders/def-2"
	)
	tests := []struct {
		name, eventName, req, resp string
		want                       KafkaChange
	}{
		{"security updated", "UpdateSecurity", `{"clusterArn": "` + cluster + `", "currentVersion": "K1", "clientAuthentication": {"sasl": {"iam": {"enabled": true}}}}`, `{"clusterArn": "` + cluster + `"}`, KafkaChange{ClusterARN: cluster}},
		{"connectivity updated, cluster only in the response", "UpdateConnectivity", `{"currentVersion": "K1"}`, `{"clusterArn": "` + cluster + `", "clusterOperationArn": "x"}`, KafkaChange{ClusterARN: cluster}},
		{"VPC connection deleted by the client account", "DeleteVpcConnection", `{"arn": "` + conn + `"}`, `{"vpcConnectionArn": "` + conn + `", "state": "DELETING"}`, KafkaChange{VPCConnectionARN: conn}},
		{"client connection rejected by the cluster's account", "RejectClientVpcConnection", `{"clusterArn": "` + cluster + `", "vpcConnectionArn": "` + conn + `"}`, `null`, KafkaChange{ClusterARN: cluster, VPCConnectionARN: conn}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mustParse(t, apiCall("aws.kafka", tt.eventName, tt.req, tt.resp))
			if tr.Source != SourceKafka || tr.Action != tt.eventName || tr.Kafka == nil || *tr.Kafka != tt.want {
				t.Fatalf("trigger %s %s, kafka %+v, want %+v", tr.Source, tr.Action, tr.Kafka, tt.want)
			}
			want := tt.want.VPCConnectionARN
			if want == "" {
				want = cluster
			}
			if got := tr.Kafka.EventSourceARN(); got != want {
				t.Errorf("event source ARN = %s, want %s", got, want)
			}
		})
	}
}

func TestParseSkipsFailedCalls(t *testing.T) {
	raw := apiCall("aws.ec2", "DeleteNatGateway", `{"DeleteNatGatewayRequest": {"NatGatewayId": "nat-1"}}`, `null`)
	raw = []byte(strings.Replace(string(raw), `"readOnly": false`, `"readOnly": false, "errorCode": "Client.UnauthorizedOperation", "errorMessage": "You are not authorized"`, 1))
	tr := mustParse(t, raw)
	if tr.Skip == "" || !strings.Contains(tr.Skip, "Client.UnauthorizedOperation") {
		t.Errorf("skip = %q, want the error code", tr.Skip)
	}
	// A failed call may lack what a successful one must carry: still a skip.
	raw = apiCall("aws.lambda", "CreateEventSourceMapping20150331", `{"functionName": "f"}`, `null`)
	raw = []byte(strings.Replace(string(raw), `"readOnly": false`, `"errorCode": "AccessDenied"`, 1))
	if tr := mustParse(t, raw); tr.Skip == "" {
		t.Error("failed call without a UUID was not skipped")
	}
	for name, raw := range samples(t, "unmatched") {
		if strings.HasPrefix(name, "UpdateSecurity-") || strings.HasPrefix(name, "ModifyVpcBlockPublicAccessOptions-") {
			if tr := mustParse(t, raw); !strings.Contains(tr.Skip, "the call failed with "+tr.ErrorCode) || tr.ErrorCode == "" {
				t.Errorf("%s: skip = %q, want the error code", name, tr.Skip)
			}
		}
	}
}

func TestParseScheduled(t *testing.T) {
	tr := mustParse(t, []byte(`{"version":"0","id":"s-1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-02T10:00:00Z","region":"eu-west-1","resources":["arn:aws:events:eu-west-1:123456789012:rule/sweep"],"detail":{}}`))
	if tr.Action != ActionSweep || tr.EventID != "s-1" || tr.Source != SourceSchedule {
		t.Errorf("trigger = %+v", tr)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"empty input", ``, "empty input"},
		{"not JSON", `{"detail-type": `, "not valid JSON"},
		{"an array", `[1, 2]`, "not a JSON object"},
		{"two values", `{} {}`, "trailing data"},
		{"no detail-type", `{"source": "aws.ec2"}`, "no detail-type"},
		{"unknown detail-type", `{"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}}`, `unsupported detail-type "EC2 Instance State-change Notification"`},
		{"bad time", `{"detail-type": "Scheduled Event", "source": "aws.events", "time": "yesterday"}`, `time "yesterday"`},
		{"detail not an object", `{"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": "x"}`, "detail is missing"},
		{"no event name", `{"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": {"eventID": "e-9"}}`, "event e-9: detail.eventName is missing"},
		{"unknown EC2 call", string(apiCall("aws.ec2", "RunInstances", `{}`, `null`)), "event RunInstances evt-1: unsupported aws.ec2 event name"},
		{"prefix trap", string(apiCall("aws.lambda", "CreateFunctionUrlConfig20211031", `{"functionName": "f"}`, `null`)), "unsupported aws.lambda event name"},
		{"unknown source", string(apiCall("aws.iam", "AttachRolePolicy", `{}`, `null`)), `unsupported source "aws.iam"`},
		{"route without table", string(apiCall("aws.ec2", "CreateRoute", `{"destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}`, `null`)), "requestParameters has no routeTableId"},
		{"route without target", string(apiCall("aws.ec2", "CreateRoute", `{"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0"}`, `null`)), "names no route target"},
		{"NAT delete without an ID", string(apiCall("aws.ec2", "DeleteNatGateway", `{"DeleteNatGatewayRequest": {}}`, `null`)), "requestParameters has no NatGatewayId"},
		{"endpoints delete with null parameters", string(apiCall("aws.ec2", "DeleteVpcEndpoints", `null`, `null`)), "requestParameters has no VpcEndpointId"},
		{"mapping without UUID", string(apiCall("aws.lambda", "UpdateEventSourceMapping20150331", `{"batchSize": 10}`, `null`)), "no uUID"},
		{"function without a name", string(apiCall("aws.lambda", "CreateFunction20150331", `{}`, `{}`)), "no functionName"},
		{"NACL rule number not a number", string(apiCall("aws.ec2", "DeleteNetworkAclEntry", `{"networkAclId": "acl-1", "ruleNumber": "first"}`, `null`)), "ruleNumber"},
		{"revoke naming no group", string(apiCall("aws.ec2", "RevokeSecurityGroupIngress", `{"ipPermissions": {"items": [{"ipProtocol": "-1"}]}}`, `null`)), "no groupId or groupName"},
		{"egress revoke by name, which EC2 does not take", string(apiCall("aws.ec2", "RevokeSecurityGroupEgress", `{"groupName": "web", "ipPermissions": {"items": [{"ipProtocol": "-1"}]}}`, `null`)), "no groupId"},
		{"exclusion created for nothing", string(apiCall("aws.ec2", "CreateVpcBlockPublicAccessExclusion", `{"CreateVpcBlockPublicAccessExclusionRequest": {"InternetGatewayExclusionMode": "allow-egress"}}`, `null`)), "no VpcId or SubnetId"},
		{"exclusion deleted without its ID", string(apiCall("aws.ec2", "DeleteVpcBlockPublicAccessExclusion", `{"DeleteVpcBlockPublicAccessExclusionRequest": {}}`, `null`)), "no ExclusionId"},
		{"egress-only gateway delete without an ID", string(apiCall("aws.ec2", "DeleteEgressOnlyInternetGateway", `{}`, `null`)), "no EgressOnlyInternetGatewayId"},
		{"MSK cluster change without a cluster", string(apiCall("aws.kafka", "UpdateSecurity", `{"currentVersion": "K1"}`, `null`)), "no clusterArn"},
		{"MSK cluster ARN that is not one", string(apiCall("aws.kafka", "UpdateConnectivity", `{"clusterArn": "orders"}`, `null`)), "not an MSK cluster ARN"},
		{"VPC connection delete naming a cluster", string(apiCall("aws.kafka", "DeleteVpcConnection", `{"arn": "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/abc-1"}`, `null`)), "no arn of a VPC connection"},
		{"unknown MSK call", string(apiCall("aws.kafka", "UpdateBrokerCount", `{"clusterArn": "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/abc-1"}`, `null`)), "unsupported aws.kafka event name"},
		{"VPC attribute not about DNS", string(apiCall("aws.ec2", "ModifyVpcAttribute", `{"vpcId": "vpc-1"}`, `null`)), "enableDnsSupport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.raw))
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v, want a *trail.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestActionOf(t *testing.T) {
	for in, want := range map[string]string{
		"CreateEventSourceMapping20150331":      "CreateEventSourceMapping",
		"UpdateFunctionConfiguration20150331v2": "UpdateFunctionConfiguration",
		"CreateFunctionUrlConfig20211031":       "CreateFunctionUrlConfig",
		"DeleteRoute":                           "DeleteRoute",
	} {
		if got := ActionOf(in); got != want {
			t.Errorf("ActionOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestActorMadeBy(t *testing.T) {
	role := &Actor{ARN: "arn:aws:sts::123456789012:assumed-role/vpcmedic-OnNetworkChange-1/vpcmedic-OnNetworkChange-1", RoleARN: "arn:aws:iam::123456789012:role/service/vpcmedic-OnNetworkChange-1"}
	tests := []struct {
		name   string
		actor  *Actor
		caller string
		want   bool
	}{
		{"another session of the same role", role, "arn:aws:sts::123456789012:assumed-role/vpcmedic-OnNetworkChange-1/other-session", true},
		{"the role ARN with a path", &Actor{RoleARN: role.RoleARN}, "arn:aws:sts::123456789012:assumed-role/vpcmedic-OnNetworkChange-1/s", true},
		{"another role", role, "arn:aws:sts::123456789012:assumed-role/Admin/alice", false},
		{"same role name in another account", role, "arn:aws:sts::210987654321:assumed-role/vpcmedic-OnNetworkChange-1/s", false},
		{"the same user", &Actor{ARN: "arn:aws:iam::123456789012:user/ops/bob"}, "arn:aws:iam::123456789012:user/ops/bob", true},
		{"a user named like the role", &Actor{ARN: "arn:aws:iam::123456789012:user/vpcmedic-OnNetworkChange-1"}, "arn:aws:sts::123456789012:assumed-role/vpcmedic-OnNetworkChange-1/s", false},
		{"no actor", nil, "arn:aws:sts::123456789012:assumed-role/x/s", false},
		{"unknown caller", role, "", false},
		{"an AWS service", &Actor{Type: "AWSService", InvokedBy: "lambda.amazonaws.com"}, "arn:aws:sts::123456789012:assumed-role/x/s", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.actor.MadeBy(tt.caller); got != tt.want {
				t.Errorf("MadeBy = %v, want %v", got, tt.want)
			}
		})
	}
}
