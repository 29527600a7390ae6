package check

import (
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const testConnection = "arn:aws:kafka:us-east-1:111122223333:vpc-connection/444455556666/payments/51jn98b4-0a61-46cc-b0a6-61g9a3d797d5-7"

func crossAccountESM(c *workload.VPCConnection) *workload.Workload {
	return &workload.Workload{
		Kind: workload.KindKafkaESM, ID: "e4a2c871", Name: "ledger <- MSK via VPC connection",
		FunctionARN: "arn:aws:lambda:us-east-1:111122223333:function:ledger",
		Unresolved:  "the event source is a managed VPC connection to a cluster in another account",
		Kafka: &workload.Kafka{
			Source: workload.SourceMSKCrossAccount, EventSourceARN: testConnection,
			Topics: []string{"payments.settled"}, VPCConnection: c,
		},
	}
}

func TestCrossAccountMappingVerdictFollowsItsVPCConnection(t *testing.T) {
	available := &workload.VPCConnection{ARN: testConnection, State: "AVAILABLE"}
	cases := []struct {
		name       string
		conn       *workload.VPCConnection
		wantSev    report.Severity
		unverified bool
		wantInMsg  []string
		wantInFix  []string
	}{
		{name: "not read", conn: nil, wantSev: report.SeverityInfo, unverified: true, wantInMsg: []string{"another account"}},
		{name: "available", conn: available, wantSev: report.SeverityInfo, unverified: true, wantInMsg: []string{"another account", "AVAILABLE"}},
		{name: "creating", conn: &workload.VPCConnection{ARN: testConnection, State: "CREATING"}, wantSev: report.SeverityInfo, unverified: true, wantInMsg: []string{"CREATING"}},
		{name: "unreadable", conn: &workload.VPCConnection{ARN: testConnection, Unreadable: "kafka:DescribeVpcConnection was refused (ForbiddenException)"},
			wantSev: report.SeverityInfo, unverified: true, wantInMsg: []string{"ForbiddenException"}},
		{name: "state unknown to the API reference", conn: &workload.VPCConnection{ARN: testConnection, State: "PAUSED"}, wantSev: report.SeverityInfo, unverified: true},
		{name: "rejected", conn: &workload.VPCConnection{
			ARN: testConnection, State: "REJECTED", TargetClusterARN: "arn:aws:kafka:us-east-1:444455556666:cluster/payments/7d1c",
			Authentication: "SASL_IAM", VPCID: "vpc-0c1", SubnetIDs: []string{"subnet-a", "subnet-b"}, SecurityGroupIDs: []string{"sg-1"},
		}, wantSev: report.SeverityError,
			wantInMsg: []string{"REJECTED", "rejected it", testConnection},
			wantInFix: []string{"account 444455556666", "aws kafka delete-vpc-connection --arn " + testConnection,
				"--target-cluster-arn arn:aws:kafka:us-east-1:444455556666:cluster/payments/7d1c --authentication SASL_IAM --vpc-id vpc-0c1 --client-subnets subnet-a subnet-b --security-groups sg-1",
				"aws lambda create-event-source-mapping --function-name arn:aws:lambda:us-east-1:111122223333:function:ledger", "--topics payments.settled"}},
		{name: "deleted", conn: &workload.VPCConnection{ARN: testConnection, Missing: true}, wantSev: report.SeverityError,
			wantInMsg: []string{"does not exist"}, wantInFix: []string{"create-vpc-connection --target-cluster-arn <cluster ARN>"}},
		{name: "failed", conn: &workload.VPCConnection{ARN: testConnection, State: "FAILED"}, wantSev: report.SeverityError, wantInMsg: []string{"FAILED"}},
		{name: "inactive", conn: &workload.VPCConnection{ARN: testConnection, State: "INACTIVE"}, wantSev: report.SeverityError, wantInMsg: []string{"INACTIVE"}},
		{name: "deleting", conn: &workload.VPCConnection{ARN: testConnection, State: "DELETING"}, wantSev: report.SeverityError, wantInMsg: []string{"DELETING"}},
		{name: "rejecting", conn: &workload.VPCConnection{ARN: testConnection, State: "REJECTING"}, wantSev: report.SeverityError, wantInMsg: []string{"REJECTING"}},
		{name: "deactivating", conn: &workload.VPCConnection{ARN: testConnection, State: "DEACTIVATING"}, wantSev: report.SeverityError, wantInMsg: []string{"DEACTIVATING"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			findings, _ := results(t, kafkaUnverifiable, &Target{Workload: crossAccountESM(tc.conn), Region: region})
			if len(findings) != 1 {
				t.Fatalf("findings %+v, want one", findings)
			}
			f := findings[0]
			if f.Severity != tc.wantSev || f.Unverified != tc.unverified {
				t.Errorf("severity %s unverified %v, want %s %v (%s)", f.Severity, f.Unverified, tc.wantSev, tc.unverified, f.Message)
			}
			if got := report.StatusOf(findings); tc.wantSev == report.SeverityError && got != report.StatusBroken || tc.unverified && got != report.StatusUnknown {
				t.Errorf("status %s for %s", got, f.Message)
			}
			for _, want := range tc.wantInMsg {
				if !strings.Contains(f.Message, want) {
					t.Errorf("message %q does not name %q", f.Message, want)
				}
			}
			for _, want := range tc.wantInFix {
				if !strings.Contains(f.Remediation, want) {
					t.Errorf("remediation %q lacks %q", f.Remediation, want)
				}
			}
			if tc.wantSev == report.SeverityInfo && f.Remediation != kafkaUnverifiable.Remediation {
				t.Errorf("remediation %q, want the check's own", f.Remediation)
			}
		})
	}
}

func TestConnectionOwnerIsNamedOnlyWhenTheARNNamesIt(t *testing.T) {
	for arn, want := range map[string]string{testConnection: "444455556666", "arn:aws:kafka:us-east-1:111122223333:cluster/payments/1": ""} {
		if got := connectionOwner(arn); got != want {
			t.Errorf("connectionOwner(%s) = %q, want %q", arn, got, want)
		}
	}
}

func TestDeletedConnectionIsNotDeletedAgain(t *testing.T) {
	findings, _ := results(t, kafkaUnverifiable, &Target{Workload: crossAccountESM(&workload.VPCConnection{ARN: testConnection, Missing: true}), Region: region})
	if len(findings) != 1 || strings.Contains(findings[0].Remediation, "delete-vpc-connection") {
		t.Errorf("findings %+v: a connection that is gone needs no delete", findings)
	}
}
