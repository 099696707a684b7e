package checkpoint

import (
	"encoding/json"
	"fmt"
	"maps"
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
	// Settled are GUIDs seen to succeed whose original attempt was not read:
	// it may lie in an unread part (Gaps), where alone it would look failed.
	// Kept only while there are unread parts.
	Settled []string
	// Taken are the events the receiver has been seen to take, and LastOK
	// the newest successful attempt seen: evidence a run that reads only a
	// few minutes (one soon after another) would otherwise lack, to tell an
	// event the receiver refuses from an outage and to count attempts made
	// while it was up.
	Taken  []string
	LastOK time.Time
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
	// Sent is when the run redelivered attempt ID, if the new attempt was
	// not listed yet when it saved: the next run does not redeliver the
	// GUID again until it is, or until GitHub would surely have listed it.
	Sent time.Time
}

// Empty reports whether the ledger says nothing the checkpoint does not.
func (l *Ledger) Empty() bool {
	return l == nil || (len(l.Gaps) == 0 && len(l.GUIDs) == 0 && len(l.Down) == 0 && l.From.IsZero())
}

// MaxTaken bounds the events a ledger remembers as taken: GitHub has about
// seventy webhook events, so this holds every event a hook can carry.
const MaxTaken = 100

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

// ledgerVersion is the stored form's version, bumped on every change of it.
// A binary refuses a version it does not know, and the run then reads from
// the checkpoint alone (see State): an older binary after a newer one loses
// nothing, it only reads more.
//
//	1: positional arrays per GUID, a bit field for Complete and GaveUp.
//	2: named fields; GUIDs as named columns (each name once, not once a
//	   GUID) with times relative to Listed and events as a table; Sent;
//	   Taken and LastOK.
const ledgerVersion = 2

// ledgerJSON is the stored form: short names and epoch seconds, so that a
// few hundred GUIDs fit in one variable.
type ledgerJSON struct {
	V      int        `json:"v"`
	CP     int64      `json:"cp"` // the checkpoint (epoch ms) this ledger belongs to
	Listed int64      `json:"listed"`
	From   int64      `json:"from,omitempty"`
	Gaps   []gapJSON  `json:"gaps,omitempty"`
	Down   []spanJSON `json:"down,omitempty"`
	GUIDs  *guidsJSON `json:"guids,omitempty"`
	OK     []string   `json:"ok,omitempty"` // Settled
	Taken  []string   `json:"taken,omitempty"`
	LastOK int64      `json:"last_ok,omitempty"`
}

type gapJSON struct {
	Cursor string `json:"c"`
	Below  int64  `json:"b"`
	To     int64  `json:"to"`
}

type spanJSON struct {
	Since int64 `json:"since"`
	Until int64 `json:"until,omitempty"` // 0: still down
}

// guidsJSON holds the GUIDs in play as columns of equal length, entry i in
// row i of each. Times are seconds before Listed (At) and before At
// (Oldest), which take a few digits where epoch seconds take ten. The rare
// fields are lists of the rows that have them.
type guidsJSON struct {
	GUID     []string `json:"guid"`
	ID       []string `json:"id"` // strings: ids passed 2^53
	At       []int64  `json:"at"`
	Oldest   []int64  `json:"oldest"`
	Attempts []int    `json:"attempts"`
	Event    []int    `json:"event"` // index in Events
	Events   []string `json:"events"`
	Code     []int    `json:"code"`
	// Status is the newest attempt's status text, for the rows whose
	// attempt has no status code (a code says it in a fifth of the bytes).
	Status     map[string]string `json:"status,omitempty"`
	Incomplete []int             `json:"incomplete,omitempty"`
	GaveUp     []int             `json:"gave_up,omitempty"`
	Sent       map[string]int64  `json:"sent,omitempty"` // row: seconds before Listed
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
		l.GUIDs = l.GUIDs[:keep]
	}
}

