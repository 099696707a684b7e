package ghtransport

import (
	"context"
	"sync"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

// Pacer spaces mutating requests at least an interval apart. One Pacer
// serves one identity (a token, an App installation): GitHub asks for about
// a second between the writes of one user or installation, whatever they
// are for, so the transports of an identity's purposes (its webhooks, its
// checkpoint variables) share it. It is safe for concurrent use: each
// caller reserves the next free slot under the lock, so two writers never
// take the same slot.
type Pacer struct {
	interval time.Duration
	clk      clock.Clock

	mu   sync.Mutex
	next time.Time // local time: the earliest the next write may start
}

// NewPacer returns a pacer of writes interval apart on clk (clock.Real if
// nil). An interval of 0 or less paces nothing.
func NewPacer(interval time.Duration, clk clock.Clock) *Pacer {
	if clk == nil {
		clk = clock.Real{}
	}
	return &Pacer{interval: interval, clk: clk}
}

// Wait takes the next slot and sleeps until it comes. A cancelled wait gives
// its slot up only if no later one was taken meanwhile.
func (p *Pacer) Wait(ctx context.Context) error {
	if p == nil || p.interval <= 0 {
		return nil
	}
	p.mu.Lock()
	now := p.clk.Now()
	slot := p.next
	if slot.Before(now) {
		slot = now
	}
	p.next = slot.Add(p.interval)
	p.mu.Unlock()
	if d := slot.Sub(now); d > 0 {
		if err := p.clk.Sleep(ctx, d); err != nil {
			p.mu.Lock()
			if p.next.Equal(slot.Add(p.interval)) {
				p.next = slot
			}
			p.mu.Unlock()
			return err
		}
	}
	return nil
}
