package app_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// Network changes made by someone else, end to end: a network is seeded in
// the emulator, the change is made with the EC2 API, and on-network-change
// handles the CloudTrail event of that change (a sample of events/ pointed
// at the seeded resources), with on-call listening on the alert topic.

// Identifiers in the samples of events/on-network-change/.
const (
	sampleEndpointA = "vpce-05a1e9c3d7b2f4860"
	sampleEndpointB = "vpce-0e4c8a2f6d1b39572"
	sampleSweepID   = "f6e5a472-0d54-59ec-b465-37ad1addd665"
	// sampleEngineer made every change of the samples.
	sampleEngineer = "arn:aws:sts::123456789012:assumed-role/PlatformEngineer/dana.kim"
)

// brokenFunction is a VPC function in a VPC of its own that is broken: its
// role allows sns:Publish, and no NAT gateway or endpoint leads to SNS.
type brokenFunction struct {
	VPC     *scenario.VPC
	Private scenario.Subnets
	SG      *scenario.SG
	Fn      *scenario.Function
}

// bystander seeds a brokenFunction: a run that checks it pages about it, so
// a change in another VPC must leave it out.
func bystander(s *scenario.Scenario) brokenFunction {
	var b brokenFunction
	b.VPC = s.VPC("10.9.0.0/16")
	b.Private = b.VPC.PrivateSubnets("10.9.10.0/24@a", "10.9.11.0/24@b")
	b.SG = b.VPC.SecurityGroup("billing-api")
	role := s.Role("billing-api-execution", vpcAccess(), scenario.Inline(snsPublish))
	b.Fn = s.Function("billing-api", role, scenario.InVPC(b.Private, b.SG))
	return b
}

// alertingOnNetworkChange builds on-network-change against the emulator with
// an on-call topic and no alert memory.
func alertingOnNetworkChange(t *testing.T, srv *emulator.Server) (*runner.Deps, *oncall) {
	t.Helper()
	oc := newOncall(t, srv)
	useEmulatorEnv(t, srv)
	t.Setenv("ALERT_TOPIC_ARN", oc.TopicARN)
	return buildFromEnv(t, app.OnNetworkChange), oc
}

// createAlertStateTable creates the alert memory's table as the template
// does (a string hash key "pk", on-demand) and returns its name.
func createAlertStateTable(t *testing.T, cfg aws.Config) string {
	t.Helper()
	const name = "vpcmedic-state"
	if _, err := dynamodb.NewFromConfig(cfg).CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName: aws.String(name), BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	return name
}

// wantQuiet checks that a run found nothing broken and paged nobody.
func wantQuiet(t *testing.T, name string, rep report.Report, oc *oncall) {
	t.Helper()
	for _, w := range rep.Workloads {
		if w.Status != report.StatusOK {
			t.Errorf("%s: %s %s is %s, want ok; findings %+v", name, w.Kind, w.Name, w.Status, w.Findings)
		}
	}
	if rep.Alert != nil {
		t.Errorf("%s: alert %q sent", name, rep.Alert.Subject)
	}
	if got := oc.received(t); len(got) != 0 {
		t.Errorf("%s: on-call received %d alerts: %+v", name, len(got), got)
	}
}

// oneAlert checks that on-call received exactly the alert the report says
// was sent, and returns it.
func oneAlert(t *testing.T, rep report.Report, oc *oncall) notification {
	t.Helper()
	got := oc.received(t)
	if rep.Alert == nil || len(got) != 1 {
		t.Fatalf("report alert %+v, on-call received %d alerts %+v; want exactly one", rep.Alert, len(got), got)
	}
	if got[0].Subject != rep.Alert.Subject {
		t.Errorf("on-call subject %q, report says %q", got[0].Subject, rep.Alert.Subject)
	}
	return got[0]
}

// wantBody checks that an alert body contains every fragment and none of
// the forbidden ones.
func wantBody(t *testing.T, body string, contains []string, lacks ...string) {
	t.Helper()
	for _, want := range contains {
		if !strings.Contains(body, want) {
			t.Errorf("alert body lacks %q:\n%s", want, body)
		}
	}
	for _, unwanted := range lacks {
		if strings.Contains(body, unwanted) {
			t.Errorf("alert body contains %q:\n%s", unwanted, body)
		}
	}
}

