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

// How a run spends its time while redelivering: on requests and GitHub's
// pacing (redelivery-interval, one a second), not on fixed waits. It looks
// at the newest deliveries in the pacing gaps, so it learns each
// redelivery's outcome and the receiver's state as it goes, and waits only
// for what it cannot learn otherwise: the outcome of a probe, and of the last
// few redeliveries.
const (
	// lookQuiet: while the newest attempts show the receiver taking
	// deliveries, the run looks after this many redeliveries. A receiver
	// that goes down is then noticed within about lookQuiet redeliveries,
	// plus those GitHub has not listed yet (see IntoDownBound).
	lookQuiet = 16
	// lookWary: while some of the newest attempts fail, or the receiver's
	// state is not known, the run looks after this many.
	lookWary = 4
	// listLag is how long after the receiver answers GitHub may take to
	// list the attempt.
	listLag = 5 * time.Second
	// firstLook is how soon after a request the run first looks for its
	// outcome; each look after waits twice as long, up to a limit.
	firstLook = time.Second
)

// How long GitHub waits for a receiver before it fails an attempt: on
// github.com and GHE.com, and on Enterprise Server. A redelivery's attempt
// is listed about that long after the request at worst.
const (
	ReceiverTimeout       = 10 * time.Second
	ServerReceiverTimeout = 30 * time.Second
)

// IntoDownBound is how many redeliveries at most a run sends into a receiver
// that goes down during it before it notices, at one redelivery a second:
// until the next look (lookQuiet), plus what GitHub has not listed by then
// (listLag), plus one look at the wary pace if the first saw too few
// failures yet. The README's figure comes from here.
func IntoDownBound() int { return lookQuiet + int(listLag/time.Second) + lookWary }

// LooksFor is how many looks at the newest deliveries a run that redelivers
// n GUIDs to a receiver taking them makes at most: one every lookQuiet
// redeliveries (the last one after the last redelivery), and one at the wary
// pace while the receiver's state is first learnt. Each look is one list
// request while fewer than a page of deliveries arrive between looks. The
// README's cost of watching the receiver comes from here.
func LooksFor(n int) int {
	if n == 0 {
		return 0
	}
	return (n+lookQuiet-1)/lookQuiet + 1
}

// outcomeWait is how long after a redelivery the run waits, at most, for
// its attempt to be listed: the receiver's time plus GitHub's listing.
func (p *pass) outcomeWait() time.Duration { return p.o.ReceiverTimeout + listLag }

