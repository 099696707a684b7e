// Package redeliver runs one webhook's pass from start to end: read what the
// previous run left (the checkpoint and its ledger), list the deliveries made
// since, group them by GUID, judge whether the receiver is up, redeliver each
// GUID that has no successful attempt, read back what became of those
// redeliveries while pacing them, and leave for the next run exactly what is
// still in play.
//
// The rules that decide where the next run starts, what an outcome means and
// what state the receiver is in live in this package and nowhere else: the
// receiver's in receiver.go, as a type that does no I/O.
package redeliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/ghtransport"
)

// PageSize is the largest page GitHub serves.
const PageSize = 100

const (
	// listShare is the share of the time budget listing may use (two
	// thirds): a window too large to read in one run leaves the rest of the
	// budget for redelivering what was found, and the next run reads on.
	listShareNum, listShareDen = 2, 3
	// progressEvery: long work says how far it got at least this often, for
	// a person watching the live log of a job or a terminal.
	progressEvery = 10 * time.Second
	// saveTimeout bounds saving, which runs even when the run is cancelled.
	saveTimeout = 30 * time.Second
)

// Options configure a pass.
type Options struct {
	Target Target
	// Store holds the checkpoint and ledger between runs.
	Store checkpoint.Store
	// Server is GitHub's clock; its local clock measures Deadline and waits.
	Server *clock.Server
	// Deadline (local clock): no request starts after it. Zero: none.
	Deadline time.Time
	DryRun   bool
	// MaxRedeliveries caps the redelivery requests of the run (0: no cap).
	MaxRedeliveries int
	// MaxAttempts: a GUID with this many failed attempts while the receiver
	// was up is given up (0: never).
	MaxAttempts int
	// Retention: older deliveries can no longer be redelivered.
	Retention time.Duration
	// ReceiverTimeout is how long GitHub waits for the receiver before it
	// fails an attempt (10 s on github.com, 30 s on Enterprise Server): a
	// redelivery's attempt is listed about that long after the request at
	// worst. Zero: 10 s.
	ReceiverTimeout time.Duration
	Filter          Filter
	// Since, if set, gives the window's start from GitHub's now (the since
	// input) instead of the checkpoint.
	Since func(now time.Time) time.Time
	// Logf is told what happens, one line at a time; Warnf what a person
	// should see (an annotation in a workflow).
	Logf, Warnf func(format string, args ...any)
}

// Result is what a pass did.
type Result struct {
	Target     Target
	Store      string    // where the checkpoint lives
	Previous   time.Time // the stored checkpoint; zero on the first run
	SinceInput bool      // the window start came from the since input
	Since      time.Time // start of the newest part of the window
	Until      time.Time // GitHub time when the listing began: the window's end
	Pages      int       // list requests made, ReadBack included
	ReadBack   int       // list requests made after the window was read: looks at the newest deliveries
	Scanned    int       // deliveries read inside the window
	Failures   []*Failure
	Receiver   Receiver
	// Listed is true when the run read anything, and so saved (unless a
	// dry run) what it learnt.
	Listed bool
	// Unread counts the parts of the list left unread for later runs.
	Unread int
	// Stopped says why the run stopped early ("" if it did not).
	Stopped string
	// Redeliveries counts the redelivery requests sent.
	Redeliveries int
	// Saved is the checkpoint written; zero if none was.
	Saved time.Time
	// InLedger counts the GUIDs the ledger carries to the next run, and
	// Dropped those of this run's that did not fit (the next run that
	// finds the receiver up reads back for them).
	InLedger, Dropped int
	// Behind, if set: GUIDs in play failed before it may not be in
	// Failures, as the ledger could not carry them all and the run did not
	// read back for them (not while the receiver is down); the next run
	// that finds the receiver up reads back to it. They are not counted.
	Behind time.Time
	// Notes are warnings worth showing next to the numbers.
	Notes []string
}

// Count returns how many failures ended with outcome o.
func (r *Result) Count(o Outcome) int {
	n := 0
	for _, f := range r.Failures {
		if f.Outcome == o {
			n++
		}
	}
	return n
}

// Waiting returns how many of the run's GUIDs wait for the receiver: while
// it is down, every one still in play. It counts only GUIDs in Failures, so
// that outputs, headline and table agree.
func (r *Result) Waiting() int {
	if r.Receiver.State != ReceiverDown {
		return 0
	}
	n := 0
	for _, f := range r.Failures {
		if f.Outcome.Remaining() {
			n++
		}
	}
	return n
}