// summary is the part of an alert body before its JSON report, which
// repeats every identifier read.
func summary(body string) string {
	text, _, _ := strings.Cut(body, "----- JSON report -----")
	return text
}

func TestNATGatewayDeletedUnderAHealthyMappingBreaksItInThatZoneOnly(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	w := scenario.HealthyOnDemandMSK(s)
	other := bystander(s).Fn
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	d, oc := alertingOnNetworkChange(t, srv)
	nat := w.NATs[0]

	s.DeleteNAT(nat)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	rep := handle(t, d, sample(t, "on-network-change/DeleteNatGateway-az-a.json", sampleNAT, nat.ID))

	// Not the broken function of the other VPC.
	wantWorkloads(t, rep, esm(w.ESM.UUID, w.VPC.ID))
	// Only the zone of the deleted gateway, whose route to it is now a
	// blackhole: the other zone has its own gateway.
	wantDiagnosis(t, rep, w.ESM.UUID, report.StatusBroken,
		unreachable(scenario.Subnets{w.Private.InAZ(nat.AZ)}, lambdaAndSTS, nat.ID))

	alert := oneAlert(t, rep, oc)
	if !strings.Contains(alert.Subject, "BROKEN") || !strings.Contains(alert.Subject, "orders-consumer") || strings.Contains(alert.Subject, other.Name) {
		t.Errorf("subject %q, want the mapping broken and nothing else", alert.Subject)
	}
	text := summary(alert.Message)
	wantBody(t, text, []string{
		"Cause: DeleteNatGateway " + nat.ID + " by " + sampleEngineer,
		"BROKEN: kafka-esm orders-consumer <- MSK orders (" + w.ESM.UUID + ")",
		"- lambda (service-path) in " + nat.AZ + "\n",
		"- sts (service-path) in " + nat.AZ + "\n",
	}, other.Name)
	for _, sn := range w.Private {
		if sn.AZ != nat.AZ && strings.Contains(text, "(service-path) in "+sn.AZ) {
			t.Errorf("the alert says zone %s is broken, which keeps its NAT gateway:\n%s", sn.AZ, text)
		}
	}
}

func TestSTSEndpointDeletedBreaksTheMappingOnSTS(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	// No NAT gateway: the mapping reaches Lambda and STS only through the
	// endpoints of the AWS documentation's set-up.
	w := scenario.BrokenOnDemandMSK(s)
	_, stsEndpoint := docsEndpoints(w)
	// An endpoint that no workload needs, deleted in the same call.
	snsEndpoint := w.VPC.InterfaceEndpoint("sns", w.Private, w.ClusterSG)
	other := bystander(s).Fn
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	d, oc := alertingOnNetworkChange(t, srv)

	if _, err := ec2.NewFromConfig(cfg).DeleteVpcEndpoints(t.Context(), &ec2.DeleteVpcEndpointsInput{
		VpcEndpointIds: []string{stsEndpoint.ID, snsEndpoint.ID},
	}); err != nil {
		t.Fatal(err)
	}
	// vpcmedic finds the VPC of an endpoint with this filter, which AWS
	// answers for deleted endpoints too.
	if _, err := ec2.NewFromConfig(cfg).DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-endpoint-id"), Values: []string{stsEndpoint.ID}}},
	}); err != nil {
		t.Fatalf("the emulator does not answer DescribeVpcEndpoints filtered by vpc-endpoint-id, as AWS does: %v", err)
	}
	// The array form: several endpoints deleted in one call.
	rep := handle(t, d, sample(t, "on-network-change/DeleteVpcEndpoints-multiple.json",
		sampleEndpointA, stsEndpoint.ID, sampleEndpointB, snsEndpoint.ID))

	if ids := rep.Trigger.IDs(trail.KindVPCEndpoint); !slices.Equal(sorted(ids...), sorted(stsEndpoint.ID, snsEndpoint.ID)) {
		t.Errorf("trigger endpoints %v, want both of the call", ids)
	}
	// The deleted endpoints still tell their VPC: the other VPC is not
	// checked.
	wantWorkloads(t, rep, esm(w.ESM.UUID, w.VPC.ID))
	// STS from both zones; Lambda keeps its endpoint.
	wantDiagnosis(t, rep, w.ESM.UUID, report.StatusBroken, unreachable(w.Private, []string{"sts"}))

	alert := oneAlert(t, rep, oc)
	text := summary(alert.Message)
	wantBody(t, text, []string{
		"Cause: DeleteVpcEndpoints " + stsEndpoint.ID,
		"by " + sampleEngineer,
		"- sts (service-path) in " + strings.Join(w.Private.AZs(), ", ") + "\n",
	}, "- lambda (service-path)", other.Name)
}

