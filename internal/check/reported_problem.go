package check

import (
	"fmt"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/reach"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/workload"
)

var reportedProblem = Check{
	ID:          "VM120",
	Name:        "lambda-reported-problem",
	Title:       "Lambda reports that the mapping is failing",
	Impact:      "Records are not being delivered; Lambda's own words say why it thinks so.",
	Remediation: "Fix what the other findings name; if none does, check the cluster's authentication, topics and broker health.",
	Severity:    report.SeverityInfo,
	Applies: func(t *Target) bool {
		result, _ := lambdaWords(t.Workload)
		return resolved(t) && strings.HasPrefix(result, "PROBLEM")
	},
	Run: func(t *Target) []Result {
		words, reason := lambdaWords(t.Workload)
		if reason != "" {
			words += " (" + reason + ")"
		}
		if networkFine(t) {
			return []Result{{
				Unverified: true,
				Message:    fmt.Sprintf("%s: Lambda reports %q, yet every network path vpcmedic checks is open: the cause is outside the network (authentication, topic, broker health) or outside what vpcmedic can see", t.Describe(), words),
				Resources:  []string{t.Workload.ID},
			}}
		}
		return []Result{{
			Message:   fmt.Sprintf("%s: Lambda itself reports %q, which the broken paths above explain", t.Describe(), words),
			Resources: []string{t.Workload.ID},
		}}
	},
}

// networkFine reports whether every path the checks evaluate is open.
func networkFine(t *Target) bool {
	if !t.Network.VPC.DNSSupport {
		return false
	}
	for _, sn := range t.Subnets() {
		for _, req := range t.Requirements {
			if !t.ServicePath(sn.ID, req.Service).OK {
				return false
			}
		}
	}
	groups := t.Workload.Network.SecurityGroupIDs
	for _, port := range sourcePorts(t.Workload) {
		for _, from := range t.Subnets() {
			for _, to := range t.Subnets() {
				if !reach.Flow(t.Network, reach.Place{SubnetID: from.ID, GroupIDs: groups}, reach.Place{SubnetID: to.ID, GroupIDs: groups}, port).Allowed {
					return false
				}
			}
		}
	}
	return true
}

// lambdaWords are a mapping's LastProcessingResult and StateTransitionReason.
func lambdaWords(w *workload.Workload) (result, reason string) {
	switch {
	case w.Kafka != nil:
		return w.Kafka.LastProcessingResult, w.Kafka.StateTransitionReason
	case w.Poller != nil:
		return w.Poller.LastProcessingResult, w.Poller.StateTransitionReason
	}
	return "", ""
}

// sourcePorts are the ports a mapping connects to its source on.
func sourcePorts(w *workload.Workload) []int {
	switch {
	case w.Kafka != nil:
		return w.Kafka.BrokerPorts
	case w.Poller != nil:
		return w.Poller.Ports
	}
	return nil
}