// pass is one run over one webhook. Its steps, in order: openWindow, listNew,
// judgeStart, catchUp (unless the receiver is down), redeliver (probe, then
// send, looking at the newest deliveries between redeliveries), finish (the
// last outcomes) and save.
type pass struct {
	client *github.Client
	o      Options
	res    *Result
	w      window
	sc     *scanner
	h      *health

	// Reading. listed: every delivery before it (GitHub time), but for
	// the unread parts, has been read; the next run starts there. covered:
	// every delivery with a greater id than the window's first read has
	// been read up to this id; a look reads on from it.
	listed  time.Time
	covered int64
	// unread are earlier runs' unread parts, and deferred where the GUIDs
	// that did not fit in the ledger start: read by catchUp once the
	// receiver is not down, and then emptied.
	unread       []checkpoint.Gap
	deferred     time.Time
	gaps         []checkpoint.Gap // parts this run leaves unread
	from         time.Time        // the ledger's From for the next run
	news         section          // the newest part of the window
	listDeadline time.Time        // local time: listing stops
	lastProgress time.Time        // local time of the last progress line

	// Redelivering.
	verdict   Receiver
	sent      []*Failure // redelivered this run, in order
	lastPOST  time.Time  // local time of the last redelivery request
	sinceLook int        // redeliveries since the last look
	began     time.Time  // local time of the first redelivery
	planned   int        // redeliveries the run means to make, for progress
}

