package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// Lambda's function states and update statuses (FunctionConfiguration
// State and LastUpdateStatus), and the reason codes vpcmedic can relate to
// what it reads (StateReasonCode, LastUpdateStatusReasonCode).
const (
	lambdaPending    = "Pending"
	lambdaInactive   = "Inactive"
	lambdaFailed     = "Failed"
	updateInProgress = "InProgress"
	updateFailed     = "Failed"

	reasonIdle              = "Idle"
	reasonSubnetOutOfIPs    = "SubnetOutOfIPAddresses"
	reasonRolePermissions   = "InsufficientRolePermissions"
	reasonENILimit          = "EniLimitExceeded"
	reasonInvalidSubnet     = "InvalidSubnet"
	reasonInvalidGroup      = "InvalidSecurityGroup"
	reasonEncryptionControl = "DisallowedByVpcEncryptionControl"
)

// encryptionEnforce is the VPC encryption control mode that refuses
// resources allowing unencrypted traffic unless they are excluded.
const encryptionEnforce = "enforce"

var functionState = Check{
	ID:          "VM121",
	Name:        "lambda-function-state",
	Title:       "Lambda reports that the function cannot run, or that its last update failed",
	Impact:      "A Failed function, or one left Inactive because Lambda could not re-create its network interfaces, cannot be invoked; after a failed update the function keeps running its previous code and configuration.",
	Remediation: "Fix the cause Lambda names (the finding says what vpcmedic sees of it), then update the function again; a function whose creation failed must be deleted and created again.",
	Severity:    report.SeverityError,
	Applies: func(t *Target) bool {
		return isFunction(t) && t.Workload.Function != nil
	},
	Run: func(t *Target) []Result {
		var out []Result
		if r, ok := lambdaVerdict(t); ok {
			out = append(out, r)
		}
		if r, ok := encryptionExclusion(t); ok {
			out = append(out, r)
		}
		return out
	},
}

// lambdaVerdict grades what Lambda says of the function by what the
// function experiences (the Lambda Developer Guide, "Lambda function
// states"); false when Lambda's state was not read.
func lambdaVerdict(t *Target) (Result, bool) {
	f := t.Workload.Function
	switch {
	case f.State == lambdaFailed:
		// Lambda invokes only Active functions: a Failed one cannot run.
		return t.lambdaFinding(report.SeverityError, "State", f.State, f.StateReasonCode, f.StateReason,
			"the function cannot be invoked"), true
	case f.State == lambdaInactive && f.StateReasonCode != "" && f.StateReasonCode != reasonIdle:
		// An idle function is re-created on its next invocation; any other
		// reason says that re-creation failed, and invocations fail.
		return t.lambdaFinding(report.SeverityError, "State", f.State, f.StateReasonCode, f.StateReason,
			"Lambda could not re-create the function's resources: invocations fail"), true
	case f.LastUpdateStatus == updateFailed:
		// Lambda aborts a failed update and the previous code and
		// configuration remain available: the function runs, not as
		// deployed. Worth fixing, not worth waking anyone.
		return t.lambdaFinding(report.SeverityWarning, "LastUpdateStatus", f.LastUpdateStatus, f.LastUpdateStatusReasonCode, f.LastUpdateStatusReason,
			"the update did not apply: the function still runs its previous code and configuration"), true
	case f.State == lambdaPending:
		// Lambda is still creating the function's resources (its network
		// interfaces); the next check sees how that ended.
		return t.lambdaFinding(report.SeverityInfo, "State", f.State, f.StateReasonCode, f.StateReason,
			"Lambda is still setting the function up: invocations fail until it is Active"), true
	case f.LastUpdateStatus == updateInProgress:
		// Invocations keep going to the previous code and configuration.
		return t.lambdaFinding(report.SeverityInfo, "LastUpdateStatus", f.LastUpdateStatus, f.LastUpdateStatusReasonCode, f.LastUpdateStatusReason,
			"an update is under way: invocations run the previous code and configuration until it completes"), true
	case f.State == "" && f.LastUpdateStatus == "":
		return Result{}, false
	}
	return Result{Pass: true}, true
}

