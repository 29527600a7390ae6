package notify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/trail"
)

// maxMessage keeps the alert under SNS's 256 KiB message limit.
const maxMessage = 250 << 10

// Body is the alert for a person reading it on a phone: what is broken and
// where, why, the cheapest fixes with their monthly cost and the exact
// commands, then the JSON report in its own section for tools.
func Body(r report.Report) string {
	text := humanText(r)
	js, err := json.MarshalIndent(r, "", "  ")
	switch {
	case err != nil:
		return text
	case len(text)+len(js) > maxMessage:
		return text + "\n(The JSON report is too large for an SNS message: run the function with -format json to get it.)\n"
	default:
		return text + fmt.Sprintf("\n----- JSON report -----\n%s\n", js)
	}
}

// humanText is the readable part of the alert: the trigger, every workload
// the alert is about, and the changes made.
func humanText(r report.Report) string {
	var b strings.Builder
	writeTrigger(&b, r)
	writeAccounts(&b, r)
	for _, w := range r.Workloads {
		writeAlerted(&b, r, w)
	}
	writeChanges(&b, r, detail{full: true})
	return b.String()
}

// writeTrigger names a network change as the cause: who made which call on
// which resource.
func writeTrigger(b *strings.Builder, r report.Report) {
	label := "Trigger"
	if r.Trigger.Source == trail.SourceEC2 {
		label = "Cause"
	}
	fmt.Fprintf(b, "%s: %s\n", label, report.DescribeTrigger(r.Trigger))
}

// writeAccounts counts a sweep's workloads per account and Region, and
// names the accounts it could not sweep.
func writeAccounts(b *strings.Builder, r report.Report) {
	if len(r.Accounts) == 0 {
		return
	}
	b.WriteString("\nACCOUNTS\n")
	for _, a := range r.Accounts {
		if a.Error != "" {
			fmt.Fprintf(b, "- %s %s: not swept: %s\n", a.Label(), a.Region, a.Error)
			continue
		}
		fmt.Fprintf(b, "- %s %s: %d %s checked, %d broken\n", a.Label(), a.Region, a.Checked, plural(a.Checked, "workload"), a.Broken)
	}
}

// writeAlerted describes a workload the alert is about; others are left
// out.
func writeAlerted(b *strings.Builder, r report.Report, w report.Workload) {
	switch {
	case w.Problem == alertstate.Recovered && w.Before != report.StatusBroken:
		fmt.Fprintf(b, "\nRECOVERED: %s %s (%s)\n", w.Kind, w.Name, w.ID)
	case w.Status == report.StatusBroken || w.Before == report.StatusBroken:
		writeWorkload(b, r, w)
	}
}

// writeChanges lists the changes made, at most d.limit of them unless d is
// full.
func writeChanges(b *strings.Builder, r report.Report, d detail) {
	if len(r.Changes) == 0 || r.Mode == "alarm" {
		return
	}
	var total float64
	for _, c := range r.Changes {
		if c.Status == report.ChangeCreated {
			total += c.MonthlyCostUSD
		}
	}
	fmt.Fprintf(b, "\nCHANGES MADE (new monthly cost about $%.2f)\n", total)
	changes, more := upTo(r.Changes, d)
	for _, c := range changes {
		cost := ""
		if c.MonthlyCostUSD > 0 {
			cost = fmt.Sprintf(", about $%.2f/month", c.MonthlyCostUSD)
		}
		fmt.Fprintf(b, "- %s: %s %s%s (%s)\n", c.Status, c.Action, c.Target, cost, c.Reason)
	}
	if more > 0 {
		fmt.Fprintf(b, "- and %d more %s\n", more, plural(more, "change"))
	}
}

// accountOf labels an account of the sweep with its name, when known.
func accountOf(r report.Report, id string) string {
	for _, a := range r.Accounts {
		if a.Account == id {
			return a.Label()
		}
	}
	return id
}