func TestVPCDNSSupportSwitchedOffBreaksTheWorkloadsOfThatVPCOnly(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	w := scenario.HealthyOnDemandMSK(s)
	// A function in the same private subnets, reaching SNS through the NAT
	// gateways.
	apiSG := w.VPC.SecurityGroup("orders-api")
	api := s.Function("orders-api", s.Role("orders-api-execution", vpcAccess(), scenario.Inline(snsPublish)),
		scenario.InVPC(w.Private, apiSG))
	other := bystander(s).Fn
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	d, oc := alertingOnNetworkChange(t, srv)

	w.VPC.DisableDNSSupport()
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	rep := handle(t, d, sample(t, "on-network-change/ModifyVpcAttribute-disable-dns-support.json", sampleBillingVPC, w.VPC.ID))

	if a := rep.Trigger.VPCAttribute; a == nil || a.Name != "enableDnsSupport" || a.Value {
		t.Errorf("trigger attribute %+v, want enableDnsSupport turned off", a)
	}
	// Both workloads of the VPC, not the function of the other one.
	wantWorkloads(t, rep, esm(w.ESM.UUID, w.VPC.ID), vpcFunction(api.Name, w.VPC.ID))
	// With DNS support on, both are healthy (NAT gateways in both zones):
	// DNS is the one thing found broken.
	for _, wl := range rep.Workloads {
		if wl.Status != report.StatusBroken || len(wl.Findings) != 1 || wl.Findings[0].Check != "vpc-dns-support" ||
			wl.Findings[0].CheckID != "VM101" || wl.Findings[0].Severity != report.SeverityError {
			t.Errorf("%s %s is %s with findings %+v, want broken by an error VM101 vpc-dns-support alone", wl.Kind, wl.Name, wl.Status, wl.Findings)
		}
	}

	alert := oneAlert(t, rep, oc)
	if !strings.Contains(alert.Subject, "BROKEN") || !strings.HasSuffix(alert.Subject, " and 1 more") {
		t.Errorf("subject %q, want both workloads broken", alert.Subject)
	}
	wantBody(t, summary(alert.Message), []string{
		"Cause: ModifyVpcAttribute " + w.VPC.ID + " by " + sampleEngineer,
		"BROKEN: kafka-esm orders-consumer <- MSK orders (" + w.ESM.UUID + ")",
		"BROKEN: function orders-api (" + api.ARN + ")",
		"(vpc-dns-support)",
	}, other.Name)
}

func TestRouteAddedToATableNoWorkloadSubnetUsesPagesNobody(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	w := scenario.HealthyOnDemandMSK(s)
	spare := w.VPC.RouteTable("spare")
	bystander(s)
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, err := ec2.NewFromConfig(cfg).CreateRoute(t.Context(), &ec2.CreateRouteInput{
		RouteTableId: aws.String(spare), DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(w.NATs[1].ID),
	}); err != nil {
		t.Fatal(err)
	}
	d, oc := alertingOnNetworkChange(t, srv)

	rep := handle(t, d, sample(t, "on-network-change/CreateRoute-nat-gateway.json",
		sampleRouteTable, spare, sampleNAT, w.NATs[1].ID))

	if rep.Trigger.Route == nil || rep.Trigger.Route.RouteTableID != spare {
		t.Errorf("trigger route %+v, want one in %s", rep.Trigger.Route, spare)
	}
	// Checking the mapping of that VPC (found ok) or skipping it are both
	// right; checking the broken function of another VPC is not.
	for _, wl := range rep.Workloads {
		if wl.VPCID != w.VPC.ID {
			t.Errorf("%s %s of %s checked for a route change in %s", wl.Kind, wl.Name, wl.VPCID, w.VPC.ID)
		}
	}
	if rep.Trigger.Skip == "" {
		wantWorkloads(t, rep, esm(w.ESM.UUID, w.VPC.ID))
	}
	wantQuiet(t, "route in an unused table", rep, oc)
}

