package app_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/app"
	"github.com/vpcmedic/vpcmedic/internal/config"
	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/report"
	"github.com/vpcmedic/vpcmedic/internal/scenario"
)

// A mapping on a serverless cluster with a VPC configuration in each of two
// VPCs is checked in both: Lambda does not document which its pollers use,
// so it is broken (and pages) only when both are, and a configuration
// broken beside a healthy one is a warning naming it. A network change in
// either VPC checks the mapping.
func TestServerlessMappingInTwoVPCs(t *testing.T) {
	cases := []struct {
		name             string
		mode             string // alarm unless set
		healthy          [2]bool
		status           report.Status
		pages            int
		errorsIn, warnIn []int // the configurations (1, 2) with service-path errors, warnings
	}{
		{name: "both healthy", healthy: [2]bool{true, true}, status: report.StatusOK},
		{name: "second broken", healthy: [2]bool{true, false}, status: report.StatusOK, warnIn: []int{2}},
		{name: "both broken", healthy: [2]bool{false, false}, status: report.StatusBroken, pages: 1, errorsIn: []int{1, 2}},
		{name: "both broken in remediate mode", mode: config.ModeRemediate, healthy: [2]bool{false, false}, status: report.StatusBroken, pages: 1, errorsIn: []int{1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := emulator.Shared(t)
			s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
			var nets [2]zonedVPC
			var configs []scenario.ClusterVPC
			var nats [2][]*scenario.NAT
			for i := range nets {
				nets[i] = twoZones(s)
				if c.healthy[i] {
					nats[i] = nets[i].VPC.NATPerAZ(nets[i].Public, nets[i].Private)
				}
				configs = append(configs, scenario.ClusterVPC{Subnets: nets[i].Private, SG: nets[i].VPC.SecurityGroup("orders-msk").IngressSelf(9098)})
			}
			cluster := s.MSKServerlessIn("orders", configs...)
			fn := s.Function("orders-consumer", s.Role("orders-consumer", iamConsumer()...))
			mapping := s.KafkaESM(fn, cluster, "orders")
			if err := s.Err(); err != nil {
				t.Fatalf("seed: %v", err)
			}
			page := newOncall(t, srv)
			useEmulatorEnv(t, srv)
			mode := config.ModeAlarm
			if c.mode != "" {
				mode = c.mode
			}
			t.Setenv("MODE", mode)
			t.Setenv("ALERT_TOPIC_ARN", page.TopicARN)
			d := buildFromEnv(t, app.OnLambdaChange)

			rep := handle(t, d, mappingCreated(t, mapping))
			if len(rep.Workloads) != 1 || rep.Workloads[0].ID != mapping.UUID {
				t.Fatalf("workloads %+v, want the mapping alone", rep.Workloads)
			}
			w := rep.Workloads[0]
			if w.Status != c.status {
				t.Errorf("status %s, want %s: %+v", w.Status, c.status, w.Findings)
			}
			if w.Passed == 0 {
				t.Error("no check passed: the mapping was not checked")
			}
			var errorsIn, warnIn []int
			for _, f := range w.Findings {
				if f.Check != "service-path" {
					continue
				}
				config := 0
				for i, n := range nets {
					if strings.HasPrefix(f.Message, "VPC configuration "+string(rune('1'+i))+" of 2 ("+n.VPC.ID+"): ") {
						config = i + 1
					}
				}
				if config == 0 {
					t.Errorf("service-path finding names no VPC configuration: %s", f.Message)
				}
				switch f.Severity {
				case report.SeverityError:
					errorsIn = append(errorsIn, config)
				case report.SeverityWarning:
					warnIn = append(warnIn, config)
				}
			}
			if got := slices.Compact(slices.Sorted(slices.Values(errorsIn))); !slices.Equal(got, c.errorsIn) {
				t.Errorf("service-path errors in configurations %v, want %v: %+v", got, c.errorsIn, w.Findings)
			}
			if got := slices.Compact(slices.Sorted(slices.Values(warnIn))); !slices.Equal(got, c.warnIn) {
				t.Errorf("service-path warnings in configurations %v, want %v: %+v", got, c.warnIn, w.Findings)
			}
			summary := slices.IndexFunc(w.Findings, func(f report.Finding) bool { return f.CheckID == "VM125" })
			if partly := len(c.warnIn) > 0; partly != (summary >= 0) {
				t.Errorf("VM125 finding at %d, want one only when some configurations are broken: %+v", summary, w.Findings)
			} else if partly {
				if f := w.Findings[summary]; f.Severity != report.SeverityWarning || !strings.Contains(f.Message, "VPC configuration 2 of 2 ("+nets[1].VPC.ID+") is broken") {
					t.Errorf("VM125 finding %+v, want a warning naming configuration 2", f)
				}
			}
			// No change is planned on a guess of the configuration: the
			// fixes of the broken ones are recommendations naming them.
			if len(rep.Changes) != 0 {
				t.Errorf("changes %+v planned for a mapping on several VPC configurations", rep.Changes)
			}
			for _, r := range w.Recommendations {
				if !strings.HasPrefix(r, "VPC configuration ") {
					t.Errorf("recommendation %q names no VPC configuration", r)
				}
			}
			if broken := len(c.errorsIn) + len(c.warnIn); broken > 0 && len(w.Recommendations) == 0 {
				t.Error("no recommendation for the broken configurations")
			}
			if got := page.received(t); len(got) != c.pages {
				t.Errorf("on-call received %d alerts, want %d: %+v", len(got), c.pages, got)
			}

			if !c.healthy[0] || !c.healthy[1] {
				return
			}
			// A route created in either VPC checks the mapping.
			net := build(t, srv, app.OnNetworkChange)
			for i, n := range nets {
				rep := handle(t, net, sample(t, "on-network-change/CreateRoute-nat-gateway.json",
					sampleRouteTable, n.Private[0].RouteTableID, sampleNAT, nats[i][0].ID))
				if !slices.ContainsFunc(rep.Workloads, func(w report.Workload) bool { return w.ID == mapping.UUID && w.Status == report.StatusOK }) {
					t.Errorf("a route created in VPC %d (%s) checked %+v (skip %q), want the mapping, ok", i+1, n.VPC.ID, rep.Workloads, rep.Trigger.Skip)
				}
			}
		})
	}
}

