package notify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
	"github.com/vpcmedic/vpcmedic/internal/report"
)

// SNS limits (Publish API reference): the whole message, JSON structure
// included, is at most 262,144 UTF-8 bytes; one SMS publish at most 1,600
// characters.
const (
	maxPublish = 262144
	maxSMS     = 1600
	// maxChatDescription keeps the chat notification to what a chat
	// message shows at once; the full text goes to email and JSON.
	maxChatDescription = 3000
)

// Keys of a MessageStructure "json" message. Protocols without their own
// key (http, sqs, lambda, email-json, firehose, application) receive
// "default", so the JSON report is sent once.
const (
	keyDefault = "default"
	keyEmail   = "email"
	keySMS     = "sms"
	keyHTTPS   = "https"
)

// detail is how much of the report a message carries: everything, or at
// most limit items per list (workloads, causes, changes).
type detail struct {
	full  bool
	limit int
}

// details are tried in order until the message fits.
var details = []detail{{full: true}, {limit: 200}, {limit: 100}, {limit: 50}, {limit: 20}, {limit: 10}, {limit: 5}, {limit: 2}, {limit: 0}}

// message is one SNS publish: the JSON structure and what was left out.
type message struct {
	body       string
	summarised bool
}

// buildMessage returns the per-protocol message for a report, the most
// detailed one whose encoding fits in budget bytes. where says where the
// full report is logged when the message carries only a summary.
func buildMessage(r report.Report, subject, where string, budget int) (message, error) {
	var last string
	for _, d := range details {
		for _, withReport := range []bool{true, false} {
			if withReport && !d.full {
				continue
			}
			body, err := encode(r, subject, where, d, withReport)
			if err != nil {
				return message{}, err
			}
			if len(body) <= budget {
				return message{body: body, summarised: !withReport}, nil
			}
			last = body
		}
	}
	return message{}, fmt.Errorf("the smallest alert is %d bytes, over the %d SNS takes", len(last), budget)
}

func encode(r report.Report, subject, where string, d detail, withReport bool) (string, error) {
	text := summaryText(r, d, where)
	email := text
	machine := machineAlert{ID: r.Trigger.EventID, Subject: subject, Text: text, Summary: summarise(r, d)}
	if withReport {
		email = Body(r)
		machine.Report = &r
	} else {
		machine.FullReport = where
	}
	def, err := marshal(machine)
	if err != nil {
		return "", err
	}
	chat, err := marshal(chatNotification(r, subject))
	if err != nil {
		return "", err
	}
	return marshal(map[string]string{
		keyDefault: def,
		keyEmail:   email,
		keySMS:     smsText(r),
		keyHTTPS:   chat,
	})
}