// Encode returns the stored form of l for checkpoint cp.
func (l *Ledger) Encode(cp time.Time) string {
	listed := unix(l.Listed)
	j := ledgerJSON{V: ledgerVersion, CP: cp.Truncate(time.Second).UnixMilli(), Listed: listed, From: unix(l.From), OK: l.Settled, Taken: l.Taken, LastOK: unix(l.LastOK)}
	for _, g := range l.Gaps {
		j.Gaps = append(j.Gaps, gapJSON{Cursor: g.Cursor, Below: g.Below, To: unix(g.To)})
	}
	for _, s := range l.Down {
		j.Down = append(j.Down, spanJSON{Since: unix(s.Since), Until: unix(s.Until)})
	}
	if len(l.GUIDs) > 0 {
		c := &guidsJSON{}
		events := map[string]int{}
		for i, e := range l.GUIDs {
			at := unix(e.At)
			c.GUID = append(c.GUID, e.GUID)
			c.ID = append(c.ID, strconv.FormatInt(e.ID, 10))
			c.At = append(c.At, listed-at)
			c.Oldest = append(c.Oldest, at-unix(e.Oldest))
			c.Attempts = append(c.Attempts, e.Attempts)
			k, ok := events[e.Event]
			if !ok {
				k = len(c.Events)
				events[e.Event] = k
				c.Events = append(c.Events, e.Event)
			}
			c.Event = append(c.Event, k)
			c.Code = append(c.Code, e.Code)
			row := strconv.Itoa(i)
			if e.Code == 0 && e.Status != "" {
				if c.Status == nil {
					c.Status = map[string]string{}
				}
				c.Status[row] = e.Status
			}
			if !e.Complete {
				c.Incomplete = append(c.Incomplete, i)
			}
			if e.GaveUp {
				c.GaveUp = append(c.GaveUp, i)
			}
			if !e.Sent.IsZero() {
				if c.Sent == nil {
					c.Sent = map[string]int64{}
				}
				c.Sent[row] = listed - unix(e.Sent)
			}
		}
		j.GUIDs = c
	}
	b, err := json.Marshal(j)
	if err != nil {
		panic(err) // strings, numbers and slices of them always encode
	}
	return string(b)
}

// ParseLedger reads a stored ledger, of this version or version 1. It
// returns nil, and no error, when the ledger belongs to another checkpoint
// than cp: a run of GitHub's scripts, a person or a crash between the two
// writes changed the checkpoint since.
func ParseLedger(s string, cp time.Time) (*Ledger, error) {
	var head struct {
		V  int   `json:"v"`
		CP int64 `json:"cp"`
	}
	if err := json.NewDecoder(strings.NewReader(s)).Decode(&head); err != nil {
		return nil, fmt.Errorf("parse ledger: %w", err)
	}
	var l *Ledger
	var err error
	switch head.V {
	case 1:
		l, err = parseV1(s)
	case ledgerVersion:
		l, err = parseV2(s)
	default:
		return nil, fmt.Errorf("parse ledger: version %d is not known to this version of hook-redeliver", head.V)
	}
	if err != nil {
		return nil, fmt.Errorf("parse ledger: %w", err)
	}
	if head.CP != cp.UnixMilli() {
		return nil, nil
	}
	if l.Listed.IsZero() {
		return nil, fmt.Errorf("parse ledger: no listed time")
	}
	return l, nil
}

