package inventory_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/vpcmedic/vpcmedic/internal/check"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/inventory"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
	"github.com/vpcmedic/vpcmedic/internal/topology"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const outOfIPs = "Lambda was unable to create an ENI in the subnet because the subnet has no available IP addresses."

// A function Lambda reports Failed for want of addresses, read through the
// real SDK by the event path and by the sweep, is broken: the finding
// quotes Lambda and names each of its subnets with its free addresses.
func TestFailedFunctionIsBrokenWithLambdaWords(t *testing.T) {
	srv := emulator.Shared(t)
	cfg := srv.MustConfig(t)
	s := scenario.New(cfg, scenario.WithContext(t.Context()))
	vpc := s.VPC("10.8.0.0/16")
	full, roomy := vpc.PrivateSubnets("10.8.1.0/28@a")[0], vpc.PrivateSubnets("10.8.2.0/24@b")[0]
	sg := vpc.SecurityGroup("api")
	fn := s.Function("api", s.Role("api", scenario.ManagedPolicy("AWSLambdaVPCAccessExecutionRole")),
		scenario.InVPC(scenario.Subnets{full, roomy}, sg))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	// Other interfaces take the small subnet's addresses: 11 usable, 4 taken.
	ec2Client := ec2.NewFromConfig(cfg)
	for range 4 {
		if _, err := ec2Client.CreateNetworkInterface(t.Context(), &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(full.ID)}); err != nil {
			t.Fatalf("create network interface: %v", err)
		}
	}
	if err := srv.SetFunctionState(t.Context(), fn.Name, emulator.FunctionState{
		State: "Failed", StateReasonCode: "SubnetOutOfIPAddresses", StateReason: outOfIPs,
	}); err != nil {
		t.Fatal(err)
	}
	lambdaClient := lambda.NewFromConfig(cfg)
	reader := &inventory.Reader{Lambda: lambdaClient, EC2: ec2Client}
	single, err := reader.Function(t.Context(), fn.ARN)
	if err != nil {
		t.Fatal(err)
	}
	all, err := reader.All(t.Context(), lambdaClient)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := (&topology.Reader{EC2: ec2Client}).Read(t.Context(), vpc.ID)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range map[string]*workload.Workload{"event": single, "sweep": only(t, all)} {
		t.Run(name, func(t *testing.T) {
			findings, _ := check.Run(&check.Target{Workload: w, Network: snap, Region: s.Region()})
			if report.StatusOf(findings) != report.StatusBroken {
				t.Errorf("status = %s, want broken: %+v", report.StatusOf(findings), findings)
			}
			f := findingOf(t, findings, "VM121")
			for _, want := range []string{
				`Lambda reports State Failed (SubnetOutOfIPAddresses): "` + outOfIPs + `"`,
				fmt.Sprintf("subnet %s (us-east-1a) has 7 free IP addresses", full.ID),
				fmt.Sprintf("subnet %s (us-east-1b) has 251 free IP addresses", roomy.ID),
			} {
				if !strings.Contains(f.Message, want) {
					t.Errorf("finding %q does not say %q", f.Message, want)
				}
			}
			if f.Severity != report.SeverityError {
				t.Errorf("severity = %s, want error", f.Severity)
			}
		})
	}
}

func only(t *testing.T, all []*workload.Workload) *workload.Workload {
	t.Helper()
	if len(all) != 1 {
		t.Fatalf("listed %d workloads, want the function", len(all))
	}
	return all[0]
}

func findingOf(t *testing.T, findings []report.Finding, id string) report.Finding {
	t.Helper()
	for _, f := range findings {
		if f.CheckID == id {
			return f
		}
	}
	t.Fatalf("no %s finding among %+v", id, findings)
	return report.Finding{}
}
