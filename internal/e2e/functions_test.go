package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/fakeruntime"
)

const (
	sampleOrdersUUID    = "3f1c8a52-9d4e-4b71-a0c6-7e25d9b4f183"
	sampleOrdersCluster = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/5d0c3f6a-8b1e-4a27-9c4d-2e7f1b8a6d93-7"
	// ordersEventID is detail.eventID of the mapping's creation sample.
	ordersEventID = "29a639f2-fad1-5def-b88f-2621da75773a"
)

// report is the part of the JSON report the tests read.
type report struct {
	Trigger struct {
		EventID string `json:"eventId"`
		Action  string `json:"action"`
		Skipped string `json:"skipped"`
	} `json:"trigger"`
	Mode      string `json:"mode"`
	Workloads []struct {
		Kind     string `json:"kind"`
		ID       string `json:"id"`
		VPCID    string `json:"vpcId"`
		Status   string `json:"status"`
		Findings []struct {
			Check    string `json:"check"`
			Severity string `json:"severity"`
		} `json:"findings"`
	} `json:"workloads"`
	Changes []struct {
		Action string `json:"action"`
		Status string `json:"status"`
	} `json:"changes"`
	Networks []struct {
		VPCID string `json:"vpcId"`
	} `json:"networks"`
	Alert *struct {
		Subject string `json:"subject"`
	} `json:"alert"`
}

func decodeReport(t *testing.T, res fakeruntime.Result) report {
	t.Helper()
	if res.Err != nil {
		t.Fatalf("function error %v", res.Err)
	}
	var rep report
	if err := json.Unmarshal(res.Payload, &rep); err != nil {
		t.Fatalf("payload is not a JSON report: %v\n%s", err, res.Payload)
	}
	return rep
}

func TestOnLambdaChangeAnswersWithTheReportAndPages(t *testing.T) {
	srv, a := seededAccount(t)
	fn := start(t, srv, a, app.OnLambdaChange)
	event := sample(t, "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json",
		sampleOrdersUUID, a.Orders.ESM.UUID, sampleOrdersCluster, a.Orders.Cluster.ARN)

	rep := decodeReport(t, fn.invoke(t, event))
	if rep.Trigger.EventID != ordersEventID || rep.Trigger.Action != "CreateEventSourceMapping" || rep.Mode != "alarm" {
		t.Errorf("trigger %+v in %s mode, want CreateEventSourceMapping %s in alarm mode", rep.Trigger, rep.Mode, ordersEventID)
	}
	if len(rep.Workloads) != 1 || rep.Workloads[0].ID != a.Orders.ESM.UUID || rep.Workloads[0].Kind != "kafka-esm" || rep.Workloads[0].VPCID != a.Orders.VPC.ID {
		t.Fatalf("workloads %+v, want kafka-esm %s in %s", rep.Workloads, a.Orders.ESM.UUID, a.Orders.VPC.ID)
	}
	if len(rep.Networks) != 1 || rep.Networks[0].VPCID != a.Orders.VPC.ID {
		t.Errorf("networks %+v, want %s", rep.Networks, a.Orders.VPC.ID)
	}
	if rep.Changes == nil {
		t.Error("changes is null, want a list")
	}
	for _, c := range rep.Changes {
		if c.Status != "planned" {
			t.Errorf("change %+v in alarm mode: want it planned, not made", c)
		}
	}
	// No NAT gateway, no endpoint: the on-demand mapping cannot reach
	// Lambda or STS, and on-call hears of it through ALERT_TOPIC_ARN.
	if rep.Workloads[0].Status != "broken" || rep.Alert == nil {
		t.Errorf("status %s, alert %+v: want broken, paged", rep.Workloads[0].Status, rep.Alert)
	}
	if got := messages(t, srv, a.Oncall); len(got) != 1 || !strings.Contains(got[0], a.Orders.ESM.UUID) {
		t.Errorf("on-call received %v, want one alert about %s", got, a.Orders.ESM.UUID)
	}
	fn.logLine(t, "resolved workloads", ordersEventID)
	l := fn.logLine(t, "checked workload", ordersEventID)
	if l["workload"] != a.Orders.ESM.UUID {
		t.Errorf("log line %v does not name the workload %s", l, a.Orders.ESM.UUID)
	}
	if l["requestId"] == nil || l["requestId"] == "" || l["level"] != "INFO" || l["timestamp"] == nil {
		t.Errorf("log line %v lacks Lambda's keys (timestamp, level, requestId)", l)
	}
	// One metrics document per invocation, as CloudWatch Logs extracts it.
	if docs := fn.metricDocuments(t); len(docs) != 1 || docs[0]["Function"] != "vpcmedic-"+app.OnLambdaChange || docs[0]["WorkloadsBroken"] != 1.0 || docs[0]["PagesSent"] != 1.0 {
		t.Errorf("metrics %v, want one document: function vpcmedic-%s, 1 broken, 1 page", docs, app.OnLambdaChange)
	}

	// EventBridge delivers at least once: the same event again, to the
	// same warm process, gives the same verdict.
	again := decodeReport(t, fn.invoke(t, event))
	if len(again.Workloads) != 1 || again.Workloads[0].ID != a.Orders.ESM.UUID || again.Workloads[0].Status != rep.Workloads[0].Status {
		t.Errorf("second delivery: workloads %+v, want the same verdict as the first", again.Workloads)
	}
}