// Run performs one pass. It returns a Result even on error, saying what was
// done before the error.
func Run(ctx context.Context, client *github.Client, o Options) (*Result, error) {
	if o.Server == nil {
		o.Server = clock.NewServer(clock.Real{})
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Warnf == nil {
		o.Warnf = o.Logf
	}
	if o.ReceiverTimeout <= 0 {
		o.ReceiverTimeout = ReceiverTimeout
	}
	p := &pass{client: client, o: o, res: &Result{Target: o.Target, Store: o.Store.String()}}
	err := p.run(ctx)
	return p.res, err
}

func (p *pass) run(ctx context.Context) error {
	if err := p.openWindow(ctx); err != nil {
		return err
	}
	p.h = newHealth(p.w.ledger)
	p.sc = newScanner(p.w.from, p.h)
	p.sc.load(p.w.ledger)

	listErr := p.listNew(ctx)
	if p.res.Pages == 0 {
		return listErr
	}
	p.res.Listed = true
	p.judgeStart()
	if listErr == nil && p.news.done && p.readsBack() {
		listErr = p.catchUp(ctx)
	}
	listErr = p.listErr(ctx, listErr)
	p.res.Scanned = p.sc.scanned
	p.res.Failures = p.sc.failures()
	p.logf("read %d deliveries in %s; %d GUIDs without a successful attempt", p.sc.scanned, plural(p.res.Pages, "page"), len(p.res.Failures))

	var err error
	if listErr == nil || p.res.Stopped != "" {
		// A run stopped by its budget still redelivers what it found;
		// one that GitHub failed does not.
		err = p.redeliver(ctx, p.classify(p.res.Failures))
	} else {
		markRest(p.res.Failures, NotAttempted)
	}
	p.finish(ctx)
	p.res.Receiver = p.verdict
	p.dropSettled()
	if !p.o.DryRun {
		if serr := p.save(ctx); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	return errors.Join(listErr, err)
}

func (p *pass) logf(format string, args ...any) { p.o.Logf(format, args...) }

func (p *pass) warn(msg string) {
	p.o.Warnf("%s", msg)
	p.res.Notes = append(p.res.Notes, msg)
}

func (p *pass) note(msg string) {
	p.o.Logf("%s", msg)
	p.res.Notes = append(p.res.Notes, msg)
}

// now is GitHub's time; local the runner's clock, which measures the budget.
func (p *pass) now() time.Time   { return p.o.Server.Now() }
func (p *pass) local() time.Time { return p.o.Server.Local().Now() }

// outOfTime reports whether the deadline (local time) has passed.
func (p *pass) outOfTime(deadline time.Time) bool {
	return !deadline.IsZero() && !p.local().Before(deadline)
}

// budgetStop reports whether err is the run's budget running out (time, rate
// limit, cancellation) rather than a failure, and records why.
func (p *pass) budgetStop(ctx context.Context, err error) bool {
	var limit *ghtransport.LimitError
	switch {
	case errors.As(err, &limit):
		p.res.Stopped = limit.Error()
	case ctx.Err() != nil:
		p.res.Stopped = "the run was cancelled"
	case errors.Is(err, errBudget):
		p.res.Stopped = "the time budget ran out"
	default:
		return false
	}
	return true
}

var errBudget = errors.New("the time budget ran out; raise timeout, or run more often")

// section is one part of the list: from a cursor ("" for the newest
// delivery) down to to, skipping ids below below (they belong to an unread
// part that is read on its own, or were read already) and, if upper is set,
// deliveries at or after upper (read already).
type section struct {
	cursor     string
	to, upper  time.Time
	below      int64
	pages      int
	date       time.Time // GitHub's time when it served the first page
	top        int64     // the newest delivery of the first page
	lastID     int64     // the oldest delivery read
	oldest     time.Time // the oldest delivered_at read
	lastCursor string    // the cursor of the last page read
	done       bool
}

// read lists a section page by page, newest first, feeding the scanner, until
// a page reaches past its start or an id below its bound. It returns
// errBudget when deadline passes.
func (p *pass) read(ctx context.Context, s *section, deadline time.Time) error {
	for !s.done {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.outOfTime(deadline) {
			return errBudget
		}
		s.lastCursor = s.cursor
		page, next, date, err := listPage(ctx, p.client, p.o.Target, s.cursor)
		if err != nil {
			return fmt.Errorf("list deliveries of %s (page %d): %w", p.o.Target, p.res.Pages+1, p.o.Target.explain(err, "read"))
		}
		p.res.Pages++
		if s.pages == 0 {
			if date.IsZero() {
				date = p.now()
			}
			s.date = date
			if len(page) > 0 {
				s.top = page[0].ID
			}
			if p.sc.recentFrom.IsZero() {
				// Remember the ids of what is read near the window's end
				// (on GitHub's clock, whatever the runner's says), so
				// the run's later reads of the newest deliveries count
				// nothing twice.
				p.sc.recentFrom = date.Add(-Overlap - time.Minute)
			}
		}
		s.pages++
		p.sc.since, p.sc.below, p.sc.upper = s.to, s.below, s.upper
		for i := range page {
			p.sc.add(&page[i])
		}
		if n := len(page); n > 0 {
			s.lastID = page[n-1].ID
			s.oldest = page[n-1].DeliveredAt
		}
		// Stop on a page whose last (oldest) delivery is before the
		// section, as GitHub's scripts do, rather than on the first such
		// delivery: delivered_at follows the list order only roughly (a
		// throttled delivery is listed by id, not by when it went out).
		s.done = len(page) == 0 || next == "" || page[len(page)-1].DeliveredAt.Before(s.to) || page[len(page)-1].ID < s.below
		s.cursor = next
		p.progress(s)
	}
	return nil
}

// progress says how far a long read has got, at most every progressEvery.
func (p *pass) progress(s *section) {
	now := p.local()
	if p.lastProgress.IsZero() {
		p.lastProgress = now
		return
	}
	if s.done || now.Sub(p.lastProgress) < progressEvery {
		return
	}
	p.lastProgress = now
	p.logf("reading %s: %s, %d deliveries in the window so far, back to %s", p.o.Target, plural(p.res.Pages, "page"), p.sc.scanned, stamp(s.oldest))
}

// listNew reads what is new since the previous run: from the newest delivery
// down to the window's start, leaving the earlier runs' unread parts for
// catchUp. Listing may use listShare of the time budget; a part cut short is
// remembered with its cursor, so the next run continues there.
func (p *pass) listNew(ctx context.Context) error {
	p.listDeadline = p.o.Deadline
	if !p.listDeadline.IsZero() {
		now := p.local()
		p.listDeadline = now.Add(p.listDeadline.Sub(now) * listShareNum / listShareDen)
	}
	if p.w.ledger == nil {
		p.listed = p.w.prev.Checkpoint
	} else {
		p.listed = p.w.ledger.Listed
	}
	p.unread, p.deferred = p.w.gaps, p.w.deferred
	var below int64
	for _, g := range p.unread {
		below = max(below, g.Below)
	}
	p.news = section{to: p.w.from, below: below}
	p.lastProgress = time.Time{}
	err := p.read(ctx, &p.news, p.listDeadline)
	if p.news.pages == 0 {
		p.res.Until = p.listed
		if err != nil {
			p.budgetStop(ctx, err)
		}
		return err
	}
	p.listed, p.covered, p.res.Until = p.news.date, p.news.top, p.news.date
	if !p.news.done {
		p.gaps = append(p.gaps, checkpoint.Gap{Cursor: p.news.cursor, Below: p.news.lastID, To: p.news.to})
	}
	return err
}

// judgeStart judges the receiver from what the listing read and what the
// previous run knew. Unless it is found up, the failures newer than the
// newest success may be an outage: they count towards max-attempts only
// once it is found up.
func (p *pass) judgeStart() {
	p.verdict = p.h.judge(p.res.Until, p.sc.streakSince())
	if p.verdict.State != ReceiverUp {
		p.h.suspect(p.sc.streakSince())
	}
	p.logf("receiver %s: %s", p.verdict.State, p.verdict.How)
}

// readsBack reports whether the run should read what earlier runs left
// unread now: not while the receiver is down (none of it could be
// redelivered), nor while an outage the previous run found is not known to
// be over.
func (p *pass) readsBack() bool {
	if len(p.unread) == 0 && p.deferred.IsZero() {
		return false
	}
	_, wasDown := p.w.ledger.DownSince()
	return p.verdict.State == ReceiverUp || (p.verdict.State == ReceiverUnknown && !wasDown)
}

// listErr turns a listing stopped by the budget into a note: the run goes on
// with what it found.
func (p *pass) listErr(ctx context.Context, err error) error {
	p.res.Unread = len(p.gaps) + len(p.unread)
	if err != nil && p.budgetStop(ctx, err) {
		p.warn(fmt.Sprintf("%s: read %s, then stopped (%s); %d parts of the list are left unread and the next run continues there, so nothing is skipped", p.o.Target, plural(p.res.Pages, "page"), p.res.Stopped, p.res.Unread))
		return nil
	}
	return err
}

// catchUp reads what earlier runs left for later: the GUIDs in play that did
// not fit in the ledger (read back to the ledger's From, continuing the
// newest part with its cursor) and the parts of the list a run cut short
// (each from its cursor), oldest first. It empties unread and deferred:
// what it could not read goes to gaps, for the next run.
func (p *pass) catchUp(ctx context.Context) error {
	gaps, deferred := p.unread, p.deferred
	p.unread, p.deferred = nil, time.Time{}
	if !deferred.IsZero() && p.news.pages > 0 {
		// Read the last page again, taking only what the newest part
		// left out (before its start), then on down.
		s := section{cursor: p.news.lastCursor, to: deferred, upper: p.news.to}
		if err := p.read(ctx, &s, p.listDeadline); err != nil {
			if s.pages == 0 {
				p.from = deferred.Add(Overlap)
			} else {
				p.gaps = append(p.gaps, checkpoint.Gap{Cursor: s.cursor, Below: s.lastID, To: deferred})
			}
			p.gaps = append(p.gaps, gaps...)
			return err
		}
	}
	gaps = slices.Clone(gaps)
	slices.SortFunc(gaps, func(a, b checkpoint.Gap) int { return a.To.Compare(b.To) }) // oldest first
	var err error
	for i, g := range gaps {
		if err != nil {
			p.gaps = append(p.gaps, gaps[i:]...)
			break
		}
		s := section{cursor: g.Cursor, to: g.To}
		err = p.read(ctx, &s, p.listDeadline)
		var er *github.ErrorResponse
		switch {
		case s.done:
			continue
		case s.pages == 0 && errors.As(err, &er) && er.Response != nil && (er.Response.StatusCode == http.StatusUnprocessableEntity || er.Response.StatusCode == http.StatusBadRequest):
			// GitHub no longer takes the cursor: the next run reads this
			// part from the newest delivery down. Slower, never lossy.
			p.note(fmt.Sprintf("GitHub refused the cursor of an unread part of the list (%s); the next run reads down to %s from the newest delivery", shortError(err), stamp(g.To)))
			if p.from.IsZero() || g.To.Before(p.from) {
				p.from = g.To
			}
			err = nil
		case s.pages > 0:
			p.gaps = append(p.gaps, checkpoint.Gap{Cursor: s.cursor, Below: s.lastID, To: g.To})
		default:
			p.gaps = append(p.gaps, g)
		}
	}
	return err
}

// look reads the deliveries added since the last read: from the newest down
// to the newest already read, so the receiver's health sees this run's
// redeliveries and the newest originals, and what became of each
// redelivery is known while the next ones are paced. A look costs one list
// request a page of new deliveries (usually one). Only a look that reads
// down to what was read before moves where the next run starts.
func (p *pass) look(ctx context.Context) error {
	s := section{below: p.covered + 1}
	pages := p.res.Pages
	err := p.read(ctx, &s, time.Time{})
	p.res.ReadBack += p.res.Pages - pages
	p.sinceLook = 0
	if err == nil && s.pages > 0 {
		p.listed = s.date
		p.covered = max(p.covered, s.top)
	}
	p.resolve()
	p.verdict = p.h.judge(p.now(), p.sc.streakSince())
	return err
}