// lambdaFinding quotes Lambda, says what it means for the function, and
// adds what vpcmedic sees of the cause.
func (t *Target) lambdaFinding(sev report.Severity, field, value, code, reason, meaning string) Result {
	words := fmt.Sprintf("%s %s", field, value)
	if code != "" {
		words += " (" + code + ")"
	}
	if reason != "" {
		words += fmt.Sprintf(": %q", reason)
	}
	msg := fmt.Sprintf("%s: Lambda reports %s; %s", t.Describe(), words, meaning)
	resources := []string{t.Workload.ID}
	if sev != report.SeverityInfo {
		cause, named := lambdaCause(t, code)
		msg += ". " + cause
		resources = append(resources, named...)
	}
	return Result{Severity: sev, Message: msg, Service: "lambda", Resources: resources}
}

// lambdaCause says what vpcmedic sees of the reason Lambda gives, and the
// resources that say it.
func lambdaCause(t *Target, code string) (string, []string) {
	if cause, named, ok := managedInstancesCause(t, code); ok {
		return cause, named
	}
	if code == reasonRolePermissions {
		return roleCause(t)
	}
	if code == reasonENILimit {
		// Lambda's quota is per VPC and shared with other services; EC2
		// also limits network interfaces per Region. Neither is read here.
		return "The network interface quota is reached: Lambda's elastic network interfaces per VPC (250 by default, shared with other services such as Amazon EFS) or the Region's network interfaces; vpcmedic does not read Service Quotas, so it cannot tell which: request an increase or free interfaces", []string{t.Workload.Network.VPCID}
	}
	if !slices.Contains([]string{reasonSubnetOutOfIPs, reasonInvalidSubnet, reasonInvalidGroup, reasonEncryptionControl}, code) {
		if code == "" {
			return "Lambda gives no reason code", nil
		}
		return "vpcmedic does not check this cause", nil
	}
	if t.Network == nil {
		return fmt.Sprintf("VPC %s was not read, so vpcmedic cannot see the cause", t.Workload.Network.VPCID), []string{t.Workload.Network.VPCID}
	}
	switch code {
	case reasonSubnetOutOfIPs:
		return freeAddressesCause(t)
	case reasonInvalidSubnet:
		return absentCause(t, "subnet", t.Workload.Network.SubnetIDs, func(id string) bool { _, ok := t.Network.Subnet(id); return ok })
	case reasonInvalidGroup:
		return absentCause(t, "security group", t.Workload.Network.SecurityGroupIDs, func(id string) bool { _, ok := t.Network.SecurityGroup(id); return ok })
	}
	return encryptionCause(t)
}

// freeAddressesCause names each function subnet and its free addresses.
func freeAddressesCause(t *Target) (string, []string) {
	var parts, short []string
	for _, id := range t.Workload.Network.SubnetIDs {
		sn, ok := t.Network.Subnet(id)
		if !ok {
			parts = append(parts, fmt.Sprintf("subnet %s does not exist in VPC %s", id, t.Network.VPC.ID))
			continue
		}
		parts = append(parts, fmt.Sprintf("subnet %s (%s) has %d free IP addresses", sn.ID, sn.AvailabilityZone, sn.FreeIPs))
		if sn.FreeIPs < minFreeIPs {
			short = append(short, sn.ID)
		}
	}
	seen := strings.Join(parts, ", ")
	if len(short) == 0 {
		return fmt.Sprintf("vpcmedic sees: %s; none is short of addresses now, so the shortage has passed", seen), t.Workload.Network.SubnetIDs
	}
	return fmt.Sprintf("vpcmedic sees: %s: add a larger subnet in the same zone or free addresses in %s", seen, strings.Join(short, ", ")), short
}

// absentCause names which of the function's subnets or groups the
// snapshot of its VPC does not have.
func absentCause(t *Target, kind string, ids []string, exists func(string) bool) (string, []string) {
	var absent []string
	for _, id := range ids {
		if !exists(id) {
			absent = append(absent, id)
		}
	}
	if len(absent) == 0 {
		return fmt.Sprintf("every %s of the function (%s) exists in VPC %s: the cause is outside what vpcmedic reads", kind, strings.Join(ids, ", "), t.Network.VPC.ID), nil
	}
	return fmt.Sprintf("%s %s of the function does not exist in VPC %s: point the function at existing ones", kind, strings.Join(absent, ", "), t.Network.VPC.ID), absent
}

