package ghtransport

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

// Writers sharing one Pacer from several goroutines never start within an
// interval of each other, and none waits longer than its turn.
func TestPacerSharedByConcurrentWriters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		writers, each    int
		interval         time.Duration
		wantSpan         time.Duration // from the first write to the last
		wantNoneTogether bool
	}{
		{"one writer", 1, 5, time.Second, 4 * time.Second, true},
		{"four writers", 4, 5, time.Second, 19 * time.Second, true},
		{"unpaced", 4, 5, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := clock.NewParallel(t0)
			p := NewPacer(tt.interval, c)
			var (
				mu     sync.Mutex
				starts []time.Time
				wg     sync.WaitGroup
			)
			// Every writer joins before the first starts, or time could
			// move before the others began.
			ctxs := make([]context.Context, tt.writers)
			leaves := make([]func(), tt.writers)
			for w := range tt.writers {
				ctxs[w], leaves[w] = clock.Join(t.Context(), c)
			}
			for w := range tt.writers {
				ctx, leave := ctxs[w], leaves[w]
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer leave()
					for range tt.each {
						if err := p.Wait(ctx); err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						starts = append(starts, c.Now())
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
			if span := starts[len(starts)-1].Sub(starts[0]); span != tt.wantSpan {
				t.Errorf("writes span %s, want %s", span, tt.wantSpan)
			}
			if !tt.wantNoneTogether {
				return
			}
			for i := 1; i < len(starts); i++ {
				if gap := starts[i].Sub(starts[i-1]); gap < tt.interval {
					t.Errorf("writes %d and %d %s apart, want at least %s", i-1, i, gap, tt.interval)
				}
			}
		})
	}
}
