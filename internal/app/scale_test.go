package app_test

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/runner"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// The sweep of an account of 100 VPCs, 1,000 subnets, 200 VPC functions and
// 50 Kafka mappings on 10 clusters reads each resource type once for all
// VPCs: the calls grow with result pages and clusters, not with VPCs. The
// exceptions are what EC2, IAM and Lambda answer one at a time: the two DNS
// attributes of each VPC, the simulation of each execution role, and the
// state of each VPC function (which ListFunctions leaves out).
func TestSweepOfALargeAccountStaysWithinItsCallBudget(t *testing.T) {
	const vpcs, subnetsPerVPC, functions, mappings, clusters = 100, 10, 200, 50, 10
	srv := emulator.Shared(t)
	var roles []*scenario.Role
	seed := func() error {
		s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
		var clusterList []*scenario.Cluster
		roles = []*scenario.Role{s.Role("api-0"), s.Role("api-1"), s.Role("api-2"), s.Role("api-3")}
		consumer := s.Role("consumer", scenario.ManagedPolicy("AWSLambdaMSKExecutionRole"))
		fn := 0
		for v := range vpcs {
			vpc := s.VPC(fmt.Sprintf("10.%d.0.0/16", v))
			private := vpc.PrivateSubnets(fmt.Sprintf("10.%d.0.0/24@a", v))
			rest := vpc.SubnetsOnMainTable(func() (specs []string) {
				for i := 1; i < subnetsPerVPC; i++ {
					specs = append(specs, fmt.Sprintf("10.%d.%d.0/24@%c", v, i, 'a'+i%3))
				}
				return specs
			}()...)
			sg := vpc.SecurityGroup("workload").IngressSelf(9098)
			for range functions / vpcs {
				s.Function(fmt.Sprintf("api-%d", fn), roles[fn%len(roles)], scenario.InVPC(append(private, rest[0]), sg))
				fn++
			}
			if v < clusters {
				clusterList = append(clusterList, s.MSKCluster(fmt.Sprintf("orders-%d", v), append(private, rest[0:2]...), sg, scenario.AuthIAM))
			}
		}
		for m := range mappings {
			f := s.Function(fmt.Sprintf("consumer-%d", m), consumer)
			s.KafkaESM(f, clusterList[m%clusters], fmt.Sprintf("topic-%d", m))
		}
		return s.Err()
	}
	if err := seed(); err != nil {
		t.Fatal(err)
	}

	srv.UseEnv(t)
	calls := callLog{delay: slowCalls}
	d, err := runner.Build(t.Context(), app.Sweep, quietLogger(t), calls.instrument)
	if err != nil {
		t.Fatal(err)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep := handle(t, d, sample(t, "sweep/scheduled.json"))
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	kinds := map[string]int{}
	for _, w := range rep.Workloads {
		kinds[w.Kind]++
	}
	if kinds[report.KindFunction] != functions || kinds[report.KindKafkaESM] != mappings || len(rep.Networks) != clusters+(vpcs-clusters) {
		t.Fatalf("swept %v workloads in %d networks", kinds, len(rep.Networks))
	}
	// moto returns every result on one page: the bounds are for that.
	budget := map[string]int{
		"Lambda.ListEventSourceMappings": 1, "Lambda.ListFunctions": (functions + mappings + 49) / 50,
		// ListFunctions leaves out each VPC function's state.
		"Lambda.GetFunction":      functions,
		"Kafka.DescribeClusterV2": clusters, "Kafka.GetBootstrapBrokers": clusters,
		"EC2.DescribeSubnets": 2, "EC2.DescribeVpcs": 1, "EC2.DescribeDhcpOptions": 1,
		"EC2.DescribeRouteTables": 1, "EC2.DescribeNatGateways": 1, "EC2.DescribeInternetGateways": 1,
		"EC2.DescribeVpcEndpoints": 1, "EC2.DescribeSecurityGroups": 1, "EC2.DescribeNetworkAcls": 1,
		"EC2.DescribeVpcAttribute": 2 * vpcs,
		// Block Public Access is one account setting, whatever the VPCs.
		"EC2.DescribeVpcBlockPublicAccessOptions": 1,
		// Tags of all functions at once; each role's policies once.
		"Resource Groups Tagging API.GetResources": (functions + mappings + 99) / 100,
		"IAM.ListRolePolicies":                     len(roles) + 1, "IAM.ListAttachedRolePolicies": len(roles) + 1,
		"IAM.GetPolicy": 1, "IAM.GetPolicyVersion": 1,
		// The actions on "*" once per role; then one call per workload
		// for the ARNs it names that its role was not simulated on yet:
		// a function's subnets and group (ec2:CreateNetworkInterface is
		// authorized on them), a mapping's topic and consumer group
		// (its cluster, subnets and groups are shared with others).
		"IAM.SimulatePrincipalPolicy": len(roles) + 1 + functions + mappings,
	}
	for op, n := range calls.calls {
		limit, ok := budget[op]
		if !ok {
			t.Errorf("%s called %d times: not in the budget", op, n)
		} else if n > limit {
			t.Errorf("%s called %d times, budget %d", op, n, limit)
		}
	}
	// Lambda runs the sweep in 256 MB; the heap it grows here must leave
	// room for the runtime and the SDK.
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 128<<20 {
		t.Errorf("the sweep grew the heap by %d MiB", grown>>20)
	}
	total := 0
	for _, n := range calls.calls {
		total += n
	}
	t.Logf("%d calls (%.1f per VPC): %v; heap grew by %d KiB", total, float64(total)/vpcs, calls.calls, (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>10)
	rounds, _ := calls.roundsSoFar()
	t.Logf("%d rounds (%.2f per VPC)", rounds, float64(rounds)/vpcs)
	if rounds > largeAccountRounds {
		t.Errorf("%d sequential rounds of calls, budget %d", rounds, largeAccountRounds)
	}
}

// largeAccountRounds is what the sweep above may take in sequential rounds
// of calls, measured 107: mostly the state of each VPC function, three at a
// time (Lambda's GetFunction quota, see inventory.stateReaders), and the
// DNS attributes of each VPC, eight at a time.
const largeAccountRounds = 110

func quietLogger(*testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// A sweep of 1,000 workloads at 50 ms a call, on 60 VPCs (10 with 90
// functions each, 50 with one), 950 VPC functions and 50 Kafka mappings on
// 5 clusters, CHECK_CONCURRENCY 8. Measured with callLog's rounds:
//
//	sweep, 1,000 workloads   1,243 calls, 346 rounds: 17.3 s at 50 ms a call
//	sweep, 100 VPCs / 250    698 calls (7.0 a VPC), 106 rounds (1.06 a VPC): 5.3 s
//	calls                    ~30 fixed, + 2 a VPC (its DNS attributes),
//	                         + 1 a VPC function (GetFunction: its state),
//	                         + 1 simulation a role and 1 a distinct role and
//	                         resource set (a mapping's topic and group are its own)
//	rounds                   ~35 fixed, + 1/3 a VPC function (GetFunction three
//	                         at a time: Lambda allows it 100 requests a second),
//	                         + 1/4 a VPC (two attributes, eight at a time)
//	change in one VPC        8 rounds, 30 calls: the functions of other VPCs are
//	                         not read, the clusters are described to learn their
//	                         VPCs and only the brokers of those in it are read
//	one check                4 rounds (5 with the alert memory):
//	                         TestKafkaMappingCheckRounds; a function 8
//
// The rounds at 50 ms a call must leave half the sweep's timeout
// (template.yaml: 120 s in alarm mode) unused.
func TestSweepOfAThousandWorkloadsFitsItsTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 1,000 workloads")
	}
	const (
		busyVPCs, functionsPerBusyVPC = 10, 90
		quietVPCs                     = 50
		mappings, clusters            = 50, 5
		callLatency                   = 50 * time.Millisecond
		sweepTimeout                  = 120 * time.Second
	)
	vpcs := busyVPCs + quietVPCs
	functions := busyVPCs*functionsPerBusyVPC + quietVPCs
	srv := emulator.Shared(t)
	var (
		roles []*scenario.Role
		quiet string // a VPC with one function
	)
	seedStart := time.Now()
	seed := func() error {
		s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
		roles = []*scenario.Role{s.Role("api-0"), s.Role("api-1"), s.Role("api-2")}
		consumer := s.Role("consumer", scenario.ManagedPolicy("AWSLambdaMSKExecutionRole"))
		var clusterList []*scenario.Cluster
		fn := 0
		for v := range vpcs {
			vpc := s.VPC(fmt.Sprintf("10.%d.0.0/16", v))
			subnets := vpc.PrivateSubnets(fmt.Sprintf("10.%d.0.0/24@a", v), fmt.Sprintf("10.%d.1.0/24@b", v))
			sg := vpc.SecurityGroup("workload").IngressSelf(9098)
			n := 1
			if v == busyVPCs {
				quiet = vpc.ID
			}
			if v < busyVPCs {
				n = functionsPerBusyVPC
			}
			for range n {
				s.Function(fmt.Sprintf("api-%d", fn), roles[fn%len(roles)], scenario.InVPC(subnets, sg))
				fn++
			}
			if v < clusters {
				clusterList = append(clusterList, s.MSKCluster(fmt.Sprintf("orders-%d", v), subnets, sg, scenario.AuthIAM))
			}
		}
		for m := range mappings {
			f := s.Function(fmt.Sprintf("consumer-%d", m), consumer)
			s.KafkaESM(f, clusterList[m%clusters], fmt.Sprintf("topic-%d", m))
		}
		return s.Err()
	}
	if err := seed(); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d workloads in %s", functions+mappings, time.Since(seedStart).Round(time.Second))

	srv.UseEnv(t)
	calls := &callLog{delay: slowCalls}
	d, err := runner.Build(t.Context(), app.Sweep, quietLogger(t), calls.instrument)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep := handle(t, d, sample(t, "sweep/scheduled.json"))
	elapsed := time.Since(start)
	if len(rep.Workloads) != functions+mappings || len(rep.Networks) != vpcs {
		t.Fatalf("swept %d workloads in %d networks, want %d in %d", len(rep.Workloads), len(rep.Networks), functions+mappings, vpcs)
	}
	counts := calls.calls
	total := 0
	for _, n := range counts {
		total += n
	}
	rounds, _ := calls.roundsSoFar()
	projected := time.Duration(rounds) * callLatency
	t.Logf("%d calls (%.1f per VPC), %d rounds (%.2f per VPC): %s at %s a call; took %s at %s: %v",
		total, float64(total)/float64(vpcs), rounds, float64(rounds)/float64(vpcs), projected, callLatency, elapsed.Round(time.Millisecond), slowCalls, counts)
	// Measured 346; most are the functions' states, three at a time.
	if limit := 40 + functions/3; rounds > limit {
		t.Errorf("%d sequential rounds of calls, budget %d", rounds, limit)
	}
	if projected > sweepTimeout/2 {
		t.Errorf("%d sequential rounds of calls: %s at %s a call, more than half the sweep's %s timeout", rounds, projected, callLatency, sweepTimeout)
	}
	// The workloads of a VPC share their subnets and group: each role is
	// simulated on "*" once, and once on each VPC's resources it is used in.
	roleVPCs := busyVPCs*len(roles) + quietVPCs
	budget := map[string]int{
		"EC2.DescribeVpcAttribute":    2 * vpcs,
		"Lambda.GetFunction":          functions,
		"IAM.SimulatePrincipalPolicy": len(roles) + roleVPCs + 1 + mappings,
		"Kafka.DescribeClusterV2":     clusters, "Kafka.GetBootstrapBrokers": clusters,
		"IAM.ListRolePolicies": len(roles) + 1, "IAM.ListAttachedRolePolicies": len(roles) + 1,
	}
	for op, limit := range budget {
		if counts[op] > limit {
			t.Errorf("%s called %d times, budget %d", op, counts[op], limit)
		}
	}
	const fixed = 30
	if limit := fixed + 2*vpcs + functions + budget["IAM.SimulatePrincipalPolicy"] + 2*clusters + 2*(len(roles)+1) + 2; total > limit {
		t.Errorf("%d calls, budget %d", total, limit)
	}

	// A change in the VPC of one function reads the state and tags of that
	// function only, not of the 949 others.
	if _, err := ec2.NewFromConfig(srv.MustConfig(t)).ModifyVpcAttribute(t.Context(), &ec2.ModifyVpcAttributeInput{
		VpcId: aws.String(quiet), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(false)},
	}); err != nil {
		t.Fatal(err)
	}
	nd, ncalls := buildSlow(t, app.OnNetworkChange)
	rep = handle(t, nd, sample(t, "on-network-change/ModifyVpcAttribute-disable-dns-hostnames.json", sampleBillingVPC, quiet))
	if len(rep.Workloads) != 1 || rep.Workloads[0].VPCID != quiet {
		t.Fatalf("checked %+v, want the function of %s", workloadKeys(rep), quiet)
	}
	if n := ncalls.calls["Lambda.GetFunction"]; n > 1 {
		t.Errorf("a change in one VPC read the state of %d functions, want 1", n)
	}
	if n := ncalls.calls["Resource Groups Tagging API.GetResources"] + ncalls.calls["Lambda.ListTags"]; n > 11 {
		t.Errorf("a change in one VPC read tags in %d calls", n)
	}
	// Its VPC has no cluster: the clusters are described to learn that,
	// and their brokers are not read.
	if n := ncalls.calls["Kafka.GetBootstrapBrokers"]; n > 0 {
		t.Errorf("a change in a VPC without a cluster read the brokers of %d clusters", n)
	}
	ncounts := ncalls.calls
	nrounds, trace := ncalls.roundsSoFar()
	t.Logf("a change in one VPC of %d: %d rounds, calls %v", vpcs, nrounds, ncounts)
	if nrounds > networkChangeRounds {
		t.Errorf("a change in one VPC: %d rounds, budget %d: %v", nrounds, networkChangeRounds, trace)
	}
}

// networkChangeRounds is what a change in one VPC of the account above may
// take, measured: the listing, the clusters (to learn their VPCs), the
// VPC's function, its network and its role.
const networkChangeRounds = 8
