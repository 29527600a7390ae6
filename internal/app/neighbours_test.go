package app_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/plan"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// stsAndSNS is what the neighbouring function's code calls.
const stsAndSNS = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/reports-reader"},{"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:lambda-test-topic"}]}`

// mskReader lets a mapping's role read its cluster with IAM authentication.
const mskReader = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka-cluster:Connect","kafka-cluster:DescribeGroup","kafka-cluster:AlterGroup","kafka-cluster:DescribeTopic","kafka-cluster:ReadData","kafka-cluster:DescribeClusterDynamicConfiguration"],"Resource":"*"}]}`

// A fix for one mapping creates private-DNS endpoints that take STS for the
// whole VPC: the function that reached STS through NAT keeps working, the
// second mapping of the VPC is fixed too, and the report lists it.
func TestRemediationKeepsTheVPCsOtherWorkloadsWorking(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	w := scenario.BrokenOnDemandMSK(s)
	// A NAT gateway in us-east-1a alone: the mapping, in both zones, gets
	// endpoints rather than routes.
	natSubnets := w.VPC.PrivateSubnets("10.0.20.0/24@a")
	w.VPC.NATPerAZ(w.Public, natSubnets)
	fn := s.Function("api", s.Role("api-exec", vpcAccess(), scenario.Inline(stsAndSNS)), scenario.InVPC(natSubnets, w.VPC.SecurityGroup("api-sg")))
	billingSG := w.VPC.SecurityGroup("billing-msk").IngressSelf(9098)
	billing := s.KafkaESM(s.Function("billing-consumer", s.Role("billing-consumer", scenario.ManagedPolicy("AWSLambdaMSKExecutionRole"), scenario.Inline(mskReader))),
		s.MSKCluster("billing", w.Private, billingSG, scenario.AuthIAM), "invoices")
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	remediating(t, srv)
	d := buildFromEnv(t, app.OnLambdaChange)

	rep := handle(t, d, mappingCreated(t, w.ESM))
	verdicts := map[string]report.Workload{}
	for _, got := range rep.Workloads {
		verdicts[got.ID] = got
	}
	if got := verdicts[w.ESM.UUID]; got.Before != report.StatusBroken || got.Status != report.StatusOK {
		t.Errorf("fixed mapping: %s -> %s, findings %+v, changes %+v", got.Before, got.Status, got.Findings, rep.Changes)
	}
	if got, ok := verdicts[billing.UUID]; !ok || got.Before != report.StatusBroken || got.Status != report.StatusOK {
		t.Errorf("second mapping of the VPC: listed %v, %s -> %s; want listed, broken -> ok", ok, got.Before, got.Status)
	}
	if _, ok := verdicts[fn.ARN]; ok {
		t.Errorf("the function's verdict did not change, yet it is listed")
	}
	for _, e := range liveEndpoints(t, srv, w.VPC.ID) {
		if len(e.Groups) != 1 || aws.ToString(e.Groups[0].GroupName) != plan.EndpointGroupName {
			t.Errorf("endpoint %s groups %+v, want only %s", aws.ToString(e.VpcEndpointId), e.Groups, plan.EndpointGroupName)
		}
	}

	// The function, checked after the fix, still reaches STS and SNS.
	after := handle(t, d, functionCreated(t, fn))
	if len(after.Workloads) != 1 || after.Workloads[0].Status != report.StatusOK {
		t.Fatalf("function after the fix: %+v", after.Workloads)
	}
	if len(after.Changes) != 0 {
		t.Errorf("changes for a function that is ok: %+v", after.Changes)
	}
}
