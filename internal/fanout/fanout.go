// Package fanout works on several identities at once: at most a bounded
// number at a time, each identity's work in one goroutine, so that its
// targets run one after another and its writes stay paced.
//
// An identity (an App installation, a token) has its own rate limit and its
// own pacing of one write a second, so two identities gain from running at
// once and two targets of one identity do not: they would share the pacing
// and only interleave.
package fanout

import (
	"context"
	"sync"
	"sync/atomic"
)

// Join makes the calling worker a participant of the run's clock
// (clock.Join): it returns the context the worker works with and the
// function that ends its participation.
type Join func(ctx context.Context) (context.Context, func())

// Run calls do(ctx, i) once for every i from 0 to n-1, at most limit at a
// time (every one at once if limit is 0 or more than n), in the order of i as
// workers free up, and returns when all have returned. do is called even
// after ctx is done: it decides what a cancelled piece of work reports.
//
// The workers, not the pieces of work, join the clock, and they join before
// any starts: a worker going from one piece to the next never leaves the
// clock free to move between them, as time does not pass between two
// statements.
func Run(ctx context.Context, n, limit int, join Join, do func(ctx context.Context, i int)) {
	if n <= 0 {
		return
	}
	if limit <= 0 || limit > n {
		limit = n
	}
	if join == nil {
		join = func(ctx context.Context) (context.Context, func()) { return ctx, func() {} }
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	// Every worker joins before the first starts: one that started at once
	// could sleep, and a clock with no other participant yet would move.
	ctxs := make([]context.Context, limit)
	leaves := make([]func(), limit)
	for w := range limit {
		ctxs[w], leaves[w] = join(ctx)
	}
	for w := range limit {
		wctx, leave := ctxs[w], leaves[w]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer leave()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				do(wctx, i)
			}
		}()
	}
	wg.Wait()
}
