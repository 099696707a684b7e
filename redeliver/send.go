package redeliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/ghtransport"
)

// The receiver is judged from what GitHub lists:
//   - up, when the newest original delivery (not a redelivery) read
//     succeeded within the last hour of the window;
//   - otherwise the run sends one probe: it redelivers the failure tried
//     longest ago and reads what became of it (at firstLook, and at Settle
//     if not listed by then). If the new attempt succeeded the receiver is
//     up; if it failed, or was not listed in time, it is down since the
//     oldest failure after the newest success, and nothing else is
//     redelivered;
//   - while redelivering, downAfter failed redeliveries in a row with no
//     original succeeding meanwhile mean it went down during the run.
//
// A failed attempt counts towards max-attempts only when the receiver was
// taking other deliveries then (see counts), so an outage of any length
// inside GitHub's retention never makes the action give up, and max-attempts
// keeps its meaning for an event that keeps failing while others succeed.

// redeliver decides each failure's outcome, oldest first, judges the receiver
// and sends the redeliveries. Only an error that makes every further request
// pointless (credentials, permissions, the checkpoint store) is returned; a
// refused or unknown redelivery is an outcome of its GUID.
func (p *pass) redeliver(ctx context.Context) error {
	o, res := p.o, p.res
	until := res.Until
	live := p.sc.newestLive
	upByTraffic := p.upByTraffic()
	openSince, wasDown := p.w.ledger.DownSince()
	open := -1 // index in p.spans of the span of the current outage, if any
	if wasDown {
		open = len(p.spans) - 1
	}
	switch {
	case upByTraffic && wasDown:
		p.spans[open].Until = until
		open = -1
	case !upByTraffic && !wasDown:
		// The failures since the newest success may be an outage: do not
		// count them until the receiver is known to be up.
		if since := p.sc.streakSince(); !since.IsZero() {
			p.spans = append(p.spans, checkpoint.Span{Since: since})
			open = len(p.spans) - 1
		}
	}

	todo := p.classify(res.Failures)

	res.Receiver = Receiver{State: ReceiverUnknown, How: "no original delivery succeeded in the last hour of the window, and nothing needed a probe"}
	switch {
	case upByTraffic:
		res.Receiver = Receiver{State: ReceiverUp, How: fmt.Sprintf("an original delivery at %s succeeded", stamp(live.DeliveredAt))}
	case wasDown && len(todo) == 0:
		res.Receiver = Receiver{State: ReceiverDown, Since: openSince, How: "down at the previous run; nothing to probe with"}
	case open >= 0 && len(todo) == 0:
		// Not confirmed: forget the provisional span.
		p.spans = p.spans[:open]
	}
	if len(todo) == 0 {
		return nil
	}

	if !upByTraffic {
		var err error
		if todo, err = p.probe(ctx, todo, open); err != nil || res.Receiver.State != ReceiverUp {
			return err
		}
	}
	if !p.caughtUp {
		// The receiver is back: read what waited for it, and add what is
		// found there to the run's work, oldest first.
		if err := p.listErr(ctx, p.catchUp(ctx)); err != nil {
			markRest(todo, NotAttempted)
			return err
		}
		found := p.collect()
		res.Failures = append(res.Failures, found...)
		todo = append(todo, p.classify(found)...)
		sortFailures(todo)
		sortFailures(res.Failures)
	}

	p.sc.markLive()
	for i, f := range todo {
		switch {
		case res.Stopped != "":
		case ctx.Err() != nil:
			res.Stopped = "the run was cancelled"
		case o.MaxRedeliveries > 0 && res.Redeliveries >= o.MaxRedeliveries:
			res.Stopped = fmt.Sprintf("max-redeliveries (%d) reached", o.MaxRedeliveries)
		case p.outOfTime(o.Deadline):
			res.Stopped = "the time budget ran out"
		}
		if res.Stopped != "" {
			f.Outcome = NotAttempted
			continue
		}
		if err := p.send(ctx, f); err != nil {
			markRest(todo[i+1:], NotAttempted)
			return err
		}
		if len(p.sent)%checkEvery == 0 && len(p.sent) > 0 {
			if err := p.readNewest(ctx, false); err != nil {
				p.logf("could not read the newest deliveries to check on the receiver: %v", err)
				continue
			}
			p.resolve()
			if since, down := p.wentDown(); down {
				p.spans = append(p.spans, checkpoint.Span{Since: since})
				res.Receiver = Receiver{State: ReceiverDown, Since: since, How: fmt.Sprintf("%d redeliveries in a row failed and no original delivery succeeded meanwhile", downAfter)}
				p.logf("the receiver went down during the run (failing since %s)", stamp(since))
				markRest(todo[i+1:], Waiting)
				return nil
			}
		}
	}
	return nil
}

