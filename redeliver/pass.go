// Package redeliver runs one webhook's pass from start to end: read what the
// previous run left (the checkpoint and its ledger), list the deliveries made
// since, group them by GUID, judge whether the receiver is up, redeliver each
// GUID that has no successful attempt, read back what became of those
// redeliveries, and leave for the next run exactly what is still in play.
//
// The rules that decide where the next run starts, what an outcome means and
// when the receiver counts as down live in this package and nowhere else.
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
	// checkEvery: while redelivering, the run reads the newest deliveries
	// after this many redeliveries to notice a receiver that went down.
	checkEvery = 100
	// downAfter consecutive failed redeliveries, with no original delivery
	// succeeding meanwhile, mean the receiver went down during the run.
	downAfter = 10
	// firstLook is when a run first looks for its redeliveries' new
	// attempts; it looks again at Settle for those not listed yet.
	firstLook = 10 * time.Second
	// freshTraffic: an original delivery that succeeded this recently shows
	// the receiver up without a probe.
	freshTraffic = time.Hour
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
	Filter    Filter
	// Since, if set, gives the window's start from GitHub's now (the since
	// input) instead of the checkpoint.
	Since func(now time.Time) time.Time
	// Logf is told what happens, one line at a time; Warnf what a person
	// should see (an annotation in a workflow).
	Logf, Warnf func(format string, args ...any)
}

// ReceiverState is what a run concluded about the webhook's receiver.
type ReceiverState string

// Receiver states.
const (
	ReceiverUp      ReceiverState = "up"
	ReceiverDown    ReceiverState = "down"
	ReceiverUnknown ReceiverState = "unknown"
)

