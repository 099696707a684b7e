package redeliver

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

// d builds a delivery at t0+minute.
func d(id int64, guid string, minute int, redelivery bool, status string) Delivery {
	return Delivery{ID: id, GUID: guid, DeliveredAt: t0.Add(time.Duration(minute) * time.Minute), Redelivery: redelivery, Status: status, Event: "push"}
}

func TestScannerGroupsByGUID(t *testing.T) {
	t.Parallel()
	type want struct {
		GUID     string
		LatestID int64
		Attempts int
		Complete bool
	}
	tests := []struct {
		name string
		in   []Delivery // newest first, as GitHub lists them
		want []want
	}{
		{name: "empty"},
		{name: "all ok", in: []Delivery{d(3, "c", 3, false, "OK"), d(2, "b", 2, false, "OK"), d(1, "a", 1, false, "OK")}},
		{
			name: "one failed",
			in:   []Delivery{d(3, "c", 3, false, "OK"), d(2, "b", 2, false, "Invalid HTTP Response: 503"), d(1, "a", 1, false, "OK")},
			want: []want{{"b", 2, 1, true}},
		},
		{
			name: "failed then redelivered ok",
			in:   []Delivery{d(5, "a", 5, true, "OK"), d(1, "a", 1, false, "timed out")},
		},
		{
			name: "failed several times: one entry, the newest attempt",
			in:   []Delivery{d(9, "a", 9, true, "timed out"), d(5, "a", 5, true, "timed out"), d(1, "a", 1, false, "timed out")},
			want: []want{{"a", 9, 3, true}},
		},
		{
			name: "original before the window: incomplete",
			in:   []Delivery{d(9, "a", 9, true, "timed out"), d(5, "a", 5, true, "timed out")},
			want: []want{{"a", 9, 2, false}},
		},
		{
			name: "oldest latest attempt first",
			in:   []Delivery{d(9, "a", 9, true, "x"), d(4, "b", 4, false, "x"), d(2, "a", 2, false, "x")},
			want: []want{{"b", 4, 1, true}, {"a", 9, 2, true}},
		},
		{
			name: "an ok redelivery of a success that later failed still counts as success",
			in:   []Delivery{d(9, "a", 9, true, "x"), d(5, "a", 5, true, "OK"), d(1, "a", 1, false, "x")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newScanner(t0, newHealth(nil))
			for i := range tt.in {
				s.add(&tt.in[i])
			}
			var got []want
			for _, f := range s.failures() {
				got = append(got, want{f.GUID, f.Latest.ID, f.Attempts, f.Complete})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			if s.scanned != len(tt.in) {
				t.Errorf("scanned = %d, want %d", s.scanned, len(tt.in))
			}
		})
	}
}

func TestScannerForgetsSettledGUIDs(t *testing.T) {
	t.Parallel()
	s := newScanner(t0, newHealth(nil))
	// 10,000 successful originals and 1,000 failed-then-recovered GUIDs:
	// nothing should be left in memory once their originals have passed.
	id := int64(1 << 60)
	for i := 0; i < 1000; i++ {
		guid := "r" + string(rune('a'+i%26)) + time.Duration(i).String()
		s.add(&Delivery{ID: id, GUID: guid, DeliveredAt: t0.Add(time.Hour), Redelivery: true, Status: "OK"})
		id--
		s.add(&Delivery{ID: id, GUID: guid, DeliveredAt: t0.Add(time.Minute), Status: "timed out"})
		id--
	}
	for i := 0; i < 10000; i++ {
		s.add(&Delivery{ID: id, GUID: "ok" + time.Duration(i).String(), DeliveredAt: t0, Status: "OK"})
		id--
	}
	if n := len(s.groups); n != 0 {
		t.Errorf("%d groups kept after every GUID settled, want 0", n)
	}
}

func TestScannerIgnoresDeliveriesBeforeWindow(t *testing.T) {
	t.Parallel()
	s := newScanner(t0.Add(2*time.Minute), newHealth(nil))
	in := []Delivery{d(3, "c", 3, false, "x"), d(2, "b", 2, false, "x"), d(1, "a", 1, false, "x")}
	var kept []bool
	for i := range in {
		kept = append(kept, s.add(&in[i]))
	}
	if diff := cmp.Diff([]bool{true, true, false}, kept); diff != "" {
		t.Errorf("add results (-want +got):\n%s", diff)
	}
	if got := len(s.failures()); got != 2 {
		t.Errorf("failures = %d, want 2 (a is before the window)", got)
	}
}

// TestCheckpoint: the stored checkpoint is safe on its own, for a run that
// finds no ledger beside it.
func TestCheckpoint(t *testing.T) {
	t.Parallel()
	until := t0.Add(10 * time.Hour)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	fail := func(oldest, latest int, o Outcome) *Failure {
		return &Failure{Oldest: at(oldest), Latest: Delivery{DeliveredAt: at(latest)}, Outcome: o}
	}
	tests := []struct {
		name     string
		failures []*Failure
		want     time.Time
	}{
		{name: "nothing failed: up to the listing's start", want: until},
		{name: "resolved failures do not hold it", failures: []*Failure{fail(1, 2, Skipped), fail(2, 3, Expired)}, want: until},
		{name: "a redelivered GUID not yet seen to succeed holds it at its oldest attempt", failures: []*Failure{fail(3, 5, FailedAgain), fail(4, 4, NotSeen)}, want: at(3)},
		{name: "a redelivery that succeeded does not hold it", failures: []*Failure{fail(3, 5, Delivered)}, want: until},
		{name: "waiting for the receiver holds it", failures: []*Failure{fail(2, 9, Waiting)}, want: at(2)},
		{name: "left for the next run holds it", failures: []*Failure{fail(6, 6, NotAttempted)}, want: at(6)},
		{name: "unknown outcome holds it", failures: []*Failure{fail(7, 8, Unknown)}, want: at(7)},
		{name: "given up and entirely before the next window: passed", failures: []*Failure{fail(1, 2, GaveUp), fail(5, 5, FailedAgain)}, want: at(5)},
		{
			name:     "given up straddling the next window's start: held at its oldest",
			failures: []*Failure{fail(1, 8, GaveUp), fail(5, 5, FailedAgain)},
			want:     at(1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &pass{res: &Result{Until: until, Failures: tt.failures}, listed: until, o: Options{Logf: t.Logf, Warnf: t.Logf}}
			p.w.from, p.h = t0, newHealth(nil)
			p.sc = newScanner(t0, p.h)
			got := p.next().Checkpoint
			if !got.Equal(tt.want) {
				t.Errorf("checkpoint = %s, want %s", got, tt.want)
			}
		})
	}
}
