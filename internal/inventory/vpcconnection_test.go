package inventory

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kafka"
	kafkatypes "github.com/aws/aws-sdk-go-v2/service/kafka/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const connectionARN = "arn:aws:kafka:us-east-1:111122223333:vpc-connection/444455556666/payments/51jn98b4-0a61-46cc-b0a6-61g9a3d797d5-7"

// fakeConnections answers DescribeVpcConnection with out or err and counts
// the calls; the other MSK calls are not expected.
type fakeConnections struct {
	Kafka
	out   *kafka.DescribeVpcConnectionOutput
	err   error
	calls int
}

func (f *fakeConnections) DescribeVpcConnection(_ context.Context, in *kafka.DescribeVpcConnectionInput, _ ...func(*kafka.Options)) (*kafka.DescribeVpcConnectionOutput, error) {
	f.calls++
	if aws.ToString(in.Arn) != connectionARN {
		return nil, errors.New("unexpected ARN " + aws.ToString(in.Arn))
	}
	return f.out, f.err
}

func crossAccountMapping(uuid string) lambdatypes.EventSourceMappingConfiguration {
	return lambdatypes.EventSourceMappingConfiguration{
		UUID: aws.String(uuid), EventSourceArn: aws.String(connectionARN),
		FunctionArn: aws.String("arn:aws:lambda:us-east-1:111122223333:function:ledger"),
	}
}

func TestVPCConnectionOfACrossAccountMapping(t *testing.T) {
	cases := []struct {
		name    string
		fake    *fakeConnections
		want    workload.VPCConnection
		wantErr bool
	}{
		{name: "rejected", fake: &fakeConnections{out: &kafka.DescribeVpcConnectionOutput{
			VpcConnectionArn: aws.String(connectionARN), State: kafkatypes.VpcConnectionStateRejected,
			TargetClusterArn: aws.String("arn:aws:kafka:us-east-1:444455556666:cluster/payments/7d1c"),
			Authentication:   aws.String("SASL_IAM"), VpcId: aws.String("vpc-0c1"),
			Subnets: []string{"subnet-a"}, SecurityGroups: []string{"sg-1"},
		}}, want: workload.VPCConnection{
			ARN: connectionARN, State: "REJECTED", TargetClusterARN: "arn:aws:kafka:us-east-1:444455556666:cluster/payments/7d1c",
			Authentication: "SASL_IAM", VPCID: "vpc-0c1", SubnetIDs: []string{"subnet-a"}, SecurityGroupIDs: []string{"sg-1"},
		}},
		{name: "gone", fake: &fakeConnections{err: &kafkatypes.NotFoundException{Message: aws.String("no such connection")}},
			want: workload.VPCConnection{ARN: connectionARN, Missing: true}},
		{name: "refused", fake: &fakeConnections{err: &kafkatypes.ForbiddenException{Message: aws.String("not authorized")}},
			want: workload.VPCConnection{ARN: connectionARN, Unreadable: "ForbiddenException"}},
		{name: "denied by IAM", fake: &fakeConnections{err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "denied"}},
			want: workload.VPCConnection{ARN: connectionARN, Unreadable: "AccessDeniedException"}},
		{name: "throttled", fake: &fakeConnections{err: &kafkatypes.TooManyRequestsException{Message: aws.String("slow down")}}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reader{Kafka: tc.fake}
			w, err := r.kafkaWorkload(t.Context(), crossAccountMapping("e4a2c871"))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("workload %+v, want the error (a retry may help)", w)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Kafka.Source != workload.SourceMSKCrossAccount || w.Unresolved == "" {
				t.Errorf("source %s unresolved %q: want a cross-account mapping whose network is not visible", w.Kafka.Source, w.Unresolved)
			}
			got := w.Kafka.VPCConnection
			if got == nil {
				t.Fatal("connection not read")
			}
			if tc.want.Unreadable != "" {
				if !strings.Contains(got.Unreadable, tc.want.Unreadable) || !strings.Contains(got.Unreadable, "kafka:DescribeVpcConnection") {
					t.Errorf("unreadable %q, want the action and %s", got.Unreadable, tc.want.Unreadable)
				}
				got.Unreadable, tc.want.Unreadable = "", ""
			}
			if got.ARN != tc.want.ARN || got.State != tc.want.State || got.Missing != tc.want.Missing ||
				got.TargetClusterARN != tc.want.TargetClusterARN || got.Authentication != tc.want.Authentication ||
				got.VPCID != tc.want.VPCID || strings.Join(got.SubnetIDs, ",") != strings.Join(tc.want.SubnetIDs, ",") ||
				strings.Join(got.SecurityGroupIDs, ",") != strings.Join(tc.want.SecurityGroupIDs, ",") || got.Unreadable != "" {
				t.Errorf("connection %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestVPCConnectionIsReadOncePerScopedReader(t *testing.T) {
	fake := &fakeConnections{out: &kafka.DescribeVpcConnectionOutput{State: kafkatypes.VpcConnectionStateAvailable}}
	scoped := (&Reader{Kafka: fake}).Scoped()
	for _, uuid := range []string{"e4a2c871", "0b5d4f93"} {
		if _, err := scoped.kafkaWorkload(t.Context(), crossAccountMapping(uuid)); err != nil {
			t.Fatal(err)
		}
	}
	if fake.calls != 1 {
		t.Errorf("%d reads of one connection by one scoped reader, want 1", fake.calls)
	}
	// A new run reads it afresh: its state may have changed since.
	if _, err := scoped.Scoped().kafkaWorkload(t.Context(), crossAccountMapping("e4a2c871")); err != nil || fake.calls != 2 {
		t.Errorf("a new scope read it %d times in all (%v), want a fresh read", fake.calls, err)
	}
}
