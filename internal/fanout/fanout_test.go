package fanout

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

func TestRunBoundsConcurrency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		n, limit   int
		wantAtMost int
	}{
		{"none", 0, 4, 0},
		{"fewer than the limit", 3, 10, 3},
		{"the limit holds", 12, 4, 4},
		{"no limit", 7, 0, 7},
		{"one at a time", 5, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var running, most atomic.Int64
			called := make([]atomic.Int32, tt.n)
			Run(t.Context(), tt.n, tt.limit, nil, func(_ context.Context, i int) {
				now := running.Add(1)
				for {
					m := most.Load()
					if now <= m || most.CompareAndSwap(m, now) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				called[i].Add(1)
				running.Add(-1)
			})
			if got := int(most.Load()); got > tt.wantAtMost {
				t.Errorf("%d at once, want at most %d", got, tt.wantAtMost)
			}
			for i := range called {
				if c := called[i].Load(); c != 1 {
					t.Errorf("work %d called %d times, want once", i, c)
				}
			}
		})
	}
}

// On a parallel virtual clock, identities that wait a minute each finish in
// a minute when all run at once, and in two when half of them wait for a
// worker: the workers are participants, so time waits for them.
func TestRunOnAParallelClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		limit int
		want  time.Duration
	}{{8, time.Minute}, {4, 2 * time.Minute}, {1, 8 * time.Minute}} {
		c := clock.NewParallel(start)
		Run(t.Context(), 8, tt.limit, func(ctx context.Context) (context.Context, func()) { return clock.Join(ctx, c) }, func(ctx context.Context, i int) {
			for range 60 {
				if err := c.Sleep(ctx, time.Second); err != nil {
					t.Error(err)
				}
			}
		})
		if got := c.Now().Sub(start); got != tt.want {
			t.Errorf("limit %d: all done after %s, want %s", tt.limit, got, tt.want)
		}
	}
}
