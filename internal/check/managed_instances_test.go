package check

import (
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// lmiFunction is vpcFunction on Lambda Managed Instances: the subnets and
// group are its capacity provider's.
func lmiFunction(subnets ...string) *workload.Workload {
	w := vpcFunction(subnets...)
	w.Kind = workload.KindManagedInstancesFunction
	w.Function.CapacityProviderARN = "arn:aws:lambda:us-east-1:123456789012:capacity-provider:orders"
	w.Function.CapacityProvider = &workload.CapacityProvider{ARN: w.Function.CapacityProviderARN, State: "Active",
		OperatorRoleARN: "arn:aws:iam::123456789012:role/operator", SubnetIDs: subnets, SecurityGroupIDs: []string{"sg-fn"}}
	return w
}

func mapPublicIPv4(s *network.Snapshot, ids ...string) *network.Snapshot {
	for i := range s.Subnets {
		for _, id := range ids {
			if s.Subnets[i].ID == id {
				s.Subnets[i].MapPublicIPOnLaunch = true
			}
		}
	}
	return s
}

// In a public subnet an instance of a capacity provider reaches the
// internet through the internet gateway when the subnet assigns public
// IPv4 addresses; without that default the path is unverified, and the
// security groups and network ACLs still decide it; a function on Lambda's
// own fleet gets no public address either way.
func TestPublicSubnetPathOfManagedInstances(t *testing.T) {
	noEgress := func(s *network.Snapshot) *network.Snapshot {
		for i := range s.SecurityGroups {
			if s.SecurityGroups[i].ID == "sg-fn" {
				s.SecurityGroups[i].Egress = nil
			}
		}
		return s
	}
	tests := []struct {
		name       string
		w          *workload.Workload
		snap       *network.Snapshot
		severity   report.Severity // "" : passes
		unverified bool
		says       string
	}{
		{"auto-assigned public IPv4", lmiFunction("pub-a"), mapPublicIPv4(withFunctionGroups(baseVPC()), "pub-a"), "", false, ""},
		{"no auto-assigned public IPv4", lmiFunction("pub-a"), withFunctionGroups(baseVPC()), report.SeverityInfo, true, "does not assign public IPv4 addresses on launch"},
		{"auto-assigned, but the group allows no egress", lmiFunction("pub-a"), noEgress(mapPublicIPv4(withFunctionGroups(baseVPC()), "pub-a")), report.SeverityError, false, "do not allow TCP 443 out to the internet (needed through internet gateway igw-1)"},
		{"a function on Lambda's fleet", vpcFunction("pub-a"), mapPublicIPv4(withFunctionGroups(baseVPC()), "pub-a"), report.SeverityError, false, "gets no public IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings, passed := results(t, servicePath, functionTarget(tt.w, tt.snap, "logs"))
			if tt.severity == "" {
				if len(findings) != 0 || passed != 1 {
					t.Fatalf("findings %+v, passed %d; want the path to pass", findings, passed)
				}
				return
			}
			if len(findings) != 1 {
				t.Fatalf("findings %+v, want one", findings)
			}
			f := findings[0]
			if f.Severity != tt.severity || f.Unverified != tt.unverified || !strings.Contains(f.Message, tt.says) {
				t.Errorf("finding %s unverified=%v %q; want %s unverified=%v saying %q", f.Severity, f.Unverified, f.Message, tt.severity, tt.unverified, tt.says)
			}
		})
	}
}

// The managed-instances note names the provider and why the execution
// role's network-interface permissions are not checked; a classic
// function gets no such note.
func TestManagedInstancesNote(t *testing.T) {
	findings, _ := results(t, managedInstances, functionTarget(lmiFunction("priv-a"), withFunctionGroups(baseVPC()), "logs"))
	if len(findings) != 1 || findings[0].Severity != report.SeverityInfo ||
		!strings.Contains(findings[0].Message, "capacity-provider:orders") || !strings.Contains(findings[0].Message, "role/operator") {
		t.Errorf("findings %+v", findings)
	}
	if findings, _ := results(t, managedInstances, functionTarget(vpcFunction("priv-a"), withFunctionGroups(baseVPC()), "logs")); len(findings) != 0 {
		t.Errorf("a classic function got %+v", findings)
	}
	if got := FunctionPermissionNeeds(lmiFunction("priv-a")); got != nil {
		t.Errorf("permission needs of a managed-instances function: %+v, want none", got)
	}
}
