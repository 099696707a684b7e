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
// new attempt: a run waits that long before it reads a redelivery's outcome,
// and a run that starts within Settle of the previous run's save waits out the
// rest.
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
	// keepPrevious: the since input starts the window after the stored
	// checkpoint, so the new checkpoint must not move past the old one.
	keepPrevious bool
}

// openWindow loads the checkpoint and works out the window: the ledger, the
// overlap, the since input, GitHub's retention, and the wait for a previous
// run's redeliveries to show in the list.
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
	now := o.Server.Now()
	switch {
	case w.found && w.prev.Ledger != nil:
		w.ledger = w.prev.Ledger
		res.Previous = w.prev.Checkpoint
		w.from = w.ledger.Listed.Add(-Overlap)
		if from := w.ledger.From; !from.IsZero() && from.Before(w.ledger.Listed) {
			w.deferred = from.Add(-Overlap)
		}
		w.gaps = w.ledger.Gaps
		p.logf("checkpoint %s; the previous run read up to %s: reading from %s (%s of overlap), %d GUIDs in play, %d unread ranges",
			stamp(w.prev.Checkpoint), stamp(w.ledger.Listed), stamp(w.from), Overlap, len(w.ledger.GUIDs), len(w.gaps))
	case w.found:
		res.Previous = w.prev.Checkpoint
		w.from = w.prev.Checkpoint.Add(-Overlap)
		p.logf("checkpoint %s: reading from %s (%s of overlap)", stamp(w.prev.Checkpoint), stamp(w.from), Overlap)
	default:
		w.from = now.Add(-FirstLookback)
		p.logf("no checkpoint yet: first run, looking back %s to %s", FirstLookback, stamp(w.from))
	}
	if o.Since != nil {
		s := o.Since(now)
		// The since input reads a window of the user's choosing: the
		// ledger's record of what was read does not describe it, so this
		// run works from the checkpoint alone and leaves no ledger.
		w.ledger, w.gaps, w.deferred = nil, nil, time.Time{}
		if w.found && s.After(w.prev.Checkpoint.Add(-Overlap)) {
			// Moving the checkpoint past deliveries this run does not read
			// would lose them: keep the stored one.
			w.keepPrevious = true
			p.note(fmt.Sprintf("since (%s) is later than the stored checkpoint, so the checkpoint is not moved past %s: deliveries between the two were not read.", stamp(s), stamp(w.prev.Checkpoint)))
		}
		w.from, res.SinceInput = s, true
		p.logf("since input: reading from %s", stamp(w.from))
	}
	if o.Retention > 0 {
		if oldest := now.Add(-o.Retention); w.from.Before(oldest) {
			msg := fmt.Sprintf("the window start %s is older than GitHub's retention of %s; reading from %s instead. Failed deliveries older than that can no longer be redelivered.", stamp(w.from), o.Retention, stamp(oldest))
			if !res.SinceInput {
				p.warn(msg)
			}
			w.from = oldest
		}
		if !w.deferred.IsZero() && w.deferred.Before(now.Add(-o.Retention)) {
			w.deferred = now.Add(-o.Retention)
		}
		for i := range w.gaps {
			if oldest := now.Add(-o.Retention); w.gaps[i].To.Before(oldest) {
				w.gaps[i].To = oldest
			}
		}
	}
	res.Since = w.from
	if settle := w.prev.SavedAt.Add(Settle); w.found && !w.prev.SavedAt.IsZero() && settle.After(now) {
		// Never more than Settle, whatever the clocks say.
		wait := min(settle.Sub(now), Settle)
		if !o.Deadline.IsZero() && o.Server.Local().Now().Add(wait).After(o.Deadline) {
			return fmt.Errorf("the checkpoint was saved at %s, less than %s ago, and waiting for that run's redeliveries to show in the list would use up the time budget: run again in a minute", stamp(w.prev.SavedAt), Settle)
		}
		p.logf("the checkpoint was saved at %s, after that run's last redelivery: waiting %s for its attempts to show in the list", stamp(w.prev.SavedAt), wait.Round(time.Second))
		if err := o.Server.Local().Sleep(ctx, wait); err != nil {
			return fmt.Errorf("wait for the previous run's redeliveries: %w", err)
		}
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
