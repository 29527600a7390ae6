// Package alertstate remembers, between runs, the problems on-call has
// been told about and the events already handled, so that the same problem
// is not paged every hour, a recovery is announced once, and an event
// delivered twice is handled once. The memory is a small DynamoDB table
// (on-demand, with TTL); without one everything works, without memory.
package alertstate

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/report"
)

// Problem states of a workload in one run.
const (
	New       = "new"       // broken now, not known before: page
	Ongoing   = "ongoing"   // broken, already paged recently: stay quiet
	Renotify  = "renotify"  // broken for longer than the re-notify interval: page again
	Changed   = "changed"   // still broken, but differently: page
	Recovered = "recovered" // known broken, now fine: announce once
)

// Problem is what the table remembers of one broken workload.
type Problem struct {
	WorkloadID string
	// Fingerprint identifies what is broken (checks, zones, services), so
	// that a different break of the same workload pages again.
	Fingerprint  string
	FirstSeen    time.Time
	LastNotified time.Time
	version      int64 // of the stored item, for conditional writes
}

// Fingerprint summarises the error findings of a workload.
func Fingerprint(w report.Workload) string {
	var keys []string
	for _, f := range w.Findings {
		if f.Severity == report.SeverityError {
			keys = append(keys, f.Check+"|"+f.AZ+"|"+f.Service)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	sum := sha256.Sum256([]byte(strings.Join(keys, "\n")))
	return hex.EncodeToString(sum[:16])
}

// Classify decides what a workload's verdict means for on-call, given the
// problem remembered for it (nil: none). It returns the state and the
// problem to remember from now on (nil: forget it).
func Classify(w report.Workload, known *Problem, now time.Time, renotifyAfter time.Duration) (string, *Problem) {
	broken := w.Status == report.StatusBroken
	switch {
	case !broken && known == nil:
		return "", nil
	case w.FixInProgress():
		// The fix alert closes the problem: the next check pages only if
		// the change fails, and stays quiet once it works.
		return "", nil
	case !broken && w.Status == report.StatusUnknown:
		// Not verifiable now: neither a recovery nor a new break.
		return Ongoing, known
	case !broken:
		return Recovered, nil
	}
	fp := Fingerprint(w)
	switch {
	case known == nil:
		return New, &Problem{WorkloadID: w.ID, Fingerprint: fp, FirstSeen: now, LastNotified: now}
	case known.Fingerprint != fp:
		return Changed, &Problem{WorkloadID: w.ID, Fingerprint: fp, FirstSeen: known.FirstSeen, LastNotified: now}
	case now.Sub(known.LastNotified) >= renotifyAfter:
		return Renotify, &Problem{WorkloadID: w.ID, Fingerprint: fp, FirstSeen: known.FirstSeen, LastNotified: now}
	default:
		return Ongoing, known
	}
}

// Pages reports whether a state calls for a message to on-call.
func Pages(state string) bool {
	switch state {
	case New, Changed, Renotify, Recovered:
		return true
	}
	return false
}
