package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

const (
	outOfIPsReason   = "Lambda was unable to create an ENI in the subnet because the subnet has no available IP addresses."
	encryptionReason = "Lambda cannot attach the function to the VPC because its encryption control does not allow it."
)

// lambdaSays sets Lambda's State, reason code and reason.
func lambdaSays(w *workload.Workload, state, code, reason string) *workload.Workload {
	w.Function.State, w.Function.StateReasonCode, w.Function.StateReason = state, code, reason
	w.Function.LastUpdateStatus = "Successful"
	return w
}

// enforcing puts the VPC under an encryption control in enforce mode with
// the Lambda exclusion in the given state.
func enforcing(s *network.Snapshot, lambdaExclusion string) *network.Snapshot {
	s.VPC.EncryptionControl = network.EncryptionControl{
		ID: "vpcec-1", Mode: "enforce", State: "available",
		Exclusions: map[string]string{network.ExclusionLambda: lambdaExclusion, network.ExclusionInternetGateway: "enabled"},
	}
	return s
}

func TestFunctionState(t *testing.T) {
	fullSubnet := func() *network.Snapshot {
		s := withFunctionGroups(baseVPC())
		s.Subnets[2].FreeIPs = 0 // priv-a
		return s
	}
	denyENI := func(tgt *Target) {
		tgt.PermissionNeeds = FunctionPermissionNeeds(tgt.Workload)
		tgt.Permissions = &Permissions{RoleARN: roleARN, Decisions: map[[2]string]string{}}
		for _, n := range tgt.PermissionNeeds {
			if n.AnyOf[0] != "ec2:CreateNetworkInterface" {
				tgt.Permissions.Decisions[[2]string{n.AnyOf[0], n.Resource}] = DecisionAllowed
			}
		}
	}
	tests := []struct {
		name     string
		workload *workload.Workload
		network  *network.Snapshot
		setup    func(*Target)
		passed   int
		// want are the findings' message fragments, with their severity.
		want       [][]string
		severities []report.Severity
		// resources must be named by the first finding; absent must not.
		resources, absent []string
		status            report.Status
	}{
		{
			name:     "failed for want of addresses: Lambda's words and each subnet's free addresses",
			workload: lambdaSays(vpcFunction("priv-a", "priv-b"), "Failed", "SubnetOutOfIPAddresses", outOfIPsReason),
			network:  fullSubnet(),
			want: [][]string{{`Lambda reports State Failed (SubnetOutOfIPAddresses): "` + outOfIPsReason + `"`, "cannot be invoked",
				"subnet priv-a (us-east-1a) has 0 free IP addresses", "subnet priv-b (us-east-1b) has 250 free IP addresses",
				"free addresses in priv-a"}},
			severities: []report.Severity{report.SeverityError},
			resources:  []string{"priv-a"}, absent: []string{"priv-b"},
			status: report.StatusBroken,
		},
		{
			name:     "failed for want of addresses that are free again",
			workload: lambdaSays(vpcFunction("priv-a", "priv-b"), "Failed", "SubnetOutOfIPAddresses", outOfIPsReason),
			network:  withFunctionGroups(baseVPC()),
			want:     [][]string{{"subnet priv-a (us-east-1a) has 250 free IP addresses", "the shortage has passed"}},

			severities: []report.Severity{report.SeverityError},
			status:     report.StatusBroken,
		},
		{
			name:     "refused by the VPC's encryption control: its mode, state and exclusion, and both fixes",
			workload: lambdaSays(vpcFunction("priv-a", "priv-b"), "Failed", "DisallowedByVpcEncryptionControl", encryptionReason),
			network:  enforcing(withFunctionGroups(baseVPC()), "disabled"),
			want: [][]string{{"(DisallowedByVpcEncryptionControl)", "VPC vpc-1 has encryption control vpcec-1 in enforce mode (state available), its Lambda exclusion disabled",
				"aws ec2 modify-vpc-encryption-control --vpc-encryption-control-id vpcec-1 --lambda-exclusion enable",
				"aws ec2 modify-vpc-encryption-control --vpc-encryption-control-id vpcec-1 --mode monitor"}},
			severities: []report.Severity{report.SeverityError},
			resources:  []string{"vpcec-1"},
			status:     report.StatusBroken,
		},
		{
			name:     "refused by an encryption control vpcmedic no longer reads",
			workload: lambdaSays(vpcFunction("priv-a", "priv-b"), "Failed", "DisallowedByVpcEncryptionControl", encryptionReason),
			network:  withFunctionGroups(baseVPC()),
			want:     [][]string{{"reads no encryption control on VPC vpc-1"}},

			severities: []report.Severity{report.SeverityError},
			status:     report.StatusBroken,
		},
		{
			name: "a security group that does not exist",
			workload: func() *workload.Workload {
				w := lambdaSays(vpcFunction("priv-a", "priv-b"), "Failed", "InvalidSecurityGroup", "The security group sg-gone does not exist.")
				w.Network.SecurityGroupIDs = []string{"sg-fn", "sg-gone"}
				return w
			}(),
			network:    withFunctionGroups(baseVPC()),
			want:       [][]string{{"(InvalidSecurityGroup)", "security group sg-gone of the function does not exist in VPC vpc-1"}},
			severities: []report.Severity{report.SeverityError},
			resources:  []string{"sg-gone"}, absent: []string{"sg-fn"},
			status: report.StatusBroken,
		},
		{
			name:       "a subnet that does not exist",
			workload:   lambdaSays(vpcFunction("priv-a", "subnet-gone"), "Failed", "InvalidSubnet", "The subnet ID 'subnet-gone' does not exist."),
			network:    withFunctionGroups(baseVPC()),
			want:       [][]string{{"subnet subnet-gone of the function does not exist in VPC vpc-1"}},
			severities: []report.Severity{report.SeverityError},
			resources:  []string{"subnet-gone"}, absent: []string{"priv-a"},
			status: report.StatusBroken,
		},
		{
			name:       "role permissions: the simulation names the denied action",
			workload:   lambdaSays(vpcFunction("priv-a", "priv-b"), "Failed", "InsufficientRolePermissions", "The provided execution role does not have permissions to call CreateNetworkInterface on EC2"),
			network:    withFunctionGroups(baseVPC()),
			setup:      denyENI,
			want:       [][]string{{"Execution role " + roleARN + " is not allowed ec2:CreateNetworkInterface (see execution-role-permissions)"}},
			severities: []report.Severity{report.SeverityError},
			resources:  []string{roleARN},
			status:     report.StatusBroken,
		},
		{
			name:       "role permissions not simulated",
			workload:   lambdaSays(vpcFunction("priv-a", "priv-b"), "Failed", "InsufficientRolePermissions", "The provided execution role does not have permissions"),
			network:    withFunctionGroups(baseVPC()),
			want:       [][]string{{"were not simulated in this run"}},
			severities: []report.Severity{report.SeverityError},
			status:     report.StatusBroken,
		},
		{
			name:       "inactive after failing to re-create its interfaces: the ENI quota",
			workload:   lambdaSays(vpcFunction("priv-a", "priv-b"), "Inactive", "EniLimitExceeded", "Lambda was unable to create an ENI because the limit was reached."),
			network:    withFunctionGroups(baseVPC()),
			want:       [][]string{{"State Inactive (EniLimitExceeded)", "invocations fail", "network interface quota is reached", "does not read Service Quotas"}},
			severities: []report.Severity{report.SeverityError},
			resources:  []string{"vpc-1"},
			status:     report.StatusBroken,
		},
		{
			name: "a failed update leaves the previous configuration running: a warning",
			workload: func() *workload.Workload {
				w := lambdaSays(vpcFunction("priv-a", "priv-b"), "Active", "", "")
				w.Function.LastUpdateStatus, w.Function.LastUpdateStatusReasonCode, w.Function.LastUpdateStatusReason = "Failed", "SubnetOutOfIPAddresses", outOfIPsReason
				return w
			}(),
			network:    fullSubnet(),
			want:       [][]string{{"LastUpdateStatus Failed (SubnetOutOfIPAddresses)", "still runs its previous code and configuration", "subnet priv-a (us-east-1a) has 0 free IP addresses"}},
			severities: []report.Severity{report.SeverityWarning},
			status:     report.StatusOK,
		},
		{
			name:       "another cause is quoted, not explained",
			workload:   lambdaSays(vpcFunction("priv-a", "priv-b"), "Failed", "KMSKeyAccessDenied", "Lambda was unable to decrypt the environment variables."),
			network:    withFunctionGroups(baseVPC()),
			want:       [][]string{{`(KMSKeyAccessDenied): "Lambda was unable to decrypt the environment variables."`, "vpcmedic does not check this cause"}},
			severities: []report.Severity{report.SeverityError},
			status:     report.StatusBroken,
		},
		{
			name:       "pending: a fact, no page",
			workload:   lambdaSays(vpcFunction("priv-a", "priv-b"), "Pending", "Creating", "The function is being created."),
			network:    withFunctionGroups(baseVPC()),
			want:       [][]string{{"State Pending (Creating)", "invocations fail until it is Active"}},
			severities: []report.Severity{report.SeverityInfo},
			status:     report.StatusOK,
		},
		{
			name: "an update in progress: a fact, no page",
			workload: func() *workload.Workload {
				w := lambdaSays(vpcFunction("priv-a", "priv-b"), "Active", "", "")
				w.Function.LastUpdateStatus = "InProgress"
				return w
			}(),
			network:    withFunctionGroups(baseVPC()),
			want:       [][]string{{"LastUpdateStatus InProgress", "run the previous code"}},
			severities: []report.Severity{report.SeverityInfo},
			status:     report.StatusOK,
		},
		{
			name:     "active: nothing to report",
			workload: lambdaSays(vpcFunction("priv-a", "priv-b"), "Active", "", ""),
			network:  withFunctionGroups(baseVPC()),
			passed:   1, status: report.StatusOK,
		},
		{
			name:     "inactive because idle: nothing to report",
			workload: lambdaSays(vpcFunction("priv-a", "priv-b"), "Inactive", "Idle", "The function is idle."),
			network:  withFunctionGroups(baseVPC()),
			passed:   1, status: report.StatusOK,
		},
		{
			name:     "state not read: nothing examined",
			workload: vpcFunction("priv-a", "priv-b"),
			network:  withFunctionGroups(baseVPC()),
			status:   report.StatusOK,
		},
		{
			name:     "a working function in an enforce-mode VPC without the Lambda exclusion: a warning citing the guide",
			workload: lambdaSays(vpcFunction("priv-a", "priv-b"), "Active", "", ""),
			network:  enforcing(withFunctionGroups(baseVPC()), "disabled"),
			passed:   1,
			want: [][]string{{"VPC vpc-1 has encryption control vpcec-1 in enforce mode (state available), its Lambda exclusion disabled",
				"Amazon VPC User Guide (Enforce VPC encryption in transit, exclusions)", "Lambda reports no problem with this function yet",
				"--vpc-encryption-control-id vpcec-1 --lambda-exclusion enable"}},
			severities: []report.Severity{report.SeverityWarning},
			resources:  []string{"vpcec-1"},
			status:     report.StatusOK,
		},
		{
			name:     "a working function in an enforce-mode VPC with the Lambda exclusion",
			workload: lambdaSays(vpcFunction("priv-a", "priv-b"), "Active", "", ""),
			network:  enforcing(withFunctionGroups(baseVPC()), "enabled"),
			passed:   2, status: report.StatusOK,
		},
		{
			name:     "monitor mode refuses nothing",
			workload: lambdaSays(vpcFunction("priv-a", "priv-b"), "Active", "", ""),
			network: func() *network.Snapshot {
				s := enforcing(withFunctionGroups(baseVPC()), "disabled")
				s.VPC.EncryptionControl.Mode = "monitor"
				return s
			}(),
			passed: 1, status: report.StatusOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := functionTarget(tt.workload, tt.network)
			if tt.setup != nil {
				tt.setup(tgt)
			}
			var fragments []string
			for _, w := range tt.want {
				fragments = append(fragments, w[0])
			}
			findings := oneCheck(t, functionState, tgt, tt.passed, fragments...)
			for i, f := range findings {
				for _, fragment := range tt.want[i][1:] {
					if !strings.Contains(f.Message, fragment) {
						t.Errorf("finding %d = %q, want it to contain %q", i, f.Message, fragment)
					}
				}
				if f.Severity != tt.severities[i] || f.CheckID != "VM121" {
					t.Errorf("finding %d: %s %s, want %s", i, f.CheckID, f.Severity, tt.severities[i])
				}
			}
			for _, id := range tt.resources {
				if !slices.Contains(findings[0].Resources, id) {
					t.Errorf("resources %v do not name %s", findings[0].Resources, id)
				}
			}
			for _, id := range tt.absent {
				if slices.Contains(findings[0].Resources, id) {
					t.Errorf("resources %v name %s, which is not the cause", findings[0].Resources, id)
				}
			}
			if got := report.StatusOf(findings); got != tt.status {
				t.Errorf("status = %s, want %s", got, tt.status)
			}
		})
	}
}

// A Kafka mapping's function state is not this check's business.
func TestFunctionStateIsForFunctions(t *testing.T) {
	oneCheck(t, functionState, target(onDemandESM(), enforcing(baseVPC(), "disabled")), 0)
}
