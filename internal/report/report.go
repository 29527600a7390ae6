// Package report defines vpcmedic's run report: the trigger, the workloads
// checked with their findings, and the changes planned or made. Its JSON
// form is a stable interface that users pipe into jq; fields are only ever
// added.
package report

import (
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// Status is a workload's verdict.
type Status string

const (
	// StatusOK means every required path was verified.
	StatusOK Status = "ok"
	// StatusBroken means a required path does not exist.
	StatusBroken Status = "broken"
	// StatusUnknown means vpcmedic could not verify; a finding says why.
	StatusUnknown Status = "unknown"
)

// Severity grades a finding.
type Severity string

const (
	// SeverityError: a required path does not exist.
	SeverityError Severity = "error"
	// SeverityWarning: it works, but is fragile, costly or degraded.
	SeverityWarning Severity = "warning"
	// SeverityInfo: worth knowing, nothing to fix.
	SeverityInfo Severity = "info"
)

// Workload kinds.
const (
	KindKafkaESM = "kafka-esm"
	KindMQESM    = "mq-esm"
	KindDocDBESM = "docdb-esm"
	KindFunction = "function"
	// KindManagedInstancesFunction is a function on Lambda Managed
	// Instances, checked in its capacity provider's network.
	KindManagedInstancesFunction = "managed-instances-function"
)

// Report is the outcome of one run.
type Report struct {
	Trigger trail.Trigger `json:"trigger"`
	// Mode is alarm or remediate.
	Mode      string     `json:"mode"`
	Workloads []Workload `json:"workloads"`
	Changes   []Change   `json:"changes"`
	// Networks summarises the VPC topology read for the workloads.
	Networks []Network `json:"networks,omitempty"`
	// Alert is the alert sent, if any.
	Alert *Alert `json:"alert,omitempty"`
	// AccountName is the name of the trigger's account in its
	// organisation, when vpcmedic could read it.
	AccountName string `json:"accountName,omitempty"`
	// Accounts is what a sweep of several accounts or Regions found in
	// each.
	Accounts []AccountRun `json:"accounts,omitempty"`
}

// AccountRun is one account and Region of a sweep across an organisation.
type AccountRun struct {
	Account string `json:"account"`
	Name    string `json:"name,omitempty"`
	Region  string `json:"region"`
	Checked int    `json:"checked"`
	Broken  int    `json:"broken"`
	// Error is why the account could not be swept (its role could not be
	// assumed, a read was refused); its workloads are then not checked.
	Error string `json:"error,omitempty"`
}

// Label names the account: its ID, and its name when known.
func (a AccountRun) Label() string { return AccountLabel(a.Account, a.Name) }

// AccountLabel is "123456789012 (payments)", or the ID alone without a name.
func AccountLabel(id, name string) string {
	if name == "" {
		return id
	}
	return id + " (" + name + ")"
}

// Workload is one ESM or function checked in this run.
type Workload struct {
	Kind string `json:"kind"`
	// ID is the ESM UUID, or the function ARN without qualifier.
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Account and Region are set when a sweep checks several accounts or
	// Regions: the workload's own.
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// Status is the verdict of the last check (the re-check after
	// remediation); Before is the verdict found first, set on every
	// workload in remediate mode (also when nothing was changed) and never
	// in alarm mode.
	Status Status `json:"status"`
	Before Status `json:"before,omitempty"`
	VPCID  string `json:"vpcId,omitempty"`
	// Problem is what the verdict means for on-call when vpcmedic keeps
	// an alert memory: new, changed, renotify, ongoing or recovered.
	Problem  string    `json:"problem,omitempty"`
	Findings []Finding `json:"findings"`
	// Passed counts the checks that held.
	Passed int `json:"passed"`
	// Recommendations are fixes a person must decide on; Unfixable says
	// which gaps no safe change closes.
	Recommendations []string `json:"recommendations,omitempty"`
	Unfixable       []string `json:"unfixable,omitempty"`
	// Needs are what the workload must reach and why; Ignored what the
	// vpcmedic:ignore tag removed; NeedsGaps what the needs of a function
	// could not be inferred from.
	Needs     []Need   `json:"needs,omitempty"`
	Ignored   []string `json:"ignored,omitempty"`
	NeedsGaps []string `json:"needsGaps,omitempty"`
	// Requirements are the AWS services the workload must reach, each
	// with the evidence of the need: declared (a missing path breaks
	// it) or suggested (only a broad grant says so: a missing path is a
	// warning).
	Requirements []Requirement `json:"requirements,omitempty"`
}

// Requirement is one AWS service a workload must reach, why, and how sure
// vpcmedic is of the need.
type Requirement struct {
	Service  string `json:"service"`
	Why      string `json:"why"`
	Evidence string `json:"evidence"`
	// Unread says what could not be read that might show the need to be
	// Lambda's own use of the execution role.
	Unread string `json:"unread,omitempty"`
}

// Need is one AWS service or database a workload must reach, and where
// the requirement came from (a policy and action, an environment
// variable, a tag, the mapping's mode).
type Need struct {
	Service  string `json:"service,omitempty"`
	Database string `json:"database,omitempty"`
	Why      string `json:"why"`
}

// Finding is one problem (or fact) about a workload.
type Finding struct {
	// Check is the kebab name of the check; CheckID its stable ID.
	Check    string   `json:"check"`
	CheckID  string   `json:"checkId,omitempty"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	AZ       string   `json:"az,omitempty"`
	// Service names the AWS service the finding is about (lambda, sts,
	// secretsmanager, ...), when there is one.
	Service   string   `json:"service,omitempty"`
	Resources []string `json:"resources"`
	// Unverified marks a finding that explains why vpcmedic could not
	// verify the workload.
	Unverified bool `json:"unverified,omitempty"`
	// InProgress marks an unverified finding that waits on vpcmedic's own
	// change taking effect (an endpoint it created, still pending).
	InProgress bool `json:"inProgress,omitempty"`
	// Remediation is the fix, in one imperative sentence.
	Remediation string `json:"remediation,omitempty"`
}

// Change statuses.
const (
	ChangePlanned   = "planned"
	ChangeCreated   = "created"
	ChangeUnchanged = "unchanged"
	ChangeSkipped   = "skipped"
	ChangeFailed    = "failed"
)

// Change is one remediation step and its outcome.
type Change struct {
	Action string `json:"action"`
	Target string `json:"target"`
	Status string `json:"status"`
	Reason string `json:"reason"`
	// Workload is the ID of the workload the change is for.
	Workload string `json:"workload,omitempty"`
	Service  string `json:"service,omitempty"`
	// Command is the AWS CLI command that makes the change by hand.
	Command        string  `json:"command,omitempty"`
	MonthlyCostUSD float64 `json:"monthlyCostUsd,omitempty"`
	// IAMActions are the permissions the change needs.
	IAMActions []string `json:"iamActions,omitempty"`
}

// Alert records the message sent to on-call, or why it could not be sent.
type Alert struct {
	Subject   string `json:"subject"`
	MessageID string `json:"messageId,omitempty"`
	// Error says why SNS did not accept the message; the run fails so
	// that Lambda retries it.
	Error string `json:"error,omitempty"`
	// Earlier says an earlier try of the event sent the message: this
	// run did not send it again.
	Earlier bool `json:"earlier,omitempty"`
}

// Network summarises one VPC's topology as read.
type Network struct {
	VPCID             string   `json:"vpcId"`
	DNSSupport        bool     `json:"dnsSupport"`
	DNSHostnames      bool     `json:"dnsHostnames"`
	AvailabilityZones []string `json:"availabilityZones"`
	Subnets           int      `json:"subnets"`
	PublicSubnets     []string `json:"publicSubnets"`
	RouteTables       int      `json:"routeTables"`
	NATGateways       []string `json:"natGateways"`
	InternetGateways  []string `json:"internetGateways"`
	Endpoints         []string `json:"endpoints"`
	SecurityGroups    int      `json:"securityGroups"`
	NetworkACLs       int      `json:"networkAcls"`
}

// StatusOf derives a verdict from findings: any error makes it broken;
// otherwise an unverified finding makes it unknown.
func StatusOf(findings []Finding) Status {
	status := StatusOK
	for _, f := range findings {
		if f.Severity == SeverityError {
			return StatusBroken
		}
		if f.Unverified {
			status = StatusUnknown
		}
	}
	return status
}

// FixInProgress reports whether a workload found broken now waits only on
// vpcmedic's own changes taking effect: it is unverified, and every finding
// that leaves it so is such a change (an endpoint still being created).
func (w Workload) FixInProgress() bool {
	if w.Before != StatusBroken || w.Status != StatusUnknown {
		return false
	}
	waiting := false
	for _, f := range w.Findings {
		if f.Unverified && !f.InProgress {
			return false
		}
		waiting = waiting || f.InProgress
	}
	return waiting
}

// Broken reports whether any workload is broken.
func (r Report) Broken() bool {
	for _, w := range r.Workloads {
		if w.Status == StatusBroken {
			return true
		}
	}
	return false
}
