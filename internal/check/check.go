// Package check holds vpcmedic's checks: small named units, one per file,
// each with a stable ID, a kebab name, a problem-first title, the impact, an
// imperative remediation and a severity. They read a Target (a workload, its
// VPC snapshot and what it must reach) and import no AWS SDK.
package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/network"
	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

// Check is one named unit of diagnosis.
type Check struct {
	ID          string
	Name        string
	Title       string
	Impact      string
	Remediation string
	Severity    report.Severity
	// Applies says whether the check concerns the target at all.
	Applies func(*Target) bool
	// Run returns one result per thing examined: passes count, failures
	// become findings.
	Run func(*Target) []Result
}

// Result is the outcome of one examination.
type Result struct {
	Pass bool
	// Severity overrides the check's own for this result (a degraded
	// variant of an error check, say).
	Severity   report.Severity
	Message    string
	AZ         string
	Service    string
	Resources  []string
	Unverified bool
	// InProgress marks an unverified result that waits on vpcmedic's own
	// change.
	InProgress bool
	// Remediation overrides the check's own fix for this result.
	Remediation string
}

// Requirement is one AWS service a workload must reach, and why.
type Requirement struct {
	Service string
	Why     string
	// Evidence is EvidenceDeclared (also when empty) or
	// EvidenceSuggested.
	Evidence string
	// Unread, when not empty, says what could not be read that might
	// show the requirement to be Lambda's own use of the role.
	Unread string
}

// Evidence levels of a requirement.
const (
	// EvidenceDeclared: the workload's configuration names the service.
	EvidenceDeclared = "declared"
	// EvidenceSuggested: only a broad grant suggests it; a missing path
	// is a warning.
	EvidenceSuggested = "suggested"
)

// Suggested reports whether only a broad grant suggests the requirement.
func (r Requirement) Suggested() bool { return r.Evidence == EvidenceSuggested }

// Target is what the checks look at.
type Target struct {
	Workload     *workload.Workload
	Network      *network.Snapshot
	Region       string
	Requirements []Requirement
	// Policy decides whether an endpoint policy lets the workload's
	// requests to a service through; nil accepts every policy.
	Policy func(service string, e network.Endpoint) (bool, string)
	// PolicyUnverified says why an endpoint policy admits those requests
	// only on what cannot be evaluated ("" when it does not); nil: never.
	PolicyUnverified func(service string, e network.Endpoint) string
	// PermissionNeeds are what the execution role must be allowed, and
	// Permissions the simulated decisions (nil: not simulated).
	PermissionNeeds []PermissionNeed
	Permissions     *Permissions
	// Databases are the databases a function connects to (from its
	// environment), with their groups when they could be read.
	Databases []workload.Database
	// NeedsGaps say what a function's requirements could not be inferred
	// from; NothingToCheck is set when its owner excluded everything
	// (vpcmedic:ignore=*).
	NeedsGaps      []string
	NothingToCheck bool

	paths map[[2]string]reach.ServicePath
}

// ServicePath returns (and remembers) how the workload's ENIs in a subnet
// reach a service.
func (t *Target) ServicePath(subnetID, service string) reach.ServicePath {
	key := [2]string{subnetID, service}
	if p, ok := t.paths[key]; ok {
		return p
	}
	q := reach.ServiceQuery{
		Region:     t.Region,
		Service:    service,
		From:       reach.Place{SubnetID: subnetID, GroupIDs: t.Workload.Network.SecurityGroupIDs},
		NATAllowed: t.natAllowed(subnetID),
		PublicIPv4: t.publicIPv4(subnetID),
	}
	if t.Policy != nil {
		q.Policy = func(e network.Endpoint) (bool, string) { return t.Policy(service, e) }
	}
	if t.PolicyUnverified != nil {
		q.PolicyUnverified = func(e network.Endpoint) string { return t.PolicyUnverified(service, e) }
	}
	p := reach.Service(t.Network, q)
	if t.paths == nil {
		t.paths = map[[2]string]reach.ServicePath{}
	}
	t.paths[key] = p
	return p
}

