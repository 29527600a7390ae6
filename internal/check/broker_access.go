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

var brokerAccess = Check{
	ID:          "VM104",
	Name:        "kafka-broker-access",
	Title:       "The mapping's network interfaces cannot reach the brokers",
	Impact:      "Lambda cannot connect to Kafka: the mapping delivers no record, in either mode.",
	Remediation: "Allow the broker port inbound on the cluster's security group from the group itself (a self-referencing rule), and outbound from it.",
	Severity:    report.SeverityError,
	Applies:     func(t *Target) bool { return isKafka(t) && resolved(t) && len(t.Workload.Kafka.BrokerPorts) > 0 },
	Run: func(t *Target) []Result {
		if t.Workload.Kafka.Source == workload.SourceSelfManagedKafka {
			return selfManagedBrokerEgress(t)
		}
		return mskBrokerAccess(t)
	},
}

// mskBrokerAccess: Lambda's ENIs sit in every client subnet with the
// cluster's groups, and must reach brokers in every client subnet.
func mskBrokerAccess(t *Target) []Result {
	return groupAccess(t, t.Workload.Kafka.BrokerPorts, "kafka", "the brokers")
}

// groupAccess checks that the workload's interfaces in each subnet reach
// the source (the brokers, the cluster) in every subnet on each port, all
// with the source's own groups.
func groupAccess(t *Target, ports []int, service, what string) []Result {
	var out []Result
	groups := t.Workload.Network.SecurityGroupIDs
	subnets := t.Subnets()
	for _, port := range ports {
		for _, from := range subnets {
			var problems, partial, evidence []string
			for _, to := range subnets {
				v := reach.Flow(t.Network, reach.Place{SubnetID: from.ID, GroupIDs: groups}, reach.Place{SubnetID: to.ID, GroupIDs: groups}, port)
				evidence = append(evidence, v.Evidence...)
				switch {
				case !v.Allowed:
					problems = append(problems, fmt.Sprintf("to %s in %s (subnet %s): %s", strings.TrimPrefix(what, "the "), to.AvailabilityZone, to.ID, v.Reason))
				case v.Partial:
					partial = append(partial, fmt.Sprintf("to %s in %s (subnet %s): %s", strings.TrimPrefix(what, "the "), to.AvailabilityZone, to.ID, v.Reason))
				}
			}
			if len(problems) == 0 && len(partial) == 0 {
				out = append(out, Result{Pass: true})
				continue
			}
			if len(problems) == 0 {
				out = append(out, Result{
					Severity:  report.SeverityWarning,
					Message:   fmt.Sprintf("%s in %s (subnet %s) reaches %s on TCP %d only in part %s", t.Describe(), from.AvailabilityZone, from.ID, what, port, strings.Join(partial, "; ")),
					AZ:        from.AvailabilityZone,
					Service:   service,
					Resources: append(append([]string{from.ID}, groups...), evidence...),
				})
				continue
			}
			out = append(out, Result{
				Message:   fmt.Sprintf("%s in %s (subnet %s) cannot reach %s on TCP %d %s", t.Describe(), from.AvailabilityZone, from.ID, what, port, strings.Join(problems, "; ")),
				AZ:        from.AvailabilityZone,
				Service:   service,
				Resources: append(append([]string{from.ID}, groups...), evidence...),
			})
		}
	}
	return out
}

// selfManagedBrokerEgress: the brokers' own groups are not known, so only
// the mapping's side is checked: some egress rule must allow the port.
func selfManagedBrokerEgress(t *Target) []Result {
	var out []Result
	groups := t.Workload.Network.SecurityGroupIDs
	for _, port := range t.Workload.Kafka.BrokerPorts {
		if anyEgress(t, groups, port) {
			out = append(out, Result{Pass: true})
			continue
		}
		out = append(out, Result{
			Message:   fmt.Sprintf("%s: none of its security groups (%s) allows TCP %d out, the port of its bootstrap servers", t.Describe(), strings.Join(groups, ", "), port),
			Service:   "kafka",
			Resources: groups,
		})
	}
	return out
}

func anyEgress(t *Target, groupIDs []string, port int) bool {
	for _, id := range groupIDs {
		g, ok := t.Network.SecurityGroup(id)
		if !ok {
			continue
		}
		if slices.ContainsFunc(g.Egress, func(r network.Rule) bool { return reach.RuleCoversTCP(r, port) }) {
			return true
		}
	}
	return false
}
