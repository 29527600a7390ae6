package alertstate

import (
	"testing"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

func broken(checks ...string) report.Workload {
	w := report.Workload{ID: "esm-1", Status: report.StatusBroken}
	for _, c := range checks {
		w.Findings = append(w.Findings, report.Finding{Check: c, Severity: report.SeverityError, AZ: "us-east-1a", Service: "sts"})
	}
	return w
}

func TestClassify(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	known := func(w report.Workload, notified time.Time) *Problem {
		return &Problem{WorkloadID: w.ID, Fingerprint: Fingerprint(w), FirstSeen: notified.Add(-time.Hour), LastNotified: notified}
	}
	ok := report.Workload{ID: "esm-1", Status: report.StatusOK}
	unknown := report.Workload{ID: "esm-1", Status: report.StatusUnknown}
	inProgress := report.Workload{ID: "esm-1", Status: report.StatusUnknown, Before: report.StatusBroken,
		Findings: []report.Finding{{Check: "service-path", Severity: report.SeverityInfo, Unverified: true, InProgress: true}}}
	tests := []struct {
		name       string
		w          report.Workload
		known      *Problem
		want       string
		remember   bool
		notifiedAt time.Time
	}{
		{"healthy and nothing known", ok, nil, "", false, time.Time{}},
		{"a new break", broken("service-path"), nil, New, true, now},
		{"the same break an hour later", broken("service-path"), known(broken("service-path"), now.Add(-time.Hour)), Ongoing, true, now.Add(-time.Hour)},
		{"the same break after the re-notify interval", broken("service-path"), known(broken("service-path"), now.Add(-day)), Renotify, true, now},
		{"another break of the same workload", broken("service-path", "kafka-broker-access"), known(broken("service-path"), now.Add(-time.Hour)), Changed, true, now},
		{"recovered", ok, known(broken("service-path"), now.Add(-time.Hour)), Recovered, false, time.Time{}},
		{"unverifiable while a problem is open", unknown, known(broken("service-path"), now.Add(-time.Hour)), Ongoing, true, now.Add(-time.Hour)},
		{"unverifiable and nothing known", unknown, nil, "", false, time.Time{}},
		// The fix alert closes it: the next check pages only a failure.
		{"fixed, its own endpoint still pending, a problem open", inProgress, known(broken("service-path"), now.Add(-time.Hour)), "", false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, p := Classify(tt.w, tt.known, now, day)
			if got != tt.want || (p != nil) != tt.remember {
				t.Fatalf("Classify = %q, remember %v; want %q, %v", got, p != nil, tt.want, tt.remember)
			}
			if p != nil && !p.LastNotified.Equal(tt.notifiedAt) {
				t.Errorf("last notified %v, want %v", p.LastNotified, tt.notifiedAt)
			}
			if p != nil && tt.known != nil && !p.FirstSeen.Equal(tt.known.FirstSeen) {
				t.Errorf("first seen moved: %v", p.FirstSeen)
			}
		})
	}
}

func TestFingerprintIgnoresOrderAndWarnings(t *testing.T) {
	a := broken("service-path", "kafka-broker-access")
	b := broken("kafka-broker-access", "service-path")
	b.Findings = append(b.Findings, report.Finding{Check: "cross-zone-path", Severity: report.SeverityWarning})
	if Fingerprint(a) != Fingerprint(b) {
		t.Error("same errors, different fingerprints")
	}
	if Fingerprint(a) == Fingerprint(broken("service-path")) {
		t.Error("different errors, same fingerprint")
	}
}

func TestPages(t *testing.T) {
	for state, want := range map[string]bool{New: true, Changed: true, Renotify: true, Recovered: true, Ongoing: false, "": false} {
		if Pages(state) != want {
			t.Errorf("Pages(%q) = %v", state, !want)
		}
	}
}