// A sweep in remediate mode fixes a single-VPC mapping in VPC A; the
// mapping on a serverless cluster in VPCs A and B, whose configurations were
// both broken, is re-checked on VPC A as it is after the fix: healthy
// there, broken only in B, so not broken and no page for it.
func TestServerlessMappingIsRecheckedOnAVPCAnotherWorkloadsFixChanged(t *testing.T) {
	srv := emulator.Shared(t)
	s := scenario.New(srv.MustConfig(t), scenario.WithContext(t.Context()))
	a, b := twoZones(s), twoZones(s)
	sgA := a.VPC.SecurityGroup("kafka").IngressSelf(9098)
	sgB := b.VPC.SecurityGroup("kafka").IngressSelf(9098)
	orders := s.MSKServerlessIn("orders", scenario.ClusterVPC{Subnets: a.Private, SG: sgA}, scenario.ClusterVPC{Subnets: b.Private, SG: sgB})
	multi := s.KafkaESM(s.Function("orders-consumer", s.Role("orders-consumer", iamConsumer()...)), orders, "orders")
	payments := s.MSKCluster("payments", a.Private, sgA, scenario.AuthIAM)
	single := s.KafkaESM(s.Function("payments-consumer", s.Role("payments-consumer", iamConsumer()...)), payments, "orders")
	if err := s.Err(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	page := newOncall(t, srv)
	useEmulatorEnv(t, srv)
	t.Setenv("MODE", config.ModeRemediate)
	t.Setenv("ALERT_TOPIC_ARN", page.TopicARN)
	d := buildFromEnv(t, app.Sweep)

	rep := handle(t, d, sample(t, "sweep/scheduled.json"))
	byID := map[string]report.Workload{}
	for _, w := range rep.Workloads {
		byID[w.ID] = w
	}
	if w := byID[single.UUID]; w.Before != report.StatusBroken || w.Status != report.StatusOK {
		t.Fatalf("single-VPC mapping %s -> %s, want it fixed: changes %+v", w.Before, w.Status, rep.Changes)
	}
	w := byID[multi.UUID]
	if w.Before != report.StatusBroken || w.Status != report.StatusOK {
		t.Errorf("two-VPC mapping %s -> %s, want broken, then ok once VPC A was fixed: %+v", w.Before, w.Status, w.Findings)
	}
	if !slices.ContainsFunc(w.Findings, func(f report.Finding) bool {
		return f.CheckID == "VM125" && strings.Contains(f.Message, "VPC configuration 2 of 2 ("+b.VPC.ID+") is broken")
	}) {
		t.Errorf("no VM125 warning naming configuration 2 in %s: %+v", b.VPC.ID, w.Findings)
	}
	if slices.ContainsFunc(w.Findings, func(f report.Finding) bool {
		return f.Severity == report.SeverityError || strings.HasPrefix(f.Message, "VPC configuration 1 of 2") && f.Check == "service-path"
	}) {
		t.Errorf("findings still hold VPC A's state before the fix: %+v", w.Findings)
	}
	alerts := page.received(t)
	if len(alerts) != 1 || strings.Contains(alerts[0].Message, "BROKEN, new: "+"orders-consumer") {
		t.Errorf("alerts %+v: want one summary that does not page the two-VPC mapping", alerts)
	}
}
