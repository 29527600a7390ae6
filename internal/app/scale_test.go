package app_test

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"

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
	// Some 4,000 changes seed this account; a connection the emulator drops
	// under load fails a change (never retried: it may have been made), so
	// the seeding starts over on a clean emulator then.
	err := seed()
	for attempt := 2; err != nil && attempt <= 3 && droppedConnection(err); attempt++ {
		t.Logf("seeding again after %v", err)
		if err := srv.Reset(t.Context()); err != nil {
			t.Fatal(err)
		}
		err = seed()
	}
	if err != nil {
		t.Fatal(err)
	}

	srv.UseEnv(t)
	var calls callLog
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
	t.Logf("calls: %v; heap grew by %d KiB", calls.calls, (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>10)
}

func quietLogger(*testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// droppedConnection reports whether an error is a connection the emulator
// dropped while answering.
func droppedConnection(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "connection reset") || strings.Contains(msg, "use of closed network connection") || strings.Contains(msg, "EOF")
}
