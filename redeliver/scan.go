package redeliver

import (
	"cmp"
	"slices"
	"time"
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

// group is what the scan remembers of one GUID.
type group struct {
	latest   Delivery  // newest attempt
	oldest   time.Time // delivered_at of the oldest attempt seen
	attempts int
	ok       bool // some attempt succeeded
	complete bool // the original (non-redelivery) attempt was seen
}

// scanner groups deliveries by GUID as they stream past, newest first.
//
// Memory grows with the failed GUIDs and the redelivery chains in the window,
// not with the deliveries scanned: GitHub lists newest first and a GUID's
// original attempt is its oldest, so an original that succeeded and has no
// later attempts needs no memory at all, and a GUID whose original has been
// seen is complete, and forgotten at once if it succeeded.
type scanner struct {
	since   time.Time
	groups  map[string]*group
	scanned int
	oldest  time.Time // oldest delivered_at in the window
}

func newScanner(since time.Time) *scanner {
	return &scanner{since: since, groups: make(map[string]*group)}
}

// add takes the next delivery; it returns false for one before the window.
func (s *scanner) add(d *Delivery) bool {
	if d.DeliveredAt.Before(s.since) {
		return false
	}
	s.scanned++
	if s.oldest.IsZero() || d.DeliveredAt.Before(s.oldest) {
		s.oldest = d.DeliveredAt
	}
	g := s.groups[d.GUID]
	if g == nil {
		if !d.Redelivery && d.OK() {
			return true // delivered the first time: nothing to remember
		}
		s.groups[d.GUID] = &group{latest: *d, oldest: d.DeliveredAt, attempts: 1, ok: d.OK(), complete: !d.Redelivery}
		return true
	}
	g.attempts++
	g.ok = g.ok || d.OK()
	if d.DeliveredAt.Before(g.oldest) {
		g.oldest = d.DeliveredAt
	}
	if !d.Redelivery {
		g.complete = true
		if g.ok {
			delete(s.groups, d.GUID) // settled: no older attempts exist
		}
	}
	return true
}

// failures returns the GUIDs without a successful attempt, oldest latest
// attempt first: those are closest to leaving GitHub's retention, so a run cut
// short spends itself on them rather than starving them.
func (s *scanner) failures() []*Failure {
	var out []*Failure
	for guid, g := range s.groups {
		if g.ok {
			continue
		}
		out = append(out, &Failure{
			GUID:     guid,
			Latest:   g.latest,
			Oldest:   g.oldest,
			Attempts: g.attempts,
			Complete: g.complete,
		})
	}
	slices.SortFunc(out, func(a, b *Failure) int {
		if c := a.Latest.DeliveredAt.Compare(b.Latest.DeliveredAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Latest.ID, b.Latest.ID)
	})
	return out
}
