package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vpcmedic/vpcmedic/internal/alertstate"
)

// A clock that never moves (and no invocation deadline) cannot keep a run
// waiting for another's lease for ever: the polls are counted as well.
func TestAwaitGivesUpOnAFrozenClock(t *testing.T) {
	frozen := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	slept := 0
	a := &App{
		Now:   func() time.Time { return frozen },
		Sleep: func(context.Context, time.Duration) error { slept++; return nil },
	}
	takes := 0
	take := func(now, until time.Time) (*alertstate.Lease, bool, error) {
		takes++
		return &alertstate.Lease{Owner: "another-run", Until: until}, true, nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.await(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), "vpc", "vpc-1", "changed", take)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "another-run") {
			t.Fatalf("err %v, want the other run named", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("await still waiting on a frozen clock")
	}
	if want := int(longestRun/leasePoll) + 1; takes != want+1 || slept != want {
		t.Errorf("%d takes and %d sleeps, want %d and %d", takes, slept, want+1, want)
	}
}
