package trail

import (
	"slices"
	"strings"
	"testing"
)

func TestParseSourceChanges(t *testing.T) {
	const (
		broker  = "b-1234a5b6-78cd-901e-2fab-3c45d6e178f9"
		cluster = "arn:aws:rds:eu-west-1:123456789012:cluster:shop"
	)
	tests := []struct {
		name, source, eventName, req, resp string
		want                               SourceChange
		resources                          []Resource
		vpc                                string
	}{
		{
			"broker groups replaced", "aws.amazonmq", "UpdateBroker",
			`{"brokerId": "` + broker + `", "securityGroups": ["sg-0b"]}`, `{"brokerId": "` + broker + `", "securityGroups": ["sg-0b"]}`,
			SourceChange{BrokerID: broker, SecurityGroupIDs: []string{"sg-0b"}},
			[]Resource{{KindMQBroker, broker}, {KindSecurityGroup, "sg-0b"}}, "",
		},
		{
			"broker named only in the response", "aws.amazonmq", "UpdateBroker",
			`{"engineVersion": "5.18"}`, `{"brokerId": "` + broker + `"}`,
			SourceChange{BrokerID: broker},
			[]Resource{{KindMQBroker, broker}}, "",
		},
		{
			"cluster groups replaced, ARN from the response", "aws.rds", "ModifyDBCluster",
			`{"dBClusterIdentifier": "shop", "vpcSecurityGroupIds": ["sg-0c", "sg-0d"], "applyImmediately": false}`,
			`{"dBClusterIdentifier": "shop", "dBClusterArn": "arn:aws:rds:eu-west-1:123456789012:cluster:shop", "engine": "docdb"}`,
			SourceChange{ClusterARN: cluster, Engine: "docdb", SecurityGroupIDs: []string{"sg-0c", "sg-0d"}},
			[]Resource{{KindDBCluster, cluster}, {KindSecurityGroup, "sg-0c"}, {KindSecurityGroup, "sg-0d"}}, "",
		},
		{
			"cluster without a response: ARN built, identifier lowered", "aws.rds", "ModifyDBCluster",
			`{"dBClusterIdentifier": "Shop", "port": 27018}`, `null`,
			SourceChange{ClusterARN: cluster},
			[]Resource{{KindDBCluster, cluster}}, "",
		},
		{
			"subnet group changed", "aws.rds", "ModifyDBSubnetGroup",
			`{"dBSubnetGroupName": "shop-subnets", "subnetIds": ["subnet-0a", "subnet-0b"]}`,
			`{"dBSubnetGroupName": "shop-subnets", "vpcId": "vpc-0a", "subnetGroupStatus": "Complete"}`,
			SourceChange{SubnetGroup: "shop-subnets", SubnetIDs: []string{"subnet-0a", "subnet-0b"}},
			[]Resource{{KindDBSubnetGroup, "shop-subnets"}, {KindSubnet, "subnet-0a"}, {KindSubnet, "subnet-0b"}, {KindVPC, "vpc-0a"}}, "vpc-0a",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mustParse(t, apiCall(tt.source, tt.eventName, tt.req, tt.resp))
			c := tr.SourceChange
			if tr.Source != tt.source || tr.Action != tt.eventName || c == nil || tr.Kafka != nil {
				t.Fatalf("trigger %s %s, source change %+v, kafka %+v", tr.Source, tr.Action, c, tr.Kafka)
			}
			if c.BrokerID != tt.want.BrokerID || c.ClusterARN != tt.want.ClusterARN || c.SubnetGroup != tt.want.SubnetGroup ||
				c.Engine != tt.want.Engine || !slices.Equal(c.SecurityGroupIDs, tt.want.SecurityGroupIDs) || !slices.Equal(c.SubnetIDs, tt.want.SubnetIDs) {
				t.Errorf("source change %+v, want %+v", *c, tt.want)
			}
			if !slices.Equal(tr.Resources, tt.resources) {
				t.Errorf("resources %v, want %v", tr.Resources, tt.resources)
			}
			if tr.VPCID != tt.vpc {
				t.Errorf("VPC %q, want %q", tr.VPCID, tt.vpc)
			}
		})
	}
}

func TestClusterARNPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":     "arn:aws:rds:us-east-1:1:cluster:c",
		"cn-north-1":    "arn:aws-cn:rds:cn-north-1:1:cluster:c",
		"us-gov-west-1": "arn:aws-us-gov:rds:us-gov-west-1:1:cluster:c",
	} {
		if got := clusterARN(region, "1", "C"); got != want {
			t.Errorf("clusterARN(%s) = %s, want %s", region, got, want)
		}
	}
}

func TestParseSourceChangeRejects(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"broker update without a broker", string(apiCall("aws.amazonmq", "UpdateBroker", `{"securityGroups": ["sg-1"]}`, `null`)), "no brokerId"},
		{"cluster change without a cluster", string(apiCall("aws.rds", "ModifyDBCluster", `{"port": 27018}`, `null`)), "no dBClusterIdentifier"},
		{"subnet group change without a group", string(apiCall("aws.rds", "ModifyDBSubnetGroup", `{"subnetIds": ["subnet-1"]}`, `null`)), "no dBSubnetGroupName"},
		{"broker deletion, not watched", string(apiCall("aws.amazonmq", "DeleteBroker", `{"brokerId": "b-1"}`, `null`)), "unsupported aws.amazonmq event name"},
		{"instance change, not a cluster", string(apiCall("aws.rds", "ModifyDBInstance", `{"dBInstanceIdentifier": "db-1"}`, `null`)), "unsupported aws.rds event name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.raw))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

// A failed broker or cluster call changed nothing: skipped like any other.
func TestParseSkipsFailedSourceChanges(t *testing.T) {
	for _, raw := range [][]byte{
		apiCall("aws.amazonmq", "UpdateBroker", `{"brokerId": "b-1", "securityGroups": ["sg-1"]}`, `null`),
		apiCall("aws.rds", "ModifyDBCluster", `{"dBClusterIdentifier": "shop"}`, `null`),
		apiCall("aws.rds", "ModifyDBSubnetGroup", `{}`, `null`),
	} {
		raw = []byte(strings.Replace(string(raw), `"readOnly": false`, `"readOnly": false, "errorCode": "InvalidDBClusterStateFault"`, 1))
		if tr := mustParse(t, raw); !strings.Contains(tr.Skip, "InvalidDBClusterStateFault") {
			t.Errorf("%s: skip = %q, want the error code", tr.Action, tr.Skip)
		}
	}
}