// Receiver is the run's judgement of the receiver, and how it was made.
type Receiver struct {
	State ReceiverState
	// Since is when the receiver went down (State down): the oldest failed
	// attempt of the current run of failures.
	Since time.Time
	// How says what the judgement rests on, for the log and summary.
	How string
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
	ReadBack   int       // list requests made to read what became of redeliveries
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
	// InLedger counts the GUIDs the ledger carries to the next run and
	// Dropped those of this run's that did not fit; Uncarried counts the
	// GUIDs in play that earlier runs could not carry and this run did not
	// read (the first run that finds the receiver up reads them).
	InLedger, Dropped, Uncarried int
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

// Waiting returns how many GUIDs wait for the receiver: while it is down,
// every GUID still in play, those the ledger could not carry included.
func (r *Result) Waiting() int {
	if r.Receiver.State != ReceiverDown {
		return 0
	}
	n := r.Uncarried
	for _, f := range r.Failures {
		if f.Outcome.Remaining() {
			n++
		}
	}
	return n
}

// pass is one run over one webhook.
type pass struct {
	client *github.Client
	o      Options
	res    *Result
	w      window
	sc     *scanner

	// listed: every delivery before it (GitHub time), except the unread
	// parts, has been read. The next run starts there.
	listed       time.Time
	gaps         []checkpoint.Gap
	from         time.Time // the ledger's From for the next run
	spans        []checkpoint.Span
	created      bool // the checkpoint exists in the store
	sent         []*Failure
	lastPOST     time.Time // local time of the last redelivery request
	news         section   // the newest part of the window
	listDeadline time.Time // local time: listing stops
	caughtUp     bool      // catchUp ran (or had nothing to do)
	// sentSinceRead: a redelivery was sent after the last read of the
	// newest deliveries down to the overlap.
	sentSinceRead bool
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
	p := &pass{client: client, o: o, res: &Result{Target: o.Target, Store: o.Store.String()}}
	err := p.run(ctx)
	return p.res, err
}

func (p *pass) run(ctx context.Context) error {
	if err := p.openWindow(ctx); err != nil {
		return err
	}
	p.created = p.w.found
	p.sc = newScanner(p.w.from)
	p.sc.load(p.w.ledger)
	if p.w.ledger != nil {
		p.spans = slices.Clone(p.w.ledger.Down)
	}

	listErr := p.list(ctx)
	if p.res.Pages == 0 {
		return listErr
	}
	p.res.Listed = true
	p.res.Scanned = p.sc.scanned
	p.res.Failures = p.sc.failures()
	p.logf("read %d deliveries in %d page(s); %d GUIDs without a successful attempt", p.sc.scanned, p.res.Pages, len(p.res.Failures))

	var err error
	if listErr == nil || p.res.Stopped != "" {
		// A run stopped by its budget still redelivers what it found;
		// one that GitHub failed does not.
		err = p.redeliver(ctx)
	} else {
		for _, f := range p.res.Failures {
			f.Outcome = NotAttempted
		}
	}
	if p.sentSinceRead {
		p.verify(ctx)
	}
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

// outOfTime reports whether the run's deadline has passed.
func (p *pass) outOfTime(deadline time.Time) bool {
	return !deadline.IsZero() && !p.o.Server.Local().Now().Before(deadline)
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
// part that is read on its own) and, if upper is set, deliveries at or after
// upper (read already).
type section struct {
	cursor     string
	to, upper  time.Time
	below      int64
	pages      int
	lastID     int64  // the oldest delivery read
	lastCursor string // the cursor of the last page read
	done       bool
	maxPages   int // stop after this many pages; 0: no limit
}

// read lists a section page by page, newest first, feeding the scanner, until
// a page reaches past its start or an id below its bound. It returns
// errBudget when deadline passes.
func (p *pass) read(ctx context.Context, s *section, deadline time.Time, top bool) error {
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
		if top && s.pages == 0 {
			if date.IsZero() {
				date = p.o.Server.Now()
			}
			p.listed = date
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
		if len(page) > 0 {
			s.lastID = page[len(page)-1].ID
		}
		// Stop on a page whose last (oldest) delivery is before the
		// section, as GitHub's scripts do, rather than on the first such
		// delivery: delivered_at follows the list order only roughly (a
		// throttled delivery is listed by id, not by when it went out).
		s.done = len(page) == 0 || next == "" || page[len(page)-1].DeliveredAt.Before(s.to) || page[len(page)-1].ID < s.below ||
			(s.maxPages > 0 && s.pages >= s.maxPages)
		s.cursor = next
	}
	return nil
}

// list reads the window: first what is new since the previous run, then,
// unless the receiver was down and nothing new shows it up, what earlier runs
// left unread (see catchUp). Listing may use two thirds of the time budget;
// the rest is for redelivering what it found. A part cut short is remembered
// with its cursor, so the next run continues there.
func (p *pass) list(ctx context.Context) error {
	p.listDeadline = p.o.Deadline
	if !p.listDeadline.IsZero() {
		now := p.o.Server.Local().Now()
		p.listDeadline = now.Add(p.listDeadline.Sub(now) * 2 / 3)
	}
	if p.w.ledger == nil {
		p.listed = p.w.prev.Checkpoint
	} else {
		p.listed = p.w.ledger.Listed
	}
	var below int64
	for _, g := range p.w.gaps {
		below = max(below, g.Below)
	}
	p.news = section{to: p.w.from, below: below}
	err := p.read(ctx, &p.news, p.listDeadline, true)
	p.res.Until = p.listed
	if p.news.pages == 0 {
		if err != nil {
			p.budgetStop(ctx, err)
		}
		return err
	}
	if !p.news.done {
		p.gaps = append(p.gaps, checkpoint.Gap{Cursor: p.news.cursor, Below: p.news.lastID, To: p.news.to})
	} else if _, down := p.w.ledger.DownSince(); !down || p.upByTraffic() {
		err = p.catchUp(ctx)
	}
	return p.listErr(ctx, err)
}

// listErr turns a listing stopped by the budget into a note: the run goes on
// with what it found.
func (p *pass) listErr(ctx context.Context, err error) error {
	p.res.Unread = len(p.gaps) + len(p.pendingGaps())
	if err != nil && p.budgetStop(ctx, err) {
		p.warn(fmt.Sprintf("%s: read %d pages, then stopped (%s); %d parts of the list are left unread and the next run continues there, so nothing is skipped", p.o.Target, p.res.Pages, p.res.Stopped, p.res.Unread))
		return nil
	}
	return err
}

// pendingGaps returns the earlier runs' unread parts not read yet.
func (p *pass) pendingGaps() []checkpoint.Gap {
	if p.caughtUp {
		return nil
	}
	return p.w.gaps
}

// catchUp reads what earlier runs left for later: the GUIDs in play that did
// not fit in the ledger (read back to the ledger's From, continuing the
// newest part with its cursor) and the parts of the list a run cut short
// (each from its cursor), oldest first. While the receiver is down none of it
// can be redelivered, so a run reads it only once the receiver is up.
func (p *pass) catchUp(ctx context.Context) error {
	if p.caughtUp {
		return nil
	}
	p.caughtUp = true
	if deferred := p.w.deferred; !deferred.IsZero() && p.news.pages > 0 {
		// Read the last page again, taking only what the newest part
		// left out (before its start), then on down.
		s := section{cursor: p.news.lastCursor, to: deferred, upper: p.news.to}
		if err := p.read(ctx, &s, p.listDeadline, false); err != nil {
			if s.pages == 0 {
				p.from = deferred.Add(Overlap)
			} else {
				p.gaps = append(p.gaps, checkpoint.Gap{Cursor: s.cursor, Below: s.lastID, To: deferred})
			}
			p.gaps = append(p.gaps, p.w.gaps...)
			return err
		}
	}
	gaps := slices.Clone(p.w.gaps)
	slices.SortFunc(gaps, func(a, b checkpoint.Gap) int { return a.To.Compare(b.To) }) // oldest first
	var err error
	for i, g := range gaps {
		if err != nil {
			p.gaps = append(p.gaps, gaps[i:]...)
			break
		}
		s := section{cursor: g.Cursor, to: g.To}
		err = p.read(ctx, &s, p.listDeadline, false)
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

// upByTraffic reports whether the newest original delivery read succeeded,
// recently: the receiver is up, no probe needed.
func (p *pass) upByTraffic() bool {
	live := p.sc.newestLive
	return live.ID != 0 && live.OK() && !live.DeliveredAt.Before(p.res.Until.Add(-freshTraffic))
}

// readNewest reads the deliveries added since the run's last read: with
// overlap, down to the window's end minus the overlap, so that what GitHub
// listed late is read too, and what this run read before is skipped by id;
// without, only the newest page, down to the newest delivery already read (a
// quick look at how the latest redeliveries went).
func (p *pass) readNewest(ctx context.Context, overlap bool) error {
	s := section{below: p.sc.topID + 1, maxPages: 1}
	if overlap {
		s = section{to: p.res.Until.Add(-Overlap)}
	}
	prev, pages := p.listed, p.res.Pages
	err := p.read(ctx, &s, time.Time{}, true)
	p.res.ReadBack += p.res.Pages - pages
	if err != nil || !overlap {
		// Only a read down to the overlap moves where the next run starts.
		p.listed = prev
	}
	if err == nil && overlap {
		p.sentSinceRead = false
	}
	return err
}