// natAllowed applies DOMAIN's table: an on-demand Kafka ESM in a public
// subnet is served by PrivateLink only. Amazon MQ and DocumentDB pollers
// are the same Lambda-managed interfaces without public addresses (their
// guide pages offer "a NAT gateway on each public subnet", for the pollers
// in private subnets).
func (t *Target) natAllowed(subnetID string) bool {
	if t.Workload.IsMapping() {
		return !reach.Public(t.Network, subnetID)
	}
	return true
}

// Subnets returns the workload's subnets that exist in the snapshot, in
// zone order.
func (t *Target) Subnets() []network.Subnet {
	var out []network.Subnet
	for _, id := range t.Workload.Network.SubnetIDs {
		if sn, ok := t.Network.Subnet(id); ok {
			out = append(out, sn)
		}
	}
	slices.SortStableFunc(out, func(a, b network.Subnet) int { return strings.Compare(a.AvailabilityZone, b.AvailabilityZone) })
	return out
}

// Describe names the workload in a finding message.
func (t *Target) Describe() string {
	w := t.Workload
	switch w.Kind {
	case workload.KindKafkaESM, workload.KindMQESM, workload.KindDocDBESM:
		return fmt.Sprintf("ESM %s (%s)", w.ID, w.Name)
	case workload.KindManagedInstancesFunction:
		return fmt.Sprintf("managed-instances function %s", w.Name)
	default:
		return fmt.Sprintf("function %s", w.Name)
	}
}

// Registry is every check, in the order findings are reported.
var Registry = []Check{
	kafkaUnverifiable,
	requirementsUnknown,
	vpcDNS,
	servicePath,
	brokerAccess,
	sourceAccess,
	crossZone,
	customDNS,
	subnetFreeIPs,
	executionRole,
	secretRegion,
	databaseAccess,
	singleZone,
	ipv6DualStack,
	reportedProblem,
	functionState,
	stsGlobalEndpoint,
	managedInstances,
}

// Run runs every applicable check of the registry on the target.
func Run(t *Target) (findings []report.Finding, passed int) {
	return RunChecks(Registry, t)
}

// RunChecks runs the given checks on the target.
func RunChecks(checks []Check, t *Target) (findings []report.Finding, passed int) {
	findings = []report.Finding{}
	for _, c := range checks {
		if c.Applies != nil && !c.Applies(t) {
			continue
		}
		for _, r := range c.Run(t) {
			if r.Pass {
				passed++
				continue
			}
			sev := c.Severity
			if r.Severity != "" {
				sev = r.Severity
			}
			if r.Unverified {
				sev = report.SeverityInfo
			}
			fix := c.Remediation
			if r.Remediation != "" {
				fix = r.Remediation
			}
			resources := r.Resources
			if resources == nil {
				resources = []string{}
			}
			findings = append(findings, report.Finding{
				Check: c.Name, CheckID: c.ID, Severity: sev, Message: r.Message,
				AZ: r.AZ, Service: r.Service, Resources: compact(resources), Unverified: r.Unverified,
				InProgress:  r.Unverified && r.InProgress,
				Remediation: fix,
			})
		}
	}
	return findings, passed
}

func compact(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// resolved reports whether the workload's network identity is known and
// its VPC was read.
func resolved(t *Target) bool {
	return t.Workload.Unresolved == "" && t.Network != nil
}

func isKafka(t *Target) bool { return t.Workload.Kind == workload.KindKafkaESM }

// isFunction reports a function, on Lambda's own fleet or on Lambda Managed
// Instances; isLambdaFleet only the former, whose network interfaces are
// Lambda's Hyperplane interfaces created with the execution role.
func isFunction(t *Target) bool { return t.Workload.IsFunction() }

func isLambdaFleet(t *Target) bool { return t.Workload.Kind == workload.KindFunction }

// Fresh returns a copy of the target that recomputes its paths (after the
// network changed).
func Fresh(t *Target) *Target {
	c := *t
	c.paths = nil
	return &c
}
