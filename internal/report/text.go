package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// WriteText writes the report for a person to read.
func WriteText(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "vpcmedic (%s mode): %s\n", r.Mode, DescribeTrigger(r.Trigger))
	if r.Trigger.Skip != "" {
		fmt.Fprintf(&b, "skipped: %s\n", r.Trigger.Skip)
	}
	for _, n := range r.Networks {
		fmt.Fprintf(&b, "\nnetwork %s: %d subnets in %s, %d route tables, %d security groups, %d network ACLs\n",
			n.VPCID, n.Subnets, strings.Join(n.AvailabilityZones, ", "), n.RouteTables, n.SecurityGroups, n.NetworkACLs)
		fmt.Fprintf(&b, "  DNS support %s, DNS hostnames %s\n", onOff(n.DNSSupport), onOff(n.DNSHostnames))
		fmt.Fprintf(&b, "  public subnets: %s\n", listOrNone(n.PublicSubnets))
		fmt.Fprintf(&b, "  internet gateways: %s\n", listOrNone(n.InternetGateways))
		fmt.Fprintf(&b, "  NAT gateways: %s\n", listOrNone(n.NATGateways))
		fmt.Fprintf(&b, "  VPC endpoints: %s\n", listOrNone(n.Endpoints))
	}
	if len(r.Workloads) == 0 {
		fmt.Fprintf(&b, "\nno workloads checked\n")
	}
	for _, wl := range r.Workloads {
		fmt.Fprintf(&b, "\n%s %s", wl.Kind, wl.ID)
		if wl.Name != "" {
			fmt.Fprintf(&b, " (%s)", wl.Name)
		}
		fmt.Fprintf(&b, ": %s", strings.ToUpper(string(wl.Status)))
		if wl.Before != "" && wl.Before != wl.Status {
			fmt.Fprintf(&b, " (was %s)", wl.Before)
		}
		fmt.Fprintf(&b, ", %d checks passed, %d findings\n", wl.Passed, len(wl.Findings))
		for _, f := range wl.Findings {
			where := ""
			if f.AZ != "" {
				where = " [" + f.AZ + "]"
			}
			fmt.Fprintf(&b, "  %-7s %s%s %s\n", f.Severity, f.Check, where, f.Message)
		}
		for _, u := range wl.Unfixable {
			fmt.Fprintf(&b, "  no safe automatic fix: %s\n", u)
		}
		for _, rec := range wl.Recommendations {
			fmt.Fprintf(&b, "  %s\n", rec)
		}
	}
	if len(r.Changes) > 0 {
		fmt.Fprintf(&b, "\nchanges:\n")
		for _, c := range r.Changes {
			cost := ""
			if c.MonthlyCostUSD > 0 {
				cost = fmt.Sprintf(" (about $%.2f/month)", c.MonthlyCostUSD)
			}
			fmt.Fprintf(&b, "  %-9s %s %s: %s%s\n", c.Status, c.Action, c.Target, c.Reason, cost)
			if c.Command != "" && c.Status == ChangePlanned {
				fmt.Fprintf(&b, "            %s\n", c.Command)
			}
		}
	}
	switch {
	case r.Alert == nil:
	case r.Alert.Error != "":
		fmt.Fprintf(&b, "\nalert not sent: %s\n", r.Alert.Error)
	default:
		fmt.Fprintf(&b, "\nalert sent: %s\n", r.Alert.Subject)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DescribeTrigger says in one line what happened and who did it.
func DescribeTrigger(t trail.Trigger) string {
	if t.Action == trail.ActionSweep {
		s := "scheduled sweep"
		if t.EventID == "" {
			s = "sweep"
		}
		return fmt.Sprintf("%s of %s/%s", s, t.Account, t.Region)
	}
	var ids []string
	for _, r := range t.Resources {
		ids = append(ids, r.ID)
		if len(ids) == 3 {
			break
		}
	}
	s := t.Action
	if len(ids) > 0 {
		s += " " + strings.Join(ids, ", ")
	}
	if t.Actor != nil && t.Actor.ARN != "" {
		s += " by " + t.Actor.ARN
	}
	return fmt.Sprintf("%s (event %s, %s/%s)", s, t.EventID, t.Account, t.Region)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "OFF"
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
