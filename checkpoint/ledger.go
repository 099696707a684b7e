package checkpoint

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxLedgerSize bounds the encoded ledger: a repository variable holds at most
// 48 KB, and a ledger that cannot be stored whole is trimmed (see Encode).
const MaxLedgerSize = 45_000

// maxGaps bounds the unread ranges a ledger remembers; past it the newest two
// are merged (the part between them is read again, never skipped).
const maxGaps = 8

// Ledger is what a run leaves for the next one besides the checkpoint: how far
// the hook's deliveries have been read, the ranges that are still unread, when
// the receiver was down, and the GUIDs still in play. It lets the next run
// list only what is new while the checkpoint, which must stay in the format of
// GitHub's scripts, holds back at the oldest GUID in play.
//
// It is an optimisation, never a source of truth: a run that finds no ledger,
// or one that does not belong to the stored checkpoint, reads from the
// checkpoint and finds every GUID in play again.
type Ledger struct {
	// Listed: every delivery before it (GitHub time), except those in Gaps,
	// has been read. The next run reads from Listed minus the overlap.
	Listed time.Time
	// From, if before Listed, is where the next run must start reading
	// instead: GUIDs in play that did not fit in the ledger start there.
	From time.Time
	// Gaps are ranges of the list that a run cut short did not read.
	Gaps []Gap
	// Down are the spans during which the receiver was down, oldest first;
	// the last one is open (Until zero) while it still is. Failed attempts
	// inside a span do not count towards max-attempts.
	Down []Span
	// GUIDs are the failed GUIDs still in play, oldest first.
	GUIDs []Entry
	// Uncarried counts the GUIDs in play that did not fit (see From), for
	// reports: a run finds them again by reading.
	Uncarried int
	// Settled are GUIDs seen to succeed whose original attempt was not read:
	// it may lie in an unread part (Gaps), where alone it would look failed.
	// Kept only while there are unread parts.
	Settled []string
}

// Gap is an unread part of the list: the deliveries with an id below Below and
// delivered at or after To. Cursor is GitHub's cursor of its first page.
type Gap struct {
	Cursor string
	Below  int64
	To     time.Time
}

// Span is a time range, GitHub time; an open span has a zero Until.
type Span struct {
	Since, Until time.Time
}

// Contains reports whether t is inside the span.
func (s Span) Contains(t time.Time) bool {
	return !t.Before(s.Since) && (s.Until.IsZero() || t.Before(s.Until))
}

// Entry is one failed GUID in play.
type Entry struct {
	GUID string
	// ID and At are the newest attempt seen: the one to redeliver, and the
	// mark below which an attempt has already been counted.
	ID int64
	At time.Time
	// Oldest is the oldest attempt seen: the checkpoint holds back to it.
	Oldest time.Time
	// Attempts counts the failed attempts that count towards max-attempts.
	Attempts int
	// Complete: the original attempt has been seen, so Attempts is exact.
	Complete bool
	// GaveUp: max-attempts was reached. Kept while its attempts can still be
	// read again, so it is not taken for a new failure.
	GaveUp bool
	Event  string // "pull_request.opened", for filters and reports
	Status string
	Code   int // the receiver's status code of the newest attempt; 0 if none
}

// Empty reports whether the ledger says nothing the checkpoint does not.
func (l *Ledger) Empty() bool {
	return l == nil || (len(l.Gaps) == 0 && len(l.GUIDs) == 0 && len(l.Down) == 0 && l.From.IsZero())
}

// DownSince returns the start of the open down span, if the receiver was down
// when the ledger was written.
func (l *Ledger) DownSince() (time.Time, bool) {
	if l == nil || len(l.Down) == 0 || !l.Down[len(l.Down)-1].Until.IsZero() {
		return time.Time{}, false
	}
	return l.Down[len(l.Down)-1].Since, true
}

// AddGap records an unread range, merging the newest two past maxGaps.
func (l *Ledger) AddGap(g Gap) {
	l.Gaps = append(l.Gaps, g)
	slices.SortFunc(l.Gaps, func(a, b Gap) int { return b.To.Compare(a.To) }) // newest first
	for len(l.Gaps) > maxGaps {
		// Read from the higher of the two cursors down to the older end:
		// the part between them is read twice, never skipped. The newer
		// range by end is not always the higher: a merged range keeps its
		// cursor and takes an older end.
		if l.Gaps[0].Below > l.Gaps[1].Below {
			l.Gaps[1].Cursor, l.Gaps[1].Below = l.Gaps[0].Cursor, l.Gaps[0].Below
		}
		l.Gaps = l.Gaps[1:]
	}
}

// ledgerJSON is the stored form: short keys and epoch seconds, so that a few
// hundred GUIDs fit in one variable.
type ledgerJSON struct {
	V      int        `json:"v"`
	CP     int64      `json:"cp"` // the checkpoint (epoch ms) this ledger belongs to
	Listed int64      `json:"listed"`
	From   int64      `json:"from,omitempty"`
	Gaps   []gapJSON  `json:"gaps,omitempty"`
	Down   [][2]int64 `json:"down,omitempty"`
	GUIDs  [][]any    `json:"g,omitempty"`
	N      int        `json:"n,omitempty"`  // Uncarried
	OK     []string   `json:"ok,omitempty"` // Settled
}