// probe redelivers the failure tried longest ago and reads what became of
// it: the receiver's state decides whether the rest is redelivered. open is
// the index of the span of the presumed outage in p.spans, or -1. It returns
// the failures left to redeliver.
func (p *pass) probe(ctx context.Context, todo []*Failure, open int) ([]*Failure, error) {
	res := p.res
	var probe *Failure
	for len(todo) > 0 && probe == nil {
		f := todo[0]
		todo = todo[1:]
		if err := p.send(ctx, f); err != nil {
			markRest(todo, NotAttempted)
			return nil, err
		}
		switch {
		case res.Stopped != "":
			markRest(todo, NotAttempted)
			return nil, nil
		case f.sentID != 0:
			probe = f
		}
	}
	if probe == nil {
		return nil, nil
	}
	down := func(how string) {
		since := p.spans[open].Since
		res.Receiver = Receiver{State: ReceiverDown, Since: since, How: how}
		markRest(todo, Waiting)
		p.logf("receiver down since %s: %s", stamp(since), how)
	}
	provisional := open < 0
	if provisional {
		// Not up by traffic, yet no failure is newer than the newest
		// success: the outage, if it is one, began after that success.
		since := p.sc.lastOK
		if since.IsZero() {
			since = p.o.Server.Now()
		}
		p.spans = append(p.spans, checkpoint.Span{Since: since})
		open = len(p.spans) - 1
	}
	if err := p.await(ctx); err != nil {
		res.Receiver = Receiver{State: ReceiverUnknown, How: fmt.Sprintf("the probe's outcome could not be read (%v)", err)}
		markRest(todo, NotAttempted)
		return nil, nil
	}
	switch probe.Outcome {
	case Delivered:
		if provisional {
			p.spans = p.spans[:open]
		} else {
			p.spans[open].Until = p.o.Server.Now()
		}
		res.Receiver = Receiver{State: ReceiverUp, How: fmt.Sprintf("a probe redelivery of %s succeeded", probe.GUID)}
		p.logf("receiver up: %s", res.Receiver.How)
		return todo, nil
	case FailedAgain:
		down(fmt.Sprintf("the newest deliveries failed, and a probe redelivery of %s failed too (%s)", probe.GUID, probe.Latest.Status))
	case Unknown:
		if provisional {
			p.spans = p.spans[:open]
		}
		res.Receiver = Receiver{State: ReceiverUnknown, How: fmt.Sprintf("the probe redelivery of %s got no clear answer (%s) and no new attempt appeared", probe.GUID, probe.Detail)}
		markRest(todo, NotAttempted)
	default:
		down(fmt.Sprintf("the newest deliveries failed, and GitHub had not listed a probe redelivery of %s %s after it was sent", probe.GUID, Settle))
	}
	return nil, nil
}

