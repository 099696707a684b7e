// Package redeliver runs one pass over a webhook's deliveries: list them
// newest first down to the window's start, group them by GUID, and redeliver
// once each GUID that has no successful attempt. It also works out how far the
// checkpoint may move so that no failed delivery is ever skipped.
package redeliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/ghtransport"
)

// Overlap is how far before the checkpoint each run starts reading. GitHub
// adds a delivery to the list a little after its delivered_at; reading the
// overlap again catches those, and GUID grouping makes the re-read harmless.
const Overlap = 5 * time.Minute

// Settle is how long after a run's last redelivery the next run waits before
// listing, so GitHub has added the new attempts to the list.
const Settle = time.Minute

// PageSize is the largest page GitHub serves.
const PageSize = 100

// Outcome is what a run did with a failed GUID.
type Outcome string

// Outcomes. Resolved ones (GaveUp, Expired, Skipped) let the checkpoint move
// past the GUID; the others keep it so the next run looks again.
const (
	Redelivered    Outcome = "redelivered"
	WouldRedeliver Outcome = "would redeliver (dry run)"
	Unknown        Outcome = "outcome unknown"
	Refused        Outcome = "refused by GitHub"
	NotAttempted   Outcome = "left for the next run"
	GaveUp         Outcome = "gave up"
	Expired        Outcome = "expired"
	Skipped        Outcome = "skipped"
)

// Resolved reports whether the checkpoint may move past a GUID with this
// outcome.
func (o Outcome) Resolved() bool { return o == GaveUp || o == Expired || o == Skipped }

// Failure is a GUID none of whose attempts in the window succeeded.
type Failure struct {
	GUID     string
	Latest   Delivery  // the newest attempt: the one redelivered
	Oldest   time.Time // the oldest attempt seen
	Attempts int       // attempts seen in the window
	Complete bool      // the original attempt is in the window, so Attempts is exact
	Outcome  Outcome
	Detail   string // why, for Refused, Unknown, Skipped
}

// Options configure a pass.
type Options struct {
	Target Target
	// Since is the start of the window (inclusive), GitHub time.
	Since time.Time
	// Server is GitHub's clock; its local clock measures Deadline.
	Server *clock.Server
	// Deadline (local clock): no new redelivery starts after it.
	Deadline time.Time
	DryRun   bool
	// MaxRedeliveries caps the redelivery requests of the run (0: no cap).
	MaxRedeliveries int
	// MaxAttempts: a GUID with this many failed attempts is given up (0: never).
	MaxAttempts int
	// Retention: older deliveries can no longer be redelivered.
	Retention time.Duration
	// Skip, if set, may exclude a failure from redelivery, saying why.
	Skip func(f *Failure) (reason string, skip bool)
	// BeforeRedeliver, if set, is called once before the first redelivery
	// request; an error stops the pass with nothing redelivered. The action
	// creates the checkpoint variable there on a first run, so a token that
	// cannot write it fails before anything changes.
	BeforeRedeliver func(ctx context.Context) error
	// Logf is told what happens, one line at a time.
	Logf func(format string, args ...any)
}

// Result is what a pass did.
type Result struct {
	Target Target
	Since  time.Time // window start
	Until  time.Time // GitHub time when the listing began: the window's end
	Pages  int
	// Scanned counts the deliveries read inside the window.
	Scanned  int
	Failures []*Failure // oldest first
	// Listed is true when the whole window was read.
	Listed bool
	// Stopped says why redelivery stopped early ("" if it did not).
	Stopped string
	// Checkpoint is where the next run may start: every delivery before it
	// has been handled. Zero if the listing did not finish.
	Checkpoint time.Time
	// LastRedelivery is GitHub time just after the last redelivery request.
	LastRedelivery time.Time
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

// Run performs one pass. It returns a Result even on error, saying what was
// done before the error; Result.Checkpoint is zero if the listing did not
// finish.
func Run(ctx context.Context, client *github.Client, o Options) (*Result, error) {
	if o.Server == nil {
		o.Server = clock.NewServer(clock.Real{})
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	res := &Result{Target: o.Target, Since: o.Since}

	sc := newScanner(o.Since)
	if err := list(ctx, client, o, sc, res); err != nil {
		return res, err
	}
	res.Listed = true
	res.Scanned = sc.scanned
	res.Failures = sc.failures()
	logf("read %d deliveries in %d pages; %d GUIDs without a successful attempt", res.Scanned, res.Pages, len(res.Failures))

	// Even when redelivery stopped on an error every failure has an
	// outcome, and the unattempted ones hold the checkpoint back, so what
	// was done can be saved.
	err := redeliverAll(ctx, client, o, res, logf)
	res.Checkpoint = checkpoint(res, o)
	return res, err
}

// list reads the window page by page, newest first, feeding the scanner, and
// stops at the first page that reaches past the window's start.
func list(ctx context.Context, client *github.Client, o Options, sc *scanner, res *Result) error {
	cursor := ""
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list deliveries of %s: stopped after %d pages: %w", o.Target, res.Pages, err)
		}
		if !o.Deadline.IsZero() && !o.Server.Local().Now().Before(o.Deadline) {
			return fmt.Errorf("list deliveries of %s: the time budget ran out after %d pages; raise timeout", o.Target, res.Pages)
		}
		page, next, date, err := listPage(ctx, client, o.Target, cursor)
		if err != nil {
			return fmt.Errorf("list deliveries of %s (page %d): %w", o.Target, res.Pages+1, o.Target.explain(err, "read"))
		}
		res.Pages++
		if res.Pages == 1 {
			res.Until = o.Server.Now()
			if !date.IsZero() {
				res.Until = date
			}
		}
		for i := range page {
			sc.add(&page[i])
		}
		// Stop on a page whose last (oldest) delivery is before the window,
		// as GitHub's scripts do, rather than on the first such delivery:
		// delivered_at follows the list order only roughly (a throttled
		// delivery is listed by id, not by when it went out).
		if len(page) == 0 || next == "" || page[len(page)-1].DeliveredAt.Before(o.Since) {
			return nil
		}
		cursor = next
	}
}