// marshal encodes JSON without HTML escaping: "<-" in a mapping's name
// stays readable and costs one byte, not six.
func marshal(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// machineAlert is the JSON tools receive: the report when it fits, or a
// summary and where the full report is logged.
//
// ID is the ID of the event the alert is about, the same on every retry of
// its run: SNS standard topics do not deduplicate, so a receiver that
// drops an ID it has seen (a PagerDuty dedup key, an Opsgenie alias) turns
// the repeat a retry may send into nothing.
type machineAlert struct {
	ID         string         `json:"id,omitempty"`
	Subject    string         `json:"subject"`
	Text       string         `json:"text"`
	Summary    alertSummary   `json:"summary"`
	Report     *report.Report `json:"report,omitempty"`
	FullReport string         `json:"fullReport,omitempty"`
}

// alertSummary counts what the alert is about. Severity, kind, account,
// region and mode repeat the message attributes in the body, for consumers
// that receive no attributes.
type alertSummary struct {
	Severity string `json:"severity"`
	Kind     string `json:"kind"`
	Account  string `json:"account,omitempty"`
	// AccountName is the account's name in its organisation, when known.
	AccountName string `json:"accountName,omitempty"`
	Region      string `json:"region,omitempty"`
	Mode        string `json:"mode,omitempty"`
	Trigger     string `json:"trigger"`
	Broken      int    `json:"broken"`
	Recovered   int    `json:"recovered"`
	Fixed       int    `json:"fixed"`
	// InProgress counts workloads whose fix waits on vpcmedic's own
	// changes taking effect.
	InProgress int             `json:"inProgress"`
	Causes     []cause         `json:"causes"`
	Workloads  []workloadBrief `json:"workloads"`
	// Accounts counts a sweep's workloads per account and Region.
	Accounts []report.AccountRun `json:"accounts,omitempty"`
	// MoreWorkloads and MoreCauses count what the lists leave out.
	MoreWorkloads int `json:"moreWorkloads,omitempty"`
	MoreCauses    int `json:"moreCauses,omitempty"`
}

type workloadBrief struct {
	Kind    string        `json:"kind"`
	ID      string        `json:"id"`
	Name    string        `json:"name,omitempty"`
	Account string        `json:"account,omitempty"`
	Region  string        `json:"region,omitempty"`
	Status  report.Status `json:"status"`
	Problem string        `json:"problem,omitempty"`
	VPCID   string        `json:"vpcId,omitempty"`
	Causes  []string      `json:"causes,omitempty"`
}

// cause is one broken service or check, with how many workloads it breaks
// and in which zones.
type cause struct {
	Label     string   `json:"cause"`
	Workloads int      `json:"workloads"`
	Zones     []string `json:"zones,omitempty"`
}

func summarise(r report.Report, d detail) alertSummary {
	s := alertSummary{Severity: alertSeverity(r), Kind: alertKind(r), Account: r.Trigger.Account, AccountName: r.AccountName, Region: r.Trigger.Region, Mode: r.Mode, Trigger: report.DescribeTrigger(r.Trigger), Accounts: r.Accounts}
	t := counts(r)
	s.Broken, s.Recovered, s.Fixed, s.InProgress = t.broken, t.recovered, t.fixed, t.inProgress
	causes := causesOf(r)
	s.Causes, s.MoreCauses = upTo(causes, d)
	var briefs []workloadBrief
	for _, w := range alerted(r) {
		briefs = append(briefs, workloadBrief{Kind: w.Kind, ID: w.ID, Name: w.Name, Account: w.Account, Region: w.Region, Status: w.Status, Problem: w.Problem, VPCID: w.VPCID, Causes: labelsOf(w)})
	}
	s.Workloads, s.MoreWorkloads = upTo(briefs, d)
	if s.Causes == nil {
		s.Causes = []cause{}
	}
	if s.Workloads == nil {
		s.Workloads = []workloadBrief{}
	}
	return s
}

// upTo keeps the first d.limit items unless d is full, and counts the rest.
func upTo[T any](items []T, d detail) ([]T, int) {
	if d.full || len(items) <= d.limit {
		return items, 0
	}
	return items[:d.limit], len(items) - d.limit
}

// tally counts the workloads of a report by what the alert says of them.
type tally struct{ broken, recovered, fixed, inProgress int }

func counts(r report.Report) tally {
	var t tally
	for _, w := range r.Workloads {
		switch {
		case w.Status == report.StatusBroken:
			t.broken++
		case w.FixInProgress():
			t.inProgress++
		case w.Before == report.StatusBroken:
			t.fixed++
		case w.Problem == alertstate.Recovered:
			t.recovered++
		}
	}
	return t
}

// String says the counts in words, naming fixes in progress only when
// there are some.
func (t tally) String() string {
	s := fmt.Sprintf("%d %s broken, %d recovered, %d fixed", t.broken, plural(t.broken, "workload"), t.recovered, t.fixed)
	if t.inProgress > 0 {
		s += fmt.Sprintf(", %d fix in progress", t.inProgress)
	}
	return s
}

// alerted lists the workloads an alert is about, broken ones first.
func alerted(r report.Report) []report.Workload {
	var broken, others []report.Workload
	for _, w := range r.Workloads {
		switch {
		case w.Status == report.StatusBroken:
			broken = append(broken, w)
		case w.Before == report.StatusBroken || w.Problem == alertstate.Recovered:
			others = append(others, w)
		}
	}
	return append(broken, others...)
}

// causeLabel names what a finding says is broken: the service (or the
// check when no service is involved) and the check.
func causeLabel(f report.Finding) string {
	label := f.Service
	if label == "" {
		label = f.Check
	}
	return label + " (" + f.Check + ")"
}

// labelsOf lists a workload's broken causes, each once.
func labelsOf(w report.Workload) []string {
	var labels []string
	for _, f := range w.Findings {
		if f.Severity == report.SeverityError && !slices.Contains(labels, causeLabel(f)) {
			labels = append(labels, causeLabel(f))
		}
	}
	return labels
}

// causesOf groups the broken workloads' errors by cause, the most common
// first.
func causesOf(r report.Report) []cause {
	var out []cause
	index := map[string]int{}
	for _, w := range r.Workloads {
		if w.Status != report.StatusBroken {
			continue
		}
		for _, label := range labelsOf(w) {
			i, ok := index[label]
			if !ok {
				i = len(out)
				index[label] = i
				out = append(out, cause{Label: label})
			}
			out[i].Workloads++
		}
		for _, f := range w.Findings {
			if f.Severity != report.SeverityError || f.AZ == "" {
				continue
			}
			c := &out[index[causeLabel(f)]]
			if !slices.Contains(c.Zones, f.AZ) {
				c.Zones = append(c.Zones, f.AZ)
			}
		}
	}
	for i := range out {
		slices.Sort(out[i].Zones)
	}
	slices.SortStableFunc(out, func(a, b cause) int { return b.Workloads - a.Workloads })
	return out
}

func (c cause) String() string {
	s := fmt.Sprintf("%s: %d %s", c.Label, c.Workloads, plural(c.Workloads, "workload"))
	if len(c.Zones) > 0 {
		s += " in " + strings.Join(c.Zones, ", ")
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// summaryText is the readable alert at a level of detail: today's body
// without the JSON section when full, else the counts, the causes, the
// first workloads in full and how many more there are. It always ends with
// a whole line.
func summaryText(r report.Report, d detail, where string) string {
	if d.full {
		return humanText(r)
	}
	var b strings.Builder
	writeTrigger(&b, r)
	fmt.Fprintf(&b, "\n%s", counts(r))
	if r.Trigger.Account != "" || r.Trigger.Region != "" {
		fmt.Fprintf(&b, " (account %s, %s)", report.AccountLabel(r.Trigger.Account, r.AccountName), r.Trigger.Region)
	}
	b.WriteString("\n")
	writeAccounts(&b, r)
	causes, moreCauses := upTo(causesOf(r), d)
	if len(causes) > 0 {
		b.WriteString("\nCAUSES\n")
		for _, c := range causes {
			fmt.Fprintf(&b, "- %s\n", c)
		}
	}
	if moreCauses > 0 {
		fmt.Fprintf(&b, "- and %d more %s\n", moreCauses, plural(moreCauses, "cause"))
	}
	workloads, more := upTo(alerted(r), d)
	for _, w := range workloads {
		writeAlerted(&b, r, w)
	}
	if more > 0 {
		fmt.Fprintf(&b, "\n... and %d more %s.\n", more, plural(more, "workload"))
	}
	writeChanges(&b, r, d)
	if where != "" {
		fmt.Fprintf(&b, "\nThe full report is %s.\n", where)
	}
	return b.String()
}

// smsText says in under 1,600 characters what is broken and where: the
// counts, the causes with their zones, then the first workloads, whole
// items only.
func smsText(r report.Report) string {
	head := fmt.Sprintf("vpcmedic %s %s: %s.", report.AccountLabel(r.Trigger.Account, r.AccountName), r.Trigger.Region, counts(r))
	var causes []string
	for _, c := range causesOf(r) {
		causes = append(causes, c.String())
	}
	var names []string
	for _, w := range alerted(r) {
		names = append(names, nameOf(w))
	}
	trigger := " " + report.DescribeTrigger(r.Trigger) + "."
	room := maxSMS - len(head)
	if len(trigger) > room/3 {
		trigger = ""
	}
	room -= len(trigger)
	c := fitItems(" Causes: ", causes, "; ", "cause", room*2/3)
	w := fitItems(" Workloads: ", names, ", ", "", room-len(c))
	return head + c + w + trigger
}

// fitItems joins whole items after a label within limit bytes, ending with
// "and N more" when some do not fit; noun names what is counted.
func fitItems(label string, items []string, sep, noun string, limit int) string {
	if len(items) == 0 {
		return ""
	}
	tail := func(n int) string {
		if n == 0 {
			return "."
		}
		if noun == "" {
			return fmt.Sprintf(" and %d more.", n)
		}
		return fmt.Sprintf(" and %d more %s.", n, plural(n, noun))
	}
	for i := len(items); i > 0; i-- {
		if s := label + strings.Join(items[:i], sep) + tail(len(items)-i); len(s) <= limit {
			return s
		}
	}
	if s := fmt.Sprintf("%s%d.", label, len(items)); len(s) <= limit {
		return s
	}
	return ""
}

// chatNotification is the AWS Chatbot (Amazon Q Developer in chat
// applications) custom notification: version "1.0", source "custom".
type chatNotice struct {
	Version  string      `json:"version"`
	Source   string      `json:"source"`
	ID       string      `json:"id,omitempty"`
	Content  chatContent `json:"content"`
	Metadata chatMeta    `json:"metadata"`
}

type chatContent struct {
	TextType    string   `json:"textType"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	NextSteps   []string `json:"nextSteps,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
}

type chatMeta struct {
	Summary           string            `json:"summary"`
	EventType         string            `json:"eventType"`
	RelatedResources  []string          `json:"relatedResources,omitempty"`
	AdditionalContext map[string]string `json:"additionalContext,omitempty"`
}

// maxChatItems bounds the next steps and related resources a chat
// notification lists.
const maxChatItems = 5

func chatNotification(r report.Report, subject string) chatNotice {
	workloads := alerted(r)
	var resources, steps []string
	for _, w := range workloads {
		if len(resources) < maxChatItems {
			resources = append(resources, w.ID)
		}
	}
	for _, c := range r.Changes {
		if c.Status == report.ChangePlanned && c.Command != "" && len(steps) < maxChatItems {
			steps = append(steps, capitalise(c.Reason)+": `"+c.Command+"`")
		}
	}
	return chatNotice{
		Version: "1.0",
		Source:  "custom",
		ID:      r.Trigger.EventID,
		Content: chatContent{
			TextType:    "client-markdown",
			Title:       subject,
			Description: wholeLines(summaryText(r, detail{limit: maxChatItems}, ""), maxChatDescription),
			NextSteps:   steps,
			Keywords:    attributeValues(r),
		},
		Metadata: chatMeta{
			Summary:          subject,
			EventType:        alertKind(r),
			RelatedResources: resources,
			AdditionalContext: map[string]string{
				"account": r.Trigger.Account,
				"region":  r.Trigger.Region,
				"mode":    r.Mode,
			},
		},
	}
}

// wholeLines keeps the lines of s that fit in limit bytes with a closing
// line counting the rest.
func wholeLines(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	for keep := len(lines) - 1; keep >= 0; keep-- {
		out := strings.Join(lines[:keep], "") + fmt.Sprintf("\n(and %d more lines in the email and JSON alert)\n", len(lines)-keep)
		if len(out) <= limit {
			return out
		}
	}
	return ""
}