// A route table no workload subnet uses carries none of their traffic: a
// change in it is not the cause of a break that was already there, in
// another subnet of the same VPC, and must not be paged as such.
func TestRouteAddedToATableNoWorkloadSubnetUsesDoesNotBlameItForAnOlderBreak(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	w := scenario.HealthyOnDemandMSK(s)
	// A function of the same VPC that was broken all along: its group lets
	// nothing out, so it cannot reach SNS whatever the routes.
	closedSG := w.VPC.SecurityGroup("orders-api").RevokeAllEgress()
	s.Function("orders-api", s.Role("orders-api-execution", vpcAccess(), scenario.Inline(snsPublish)),
		scenario.InVPC(w.Private, closedSG))
	spare := w.VPC.RouteTable("spare")
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, err := ec2.NewFromConfig(cfg).CreateRoute(t.Context(), &ec2.CreateRouteInput{
		RouteTableId: aws.String(spare), DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(w.NATs[1].ID),
	}); err != nil {
		t.Fatal(err)
	}
	d, oc := alertingOnNetworkChange(t, srv)

	rep := handle(t, d, sample(t, "on-network-change/CreateRoute-nat-gateway.json",
		sampleRouteTable, spare, sampleNAT, w.NATs[1].ID))

	if rep.Alert != nil {
		t.Errorf("alert %q names the route added to %s, which no workload subnet uses, as the cause", rep.Alert.Subject, spare)
	}
	if got := oc.received(t); len(got) != 0 {
		t.Errorf("on-call received %d alerts for a route in an unused table: %q", len(got), got[0].Subject)
	}
}