func writeWorkload(b *strings.Builder, r report.Report, w report.Workload) {
	verdict := strings.ToUpper(string(w.Status))
	if w.FixInProgress() {
		verdict = "FIX IN PROGRESS"
	}
	if w.Before != "" && w.Before != w.Status {
		verdict = fmt.Sprintf("%s (was %s)", verdict, strings.ToUpper(string(w.Before)))
	}
	if w.Problem != "" && w.Problem != alertstate.Recovered {
		verdict += ", " + w.Problem
	}
	fmt.Fprintf(b, "\n%s: %s %s (%s)\n", verdict, w.Kind, w.Name, w.ID)
	switch {
	case w.VPCID != "" && w.Account != "":
		fmt.Fprintf(b, "VPC %s, account %s, %s\n", w.VPCID, accountOf(r, w.Account), w.Region)
	case w.VPCID != "":
		fmt.Fprintf(b, "VPC %s, %s\n", w.VPCID, r.Trigger.Region)
	}

	// What: one line per service (or check) with its zones.
	var order []string
	zones := map[string][]string{}
	for _, f := range w.Findings {
		if f.Severity != report.SeverityError {
			continue
		}
		label := causeLabel(f)
		if !slices.Contains(order, label) {
			order = append(order, label)
		}
		if f.AZ != "" && !slices.Contains(zones[label], f.AZ) {
			zones[label] = append(zones[label], f.AZ)
		}
	}
	if len(order) > 0 {
		fmt.Fprintf(b, "\nWHAT IS BROKEN\n")
		for _, label := range order {
			where := ""
			if z := zones[label]; len(z) > 0 {
				where = " in " + strings.Join(z, ", ")
			}
			fmt.Fprintf(b, "- %s%s\n", label, where)
		}
		fmt.Fprintf(b, "\nWHY\n")
		for _, reason := range reasons(w.Findings, isError) {
			fmt.Fprintf(b, "- %s\n", reason)
		}
	}
	if waiting := reasons(w.Findings, isInProgress); len(waiting) > 0 {
		fmt.Fprintf(b, "\nIN PROGRESS (the sweep re-checks it and pages only if it fails)\n")
		for _, reason := range waiting {
			fmt.Fprintf(b, "- %s\n", reason)
		}
	}
	var fixes []report.Change
	var total float64
	for _, c := range r.Changes {
		if c.Workload == w.ID && c.Status == report.ChangePlanned {
			fixes = append(fixes, c)
			total += c.MonthlyCostUSD
		}
	}
	if len(fixes) > 0 {
		fmt.Fprintf(b, "\nFIX (cheapest first, about $%.2f/month in all)\n", total)
		for i, c := range fixes {
			cost := "free"
			if c.MonthlyCostUSD > 0 {
				cost = fmt.Sprintf("about $%.2f/month", c.MonthlyCostUSD)
			}
			fmt.Fprintf(b, "%d. %s (%s)\n   %s\n", i+1, capitalise(c.Reason), cost, c.Command)
		}
	}
	for _, u := range w.Unfixable {
		fmt.Fprintf(b, "- No safe automatic fix: %s\n", u)
	}
	for _, rec := range w.Recommendations {
		fmt.Fprintf(b, "- %s\n", rec)
	}
	var warnings []string
	for _, f := range w.Findings {
		if f.Severity == report.SeverityWarning {
			warnings = append(warnings, f.Message)
		}
	}
	if len(warnings) > 0 {
		fmt.Fprintf(b, "\nALSO WORTH FIXING\n- %s\n", strings.Join(warnings, "\n- "))
	}
}

func isError(f report.Finding) bool      { return f.Severity == report.SeverityError }
func isInProgress(f report.Finding) bool { return f.InProgress }

// reasons says each finding that keep admits once: messages that differ
// only in their zone become one message naming all the zones.
func reasons(findings []report.Finding, keep func(report.Finding) bool) []string {
	var order []string
	zones := map[string][]string{}
	for _, f := range findings {
		if !keep(f) {
			continue
		}
		key := f.Message
		if f.AZ != "" && strings.Contains(f.Message, f.AZ) {
			key = strings.ReplaceAll(f.Message, f.AZ, zonePlaceholder)
		}
		if !slices.Contains(order, key) {
			order = append(order, key)
		}
		if f.AZ != "" && !slices.Contains(zones[key], f.AZ) {
			zones[key] = append(zones[key], f.AZ)
		}
	}
	out := make([]string, len(order))
	for i, key := range order {
		out[i] = strings.ReplaceAll(key, zonePlaceholder, strings.Join(zones[key], ", "))
	}
	return out
}

// zonePlaceholder stands for the zone in a message while grouping; it
// cannot occur in a message.
const zonePlaceholder = "\x00zone\x00"

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
