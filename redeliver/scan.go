package redeliver

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
)

// Delivery is one attempt of a webhook event, as GitHub lists it.
type Delivery struct {
	ID          int64     `json:"id"` // beyond 2^53: never through float64
	GUID        string    `json:"guid"`
	DeliveredAt time.Time `json:"delivered_at"`
	Redelivery  bool      `json:"redelivery"`
	Status      string    `json:"status"`
	StatusCode  int       `json:"status_code"`
	Event       string    `json:"event"`
	Action      string    `json:"action"` // null for events without one
}

// OK reports whether the attempt succeeded. GitHub's own scripts use the same
// test: status "OK".
func (d *Delivery) OK() bool { return d.Status == "OK" }

// Failure is a GUID with no successful attempt when the window was read, and
// what the run did with it.
type Failure struct {
	GUID   string
	Latest Delivery // the newest attempt seen
	// Failed is the newest failed attempt seen when the run decided what to
	// do: the one redelivered, and the one a report shows.
	Failed   Delivery
	Oldest   time.Time // the oldest attempt seen
	Attempts int       // failed attempts that count towards max-attempts
	Complete bool      // the original attempt has been seen, so Attempts is exact
	Outcome  Outcome
	Detail   string // why, for Refused, Unknown, Skipped, GaveUp

	ok         bool        // some attempt succeeded
	prior      int         // failed attempts counted by earlier runs (the ledger)
	countedTo  int64       // attempts with an id up to this were counted by earlier runs
	failedAt   []time.Time // failed attempts not counted by earlier runs
	fromLedger bool
	gaveUp     bool      // an earlier run gave up on it
	sentID     int64     // the attempt this run redelivered; 0 if none
	sentAt     time.Time // local time of the request
	sentGitHub time.Time // GitHub time of the request, for the ledger
	reported   bool      // in Result.Failures
	// pendingAt is when an earlier run redelivered attempt pendingID,
	// whose new attempt was not listed when it saved: until one is, or
	// Settle has passed, the GUID is not due.
	pendingAt time.Time
	pendingID int64
}

// FailedAttempts returns every failed attempt seen, whether or not it counts
// towards max-attempts.
func (f *Failure) FailedAttempts() int { return max(f.Attempts, f.prior+len(f.failedAt)) }

// EventName is the event and action as "pull_request.opened".
func (f *Failure) EventName() string { return eventName(f.Latest) }

func eventName(d Delivery) string {
	if d.Action == "" {
		return d.Event
	}
	return d.Event + "." + d.Action
}

// absorb takes one more attempt of the GUID.
func (f *Failure) absorb(d *Delivery) {
	f.ok = f.ok || d.OK()
	if !d.Redelivery {
		f.Complete = true
	}
	if f.Oldest.IsZero() || d.DeliveredAt.Before(f.Oldest) {
		f.Oldest = d.DeliveredAt
	}
	if d.ID > f.Latest.ID {
		f.Latest = *d
	}
	if !d.OK() && d.ID > f.countedTo {
		f.failedAt = append(f.failedAt, d.DeliveredAt)
	}
}

// count returns the failed attempts that count towards max-attempts: those
// counted before, and the new ones for which counts is true (all of them if
// counts is nil).
func (f *Failure) count(counts func(time.Time) bool) int {
	n := f.prior
	for _, t := range f.failedAt {
		if counts == nil || counts(t) {
			n++
		}
	}
	return n
}

// scanner groups deliveries by GUID as they stream past.
//
// Memory grows with the failed GUIDs and the redelivery chains in the window,
// not with the deliveries scanned: GitHub lists newest first and a GUID's
// original attempt is its oldest, so an original that succeeded and has no
// later attempts needs no memory at all, and a GUID whose original has been
// seen is complete, and forgotten at once if it succeeded.
type scanner struct {
	// since and below bound the part of the list being read: deliveries
	// before since, or with an id below below, belong to another part.
	since   time.Time
	upper   time.Time
	below   int64
	groups  map[string]*Failure
	tombs   []*Failure // GUIDs an earlier run gave up on
	scanned int
	// seen holds the ids of the deliveries read at or after recentFrom,
	// which the run may read again; zero recentFrom: none.
	seen       map[int64]struct{}
	recentFrom time.Time

	topID int64 // the newest delivery read
	// h is told of every attempt read: what the deliveries say of the
	// receiver.
	h *health
}

