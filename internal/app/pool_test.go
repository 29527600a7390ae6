package app

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestEachReportsTheErrorALoopInOrderWouldStopAt(t *testing.T) {
	var ran atomic.Int32
	err := each(t.Context(), 100, 4, func(_ context.Context, i int) error {
		ran.Add(1)
		if i == 7 || i == 9 {
			return fmt.Errorf("item %d", i)
		}
		return nil
	})
	if err == nil || err.Error() != "item 7" {
		t.Errorf("error %v, want that of item 7", err)
	}
	// Items are taken in order and none is started after a failure: at
	// most the width's worth of items beyond the failure ran.
	if n := ran.Load(); n < 8 || n > 7+4+1 {
		t.Errorf("%d items ran, want 8 to 12", n)
	}
}

func TestEachRunsEveryItemAtTheWidth(t *testing.T) {
	var running, most atomic.Int32
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- each(context.Background(), 20, 3, func(context.Context, int) error {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			<-release
			running.Add(-1)
			return nil
		})
	}()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); m > 3 {
		t.Errorf("%d items at once, width 3", m)
	}
	if err := each(context.Background(), 0, 3, func(context.Context, int) error { return errors.New("none") }); err != nil {
		t.Errorf("no items: %v", err)
	}
}
