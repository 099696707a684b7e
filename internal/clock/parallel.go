package clock

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Parallel is a virtual clock on which the sleeps of concurrent goroutines
// overlap, as they do on a real clock: time moves to the earliest wake-up
// only once every participant is asleep. Virtual advances at every Sleep, so
// two goroutines sleeping a minute each move it two minutes; here they move
// it one.
//
// A participant is a goroutine doing work that the clock must wait for: it
// calls Join (through the package's Join) when it starts and the function
// Join returns when it ends, and passes the context Join returned to every
// Sleep, from that one goroutine only (two goroutines sleeping at once on
// one participant's context would count it asleep twice). While any
// participant is awake (computing, or waiting for an answer
// from a server that does not sleep on this clock) time stands still; when
// all are asleep, it jumps to the earliest wake-up and wakes whoever is due.
//
// A goroutine that sleeps without a participant's context (a test's main
// goroutine, a server's handler) is a sleeper only: it is woken in turn, but
// time does not wait for it once it is awake. With no participant at all,
// Parallel therefore behaves like Virtual.
//
// A participant must not block on another participant's progress except by
// sleeping on this clock (say, on a lock another participant holds while it
// sleeps): time would never move. Latency of a fake server is therefore
// added by the client's transport, which sleeps in the participant's own
// goroutine, not by the server.
//
// It is safe for concurrent use. Time never moves while a participant
// works, so the times a participant reads depend on the sleeps alone, not on
// how fast the goroutines run.
type Parallel struct {
	mu       sync.Mutex
	now      time.Time
	awake    int // participants not asleep
	sleepers sleepHeap
	seq      uint64 // orders sleepers due at one instant by when they slept
}

// NewParallel returns a parallel virtual clock set to start.
func NewParallel(start time.Time) *Parallel { return &Parallel{now: start} }

// participantKey marks a participant's context.
type participantKey struct{}

// participant is one joined goroutine's record.
type participant struct{ clk *Parallel }

// joiner is a clock with participants.
type joiner interface {
	join(ctx context.Context) (context.Context, func())
}

// Join makes the caller a participant of c if c has participants (a
// Parallel), and returns the context to sleep with and the function to call
// when the participant's work is done. For any other clock it returns ctx
// and a function that does nothing, so production code may call it freely.
func Join(ctx context.Context, c Clock) (context.Context, func()) {
	if j, ok := c.(joiner); ok {
		return j.join(ctx)
	}
	return ctx, func() {}
}

func (p *Parallel) join(ctx context.Context) (context.Context, func()) {
	p.mu.Lock()
	p.awake++
	p.mu.Unlock()
	var once sync.Once
	return context.WithValue(ctx, participantKey{}, &participant{clk: p}), func() {
		once.Do(func() {
			p.mu.Lock()
			p.awake--
			p.advanceLocked()
			p.mu.Unlock()
		})
	}
}

// Now returns the virtual time.
func (p *Parallel) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

// Sleep waits until the clock has moved d past now, or until ctx is done.
func (p *Parallel) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	pt, _ := ctx.Value(participantKey{}).(*participant)
	joined := pt != nil && pt.clk == p
	s := &sleeper{wake: make(chan struct{}), joined: joined}

	p.mu.Lock()
	s.at = p.now.Add(d)
	p.seq++
	s.seq = p.seq
	heap.Push(&p.sleepers, s)
	if joined {
		p.awake--
	}
	p.advanceLocked()
	p.mu.Unlock()

	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		defer p.mu.Unlock()
		if s.index < 0 {
			// Woken in the meantime: it counts as awake already.
			return nil
		}
		heap.Remove(&p.sleepers, s.index)
		if joined {
			p.awake++
		}
		return ctx.Err()
	}
}

// Advance moves the clock forward by d (never backward), waking every
// sleeper due by then, whether or not participants are awake: for a test
// that moves time by hand.
func (p *Parallel) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	p.mu.Lock()
	p.now = p.now.Add(d)
	p.wakeDueLocked()
	p.advanceLocked()
	p.mu.Unlock()
}

// advanceLocked moves time to the earliest wake-up while no participant is
// awake and someone sleeps. A woken participant is counted awake before it
// runs, so time waits for it; a woken non-participant is not, so with only
// non-participants sleeping, each wakes in turn at once, as on Virtual.
func (p *Parallel) advanceLocked() {
	for p.awake == 0 && len(p.sleepers) > 0 {
		if next := p.sleepers[0].at; next.After(p.now) {
			p.now = next
		}
		p.wakeDueLocked()
	}
}

// wakeDueLocked wakes every sleeper whose time has come.
func (p *Parallel) wakeDueLocked() {
	for len(p.sleepers) > 0 && !p.sleepers[0].at.After(p.now) {
		s := heap.Pop(&p.sleepers).(*sleeper)
		if s.joined {
			p.awake++
		}
		close(s.wake)
	}
}

// sleeper is one Sleep in progress.
type sleeper struct {
	at     time.Time
	seq    uint64
	joined bool
	wake   chan struct{}
	index  int // in the heap; -1 once popped
}

// sleepHeap orders sleepers by wake-up, then by when they went to sleep.
type sleepHeap []*sleeper

func (h sleepHeap) Len() int { return len(h) }
func (h sleepHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h sleepHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *sleepHeap) Push(x any) {
	s := x.(*sleeper)
	s.index = len(*h)
	*h = append(*h, s)
}
func (h *sleepHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	s.index = -1
	*h = old[:len(old)-1]
	return s
}