type gapJSON struct {
	Cursor string `json:"c"`
	Below  int64  `json:"b"`
	To     int64  `json:"to"`
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// Fit trims l so that its stored form for checkpoint cp fits MaxLedgerSize.
// It keeps the oldest GUIDs (closest to leaving GitHub's retention) and moves
// From back to the oldest attempt of those it drops, so the next run reads
// them again; it returns how many it dropped. If the settled GUIDs alone do
// not fit, the unread parts become a read from the newest delivery down to
// the oldest of them (From), which sees every later attempt, and the
// settled GUIDs are no longer needed.
func (l *Ledger) Fit(cp time.Time) int {
	dropped := 0
	for {
		v := l.Encode(cp)
		if len(v) <= MaxLedgerSize {
			return dropped
		}
		if len(l.GUIDs) == 0 {
			if len(l.Settled) == 0 {
				return dropped
			}
			for _, g := range l.Gaps {
				if l.From.IsZero() || g.To.Before(l.From) {
					l.From = g.To
				}
			}
			l.Gaps, l.Settled = nil, nil
			continue
		}
		// Drop a share of the newest at a time: a few encodings at most.
		keep := len(l.GUIDs) * MaxLedgerSize / len(v) * 9 / 10
		for _, e := range l.GUIDs[keep:] {
			if l.From.IsZero() || e.Oldest.Before(l.From) {
				l.From = e.Oldest
			}
		}
		dropped += len(l.GUIDs) - keep
		l.Uncarried += len(l.GUIDs) - keep
		l.GUIDs = l.GUIDs[:keep]
	}
}

// Encode returns the stored form of l for checkpoint cp.
func (l *Ledger) Encode(cp time.Time) string {
	j := ledgerJSON{V: 1, CP: cp.Truncate(time.Second).UnixMilli(), Listed: unix(l.Listed), From: unix(l.From), N: l.Uncarried, OK: l.Settled}
	for _, g := range l.Gaps {
		j.Gaps = append(j.Gaps, gapJSON{Cursor: g.Cursor, Below: g.Below, To: unix(g.To)})
	}
	for _, s := range l.Down {
		j.Down = append(j.Down, [2]int64{unix(s.Since), unix(s.Until)})
	}
	for _, e := range l.GUIDs {
		flags := 0
		if e.Complete {
			flags |= 1
		}
		if e.GaveUp {
			flags |= 2
		}
		status := e.Status
		if e.Code != 0 {
			// The code says it; the text ("Invalid HTTP Response: 503")
			// would take a fifth of the entry.
			status = ""
		}
		j.GUIDs = append(j.GUIDs, []any{e.GUID, strconv.FormatInt(e.ID, 10), unix(e.At), unix(e.Oldest), e.Attempts, flags, e.Event, status, e.Code})
	}
	b, err := json.Marshal(j)
	if err != nil {
		panic(err) // strings, numbers and slices of them always encode
	}
	return string(b)
}

// ParseLedger reads a stored ledger. It returns nil, and no error, when the
// ledger belongs to another checkpoint than cp: a run of GitHub's scripts, a
// person or a crash between the two writes changed the checkpoint since.
func ParseLedger(s string, cp time.Time) (*Ledger, error) {
	var j ledgerJSON
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&j); err != nil {
		return nil, fmt.Errorf("parse ledger: %w", err)
	}
	if j.V != 1 {
		return nil, fmt.Errorf("parse ledger: version %d is not known to this version of hook-redeliver", j.V)
	}
	if j.CP != cp.UnixMilli() {
		return nil, nil
	}
	l := &Ledger{Listed: fromUnix(j.Listed), From: fromUnix(j.From), Uncarried: j.N, Settled: j.OK}
	if l.Listed.IsZero() {
		return nil, fmt.Errorf("parse ledger: no listed time")
	}
	for _, g := range j.Gaps {
		l.Gaps = append(l.Gaps, Gap{Cursor: g.Cursor, Below: g.Below, To: fromUnix(g.To)})
	}
	for _, s := range j.Down {
		l.Down = append(l.Down, Span{Since: fromUnix(s[0]), Until: fromUnix(s[1])})
	}
	for i, row := range j.GUIDs {
		e, err := parseEntry(row)
		if err != nil {
			return nil, fmt.Errorf("parse ledger: GUID %d: %w", i, err)
		}
		l.GUIDs = append(l.GUIDs, e)
	}
	return l, nil
}

func parseEntry(row []any) (Entry, error) {
	if len(row) != 9 {
		return Entry{}, fmt.Errorf("want 9 fields, got %d", len(row))
	}
	str := func(i int) (string, bool) { s, ok := row[i].(string); return s, ok }
	num := func(i int) (int64, bool) {
		n, ok := row[i].(json.Number)
		if !ok {
			return 0, false
		}
		v, err := n.Int64()
		return v, err == nil
	}
	guid, ok1 := str(0)
	idS, ok2 := str(1)
	at, ok3 := num(2)
	oldest, ok4 := num(3)
	attempts, ok5 := num(4)
	flags, ok6 := num(5)
	event, ok7 := str(6)
	status, ok8 := str(7)
	code, ok9 := num(8)
	id, err := strconv.ParseInt(idS, 10, 64)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8 && ok9) || err != nil || guid == "" {
		return Entry{}, fmt.Errorf("malformed %v", row)
	}
	return Entry{
		GUID: guid, ID: id, At: fromUnix(at), Oldest: fromUnix(oldest), Attempts: int(attempts),
		Complete: flags&1 != 0, GaveUp: flags&2 != 0, Event: event, Status: status, Code: int(code),
	}, nil
}