// await reads the newest deliveries until every redelivery sent has a new
// attempt listed, or Settle has passed since the last one: first after
// firstLook (GitHub gives a receiver 10 seconds on github.com, so most
// attempts are listed by then), then at Settle. It fails if waiting would
// pass the deadline or the read fails.
func (p *pass) await(ctx context.Context) error {
	clk := p.o.Server.Local()
	for _, after := range []time.Duration{firstLook, Settle} {
		if wait := p.lastPOST.Add(after).Sub(clk.Now()); wait > 0 {
			if !p.o.Deadline.IsZero() && clk.Now().Add(wait).After(p.o.Deadline) {
				return errBudget
			}
			if err := clk.Sleep(ctx, wait); err != nil {
				return err
			}
		}
		if err := p.readNewest(ctx, true); err != nil {
			return err
		}
		p.resolve()
		if !slices.ContainsFunc(p.sent, func(f *Failure) bool { return f.Latest.ID <= f.sentID }) {
			return nil
		}
	}
	return nil
}

// send asks GitHub to redeliver f's newest attempt and records the answer.
func (p *pass) send(ctx context.Context, f *Failure) error {
	res := p.res
	if !p.created {
		// The first run creates the checkpoint before its first
		// redelivery: a token that cannot write it then fails before
		// anything has changed.
		if err := p.o.Store.Save(ctx, checkpoint.State{Checkpoint: p.w.from.Add(Overlap)}); err != nil {
			f.Outcome = NotAttempted
			res.Stopped = "the checkpoint could not be written"
			return err
		}
		p.created = true
	}
	res.Redeliveries++
	p.sentSinceRead = true
	resp, err := p.o.Target.redeliver(ctx, p.client, f.Latest.ID)
	p.lastPOST = p.o.Server.Local().Now()
	if err == nil {
		if f.sentID == 0 {
			p.sent = append(p.sent, f)
		}
		f.sentID, f.Outcome, f.Detail = f.Latest.ID, NotSeen, ""
		p.logf("redelivered %s (%s, delivery %d, failed attempts: %d)", f.GUID, f.EventName(), f.Latest.ID, f.Attempts)
		return nil
	}
	var limit *ghtransport.LimitError
	switch {
	case errors.As(err, &limit):
		// Rate-limited requests were not performed.
		res.Redeliveries--
		if f.sentID == 0 {
			f.Outcome = NotAttempted
		}
		res.Stopped = limit.Error()
	case ctx.Err() != nil:
		// The request may or may not have reached GitHub.
		p.unknown(f, "cancelled while the request was in flight")
		res.Stopped = "the run was cancelled"
	case resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
		res.Redeliveries--
		f.Outcome, f.Detail = NotAttempted, "not permitted"
		res.Stopped = "GitHub refused the credentials"
		return fmt.Errorf("redeliver %d of %s: %w", f.Latest.ID, p.o.Target, p.o.Target.explain(err, "write"))
	case resp != nil && resp.StatusCode < 500:
		f.Outcome, f.Detail = Refused, shortError(err)
		p.logf("GitHub refused to redeliver %s (delivery %d): %s", f.GUID, f.Latest.ID, f.Detail)
	default:
		// 5xx, timeout, connection reset: GitHub may have acted on it.
		// The run looks for a new attempt before it sends it again.
		p.unknown(f, shortError(err))
		p.logf("redelivery of %s (delivery %d) may or may not have happened: %s", f.GUID, f.Latest.ID, f.Detail)
	}
	return nil
}

func (p *pass) unknown(f *Failure, detail string) {
	if f.sentID == 0 {
		p.sent = append(p.sent, f)
	}
	f.sentID, f.Outcome, f.Detail = f.Latest.ID, Unknown, detail
}

// resolve reads the outcome of each redelivery whose new attempt is listed:
// any attempt newer than the one redelivered.
func (p *pass) resolve() {
	for _, f := range p.sent {
		if f.Latest.ID <= f.sentID {
			continue
		}
		if f.ok {
			f.Outcome, f.Detail = Delivered, ""
		} else {
			f.Outcome, f.Detail = FailedAgain, f.Latest.Status
		}
	}
	// Failures that arrived during the run are left for the next one.
	for _, g := range p.collect() {
		g.Outcome, g.Detail = NotAttempted, "failed during the run"
		p.res.Failures = append(p.res.Failures, g)
	}
}

