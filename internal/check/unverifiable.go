package check

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

var kafkaUnverifiable = Check{
	ID:          "VM100",
	Name:        "workload-unverifiable",
	Title:       "The workload's network cannot be inspected from this account",
	Impact:      "vpcmedic cannot tell whether its paths exist, so a break would go unnoticed.",
	Remediation: "Run vpcmedic in the account that owns the network, or check the paths there by hand.",
	Severity:    report.SeverityInfo,
	Applies:     func(t *Target) bool { return t.Workload.Unresolved != "" },
	Run: func(t *Target) []Result {
		if r, ok := connectionGone(t); ok {
			return []Result{r}
		}
		msg := t.Describe() + " cannot be checked: " + t.Workload.Unresolved
		if c := vpcConnectionOf(t.Workload); c != nil {
			switch {
			case c.Unreadable != "":
				msg += "; the connection's state is unknown too: " + c.Unreadable
			case c.State == workload.VPCConnectionCreating:
				msg += "; the connection is still being created (CREATING)"
			case c.State != "":
				msg += fmt.Sprintf("; the connection is %s", c.State)
			}
		}
		return []Result{{
			Unverified: true,
			Message:    msg,
			Resources:  []string{t.Workload.ID},
		}}
	},
}

func vpcConnectionOf(w *workload.Workload) *workload.VPCConnection {
	if w.Kafka == nil || w.Kafka.Source != workload.SourceMSKCrossAccount {
		return nil
	}
	return w.Kafka.VPCConnection
}

// connectionGone is the finding of a cross-account mapping whose managed
// VPC connection no longer carries traffic: deleted, rejected by the
// cluster's owner, failed, inactive or on its way there. Only AVAILABLE
// connects, and CREATING may still become it; a state not known to the
// MSK API reference is left unverified.
func connectionGone(t *Target) (Result, bool) {
	c := vpcConnectionOf(t.Workload)
	if c == nil || c.Unreadable != "" {
		return Result{}, false
	}
	var state string
	switch {
	case c.Missing:
		state = "does not exist (any more)"
	case brokenConnectionStates[c.State] != "":
		state = fmt.Sprintf("is %s (%s)", c.State, brokenConnectionStates[c.State])
	default:
		return Result{}, false
	}
	return Result{
		Severity: report.SeverityError,
		Message: fmt.Sprintf("%s cannot reach its cluster: the managed VPC connection %s %s; only an AVAILABLE connection carries the mapping's traffic",
			t.Describe(), c.ARN, state),
		Resources:   []string{t.Workload.ID, c.ARN},
		Remediation: recreateConnection(t.Workload, c),
	}, true
}

// brokenConnectionStates are the VpcConnectionState values of a connection
// that carries no traffic, and what each means.
var brokenConnectionStates = map[string]string{
	"REJECTED":     "the cluster's owner rejected it",
	"REJECTING":    "the cluster's owner is rejecting it",
	"FAILED":       "it could not be created",
	"INACTIVE":     "it is inactive",
	"DEACTIVATING": "it is being deactivated",
	"DELETING":     "it is being deleted",
}

// recreateConnection is the fix: a rejected or lost connection is not
// revived; its owner deletes it and creates a new one once the cluster's
// owner allows it, and the mapping, whose event source cannot be changed,
// is created again on the new connection.
func recreateConnection(w *workload.Workload, c *workload.VPCConnection) string {
	owner := "The cluster's owner"
	if account := connectionOwner(c.ARN); account != "" {
		owner = fmt.Sprintf("The cluster's owner (account %s)", account)
	}
	cluster := orPlaceholder(c.TargetClusterARN, "<cluster ARN>")
	auth := orPlaceholder(c.Authentication, "<SASL_IAM|SASL_SCRAM|TLS>")
	vpc := orPlaceholder(c.VPCID, "<vpc-id>")
	subnets := orPlaceholder(strings.Join(c.SubnetIDs, " "), "<subnet-ids>")
	groups := orPlaceholder(strings.Join(c.SecurityGroupIDs, " "), "<security-group-ids>")
	var b strings.Builder
	fmt.Fprintf(&b, "%s must allow this account in the cluster policy and keep multi-VPC connectivity on; then re-create the connection and the mapping:", owner)
	if !c.Missing {
		fmt.Fprintf(&b, " aws kafka delete-vpc-connection --arn %s;", c.ARN)
	}
	fmt.Fprintf(&b, " aws kafka create-vpc-connection --target-cluster-arn %s --authentication %s --vpc-id %s --client-subnets %s --security-groups %s;",
		cluster, auth, vpc, subnets, groups)
	fmt.Fprintf(&b, " aws lambda create-event-source-mapping --function-name %s --event-source-arn <new connection ARN> --topics %s",
		orPlaceholder(w.FunctionARN, "<function>"), orPlaceholder(strings.Join(w.Kafka.Topics, " "), "<topics>"))
	if w.ID != "" {
		fmt.Fprintf(&b, " (then delete mapping %s)", w.ID)
	}
	return b.String()
}

// connectionOwner is the cluster owner's account in a managed VPC
// connection ARN (arn:aws:kafka:REGION:CLIENT:vpc-connection/OWNER/CLUSTER/ID),
// or "" when the ARN has no such part.
func connectionOwner(arn string) string {
	_, rest, ok := strings.Cut(arn, ":vpc-connection/")
	owner, _, _ := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return owner
}

func orPlaceholder(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}