func newScanner(since time.Time, h *health) *scanner {
	return &scanner{since: since, groups: make(map[string]*Failure), h: h}
}

// load puts the GUIDs an earlier run left in play into the scan.
func (s *scanner) load(l *checkpoint.Ledger) {
	if l == nil {
		return
	}
	for _, guid := range l.Settled {
		s.groups[guid] = &Failure{GUID: guid, ok: true, fromLedger: true}
	}
	for _, e := range l.GUIDs {
		ev, action, _ := strings.Cut(e.Event, ".")
		s.groups[e.GUID] = &Failure{
			GUID:   e.GUID,
			Latest: Delivery{ID: e.ID, GUID: e.GUID, DeliveredAt: e.At, Status: e.Status, StatusCode: e.Code, Event: ev, Action: action},
			Oldest: e.Oldest, Complete: e.Complete,
			prior: e.Attempts, countedTo: e.ID, fromLedger: true, gaveUp: e.GaveUp,
		}
		if !e.Sent.IsZero() {
			s.groups[e.GUID].pendingAt, s.groups[e.GUID].pendingID = e.Sent, e.ID
		}
	}
}

// add takes the next delivery; it returns false for one outside the part
// being read.
func (s *scanner) add(d *Delivery) bool {
	if d.DeliveredAt.Before(s.since) || d.ID < s.below || (!s.upper.IsZero() && !d.DeliveredAt.Before(s.upper)) {
		return false
	}
	if !s.recentFrom.IsZero() && !d.DeliveredAt.Before(s.recentFrom) {
		if _, ok := s.seen[d.ID]; ok {
			return false
		}
		if s.seen == nil {
			s.seen = make(map[int64]struct{})
		}
		s.seen[d.ID] = struct{}{}
	}
	s.scanned++
	s.topID = max(s.topID, d.ID)
	s.h.observe(d)
	g := s.groups[d.GUID]
	if g == nil {
		if !d.Redelivery && d.OK() {
			return true // delivered the first time: nothing to remember
		}
		g = &Failure{GUID: d.GUID}
		s.groups[d.GUID] = g
	}
	g.absorb(d)
	if g.ok && g.Complete && !g.fromLedger && g.sentID == 0 {
		delete(s.groups, d.GUID) // settled: no older attempts exist
	}
	return true
}

// failures returns the GUIDs without a successful attempt, oldest latest
// attempt first: those are closest to leaving GitHub's retention, so a run cut
// short spends itself on them rather than starving them, and a GUID just
// tried goes to the back.
func (s *scanner) failures() []*Failure {
	var out []*Failure
	for _, g := range s.groups {
		switch {
		case g.ok:
		case g.gaveUp:
			// Given up by an earlier run: carried on in the ledger while
			// its attempts can be read again, not reported again.
			g.reported, g.Outcome = true, GaveUp
			s.tombs = append(s.tombs, g)
		default:
			g.reported, g.Failed, g.Attempts = true, g.Latest, g.count(nil)
			out = append(out, g)
		}
	}
	sortFailures(out)
	return out
}

func sortFailures(fs []*Failure) {
	slices.SortFunc(fs, func(a, b *Failure) int {
		if c := a.Latest.DeliveredAt.Compare(b.Latest.DeliveredAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Latest.ID, b.Latest.ID)
	})
}

// streakSince returns the oldest failed attempt newer than the newest
// successful one: when the current run of failures began. Zero if the newest
// attempt succeeded.
func (s *scanner) streakSince() time.Time {
	var since time.Time
	for _, g := range s.groups {
		if g.ok || s.h.refused(g.Latest.Event) {
			// An event the receiver refuses fails whatever its state.
			continue
		}
		for _, t := range g.failedAt {
			if t.After(s.h.lastOK) && (since.IsZero() || t.Before(since)) {
				since = t
			}
		}
		if g.fromLedger && g.Latest.DeliveredAt.After(s.h.lastOK) && (since.IsZero() || g.Latest.DeliveredAt.Before(since)) {
			since = g.Latest.DeliveredAt
		}
	}
	return since
}
