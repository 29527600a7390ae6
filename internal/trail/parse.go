package trail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Error is a terminal problem with an event: retrying it cannot help.
type Error struct {
	EventID string // detail.eventID or the envelope id, when known
	Name    string // the event name, when known
	Reason  string
}

func (e *Error) Error() string {
	where := "event"
	if e.Name != "" {
		where += " " + e.Name
	}
	if e.EventID != "" {
		where += " " + e.EventID
	}
	return where + ": " + e.Reason
}

// maxEventSize bounds the input: EventBridge events are at most 256 KiB.
const maxEventSize = 1 << 20

// Parse reads one EventBridge event.
func Parse(raw []byte) (Trigger, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return Trigger{}, &Error{Reason: "empty input: expected an EventBridge event (JSON object)"}
	}
	if len(raw) > maxEventSize {
		return Trigger{}, &Error{Reason: fmt.Sprintf("input of %d bytes is larger than any EventBridge event", len(raw))}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Trigger{}, &Error{Reason: "not valid JSON: " + err.Error()}
	}
	if dec.More() {
		return Trigger{}, &Error{Reason: "trailing data after the JSON event"}
	}
	env := node{v}
	if !env.isObject() {
		return Trigger{}, &Error{Reason: "not a JSON object: expected an EventBridge event"}
	}
	t := Trigger{
		EventID: env.get("id").str(),
		Source:  env.get("source").str(),
		Account: env.get("account").str(),
		Region:  env.get("region").str(),
	}
	if ts := env.get("time").str(); ts != "" {
		parsed, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			return t, &Error{EventID: t.EventID, Reason: fmt.Sprintf("time %q is not RFC 3339", ts)}
		}
		t.Time = parsed
	}
	detailType := env.get("detail-type").str()
	switch detailType {
	case DetailTypeScheduled:
		if t.Source != SourceSchedule {
			return t, &Error{EventID: t.EventID, Reason: fmt.Sprintf("scheduled event from source %q, expected %s", t.Source, SourceSchedule)}
		}
		t.Action = ActionSweep
		t.Resources = []Resource{}
		return t, nil
	case DetailTypeAPICall:
		return parseAPICall(t, env.get("detail"))
	case "":
		return t, &Error{EventID: t.EventID, Reason: "no detail-type: not an EventBridge event"}
	default:
		return t, &Error{EventID: t.EventID, Reason: fmt.Sprintf("unsupported detail-type %q from source %q", detailType, t.Source)}
	}
}

// ActionSweep is the action of a scheduled (or manual) sweep trigger.
const ActionSweep = "Sweep"

// Sweep returns the trigger of a sweep started without an event.
func Sweep(account, region string, now time.Time) Trigger {
	return Trigger{Source: SourceSchedule, Action: ActionSweep, Account: account, Region: region, Time: now, Resources: []Resource{}}
}

// versionSuffix matches the API version Lambda appends to its event names
// (CreateFunction20150331, UpdateFunctionConfiguration20150331v2).
var versionSuffix = regexp.MustCompile(`20\d{6}(v\d+)?$`)

// ActionOf strips the API version suffix from a Lambda event name.
func ActionOf(eventName string) string {
	return versionSuffix.ReplaceAllString(eventName, "")
}

func parseAPICall(t Trigger, detail node) (Trigger, error) {
	if !detail.isObject() {
		return t, &Error{EventID: t.EventID, Reason: "detail is missing or not an object"}
	}
	if id := detail.get("eventID").str(); id != "" {
		t.EventID = id
	}
	t.EventName = detail.get("eventName").str()
	if t.EventName == "" {
		return t, &Error{EventID: t.EventID, Reason: "detail.eventName is missing"}
	}
	if t.Region == "" {
		t.Region = detail.get("awsRegion").str()
	}
	if t.Account == "" {
		t.Account = detail.get("recipientAccountId").str()
	}
	if t.Time.IsZero() {
		if ts, err := time.Parse(time.RFC3339, detail.get("eventTime").str()); err == nil {
			t.Time = ts
		}
	}
	t.Actor = parseActor(detail.get("userIdentity"))
	t.ErrorCode = detail.get("errorCode").str()
	t.ErrorMessage = detail.get("errorMessage").str()
	t.Resources = []Resource{}

	eventSource := detail.get("eventSource").str()
	i := slices.IndexFunc(services, func(s service) bool { return t.Source == s.source || eventSource == s.eventSource })
	if i < 0 {
		return t, &Error{EventID: t.EventID, Name: t.EventName, Reason: fmt.Sprintf("unsupported source %q (eventSource %q)", t.Source, eventSource)}
	}
	svc := services[i]
	t.Source, t.Action = svc.source, t.EventName
	if svc.source == SourceLambda {
		// Lambda appends an API version to its event names.
		t.Action = ActionOf(t.EventName)
	}
	parse := svc.parsers[t.Action]
	if parse == nil {
		return t, &Error{EventID: t.EventID, Name: t.EventName, Reason: fmt.Sprintf("unsupported %s event name", t.Source)}
	}
	if t.ErrorCode != "" {
		// A failed call changed nothing; its parameters may be incomplete.
		t.Skip = fmt.Sprintf("the call failed with %s: nothing changed", t.ErrorCode)
		_ = parse(&t, detail.get("requestParameters"), detail.get("responseElements"))
		return t, nil
	}
	if err := parse(&t, detail.get("requestParameters"), detail.get("responseElements")); err != nil {
		return t, &Error{EventID: t.EventID, Name: t.EventName, Reason: err.Error()}
	}
	return t, nil
}

func parseActor(id node) *Actor {
	if !id.exists() {
		return nil
	}
	a := &Actor{
		Type:      id.get("type").str(),
		ARN:       id.get("arn").str(),
		AccountID: id.get("accountId").str(),
		InvokedBy: id.get("invokedBy").str(),
		RoleARN:   id.path("sessionContext", "sessionIssuer", "arn").str(),
	}
	if *a == (Actor{}) {
		return nil
	}
	return a
}

// missing is the error for a required request member that is absent.
func missing(member string) error {
	return fmt.Errorf("requestParameters has no %s", member)
}

// service is a source of the CloudTrail events vpcmedic reads: the
// EventBridge source, CloudTrail's eventSource, and a parser per action.
type service struct {
	source, eventSource string
	parsers             map[string]func(*Trigger, node, node) error
}

var services = []service{
	{SourceLambda, "lambda.amazonaws.com", lambdaParsers},
	{SourceEC2, "ec2.amazonaws.com", ec2Parsers},
	{SourceKafka, "kafka.amazonaws.com", kafkaParsers},
	{SourceMQ, "amazonmq.amazonaws.com", mqParsers},
	{SourceRDS, "rds.amazonaws.com", rdsParsers},
}
