package app

import (
	"context"
	"sync"

	"github.com/vpcmedic/vpcmedic/internal/config"
)

// width is how many workloads the run reads and checks at once.
func (a *App) width() int {
	if a.Config.Concurrency > 0 {
		return a.Config.Concurrency
	}
	return config.DefaultConcurrency
}

// each runs do(i) for every i below n on at most width goroutines, taking
// the items in order. Once an item fails no further item is started, and
// the error returned is that of the lowest failing item: the one a loop
// running them in order would have stopped at.
func each(ctx context.Context, n, width int, do func(ctx context.Context, i int) error) error {
	errs := make([]error, n)
	var (
		mu     sync.Mutex
		failed bool
		next   int
		wg     sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if failed || next >= n {
			return 0, false
		}
		next++
		return next - 1, true
	}
	for range min(n, max(width, 1)) {
		wg.Go(func() {
			for i, ok := take(); ok; i, ok = take() {
				if err := do(ctx, i); err != nil {
					mu.Lock()
					errs[i], failed = err, true
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
