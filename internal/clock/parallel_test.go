package clock

import (
	"context"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)

// sleepAll runs one participant per plan, each sleeping its durations one
// after another, and returns when each finished, as an offset from t0.
func sleepAll(t *testing.T, c *Parallel, plans [][]time.Duration) []time.Duration {
	t.Helper()
	done := make([]time.Duration, len(plans))
	var wg sync.WaitGroup
	// Every participant joins before the first starts, as a pool does, so
	// time cannot move before every participant has begun.
	ctxs := make([]context.Context, len(plans))
	leaves := make([]func(), len(plans))
	for i := range plans {
		ctxs[i], leaves[i] = Join(t.Context(), c)
	}
	for i, plan := range plans {
		ctx, leave := ctxs[i], leaves[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer leave()
			for _, d := range plan {
				if err := c.Sleep(ctx, d); err != nil {
					t.Error(err)
					return
				}
			}
			done[i] = c.Now().Sub(t0)
		}()
	}
	wg.Wait()
	return done
}

func TestParallelSleepsOverlap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		plans [][]time.Duration
		want  []time.Duration
	}{
		{"one participant: sleeps add up", [][]time.Duration{{time.Second, 2 * time.Second}}, []time.Duration{3 * time.Second}},
		{"two participants overlap", [][]time.Duration{{time.Minute}, {time.Minute}}, []time.Duration{time.Minute, time.Minute}},
		{"the longer one ends last", [][]time.Duration{{10 * time.Second}, {3 * time.Second, 3 * time.Second}}, []time.Duration{10 * time.Second, 6 * time.Second}},
		{"twenty paced identities", func() [][]time.Duration {
			var ps [][]time.Duration
			for range 20 {
				var p []time.Duration
				for range 100 {
					p = append(p, time.Second)
				}
				ps = append(ps, p)
			}
			return ps
		}(), func() []time.Duration {
			var w []time.Duration
			for range 20 {
				w = append(w, 100*time.Second)
			}
			return w
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewParallel(t0)
			got := sleepAll(t, c, tt.plans)
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Errorf("participant %d finished at +%s, want +%s", i, got[i], tt.want[i])
				}
			}
			if end, want := c.Now().Sub(t0), max(tt.want[0], tt.want[len(tt.want)-1]); end < want {
				t.Errorf("clock at +%s, want at least +%s", end, want)
			}
		})
	}
}

// Time stands still while a participant is awake, however long it works
// in real time.
func TestParallelWaitsForAwakeParticipants(t *testing.T) {
	t.Parallel()
	c := NewParallel(t0)
	busyCtx, leaveBusy := Join(t.Context(), c)
	_ = busyCtx
	sleeperCtx, leaveSleeper := Join(t.Context(), c)
	woke := make(chan time.Time)
	go func() {
		defer leaveSleeper()
		if err := c.Sleep(sleeperCtx, time.Hour); err != nil {
			t.Error(err)
		}
		woke <- c.Now()
	}()
	select {
	case <-woke:
		t.Fatal("the sleeper woke while another participant was awake")
	case <-time.After(50 * time.Millisecond):
	}
	if now := c.Now(); !now.Equal(t0) {
		t.Errorf("clock moved to %s while a participant was awake", now)
	}
	leaveBusy() // the busy participant is done: time may move
	if got := <-woke; !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("woke at %s, want %s", got, t0.Add(time.Hour))
	}
}

// Without participants Parallel is Virtual: a sleep moves the clock at once.
func TestParallelWithoutParticipantsIsVirtual(t *testing.T) {
	t.Parallel()
	c := NewParallel(t0)
	for range 3 {
		if err := c.Sleep(t.Context(), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Now(); !got.Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("now %s, want %s", got, t0.Add(3*time.Minute))
	}
	// Join on another clock does nothing.
	ctx, leave := Join(t.Context(), NewVirtual(t0))
	leave()
	if ctx != t.Context() {
		t.Error("Join on a Virtual clock changed the context")
	}
}

// A cancelled sleep returns at once and leaves its participant awake, so
// time waits for it again.
func TestParallelSleepCancelled(t *testing.T) {
	t.Parallel()
	c := NewParallel(t0)
	base, cancel := context.WithCancel(t.Context())
	ctx, leave := Join(base, c)
	other, leaveOther := Join(t.Context(), c)
	errc := make(chan error)
	go func() { errc <- c.Sleep(ctx, time.Hour) }()
	time.Sleep(10 * time.Millisecond) // let it go to sleep (the other participant keeps time still)
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatalf("Sleep = %v, want context.Canceled", err)
	}
	// The cancelled participant is awake again: the other's sleep must not
	// move time until it leaves.
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer leaveOther()
		if err := c.Sleep(other, time.Minute); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-done:
		t.Fatal("time moved while the cancelled participant was awake")
	case <-time.After(50 * time.Millisecond):
	}
	leave()
	<-done
	if got := c.Now(); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("now %s, want %s", got, t0.Add(time.Minute))
	}
}

// Advance moves time by hand and wakes whoever is due.
func TestParallelAdvance(t *testing.T) {
	t.Parallel()
	c := NewParallel(t0)
	ctx, leave := Join(t.Context(), c)
	defer leave()
	_, busyLeave := Join(t.Context(), c) // keeps time still
	defer busyLeave()
	woke := make(chan struct{})
	go func() {
		if err := c.Sleep(ctx, 30*time.Second); err != nil {
			t.Error(err)
		}
		close(woke)
	}()
	time.Sleep(10 * time.Millisecond)
	c.Advance(time.Minute)
	<-woke
	if got := c.Now(); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("now %s, want %s", got, t0.Add(time.Minute))
	}
}