func TestSecurityGroupEgress443RevokedBreaksTheMappingsEndpoints(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	w := scenario.BrokenOnDemandMSK(s)
	// The cluster group lets out only HTTPS (to the endpoints, which share
	// it) and the brokers' port to itself.
	w.ClusterSG.RevokeAllEgress().EgressTCP(443, "0.0.0.0/0").EgressSelf(9098)
	docsEndpoints(w)
	other := bystander(s).Fn
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	d, oc := alertingOnNetworkChange(t, srv)
	event := sample(t, "on-network-change/RevokeSecurityGroupEgress-https.json", sampleInventorySG, w.ClusterSG.ID)

	before := handle(t, d, event)
	wantWorkloads(t, before, esm(w.ESM.UUID, w.VPC.ID))
	wantQuiet(t, "before the revocation", before, oc)

	if _, err := ec2.NewFromConfig(cfg).RevokeSecurityGroupEgress(t.Context(), &ec2.RevokeSecurityGroupEgressInput{
		GroupId: aws.String(w.ClusterSG.ID),
		IpPermissions: []ec2types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	rep := handle(t, d, event)

	if ids := rep.Trigger.IDs(trail.KindSecurityGroup); !slices.Contains(ids, w.ClusterSG.ID) {
		t.Errorf("trigger groups %v, want %s", ids, w.ClusterSG.ID)
	}
	wantWorkloads(t, rep, esm(w.ESM.UUID, w.VPC.ID))
	// The brokers stay reachable (9098 to itself); both endpoints are cut
	// off in every zone.
	wantDiagnosis(t, rep, w.ESM.UUID, report.StatusBroken, unreachable(w.Private, lambdaAndSTS, "443"))

	alert := oneAlert(t, rep, oc)
	wantBody(t, summary(alert.Message), []string{
		"Cause: RevokeSecurityGroupEgress " + w.ClusterSG.ID,
		"by " + sampleEngineer,
		"- lambda (service-path) in " + strings.Join(w.Private.AZs(), ", ") + "\n",
		"- sts (service-path) in " + strings.Join(w.Private.AZs(), ", ") + "\n",
	}, "(kafka-broker-access)", other.Name)
}

// The sweep of an account with workloads in three VPCs, with the alert
// memory: each sweep sends one summary counting what is new, still broken
// and recovered, and listing every broken workload.
func TestSweepOverSeveralVPCsSendsOneSummary(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	// VPC A: the healthy mapping, until one of its NAT gateways goes.
	orders := scenario.HealthyOnDemandMSK(s)
	// VPC B: a function that cannot reach SNS.
	b := bystander(s)
	billing := b.Fn
	// VPC C: a function that reaches SNS through an endpoint.
	reports := s.VPC("10.7.0.0/16")
	reportsNet := reports.PrivateSubnets("10.7.10.0/24@a", "10.7.11.0/24@b")
	reportsSG := reports.SecurityGroup("reports").IngressSelf(443)
	reports.InterfaceEndpoint("sns", reportsNet, reportsSG)
	reporter := s.Function("reports", s.Role("reports-execution", vpcAccess(), scenario.Inline(snsPublish)),
		scenario.InVPC(reportsNet, reportsSG))
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	oc := newOncall(t, srv)
	useEmulatorEnv(t, srv)
	t.Setenv("ALERT_TOPIC_ARN", oc.TopicARN)
	t.Setenv("ALERT_STATE_TABLE", createAlertStateTable(t, cfg))
	d := buildFromEnv(t, app.Sweep)
	clock := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	d.App.Now = func() time.Time { return clock }

	ordersName := "kafka-esm orders-consumer <- MSK orders (" + orders.ESM.UUID + ")"
	billingName := "function billing-api (" + billing.ARN + ")"
	sweep := func(n int) report.Report {
		t.Helper()
		rep := handle(t, d, sample(t, "sweep/scheduled.json", sampleSweepID, fmt.Sprintf("sweep-%d", n)))
		wantWorkloads(t, rep,
			esm(orders.ESM.UUID, orders.VPC.ID), vpcFunction(billing.Name, b.VPC.ID),
			vpcFunction(reporter.Name, reports.ID))
		return rep
	}
	statuses := func(rep report.Report) map[string]string {
		out := map[string]string{}
		for _, wl := range rep.Workloads {
			out[wl.Name] = string(wl.Status) + "/" + wl.Problem
		}
		return out
	}

	rep := sweep(1)
	if got := statuses(rep); got[billing.Name] != "broken/new" || got[reporter.Name] != "ok/" || got["orders-consumer <- MSK orders"] != "ok/" {
		t.Errorf("first sweep: %v", got)
	}
	alert := oneAlert(t, rep, oc)
	if want := "vpcmedic sweep: 1 new, 0 recovered, 0 still broken"; alert.Subject != want {
		t.Errorf("first sweep subject %q, want %q", alert.Subject, want)
	}
	wantBody(t, summary(alert.Message), []string{"BROKEN, new: " + billingName, "(service-path)"}, "orders-consumer", "function reports")

	clock = clock.Add(time.Hour)
	s.DeleteNAT(orders.NATs[0])
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	rep = sweep(2)
	if got := statuses(rep); got[billing.Name] != "broken/ongoing" || got[reporter.Name] != "ok/" || got["orders-consumer <- MSK orders"] != "broken/new" {
		t.Errorf("second sweep: %v", got)
	}
	alert = oneAlert(t, rep, oc)
	if want := "vpcmedic sweep: 1 new, 0 recovered, 1 still broken"; alert.Subject != want {
		t.Errorf("second sweep subject %q, want %q", alert.Subject, want)
	}
	wantBody(t, summary(alert.Message), []string{
		"BROKEN, new: " + ordersName,
		"BROKEN, ongoing: " + billingName,
		"- lambda (service-path) in " + orders.NATs[0].AZ + "\n",
	}, "function reports")

	// SNS gets an endpoint in VPC B.
	clock = clock.Add(time.Hour)
	b.SG.IngressSelf(443)
	b.VPC.InterfaceEndpoint("sns", b.Private, b.SG)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	rep = sweep(3)
	if got := statuses(rep); got[billing.Name] != "ok/recovered" || got["orders-consumer <- MSK orders"] != "broken/ongoing" {
		t.Errorf("third sweep: %v", got)
	}
	alert = oneAlert(t, rep, oc)
	if want := "vpcmedic sweep: 0 new, 1 recovered, 1 still broken"; alert.Subject != want {
		t.Errorf("third sweep subject %q, want %q", alert.Subject, want)
	}
	wantBody(t, summary(alert.Message), []string{
		"RECOVERED: function billing-api (" + billing.ARN + ")",
		"BROKEN, ongoing: " + ordersName,
	}, "function reports")
}

// The same network event delivered twice, with the alert memory: the
// second delivery is recognised by its event ID and does nothing.
func TestDuplicateNetworkEventIsHandledOnce(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	w := scenario.HealthyOnDemandMSK(s)
	s.DeleteNAT(w.NATs[0])
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	oc := newOncall(t, srv)
	useEmulatorEnv(t, srv)
	t.Setenv("ALERT_TOPIC_ARN", oc.TopicARN)
	t.Setenv("ALERT_STATE_TABLE", createAlertStateTable(t, cfg))
	d := buildFromEnv(t, app.OnNetworkChange)
	event := sample(t, "on-network-change/DeleteNatGateway-az-a.json", sampleNAT, w.NATs[0].ID)

	first := handle(t, d, event)
	wantWorkloads(t, first, esm(w.ESM.UUID, w.VPC.ID))
	if len(first.Workloads) == 1 && (first.Workloads[0].Status != report.StatusBroken || first.Workloads[0].Problem != "new") {
		t.Errorf("first delivery: %s/%s, want broken/new", first.Workloads[0].Status, first.Workloads[0].Problem)
	}
	oneAlert(t, first, oc)

	second := handle(t, d, event)
	// Skipped before anything is read, rather than checked again and found
	// ongoing.
	wantSkipped(t, second, "already handled")
	if got := oc.received(t); len(got) != 0 {
		t.Errorf("the duplicate delivery paged: %+v", got)
	}
}

// A network change made by vpcmedic itself (a fix applied by another
// invocation, under another session of its role) is skipped, so that its
// own fixes never loop; the same change by a person is checked.
func TestNetworkChangeMadeByVPCMedicsOwnRoleIsSkipped(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	w := scenario.HealthyOnDemandMSK(s)
	s.DeleteNAT(w.NATs[0])
	role := s.Role("vpcmedic-OnNetworkChangeRole")
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	session, err := sts.NewFromConfig(cfg).AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("invocation-2"),
	})
	if err != nil {
		t.Fatal(err)
	}
	oc := newOncall(t, srv)
	useEmulatorEnv(t, srv)
	t.Setenv("ALERT_TOPIC_ARN", oc.TopicARN)
	t.Setenv("AWS_ACCESS_KEY_ID", aws.ToString(session.Credentials.AccessKeyId))
	t.Setenv("AWS_SECRET_ACCESS_KEY", aws.ToString(session.Credentials.SecretAccessKey))
	t.Setenv("AWS_SESSION_TOKEN", aws.ToString(session.Credentials.SessionToken))
	d := buildFromEnv(t, app.OnNetworkChange)
	event := sample(t, "on-network-change/DeleteNatGateway-az-a.json", sampleNAT, w.NATs[0].ID)

	own := withIdentity(t, event, map[string]any{
		"type":      "AssumedRole",
		"arn":       "arn:aws:sts::" + emulator.Account + ":assumed-role/" + role.Name + "/invocation-1",
		"accountId": emulator.Account,
		"sessionContext": map[string]any{"sessionIssuer": map[string]any{
			"type": "Role", "arn": role.ARN, "accountId": emulator.Account, "userName": role.Name,
		}},
	})
	rep := handle(t, d, own)
	wantSkipped(t, rep, "own change")
	if got := oc.received(t); len(got) != 0 {
		t.Errorf("vpcmedic's own change paged: %+v", got)
	}

	// The very same change by a person pages: the skip is the identity's.
	rep = handle(t, d, event)
	wantWorkloads(t, rep, esm(w.ESM.UUID, w.VPC.ID))
	oneAlert(t, rep, oc)
}