func parseV2(s string) (*Ledger, error) {
	var j ledgerJSON
	d := json.NewDecoder(strings.NewReader(s))
	d.DisallowUnknownFields()
	if err := d.Decode(&j); err != nil {
		return nil, err
	}
	l := &Ledger{Listed: fromUnix(j.Listed), From: fromUnix(j.From), Settled: j.OK, Taken: j.Taken, LastOK: fromUnix(j.LastOK)}
	for _, g := range j.Gaps {
		l.Gaps = append(l.Gaps, Gap{Cursor: g.Cursor, Below: g.Below, To: fromUnix(g.To)})
	}
	for _, s := range j.Down {
		l.Down = append(l.Down, Span{Since: fromUnix(s.Since), Until: fromUnix(s.Until)})
	}
	c := j.GUIDs
	if c == nil {
		return l, nil
	}
	n := len(c.GUID)
	for name, col := range map[string]int{"id": len(c.ID), "at": len(c.At), "oldest": len(c.Oldest), "attempts": len(c.Attempts), "event": len(c.Event), "code": len(c.Code)} {
		if col != n {
			return nil, fmt.Errorf("guids: column %s has %d rows, guid has %d", name, col, n)
		}
	}
	rows := func(name string, is []int) (map[int]bool, error) {
		m := map[int]bool{}
		for _, i := range is {
			if i < 0 || i >= n {
				return nil, fmt.Errorf("guids: %s names row %d of %d", name, i, n)
			}
			m[i] = true
		}
		return m, nil
	}
	incomplete, err := rows("incomplete", c.Incomplete)
	if err != nil {
		return nil, err
	}
	gaveUp, err := rows("gave_up", c.GaveUp)
	if err != nil {
		return nil, err
	}
	byRow := func(name string, keys []string) ([]int, error) {
		out := make([]int, 0, len(keys))
		for _, k := range keys {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= n {
				return nil, fmt.Errorf("guids: %s names row %q of %d", name, k, n)
			}
			out = append(out, i)
		}
		return out, nil
	}
	l.GUIDs = make([]Entry, n)
	for i := range n {
		id, err := strconv.ParseInt(c.ID[i], 10, 64)
		if err != nil || c.GUID[i] == "" || c.Event[i] < 0 || c.Event[i] >= len(c.Events) {
			return nil, fmt.Errorf("guids: row %d is malformed", i)
		}
		at := j.Listed - c.At[i]
		l.GUIDs[i] = Entry{
			GUID: c.GUID[i], ID: id, At: fromUnix(at), Oldest: fromUnix(at - c.Oldest[i]), Attempts: c.Attempts[i],
			Complete: !incomplete[i], GaveUp: gaveUp[i], Event: c.Events[c.Event[i]], Code: c.Code[i],
		}
	}
	statusRows, err := byRow("status", slices.Collect(maps.Keys(c.Status)))
	if err != nil {
		return nil, err
	}
	for _, i := range statusRows {
		l.GUIDs[i].Status = c.Status[strconv.Itoa(i)]
	}
	sentRows, err := byRow("sent", slices.Collect(maps.Keys(c.Sent)))
	if err != nil {
		return nil, err
	}
	for _, i := range sentRows {
		l.GUIDs[i].Sent = fromUnix(j.Listed - c.Sent[strconv.Itoa(i)])
	}
	return l, nil
}

// ledgerV1 is version 1's stored form: a row of positional fields a GUID.
type ledgerV1 struct {
	Listed int64      `json:"listed"`
	From   int64      `json:"from,omitempty"`
	Gaps   []gapJSON  `json:"gaps,omitempty"`
	Down   [][2]int64 `json:"down,omitempty"`
	GUIDs  [][]any    `json:"g,omitempty"`
	OK     []string   `json:"ok,omitempty"`
}

// parseV1 reads a ledger written by a binary of version 1's time, so an
// upgrade keeps the GUIDs in play and the outage it recorded.
func parseV1(s string) (*Ledger, error) {
	var j ledgerV1
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&j); err != nil {
		return nil, err
	}
	l := &Ledger{Listed: fromUnix(j.Listed), From: fromUnix(j.From), Settled: j.OK}
	for _, g := range j.Gaps {
		l.Gaps = append(l.Gaps, Gap{Cursor: g.Cursor, Below: g.Below, To: fromUnix(g.To)})
	}
	for _, s := range j.Down {
		l.Down = append(l.Down, Span{Since: fromUnix(s[0]), Until: fromUnix(s[1])})
	}
	for i, row := range j.GUIDs {
		e, err := parseEntryV1(row)
		if err != nil {
			return nil, fmt.Errorf("GUID %d: %w", i, err)
		}
		l.GUIDs = append(l.GUIDs, e)
	}
	return l, nil
}

func parseEntryV1(row []any) (Entry, error) {
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
