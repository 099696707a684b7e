package redeliver

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
)

// save stores what the next run needs. It runs even when the run is being
// cancelled: what was redelivered must be recorded.
func (p *pass) save(ctx context.Context) error {
	st := p.next()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	if err := p.o.Store.Save(ctx, st); err != nil {
		return fmt.Errorf("%w; the next run reads the same window again and finds this run's redeliveries there", err)
	}
	p.res.Saved = st.Checkpoint
	p.logf("checkpoint saved: %s (%d GUIDs in play, %d unread parts of the list)", stamp(st.Checkpoint), p.res.InLedger, len(p.gaps))
	return nil
}

// next works out what the next run starts from.
//
// The ledger says where this run's reading ended, what is still unread, when
// the receiver was down and which GUIDs are in play, so the next run reads
// only what is new. The checkpoint, in the format of GitHub's scripts, must be
// safe on its own (a run that finds no ledger reads from it): it never passes
// the oldest attempt of a GUID in play or the start of an unread part, and
// never lands between the attempts of a given-up GUID, which would make it
// look short of max-attempts and be redelivered again.
func (p *pass) next() checkpoint.State {
	res := p.res
	l := &checkpoint.Ledger{Listed: p.listed, From: p.from}
	// What earlier runs left unread and this run did not read is left for
	// a run that finds the receiver up.
	gaps := append(slices.Clone(p.gaps), p.unread...)
	if !p.deferred.IsZero() {
		if f := p.deferred.Add(Overlap); l.From.IsZero() || f.Before(l.From) {
			l.From = f
		}
	}
	for _, g := range gaps {
		l.AddGap(g)
	}
	if l.Listed.IsZero() {
		l.Listed = res.Until
	}
	if len(l.Gaps) > 0 {
		// A GUID seen to succeed whose original was not read may have it
		// in an unread part, where alone it would look failed.
		for _, g := range p.sc.groups {
			if g.ok && !g.Complete {
				l.Settled = append(l.Settled, g.GUID)
			}
		}
		slices.Sort(l.Settled)
	}
	// Only an outage still going on matters to the next run: the attempts
	// made during one that ended are counted (or not) already.
	l.Down = p.h.down()
	l.Taken, l.LastOK = p.h.takenEvents(), p.h.lastOK
	for _, f := range append(slices.Clone(res.Failures), p.sc.tombs...) {
		// A given-up GUID stays while its attempts can be read again, so it
		// is not taken for a new failure.
		tomb := f.Outcome == GaveUp && !f.Latest.DeliveredAt.Before(l.Listed.Add(-Overlap-Settle))
		if !f.Outcome.Remaining() && !tomb {
			continue
		}
		e := checkpoint.Entry{
			GUID: f.GUID, ID: f.Latest.ID, At: f.Latest.DeliveredAt, Oldest: f.Oldest,
			Attempts: f.count(p.h.counts), Complete: f.Complete, GaveUp: f.Outcome == GaveUp,
			Event: f.EventName(), Status: f.Latest.Status, Code: f.Latest.StatusCode,
		}
		switch {
		case f.sentID != 0 && f.Latest.ID == f.sentID:
			// Redelivered, its attempt not listed yet: not due for the
			// next run until GitHub would have listed it.
			e.Sent = f.sentGitHub
		case f.pendingID != 0 && f.Latest.ID == f.pendingID:
			e.Sent = f.pendingAt // an earlier run's, still not listed
		}
		l.GUIDs = append(l.GUIDs, e)
	}
	// Oldest first: what does not fit is the newest, which the next run
	// finds again by reading a little further back.
	slices.SortFunc(l.GUIDs, func(a, b checkpoint.Entry) int {
		return cmp.Or(a.Oldest.Compare(b.Oldest), cmp.Compare(a.ID, b.ID))
	})

	cp := l.Listed
	hold := func(t time.Time) {
		if !t.IsZero() && t.Before(cp) {
			cp = t
		}
	}
	for _, e := range l.GUIDs {
		if !e.GaveUp {
			hold(e.Oldest)
		}
	}
	for _, g := range l.Gaps {
		hold(g.To)
	}
	hold(l.From)
	// The since input may have started after where a run without it would
	// have: the checkpoint stays at or before that point, so the next run
	// reads what this one skipped.
	hold(p.w.hold)
	for changed := true; changed; {
		changed = false
		for _, f := range res.Failures {
			start := cp.Add(-Overlap)
			if f.Outcome == GaveUp && !start.Before(f.Oldest) && !start.After(f.Latest.DeliveredAt) && f.Oldest.Before(cp) {
				cp, changed = f.Oldest, true
			}
		}
	}
	if !p.w.hold.IsZero() {
		// Nor a ledger: it would say the skipped part was read.
		l = nil
	}
	if l != nil {
		res.Dropped = l.Fit(cp)
		res.InLedger, res.Behind = len(l.GUIDs), l.From
		if res.Dropped > 0 {
			p.warn(fmt.Sprintf("%s: %d GUIDs in play did not fit in the ledger (at most %d bytes); the first run that finds the receiver up reads back to %s for them", p.o.Target, res.Dropped, checkpoint.MaxLedgerSize, stamp(l.From)))
		}
	}
	return checkpoint.State{Checkpoint: cp, Ledger: l}
}