func TestOnNetworkChangeAnswersWithTheReport(t *testing.T) {
	srv, a := seededAccount(t)
	fn := start(t, srv, a, app.OnNetworkChange, "ALERT_TOPIC_ARN=")

	rep := decodeReport(t, fn.invoke(t, sample(t, "on-network-change/ModifyVpcAttribute-disable-dns-hostnames.json",
		"vpc-0a5c3e9d71b4f2861", a.Orders.VPC.ID)))
	if len(rep.Workloads) != 1 || rep.Workloads[0].ID != a.Orders.ESM.UUID || rep.Workloads[0].VPCID != a.Orders.VPC.ID {
		t.Errorf("workloads %+v, want the mapping in %s", rep.Workloads, a.Orders.VPC.ID)
	}
	if rep.Alert != nil {
		t.Errorf("alert %+v sent with no topic configured", rep.Alert)
	}
	fn.logLine(t, "resolved workloads", "1f6f3281-7d3f-55af-95ba-d3ae3ef2051f")
}

func TestSweepRunsOnItsScheduledEvent(t *testing.T) {
	srv, a := seededAccount(t)
	fn := start(t, srv, a, app.Sweep, "ALERT_TOPIC_ARN=")

	rep := decodeReport(t, fn.invoke(t, sample(t, "sweep/scheduled.json")))
	if rep.Trigger.Action != "Sweep" || rep.Trigger.EventID != "f6e5a472-0d54-59ec-b465-37ad1addd665" {
		t.Errorf("trigger %+v, want the scheduled sweep", rep.Trigger)
	}
	if len(rep.Workloads) != 1 || rep.Workloads[0].ID != a.Orders.ESM.UUID {
		t.Errorf("workloads %+v, want the one mapping of the account", rep.Workloads)
	}
	fn.logLine(t, "resolved workloads", "f6e5a472-0d54-59ec-b465-37ad1addd665")
}

func TestSkippedEventSucceeds(t *testing.T) {
	srv, a := seededAccount(t)
	fn := start(t, srv, a, app.OnLambdaChange)

	rep := decodeReport(t, fn.invoke(t, sample(t, "unmatched/CreateEventSourceMapping-access-denied.json")))
	if !strings.Contains(rep.Trigger.Skipped, "AccessDenied") || len(rep.Workloads) != 0 {
		t.Errorf("trigger %+v, workloads %+v: want skipped, nothing checked", rep.Trigger, rep.Workloads)
	}
	if l := fn.logLine(t, "skipped", "62cdb20c-b77c-5b21-8e13-6d50984bdd3f"); !strings.Contains(l["reason"].(string), "AccessDenied") {
		t.Errorf("log line %v does not say why", l)
	}
}

