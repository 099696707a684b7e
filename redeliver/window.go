package redeliver

import (
	"context"
	"fmt"
	"time"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
)

// Overlap is how far before the last read each run starts reading. GitHub
// adds a delivery to the list a little after its delivered_at; reading the
// overlap again catches those, and GUID grouping makes the re-read harmless.
const Overlap = 5 * time.Minute

// Settle is how long after a redelivery GitHub takes, at most, to list its
// new attempt. A GUID an earlier run redelivered less than Settle ago whose
// new attempt is not listed yet is not due: the run redelivers it later, if
// it is still running then, or leaves it to the next run. It is also what a
// run waits, once, to learn whether GitHub performed a request that got no
// clear answer.
const Settle = time.Minute

// FirstLookback is how far back the first run looks, as GitHub's scripts do.
const FirstLookback = 24 * time.Hour

// window is where a run reads, worked out from what the previous run left.
type window struct {
	prev  checkpoint.State
	found bool // false on the first run
	// ledger is the previous run's ledger, nil if there is none to use.
	ledger *checkpoint.Ledger
	// from is the start of the newest part of the list to read (the part
	// since the previous run); gaps are read after it.
	from time.Time
	// deferred, if set, is where the GUIDs in play that did not fit in
	// the ledger start: read once the receiver is known to be up.
	deferred time.Time
	gaps     []checkpoint.Gap
	// hold, if set, is a time the next checkpoint must not pass: the since
	// input started the window later than a run without it would have,
	// and the deliveries between were not read.
	hold time.Time
}

// earliest is the earliest start of the window a run may leave for the
// next: where the checkpoint must not pass.
func (w *window) earliest() time.Time {
	if !w.hold.IsZero() && w.hold.Before(w.from) {
		return w.hold
	}
	return w.from
}

// openWindow loads the checkpoint and works out the window: the ledger, the
// overlap, the since input and GitHub's retention. It does not wait for a
// previous run's redeliveries to show in the list: the ledger says which
// GUIDs that run redelivered and when, and those are not due until GitHub
// would have listed them (see Failure.due).
func (p *pass) openWindow(ctx context.Context) error {
	o, res, w := p.o, p.res, &p.w
	var err error
	w.prev, w.found, err = o.Store.Load(ctx)
	if err != nil {
		return err
	}
	if w.prev.Note != "" {
		p.note(w.prev.Note)
	}
	now := p.now()
	// Where a run without the since input starts, and what it says of it.
	var plain string
	switch {
	case w.found && w.prev.Ledger != nil:
		w.ledger = w.prev.Ledger
		res.Previous = w.prev.Checkpoint
		w.from = w.ledger.Listed.Add(-Overlap)
		if from := w.ledger.From; !from.IsZero() && from.Before(w.ledger.Listed) {
			w.deferred = from.Add(-Overlap)
		}
		w.gaps = w.ledger.Gaps
		plain = fmt.Sprintf("checkpoint %s; the previous run read up to %s: reading from %s (%s of overlap), %d GUIDs in play, %d unread ranges",
			stamp(w.prev.Checkpoint), stamp(w.ledger.Listed), stamp(w.from), Overlap, len(w.ledger.GUIDs), len(w.gaps))
	case w.found:
		res.Previous = w.prev.Checkpoint
		w.from = w.prev.Checkpoint.Add(-Overlap)
		plain = fmt.Sprintf("checkpoint %s: reading from %s (%s of overlap)", stamp(w.prev.Checkpoint), stamp(w.from), Overlap)
	default:
		w.from = now.Add(-FirstLookback)
		plain = fmt.Sprintf("no checkpoint yet: first run, reading back %s to %s", FirstLookback, stamp(w.from))
	}
	if o.Since == nil {
		p.logf("%s", plain)
	} else {
		s := o.Since(now)
		// The since input reads a window of the user's choosing: the
		// ledger's record of what was read does not describe it, so this
		// run works from the checkpoint alone and leaves no ledger.
		w.ledger, w.gaps, w.deferred = nil, nil, time.Time{}
		// A later start than a run without since would take must not move
		// the checkpoint past what it skips: that is read by the next run.
		keep := w.from
		if w.found {
			keep = w.prev.Checkpoint
		}
		if s.After(keep) {
			w.hold = keep
			p.note(fmt.Sprintf("since input: reading from %s, later than a run without it would (%s); the checkpoint is kept at or before %s, so the next run reads what this one skips", stamp(s), stamp(keep), stamp(keep)))
		} else {
			p.logf("since input: reading from %s (a run without it would read from %s)", stamp(s), stamp(keep))
		}
		w.from, res.SinceInput = s, true
	}
	if o.Retention > 0 {
		oldest := now.Add(-o.Retention)
		if w.from.Before(oldest) {
			p.warn(fmt.Sprintf("the window start %s is older than GitHub's retention of %s; reading from %s instead. Failed deliveries older than that can no longer be redelivered.", stamp(w.from), days(o.Retention), stamp(oldest)))
			w.from = oldest
		}
		if !w.hold.IsZero() && w.hold.Before(oldest) {
			w.hold = oldest
		}
		if !w.deferred.IsZero() && w.deferred.Before(oldest) {
			w.deferred = oldest
		}
		for i := range w.gaps {
			if w.gaps[i].To.Before(oldest) {
				w.gaps[i].To = oldest
			}
		}
	}
	res.Since = w.from
	return nil
}

// days writes a whole number of days as a person does: "7 days".
func days(d time.Duration) string {
	if d%(24*time.Hour) != 0 {
		return d.String()
	}
	return plural(int(d/(24*time.Hour)), "day")
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
