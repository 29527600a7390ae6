package check

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// managedInstances says, once per Lambda Managed Instances function, whose
// network vpcmedic checked and which function checks do not apply. Such a
// function runs on the EC2 instances of its capacity provider, in the
// provider's subnets and security groups; the provider's operator role,
// not the execution role, launches them and their network interfaces (AWS
// Lambda Developer Guide, "Lambda Managed Instances", core concepts and
// capacity providers). So execution-role-permissions (VM107) and the
// Hyperplane interface causes and encryption-control exclusion of
// lambda-function-state (VM121) are left out rather than misreported.
var managedInstances = Check{
	ID:          "VM124",
	Name:        "managed-instances-network",
	Title:       "The function runs on Lambda Managed Instances: its capacity provider's network is checked",
	Impact:      "The function's own VPC settings are ignored; its calls, logs and traces leave from the capacity provider's subnets.",
	Remediation: "Change the capacity provider's subnets and security groups, or their routes and endpoints, not the function's VPC configuration.",
	Severity:    report.SeverityInfo,
	Applies: func(t *Target) bool {
		return t.Workload.Kind == workload.KindManagedInstancesFunction && t.Workload.Function != nil
	},
	Run: func(t *Target) []Result {
		f := t.Workload.Function
		msg := fmt.Sprintf("%s runs on capacity provider %s", t.Describe(), f.CapacityProviderARN)
		resources := []string{t.Workload.ID, f.CapacityProviderARN}
		if p := f.CapacityProvider; p != nil {
			msg += fmt.Sprintf(" (state %s; subnets %s; security groups %s)", p.State, strings.Join(p.SubnetIDs, ", "), strings.Join(p.SecurityGroupIDs, ", "))
			msg += fmt.Sprintf("; its instances and their network interfaces are managed with the provider's operator role %s, not the execution role, so execution-role-permissions (VM107) does not apply", orUnknown(p.OperatorRoleARN))
			if p.OperatorRoleARN != "" {
				resources = append(resources, p.OperatorRoleARN)
			}
		}
		return []Result{{Message: msg, Resources: resources}}
	},
}

func orUnknown(s string) string {
	if s == "" {
		return "(not reported)"
	}
	return s
}

// publicIPv4 says whether the workload's interfaces in a subnet have a
// public IPv4 address. Lambda's own network interfaces never do; the
// instances of a capacity provider do when the subnet assigns public IPv4
// addresses on launch (MapPublicIpOnLaunch). The networking guide of Lambda
// Managed Instances asks, for a public subnet, to "Ensure resources have
// public IPv4 addresses or Elastic IP addresses assigned": without the
// subnet's default, whether Lambda assigns one is not known.
func (t *Target) publicIPv4(subnetID string) string {
	if t.Workload.Kind != workload.KindManagedInstancesFunction || t.Network == nil {
		return reach.PublicIPv4None
	}
	if sn, ok := t.Network.Subnet(subnetID); ok && sn.MapPublicIPOnLaunch {
		return reach.PublicIPv4Yes
	}
	return reach.PublicIPv4Unknown
}

// managedInstancesCause replaces the causes lambda-function-state gives for
// Lambda's own network interfaces (the execution role's permissions, the
// Hyperplane interface quota): on Lambda Managed Instances the interfaces
// are the instances', launched with the provider's operator role.
func managedInstancesCause(t *Target, code string) (string, []string, bool) {
	if t.Workload.Kind != workload.KindManagedInstancesFunction || (code != reasonRolePermissions && code != reasonENILimit) {
		return "", nil, false
	}
	f := t.Workload.Function
	role := ""
	if f.CapacityProvider != nil {
		role = f.CapacityProvider.OperatorRoleARN
	}
	return fmt.Sprintf("The function runs on capacity provider %s, whose instances are launched with its operator role %s: vpcmedic does not simulate that role or read the EC2 quotas, so it cannot see this cause", f.CapacityProviderARN, orUnknown(role)),
		[]string{f.CapacityProviderARN}, true
}