// Events that can never be processed. EventBridge only ever sends JSON, so
// these are JSON documents that are not events vpcmedic can use.
var rejected = []struct {
	name, function string
	event          string
	reason         string
	eventID        string
}{
	{"EC2 event to on-lambda-change", app.OnLambdaChange,
		"on-network-change/DeleteNatGateway-az-a.json", "on-lambda-change handles aws.lambda events, not aws.ec2 DeleteNatGateway", "36cd5dee-c48a-583b-876c-60fb66b8dc7c"},
	{"API call without detail", app.OnNetworkChange,
		`{"version":"0","id":"7c1d9e0a-5b2f-4d3c-8e6a-1f0b9c2d3e4f","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","account":"123456789012","time":"2025-03-14T10:54:50Z","region":"us-east-1","resources":[]}`,
		"detail is missing", "7c1d9e0a-5b2f-4d3c-8e6a-1f0b9c2d3e4f"},
	{"not an EventBridge event", app.Sweep, `{"hello":"world"}`, "no detail-type", ""},
}

func rejectedEvent(t *testing.T, event string) []byte {
	t.Helper()
	if strings.HasPrefix(event, "{") {
		return []byte(event)
	}
	return sample(t, event)
}

func TestRejectedEventSucceedsAndIsLogged(t *testing.T) {
	srv, a := seededAccount(t)
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			fn := start(t, srv, a, tt.function)
			res := fn.invoke(t, rejectedEvent(t, tt.event))
			if res.Err != nil {
				t.Fatalf("function error %v: a rejected event must succeed, or Lambda retries it for nothing", res.Err)
			}
			var line map[string]any
			for _, l := range fn.logLines(t) {
				if l["message"] == "rejected event" {
					line = l
				}
			}
			if line == nil {
				t.Fatalf("no \"rejected event\" log line in:\n%s", fn.p.Logs())
			}
			if reason, _ := line["error"].(string); !strings.Contains(reason, tt.reason) {
				t.Errorf("log line %v: want the reason %q", line, tt.reason)
			}
			// The ID to find the event by, whenever the event has one.
			if tt.eventID != "" && line["eventId"] != tt.eventID {
				t.Errorf("log line %v: want eventId %s", line, tt.eventID)
			}
			if line["level"] != "ERROR" {
				t.Errorf("log line %v: want level ERROR", line)
			}
			if logged, _ := line["event"].(string); !json.Valid([]byte(logged)) {
				t.Errorf("log line %v does not carry the event", line)
			}
			if got := messages(t, srv, a.DeadLetters); len(got) != 0 {
				t.Errorf("dead-letter queue got %v with no DEAD_LETTER_QUEUE_URL configured", got)
			}
		})
	}
}

func TestRejectedEventIsParkedInTheDeadLetterQueue(t *testing.T) {
	srv, a := seededAccount(t)
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			fn := start(t, srv, a, tt.function, "DEAD_LETTER_QUEUE_URL="+a.DeadLetters)
			event := rejectedEvent(t, tt.event)
			res := fn.invoke(t, event)
			if res.Err != nil {
				t.Fatalf("function error %v: a parked event must succeed", res.Err)
			}
			got := messages(t, srv, a.DeadLetters)
			if len(got) != 1 {
				t.Fatalf("dead-letter queue got %d messages, want the event:\n%v", len(got), got)
			}
			var parked struct {
				Reason string          `json:"reason"`
				Event  json.RawMessage `json:"event"`
			}
			if err := json.Unmarshal([]byte(got[0]), &parked); err != nil {
				t.Fatalf("parked message %s: %v", got[0], err)
			}
			if !strings.Contains(parked.Reason, tt.reason) {
				t.Errorf("parked reason %q, want %q", parked.Reason, tt.reason)
			}
			if !sameJSON(t, parked.Event, event) {
				t.Errorf("parked event %s, want the event as received", parked.Event)
			}
		})
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return string(xs) == string(ys)
}