// collect returns the failed GUIDs read since the last call, oldest first.
func (p *pass) collect() []*Failure {
	var out []*Failure
	for _, g := range p.sc.groups {
		if !g.ok && !g.reported && !g.gaveUp {
			g.reported, g.Failed, g.Attempts = true, g.Latest, g.count(nil)
			out = append(out, g)
		}
	}
	sortFailures(out)
	return out
}

// counts reports whether a failed attempt made at t counts towards
// max-attempts: only if the receiver was taking other deliveries then (an
// original succeeded within about an hour) and it was not known to be down.
// So an outage never uses up attempts, with or without the ledger's record
// of it, and max-attempts keeps its meaning for an event that keeps failing
// while others succeed.
func (p *pass) counts(t time.Time) bool {
	return p.sc.upAround(t) && !slices.ContainsFunc(p.spans, func(s checkpoint.Span) bool { return s.Contains(t) })
}

// classify decides what becomes of each failure short of redelivering it,
// and returns those to redeliver, in order.
func (p *pass) classify(fs []*Failure) []*Failure {
	o := p.o
	var todo []*Failure
	now := o.Server.Now()
	for _, f := range fs {
		f.Attempts = f.count(p.counts)
		switch {
		case o.MaxAttempts > 0 && f.Attempts >= o.MaxAttempts:
			f.Outcome, f.Detail = GaveUp, fmt.Sprintf("%d failed attempts while the receiver was up (max-attempts %d)", f.Attempts, o.MaxAttempts)
		case o.Retention > 0 && now.Sub(f.Latest.DeliveredAt) > o.Retention:
			f.Outcome, f.Detail = Expired, "older than GitHub keeps deliveries"
		default:
			if why := o.Filter.skip(f); why != "" {
				f.Outcome, f.Detail = Skipped, why
			} else if o.DryRun {
				f.Outcome = WouldRedeliver
			} else {
				todo = append(todo, f)
			}
		}
	}
	return todo
}

// wentDown reports whether the newest outcomes of this run's redeliveries
// say the receiver went down, and since when.
func (p *pass) wentDown() (time.Time, bool) {
	if p.sc.runStartedOK {
		return time.Time{}, false
	}
	n := 0
	var since time.Time
	for i := len(p.sent) - 1; i >= 0; i-- {
		switch f := p.sent[i]; f.Outcome {
		case FailedAgain:
			n++
			if since.IsZero() || f.Latest.DeliveredAt.Before(since) {
				since = f.Latest.DeliveredAt
			}
		case Delivered:
			return since, n >= downAfter
		}
	}
	return since, n >= downAfter
}

// verify waits for the run's redeliveries to be listed and reads what became
// of them: the run finishes what it starts. A redelivery whose request got no
// clear answer and whose new attempt did not appear is sent once more, then
// read again.
func (p *pass) verify(ctx context.Context) {
	for round := 0; round < 2 && p.sentSinceRead; round++ {
		if err := p.await(ctx); err != nil {
			p.logf("could not read the outcome of the redeliveries (%v); the next run does", err)
			return
		}
		if round > 0 || p.res.Stopped != "" {
			return
		}
		for _, f := range p.sent {
			if f.Outcome != Unknown || f.Latest.ID != f.sentID {
				continue
			}
			if p.outOfTime(p.o.Deadline) || (p.o.MaxRedeliveries > 0 && p.res.Redeliveries >= p.o.MaxRedeliveries) {
				break
			}
			p.logf("no new attempt of %s appeared %s after its redelivery: sending it once more", f.GUID, Settle)
			if err := p.send(ctx, f); err != nil || p.res.Stopped != "" {
				break
			}
		}
	}
}

func markRest(fs []*Failure, o Outcome) {
	for _, f := range fs {
		if f.Outcome == "" || f.Outcome == NotAttempted {
			f.Outcome = o
		}
	}
}

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