// classify decides what becomes of each failure short of redelivering it,
// and returns those to redeliver, in order.
func (p *pass) classify(fs []*Failure) []*Failure {
	o := p.o
	var todo []*Failure
	now := p.now()
	for _, f := range fs {
		switch {
		case p.gaveUp(f): // counts f's attempts
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
	// With its ledger lost the run cannot know which GUIDs the previous run
	// redelivered: if that run saved less than Settle ago, any GUID whose
	// newest attempt predates the save waits until GitHub would have listed
	// a redelivery made then (pendingAt). Without this, a run seconds later
	// could redeliver a GUID whose redelivery is about to succeed.
	if saved := p.w.prev.SavedAt; p.w.prev.LedgerLost() && !saved.IsZero() && now.Before(saved.Add(Settle)) {
		for _, f := range todo {
			if f.pendingAt.IsZero() && f.Latest.DeliveredAt.Before(saved) {
				f.pendingAt, f.pendingID = saved, f.Latest.ID
			}
		}
	}
	return todo
}

// gaveUp decides, with what the run knows now, whether f has reached
// max-attempts, and if so marks it given up.
func (p *pass) gaveUp(f *Failure) bool {
	f.Attempts = f.count(p.h.counts)
	if p.o.MaxAttempts <= 0 || f.Attempts < p.o.MaxAttempts {
		return false
	}
	f.Outcome, f.Detail = GaveUp, fmt.Sprintf("%d failed attempts while the receiver was up (max-attempts %d)", f.Attempts, p.o.MaxAttempts)
	return true
}

// queue hands out the failures to redeliver, oldest first, holding back
// those not due yet: an earlier run redelivered them moments ago and GitHub
// has not listed the new attempt yet.
type queue struct{ todo, later []*Failure }

func (q *queue) next(now time.Time) *Failure {
	if i := slices.IndexFunc(q.later, func(f *Failure) bool { return f.due(now) }); i >= 0 {
		f := q.later[i]
		q.later = slices.Delete(q.later, i, i+1)
		return f
	}
	for len(q.todo) > 0 {
		f := q.todo[0]
		q.todo = q.todo[1:]
		if f.due(now) {
			return f
		}
		q.later = append(q.later, f)
	}
	return nil
}

func (q *queue) add(fs []*Failure) {
	q.todo = append(q.todo, fs...)
	sortFailures(q.todo)
}

func (q *queue) len() int { return len(q.todo) + len(q.later) }

// rest returns every failure not handed out yet.
func (q *queue) rest() []*Failure { return append(slices.Clone(q.todo), q.later...) }

// due reports whether f may be redelivered at now (GitHub time): not while
// an earlier run's redelivery of it may still be on its way into the list.
func (f *Failure) due(now time.Time) bool {
	return f.pendingAt.IsZero() || f.Latest.ID > f.pendingID || !now.Before(f.pendingAt.Add(Settle))
}

// redeliver sends todo, oldest first: after probing the receiver if its
// state is not known, then one after another at GitHub's pace, looking at
// the newest deliveries between them; it stops when the receiver is found
// down. Only an error that makes every further request pointless
// (credentials, permissions, the checkpoint store) is returned; a refused
// or unknown redelivery is an outcome of its GUID.
func (p *pass) redeliver(ctx context.Context, todo []*Failure) error {
	if len(todo) == 0 {
		return nil
	}
	if !p.w.found {
		// The first run creates the checkpoint before its first
		// redelivery: a token that cannot write it then fails before
		// anything has changed.
		if err := p.o.Store.Save(ctx, checkpoint.State{Checkpoint: p.w.earliest().Add(Overlap)}); err != nil {
			markRest(todo, NotAttempted)
			p.res.Stopped = "the checkpoint could not be written"
			return err
		}
	}
	q := &queue{todo: todo}
	p.planned = len(todo)
	if p.verdict.State != ReceiverUp {
		// Down by what was read is tried once, as a breaker's open state
		// is: the receiver may have come back since the newest attempt.
		if err := p.probe(ctx, q); err != nil {
			markRest(q.rest(), NotAttempted)
			return err
		}
	}
	return p.sendAll(ctx, q)
}

// probe redelivers the failures the receiver's health picks as probes and
// waits for their outcomes, looking at the newest deliveries, until the
// receiver's state is known or GitHub would surely have listed them. A
// receiver still of unknown state after that (its probes were events it
// refuses, or there was nothing to probe with) is redelivered to as if up,
// watched closely; one whose probes GitHub did not list is left alone.
func (p *pass) probe(ctx context.Context, q *queue) error {
	now := p.now()
	due := slices.DeleteFunc(slices.Clone(q.todo), func(f *Failure) bool { return !f.due(now) })
	probes := p.h.probes(due, p.h.trials())
	if len(probes) == 0 {
		if len(due) > 0 {
			p.logf("receiver %s, and every GUID to redeliver failed while others succeeded, so none is fit to probe it with: redelivering them, looking every %d", p.verdict.State, lookWary)
		}
		return nil
	}
	q.todo = slices.DeleteFunc(q.todo, func(f *Failure) bool { return slices.Contains(probes, f) })
	var sent []*Failure
	for _, f := range probes {
		if p.stopped(ctx) {
			q.add(probes[len(sent):])
			return nil
		}
		if err := p.send(ctx, f); err != nil {
			return err
		}
		if f.sentID != 0 {
			sent = append(sent, f)
		}
	}
	if len(sent) == 0 {
		return nil
	}
	p.logf("probing the receiver with %s: waiting for the outcome", guidList(sent))
	// Until every probe is listed, or one success shows the receiver up.
	up := func() bool { return p.verdict.State == ReceiverUp }
	if err := p.await(ctx, p.lastPOST, p.outcomeWait(), up); err != nil && !errors.Is(err, errBudget) {
		p.logf("could not read the probes' outcome: %v", err)
	}
	switch {
	case p.verdict.State == ReceiverDown:
		p.logf("receiver down since %s: %s", stamp(p.verdict.Since), p.verdict.How)
	case p.verdict.State == ReceiverUp:
		p.logf("receiver up: %s", p.verdict.How)
		p.catchUpNow(ctx, q)
	case slices.ContainsFunc(sent, func(f *Failure) bool { return f.Latest.ID <= f.sentID }):
		p.verdict.How = fmt.Sprintf("GitHub did not list the probe redeliveries of %s within %s", guidList(sent), p.outcomeWait())
		markRest(q.rest(), NotAttempted)
		q.todo, q.later = nil, nil
		p.logf("receiver %s: %s; the rest is left for the next run", p.verdict.State, p.verdict.How)
	default:
		p.logf("receiver still %s (%s): redelivering the rest, looking every %d", p.verdict.State, p.verdict.How, lookWary)
	}
	return nil
}

// catchUpNow reads what earlier runs left unread, now that the receiver is
// up, and adds the failures found there to q.
func (p *pass) catchUpNow(ctx context.Context, q *queue) {
	if len(p.unread) == 0 && p.deferred.IsZero() {
		return
	}
	if err := p.listErr(ctx, p.catchUp(ctx)); err != nil {
		p.logf("could not read what earlier runs left unread: %v", err)
	}
	found := p.collect()
	p.res.Failures = append(p.res.Failures, found...)
	sortFailures(p.res.Failures)
	more := p.classify(found)
	p.planned += len(more)
	q.add(more)
}

// stopped reports whether the run must start no more redeliveries, and
// records why.
func (p *pass) stopped(ctx context.Context) bool {
	res, o := p.res, p.o
	switch {
	case res.Stopped != "":
	case ctx.Err() != nil:
		res.Stopped = "the run was cancelled"
	case o.MaxRedeliveries > 0 && res.Redeliveries >= o.MaxRedeliveries:
		res.Stopped = fmt.Sprintf("max-redeliveries (%d) reached", o.MaxRedeliveries)
	case p.outOfTime(o.Deadline):
		res.Stopped = "the time budget ran out"
	}
	return res.Stopped != ""
}

// sendAll redelivers what q holds, one after another, looking at the newest
// deliveries every lookQuiet redeliveries (lookWary while some fail), and
// stops when the receiver is found down.
func (p *pass) sendAll(ctx context.Context, q *queue) error {
	for {
		if p.verdict.State == ReceiverDown {
			p.logf("the receiver went down during the run (since %s: %s); the rest waits for it", stamp(p.verdict.Since), p.verdict.How)
			markRest(q.rest(), Waiting)
			return nil
		}
		if p.stopped(ctx) {
			markRest(q.rest(), NotAttempted)
			return nil
		}
		f := q.next(p.now())
		if f == nil {
			break
		}
		switch {
		case f.ok:
			continue // an attempt succeeded meanwhile: nothing to do
		case p.gaveUp(f):
			continue
		}
		if err := p.send(ctx, f); err != nil {
			markRest(q.rest(), NotAttempted)
			return err
		}
		p.sinceLook++
		every := lookQuiet
		if p.verdict.wary {
			every = lookWary
		}
		if p.sinceLook >= every && q.len() > 0 {
			if err := p.look(ctx); err != nil {
				p.logf("could not read the newest deliveries to check on the receiver: %v", err)
				if p.budgetStop(ctx, err) {
					continue
				}
			}
			if p.verdict.State == ReceiverUp {
				p.catchUpNow(ctx, q)
			}
		}
	}
	for _, f := range q.later {
		f.Outcome, f.Detail = NotAttempted, fmt.Sprintf("redelivered at %s by the previous run, whose attempt GitHub had not listed yet", stamp(f.pendingAt))
	}
	return nil
}

// sentLine is the log line of a redelivery: what, and how far the run has
// got (n of N), with the time left at the pace so far.
func (p *pass) sentLine(f *Failure) string {
	n, total := len(p.sent), max(p.planned, len(p.sent))
	line := fmt.Sprintf("redelivered %s (%s, delivery %d, failed attempts: %d) [%d of %d", f.GUID, f.EventName(), f.Latest.ID, f.Attempts, n, total)
	if n >= 2 && total > n {
		each := p.lastPOST.Sub(p.began) / time.Duration(n-1)
		line += fmt.Sprintf(", about %s left", (each * time.Duration(total-n)).Round(time.Second))
	}
	return line + "]"
}

// await looks at the newest deliveries until every redelivery sent has its
// new attempt listed, or done says the run knows enough, or limit has passed
// since from (local time): at firstLook after from, then at twice the
// interval each time. GitHub usually lists an attempt within a second or two
// of the request; a receiver that times out takes ReceiverTimeout. It
// returns errBudget if waiting would pass the deadline.
func (p *pass) await(ctx context.Context, from time.Time, limit time.Duration, done func() bool) error {
	clk := p.o.Server.Local()
	offs := lookOffsets(limit)
	// Offsets that passed while the run was busy are not looked at one by
	// one: the first look is at the first offset still ahead (or at once,
	// if the limit has passed).
	for elapsed := clk.Now().Sub(from); len(offs) > 1 && offs[0] < elapsed; {
		offs = offs[1:]
	}
	for _, off := range offs {
		if !p.unresolved() || (done != nil && done()) {
			return nil
		}
		if wait := from.Add(off).Sub(clk.Now()); wait > 0 {
			if !p.o.Deadline.IsZero() && clk.Now().Add(wait).After(p.o.Deadline) {
				return errBudget
			}
			if err := clk.Sleep(ctx, wait); err != nil {
				return err
			}
		}
		if err := p.look(ctx); err != nil {
			return err
		}
	}
	return nil
}

// lookOffsets are the times after a request at which the run looks for its
// outcome: at firstLook, then each twice as long after the request as the
// one before (plus firstLook), up to limit.
func lookOffsets(limit time.Duration) []time.Duration {
	var offs []time.Duration
	for off := firstLook; ; off = min(2*off+firstLook, limit) {
		offs = append(offs, off)
		if off >= limit {
			return offs
		}
	}
}

// unresolved reports whether a redelivery of the run has no new attempt
// listed yet.
func (p *pass) unresolved() bool {
	return slices.ContainsFunc(p.sent, func(f *Failure) bool { return f.Latest.ID <= f.sentID })
}

// finish reads what became of the run's last redeliveries: a short wait,
// since the looks while pacing read the others. A request that got no clear
// answer (a 5xx, a timeout) and whose new attempt is not listed costs one
// settle time, once, to learn whether GitHub performed it; if not, it is sent
// once more and read again. The run finishes what it starts.
func (p *pass) finish(ctx context.Context) {
	if len(p.sent) == 0 {
		return
	}
	// GitHub performed the accepted ones: wait for those; whether it
	// performed the unanswered ones is learnt below.
	accepted := func() bool {
		return !slices.ContainsFunc(p.sent, func(f *Failure) bool { return f.Outcome == NotSeen && f.Latest.ID <= f.sentID })
	}
	if err := p.await(ctx, p.lastPOST, p.outcomeWait(), accepted); err != nil {
		p.logf("could not read the outcome of the last redeliveries (%v); the next run does", err)
		return
	}
	if p.res.Stopped != "" {
		return
	}
	unanswered := func() []*Failure {
		var out []*Failure
		for _, f := range p.sent {
			if f.Outcome == Unknown && f.Latest.ID == f.sentID {
				out = append(out, f)
			}
		}
		return out
	}
	unknown := unanswered()
	if len(unknown) == 0 {
		return
	}
	from := slices.MaxFunc(unknown, func(a, b *Failure) int { return a.sentAt.Compare(b.sentAt) }).sentAt
	p.logf("%s got no clear answer and no new attempt is listed: looking until %s after the request", plural(len(unknown), "redelivery request"), Settle)
	if err := p.await(ctx, from, Settle, func() bool { return len(unanswered()) == 0 }); err != nil {
		p.logf("could not read the outcome of the redeliveries (%v); the next run does", err)
		return
	}
	var again int
	for _, f := range unanswered() {
		if p.stopped(ctx) {
			break
		}
		p.logf("no new attempt of %s appeared %s after its redelivery: sending it once more", f.GUID, Settle)
		if err := p.send(ctx, f); err != nil || p.res.Stopped != "" {
			break
		}
		again++
	}
	if again > 0 {
		if err := p.await(ctx, p.lastPOST, p.outcomeWait(), nil); err != nil {
			p.logf("could not read the outcome of the redeliveries (%v); the next run does", err)
		}
	}
}

// send asks GitHub to redeliver f's newest attempt and records the answer.
func (p *pass) send(ctx context.Context, f *Failure) error {
	res := p.res
	res.Redeliveries++
	resp, err := p.o.Target.redeliver(ctx, p.client, f.Latest.ID)
	p.lastPOST = p.local()
	if p.began.IsZero() {
		p.began = p.lastPOST
	}
	f.sentAt = p.lastPOST
	if err == nil {
		if f.sentID == 0 {
			p.sent = append(p.sent, f)
		}
		f.sentID, f.sentGitHub, f.Outcome, f.Detail = f.Latest.ID, p.now(), NotSeen, ""
		p.logf("%s", p.sentLine(f))
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
	f.sentID, f.sentGitHub, f.Outcome, f.Detail = f.Latest.ID, p.now(), Unknown, detail
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

// dropSettled takes out of the report the GUIDs this run did not redeliver
// that an attempt was seen to deliver meanwhile (a redelivery of an earlier
// run's, or one made by hand): they were not this run's work, and counting
// them would make the outputs disagree with what GitHub did.
func (p *pass) dropSettled() {
	p.res.Failures = slices.DeleteFunc(p.res.Failures, func(f *Failure) bool { return f.ok && f.sentID == 0 })
}

func markRest(fs []*Failure, o Outcome) {
	for _, f := range fs {
		if f.Outcome == "" || f.Outcome == NotAttempted {
			f.Outcome = o
		}
	}
}

func guidList(fs []*Failure) string {
	s := ""
	for i, f := range fs {
		if i > 0 {
			s += " and "
		}
		s += fmt.Sprintf("%s (%s)", f.GUID, f.EventName())
	}
	return s
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