// redeliverAll decides each failure's outcome, oldest first, and sends the
// redeliveries. Only an error that makes every further request pointless
// (credentials, permissions, cancellation) is returned; a refused or unknown
// redelivery is an outcome of its GUID.
func redeliverAll(ctx context.Context, client *github.Client, o Options, res *Result, logf func(string, ...any)) error {
	sent := 0
	for _, f := range res.Failures {
		now := o.Server.Now()
		switch {
		case o.MaxAttempts > 0 && f.Attempts >= o.MaxAttempts:
			f.Outcome, f.Detail = GaveUp, fmt.Sprintf("%d failed attempts (max-attempts %d)", f.Attempts, o.MaxAttempts)
			continue
		case o.Retention > 0 && now.Sub(f.Latest.DeliveredAt) > o.Retention:
			f.Outcome, f.Detail = Expired, "older than GitHub keeps deliveries"
			continue
		}
		if o.Skip != nil {
			if reason, skip := o.Skip(f); skip {
				f.Outcome, f.Detail = Skipped, reason
				continue
			}
		}
		if o.DryRun {
			f.Outcome = WouldRedeliver
			continue
		}
		if res.Stopped == "" {
			switch {
			case ctx.Err() != nil:
				res.Stopped = "the run was cancelled"
			case o.MaxRedeliveries > 0 && sent >= o.MaxRedeliveries:
				res.Stopped = fmt.Sprintf("max-redeliveries (%d) reached", o.MaxRedeliveries)
			case !o.Deadline.IsZero() && !o.Server.Local().Now().Before(o.Deadline):
				res.Stopped = "the time budget ran out"
			}
		}
		if res.Stopped != "" {
			f.Outcome = NotAttempted
			continue
		}

		if sent == 0 && o.BeforeRedeliver != nil {
			if err := o.BeforeRedeliver(ctx); err != nil {
				f.Outcome = NotAttempted
				res.Stopped = "the checkpoint could not be written"
				markRest(res, f)
				return err
			}
		}
		sent++
		resp, err := o.Target.redeliver(ctx, client, f.Latest.ID)
		res.LastRedelivery = o.Server.Now()
		if err == nil {
			f.Outcome = Redelivered
			logf("redelivered %s (%s, delivery %d, failed attempts: %d)", f.GUID, eventName(f.Latest), f.Latest.ID, f.Attempts)
			continue
		}
		var limit *ghtransport.LimitError
		switch {
		case errors.As(err, &limit):
			// Rate-limited requests were not performed.
			f.Outcome, res.Stopped = NotAttempted, limit.Error()
			sent--
		case ctx.Err() != nil:
			// The request may or may not have reached GitHub.
			f.Outcome, f.Detail, res.Stopped = Unknown, "cancelled while the request was in flight", "the run was cancelled"
		case resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
			f.Outcome, f.Detail = NotAttempted, "not permitted"
			res.Stopped = "GitHub refused the credentials"
			markRest(res, f)
			return fmt.Errorf("redeliver %d of %s: %w", f.Latest.ID, o.Target, o.Target.explain(err, "write"))
		case resp != nil && resp.StatusCode < 500:
			f.Outcome, f.Detail = Refused, shortError(err)
			logf("GitHub refused to redeliver %s (delivery %d): %s", f.GUID, f.Latest.ID, f.Detail)
		default:
			// 5xx, timeout, connection reset: GitHub may have acted on it.
			// Never resend in this run; the next run sees whether an
			// attempt appeared.
			f.Outcome, f.Detail = Unknown, shortError(err)
			logf("redelivery of %s (delivery %d) may or may not have happened: %s", f.GUID, f.Latest.ID, f.Detail)
		}
	}
	return nil
}

// markRest marks the failures after f as not attempted.
func markRest(res *Result, f *Failure) {
	after := false
	for _, g := range res.Failures {
		if after && g.Outcome == "" {
			g.Outcome = NotAttempted
		}
		after = after || g == f
	}
}

// checkpoint is where the next run may start. It never passes the oldest
// attempt of an unresolved GUID, so the next run sees every attempt of it and
// counts them exactly; and the next run's window never starts between the
// attempts of a given-up GUID, which would make it look short of max-attempts
// and be redelivered again.
func checkpoint(res *Result, o Options) time.Time {
	cp := res.Until
	if cp.IsZero() {
		cp = o.Since
	}
	for _, f := range res.Failures {
		if !f.Outcome.Resolved() && f.Oldest.Before(cp) {
			cp = f.Oldest
		}
	}
	for changed := true; changed; {
		changed = false
		for _, f := range res.Failures {
			start := cp.Add(-Overlap)
			if f.Outcome == GaveUp && !start.Before(f.Oldest) && !start.After(f.Latest.DeliveredAt) && f.Oldest.Before(cp) {
				cp, changed = f.Oldest, true
			}
		}
	}
	if cp.Before(o.Since) {
		cp = o.Since
	}
	return cp
}

func eventName(d Delivery) string {
	if d.Action == "" {
		return d.Event
	}
	return d.Event + "." + d.Action
}

// EventName is the event and action as "pull_request.opened".
func (f *Failure) EventName() string { return eventName(f.Latest) }

// shortError keeps what GitHub said, not the whole URL.
func shortError(err error) string {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		if er.Message != "" {
			return fmt.Sprintf("%d %s", er.Response.StatusCode, er.Message)
		}
		return er.Response.Status
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