func TestAWSErrorFailsTheInvocationSoLambdaRetries(t *testing.T) {
	srv, a := seededAccount(t)
	fn := start(t, srv, a, app.OnLambdaChange, "AWS_ENDPOINT_URL=http://127.0.0.1:1", "DEAD_LETTER_QUEUE_URL="+a.DeadLetters)

	res := fn.invoke(t, sample(t, "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json",
		sampleOrdersUUID, a.Orders.ESM.UUID, sampleOrdersCluster, a.Orders.Cluster.ARN))
	if res.Err == nil {
		t.Fatalf("the invocation succeeded (%s) though AWS is unreachable: the event would be lost", res.Payload)
	}
	if l := fn.logLine(t, "run failed, will be retried", ordersEventID); !strings.Contains(l["error"].(string), "127.0.0.1:1") {
		t.Errorf("log line %v does not say what failed", l)
	}
	// Lambda's own retries and its dead-letter queue keep the event; the
	// function must not park it itself.
	if got := messages(t, srv, a.DeadLetters); len(got) != 0 {
		t.Errorf("dead-letter queue got %v for a transient error", got)
	}
}

func TestTracingWithoutADaemonDoesNotBreakTheFunction(t *testing.T) {
	srv, a := seededAccount(t)
	// Nothing listens for X-Ray segments: Lambda runs the daemon, not here.
	fn := start(t, srv, a, app.OnLambdaChange, "ALERT_TOPIC_ARN=", "AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000")
	event := sample(t, "on-lambda-change/CreateEventSourceMapping-msk-on-demand.json",
		sampleOrdersUUID, a.Orders.ESM.UUID, sampleOrdersCluster, a.Orders.Cluster.ARN)

	for _, trace := range []string{
		"Root=1-67d3f0a2-5b8e4c1d9a0f2e3b4c5d6e7f;Parent=53995c3f42cd8ad8;Sampled=1",
		"Root=1-67d3f0a2-6c9f5d2e0b1a3f4c5d6e7f80;Parent=53995c3f42cd8ad9;Sampled=0",
	} {
		res := fn.invokeWithOptions(t, event, fakeruntime.InvokeOptions{TraceID: trace})
		rep := decodeReport(t, res)
		if len(rep.Workloads) != 1 || rep.Workloads[0].ID != a.Orders.ESM.UUID {
			t.Errorf("trace %s: workloads %+v, want the mapping", trace, rep.Workloads)
		}
		if res.TraceID != trace {
			t.Errorf("the function received trace %q, want %q", res.TraceID, trace)
		}
		root, _, _ := strings.Cut(strings.TrimPrefix(trace, "Root="), ";")
		if l := lastLogLine(t, fn, "resolved workloads"); l["traceId"] != root || l["requestId"] != res.RequestID {
			t.Errorf("log line %v: want traceId %s and requestId %s", l, root, res.RequestID)
		}
	}
	select {
	case <-fn.p.Exited():
		t.Errorf("the function exited:\n%s", fn.p.Logs())
	default:
	}
}

// lastLogLine returns the last log line with message msg. Other lines need
// not be JSON: the X-Ray SDK logs its own lines in text.
func lastLogLine(t *testing.T, fn *function, msg string) map[string]any {
	t.Helper()
	var last map[string]any
	for _, line := range strings.Split(fn.p.Logs(), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["message"] == msg {
			last = l
		}
	}
	if last == nil {
		t.Fatalf("no log line %q in:\n%s", msg, fn.p.Logs())
	}
	return last
}