// roleCause relates Lambda's words to the simulation of the execution
// role (execution-role-permissions).
func roleCause(t *Target) (string, []string) {
	role := t.Workload.ExecutionRoleARN
	p := t.Permissions
	switch {
	case p == nil:
		return fmt.Sprintf("The permissions of execution role %s were not simulated in this run", role), []string{role}
	case p.Err != "":
		return fmt.Sprintf("The permissions of execution role %s could not be simulated: %s", role, p.Err), []string{role}
	}
	var denied []string
	for _, n := range t.PermissionNeeds {
		if slices.Contains(functionENIActions, n.AnyOf[0]) && n.Severity != report.SeverityWarning && !p.Allowed(n) {
			denied = append(denied, strings.Join(n.AnyOf, " or "))
		}
	}
	if len(denied) == 0 {
		return fmt.Sprintf("The simulation of execution role %s allows every network-interface action Lambda needs: the role may have been fixed since (update the function to retry), or a policy the simulation does not see denies it", role), []string{role}
	}
	return fmt.Sprintf("Execution role %s is not allowed %s (see execution-role-permissions)", role, strings.Join(denied, ", ")), []string{role}
}

// encryptionCause cites the VPC's encryption control and the fix.
func encryptionCause(t *Target) (string, []string) {
	vpc := t.Network.VPC
	ec := vpc.EncryptionControl
	if ec.Mode == "" {
		return fmt.Sprintf("vpcmedic reads no encryption control on VPC %s: it may have been removed since (update the function to retry)", vpc.ID), []string{vpc.ID}
	}
	seen := describeEncryptionControl(vpc)
	if lambdaExcluded(ec) {
		return seen + ": the exclusion may postdate the failure (update the function to retry)", []string{ec.ID}
	}
	return fmt.Sprintf("%s: enable the Lambda exclusion (aws ec2 modify-vpc-encryption-control --vpc-encryption-control-id %s --lambda-exclusion enable) or return to monitor mode (aws ec2 modify-vpc-encryption-control --vpc-encryption-control-id %s --mode monitor)",
		seen, ec.ID, ec.ID), []string{ec.ID}
}

func describeEncryptionControl(vpc network.VPC) string {
	ec := vpc.EncryptionControl
	exclusion := ec.Exclusions[network.ExclusionLambda]
	if exclusion == "" {
		exclusion = "not set"
	}
	return fmt.Sprintf("VPC %s has encryption control %s in %s mode (state %s), its Lambda exclusion %s", vpc.ID, ec.ID, ec.Mode, ec.State, exclusion)
}

// lambdaExcluded: the exclusion is on, or being turned on.
func lambdaExcluded(ec network.EncryptionControl) bool {
	s := ec.Exclusions[network.ExclusionLambda]
	return s == "enabled" || s == "enabling"
}

// encryptionExclusion warns of an enforce-mode VPC without the Lambda
// exclusion. The Amazon VPC User Guide ("Enforce VPC encryption in
// transit") lists Lambda functions inside the VPC among the resources that
// need an exclusion to run in enforce mode, but does not say what becomes
// of a function already running: while Lambda itself reports nothing, the
// function works, so this is a warning, never a page.
func encryptionExclusion(t *Target) (Result, bool) {
	if t.Network == nil || !isLambdaFleet(t) {
		return Result{}, false
	}
	ec := t.Network.VPC.EncryptionControl
	if ec.Mode != encryptionEnforce || ec.State == "deleting" || ec.State == "deleted" {
		return Result{}, false
	}
	f := t.Workload.Function
	if f.StateReasonCode == reasonEncryptionControl || f.LastUpdateStatusReasonCode == reasonEncryptionControl {
		return Result{}, false // the state finding cites the control
	}
	if lambdaExcluded(ec) {
		return Result{Pass: true}, true
	}
	return Result{
		Severity: report.SeverityWarning,
		Message: fmt.Sprintf("%s: %s. The Amazon VPC User Guide (Enforce VPC encryption in transit, exclusions) lists Lambda functions inside the VPC among the resources that run in an enforce-mode VPC only with their exclusion; Lambda reports no problem with this function yet. Enable the exclusion: aws ec2 modify-vpc-encryption-control --vpc-encryption-control-id %s --lambda-exclusion enable",
			t.Describe(), describeEncryptionControl(t.Network.VPC), ec.ID),
		Service:   "lambda",
		Resources: []string{t.Workload.ID, ec.ID},
	}, true
}
