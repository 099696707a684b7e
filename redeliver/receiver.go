package redeliver

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
)

// The receiver is judged as delivery platforms' circuit breakers judge an
// endpoint: from a sample of recent attempts, with a minimum sample and a
// failure share, never from one delivery. (frain-dev/convoy opens its circuit
// at 70 % failures over at least 10 requests in 5 minutes.)
//
// The sample is the newest attempt of each of the newest GUIDs, originals and
// redeliveries alike (this run's included), made within sampleSpan of the
// judgement. One GUID is one vote however often it was tried, so a poison
// GUID redelivered again and again is one failure among the others. An event
// that no attempt read has ever delivered while others were delivered is one
// the receiver refuses, not evidence of its state: its failures are left out.
//
//   - With a full sample (sampleGUIDs GUIDs) the receiver is down when at
//     least downVotes of them failed, and up otherwise.
//   - With fewer it is up when some GUID succeeded and less than the same
//     share failed. It is down when no GUID succeeded and at least
//     probeGUIDs GUIDs failed, of two events unless the hook is only known to
//     carry one: one failed event proves nothing.
//   - Otherwise its state is unknown, and the run probes it: it redelivers
//     probeGUIDs failures chosen to be unlikely to fail by themselves (see
//     probes) and judges again with their outcomes in the sample.
//   - While an outage is known (found by an earlier run, or now) the breaker
//     is open: the newest attempt since it began decides (see judgeOpen),
//     and the run tries the receiver with one redelivery.
//
// A failed attempt counts towards max-attempts only when the receiver was up
// around it by the same evidence: some attempt succeeded within nearSpan of
// it, and no outage the run knows of (a down span) covers it. So an outage of
// any length never uses up attempts, while an event the receiver refuses is
// given up after max-attempts on a quiet hook as on a busy one.
const (
	// sampleGUIDs is the full sample: convoy's minimum of 10 requests.
	sampleGUIDs = 10
	// downVotes of a full sample failing mean the receiver is down: 70 %.
	downVotes = 7
	// sampleSpan is how recent an attempt must be to speak for the
	// receiver now: convoy's 5-minute window.
	sampleSpan = 5 * time.Minute
	// probeGUIDs: a receiver without a sample is probed with two GUIDs, of
	// two events where there are two, because one event's failure may be
	// that event's.
	probeGUIDs = 2
	// nearSpan: a success this close to a failed attempt shows the receiver
	// was taking deliveries then. An hour covers a hook with a delivery
	// every half hour.
	nearSpan = time.Hour
	// nearGrain is the grain of what is remembered of successes: one bit a
	// ten minutes of the window, so memory stays flat however many
	// deliveries are read.
	nearGrain = 10 * time.Minute
	// waryVotes: a sample in which this share fails (30 %) is looked at
	// every lookWary redeliveries instead of every lookQuiet.
	waryVotes = 3
	// keepNewest attempts are kept for the sample: enough for sampleGUIDs
	// GUIDs even when some of them were tried several times.
	keepNewest = 64
)

// attempt is what the receiver keeps of one delivery attempt.
type attempt struct {
	id    int64
	at    time.Time
	guid  string
	event string // without the action: receivers route by event
	ok    bool
}

// health judges a webhook's receiver from the attempts a run has read. It
// does no I/O: the pass feeds it what it reads and asks it what to do.
type health struct {
	newest []attempt         // the newest attempts read, newest first
	okAt   map[int64]bool    // nearGrain spans (by index) in which an attempt succeeded
	taken  map[string]bool   // events with a successful attempt
	lastOK time.Time         // the newest successful attempt
	spans  []checkpoint.Span // outages, oldest first; the last is open while it lasts
	// provisional is set while spans' last entry is an outage this run
	// suspects but has not confirmed: it is dropped if the receiver is
	// found up.
	provisional bool
}

// newHealth starts from what the previous run knew (nil if nothing): the
// outage going on, the events the receiver has taken, and its newest
// success.
func newHealth(l *checkpoint.Ledger) *health {
	h := &health{okAt: map[int64]bool{}, taken: map[string]bool{}}
	if l == nil {
		return h
	}
	h.spans = slices.Clone(l.Down)
	for _, e := range l.Taken {
		h.taken[e] = true
	}
	if !l.LastOK.IsZero() {
		h.lastOK = l.LastOK
		h.okAt[grain(l.LastOK)] = true
	}
	return h
}

// takenEvents returns the events the receiver has taken, for the ledger:
// at most checkpoint.MaxTaken, sorted.
func (r *health) takenEvents() []string {
	evs := slices.Sorted(maps.Keys(r.taken))
	if len(evs) > checkpoint.MaxTaken {
		evs = evs[:checkpoint.MaxTaken]
	}
	return evs
}

// observe takes one attempt read. Each attempt must be observed once.
func (r *health) observe(d *Delivery) {
	a := attempt{id: d.ID, at: d.DeliveredAt, guid: d.GUID, event: d.Event, ok: d.OK()}
	if a.ok {
		// Read before writing: almost every success falls in a span and
		// an event already recorded, and a lookup is cheaper than a store.
		if k := grain(a.at); !r.okAt[k] {
			r.okAt[k] = true
		}
		if !r.taken[a.event] {
			r.taken[a.event] = true
		}
		if a.at.After(r.lastOK) {
			r.lastOK = a.at
		}
	}
	if len(r.newest) == keepNewest && a.id < r.newest[keepNewest-1].id {
		return
	}
	// Newest first: greater ids before smaller.
	i, _ := slices.BinarySearchFunc(r.newest, a.id, func(x attempt, id int64) int { return cmp.Compare(id, x.id) })
	r.newest = slices.Insert(r.newest, i, a)
	if len(r.newest) > keepNewest {
		r.newest = r.newest[:keepNewest]
	}
}

func grain(t time.Time) int64 { return t.Unix() / int64(nearGrain/time.Second) }

// evidence reports whether an event's attempts speak for the receiver: it
// has been delivered, or nothing has (then no event can be told apart).
func (r *health) evidence(event string) bool { return len(r.taken) == 0 || r.taken[event] }

// refused reports whether the receiver refuses an event while it takes
// others: no attempt of it succeeded, while attempts of others did.
func (r *health) refused(event string) bool { return !r.evidence(event) }

// sample is the newest attempt of each of the newest GUIDs whose event is
// evidence, made at or after from; at most sampleGUIDs.
type sample struct {
	ok, failed   int
	failedEvents map[string]bool
	oldestFailed time.Time
}

func (r *health) sample(from time.Time) sample {
	s := sample{failedEvents: map[string]bool{}}
	seen := map[string]bool{}
	for _, a := range r.newest {
		if s.ok+s.failed == sampleGUIDs {
			break
		}
		if a.at.Before(from) || seen[a.guid] {
			continue
		}
		seen[a.guid] = true
		if !r.evidence(a.event) {
			continue
		}
		if a.ok {
			s.ok++
			continue
		}
		s.failed++
		s.failedEvents[a.event] = true
		if s.oldestFailed.IsZero() || a.at.Before(s.oldestFailed) {
			s.oldestFailed = a.at
		}
	}
	return s
}

// ReceiverState is what a run concluded about the webhook's receiver.
type ReceiverState string

// Receiver states.
const (
	ReceiverUp      ReceiverState = "up"
	ReceiverDown    ReceiverState = "down"
	ReceiverUnknown ReceiverState = "unknown"
)

// Receiver is a judgement of the receiver, and what it rests on.
type Receiver struct {
	State ReceiverState
	// Since is when the receiver went down (State down): the start of the
	// outage known before, or of the failures newer than the newest success.
	Since time.Time
	// How says what the judgement rests on, for the log and summary.
	How string
	// wary: a share of the sample failed that calls for a closer watch.
	wary bool
}

// judge returns the receiver's state at now (GitHub time) and records an
// outage found or ended in its spans. streak is when the failures newer than
// the newest success began (zero if there are none): where an outage found
// now started.
//
// Like a circuit breaker it has two sets of rules. While no outage is known
// (closed), the sample decides, as described above. While one is (open), the
// newest attempt since it began decides, as the trial of a breaker does: a
// success ends the outage, however many older attempts failed, and a failure
// keeps it going.
func (r *health) judge(now, streak time.Time) Receiver {
	if since, open := r.open(); open && !r.provisional {
		return r.judgeOpen(since)
	}
	s := r.sample(now.Add(-sampleSpan))
	n := s.ok + s.failed
	var v Receiver
	switch {
	case n == sampleGUIDs && s.failed >= downVotes:
		v = Receiver{State: ReceiverDown, How: fmt.Sprintf("%d of the newest %d GUIDs failed within %s", s.failed, n, spanText)}
	case n == sampleGUIDs:
		v = Receiver{State: ReceiverUp, How: fmt.Sprintf("%d of the newest %d GUIDs succeeded within %s", s.ok, n, spanText)}
	case s.ok > 0 && s.failed*sampleGUIDs < downVotes*n:
		v = Receiver{State: ReceiverUp, How: tried(s.ok, n, "succeeded")}
	case s.ok == 0 && s.failed >= probeGUIDs && (len(s.failedEvents) >= 2 || len(r.taken) <= 1):
		v = Receiver{State: ReceiverDown, How: fmt.Sprintf("%s (%s), none succeeded", tried(s.failed, s.failed, "failed"), eventList(s.failedEvents))}
	case n == 0:
		v = Receiver{State: ReceiverUnknown, How: fmt.Sprintf("no attempt within %s to judge it by", spanText)}
	default:
		v = Receiver{State: ReceiverUnknown, How: fmt.Sprintf("too few attempts within %s to judge it by (%d succeeded, %d failed)", spanText, s.ok, s.failed)}
	}
	v.wary = v.State != ReceiverUp || s.failed*sampleGUIDs >= waryVotes*max(n, 1)
	switch v.State {
	case ReceiverUp:
		if _, open := r.open(); open { // only suspected: it was not an outage
			r.spans, r.provisional = r.spans[:len(r.spans)-1], false
		}
	case ReceiverDown:
		if since, open := r.open(); open { // suspected, now confirmed
			v.Since, r.provisional = since, false
			break
		}
		v.Since = streak
		if v.Since.IsZero() || s.oldestFailed.Before(v.Since) {
			v.Since = s.oldestFailed
		}
		r.spans = append(r.spans, checkpoint.Span{Since: v.Since})
	}
	return v
}

// judgeOpen judges a receiver while an outage that began at since is known:
// by the newest attempt of an event it takes made since then.
func (r *health) judgeOpen(since time.Time) Receiver {
	i := slices.IndexFunc(r.newest, func(a attempt) bool { return r.evidence(a.event) && !a.at.Before(since) })
	switch {
	case i < 0:
		return Receiver{State: ReceiverDown, Since: since, wary: true, How: "down at the previous run, and nothing tried since"}
	case r.newest[i].ok:
		r.spans[len(r.spans)-1].Until = r.newest[i].at
		return Receiver{State: ReceiverUp, wary: true, How: fmt.Sprintf("back since %s: the newest attempt (%s, %s) succeeded", stamp(r.newest[i].at), r.newest[i].guid, r.newest[i].event)}
	}
	a := r.newest[i]
	return Receiver{State: ReceiverDown, Since: since, wary: true, How: fmt.Sprintf("the newest attempt (%s, %s, at %s) failed too", a.guid, a.event, stamp(a.at))}
}

// suspect opens a provisional outage at since, the start of the failures
// newer than the newest success, unless one is open: until the receiver is
// found up, failures from then on do not count.
func (r *health) suspect(since time.Time) {
	if _, open := r.open(); open || since.IsZero() {
		return
	}
	r.spans = append(r.spans, checkpoint.Span{Since: since})
	r.provisional = true
}

// trials is how many probes to send before judging again: one while an
// outage is known (the trial of an open breaker: one redelivery a run into a
// receiver that is still down), else probeGUIDs.
func (r *health) trials() int {
	if _, open := r.open(); open && !r.provisional {
		return 1
	}
	return probeGUIDs
}

// open returns the start of the open outage, if there is one.
func (r *health) open() (time.Time, bool) {
	if n := len(r.spans); n > 0 && r.spans[n-1].Until.IsZero() {
		return r.spans[n-1].Since, true
	}
	return time.Time{}, false
}

// down returns the outage still going on, for the ledger; nil if none, or if
// it was only suspected.
func (r *health) down() []checkpoint.Span {
	if _, open := r.open(); !open || r.provisional {
		return nil
	}
	return r.spans[len(r.spans)-1:]
}

// counts reports whether a failed attempt made at t counts towards
// max-attempts: an attempt succeeded within nearSpan of it, and no outage
// covers it.
func (r *health) counts(t time.Time) bool {
	if slices.ContainsFunc(r.spans, func(s checkpoint.Span) bool { return s.Contains(t) }) {
		return false
	}
	k, reach := grain(t), int64(nearSpan/nearGrain)
	for i := k - reach; i <= k+reach; i++ {
		if r.okAt[i] {
			return true
		}
	}
	return false
}

// probes picks the failures to probe the receiver with from todo (in the
// order the run would redeliver them): at most n, never a GUID with a counted
// failed attempt (it failed while others succeeded: it may be poison), events
// the receiver has taken before events it refuses (a refused event says
// nothing when it fails), and the second of another event than the first
// where todo has one. None if every GUID in todo has failed while others
// succeeded: the run then redelivers them watching closely instead.
func (r *health) probes(todo []*Failure, n int) []*Failure {
	var order []*Failure
	for _, f := range todo {
		if f.Attempts == 0 {
			order = append(order, f)
		}
	}
	slices.SortStableFunc(order, func(a, b *Failure) int {
		return cmpBool(r.refused(a.Latest.Event), r.refused(b.Latest.Event))
	})
	var out []*Failure
	for len(out) < n && len(order) > 0 {
		i := 0
		if len(out) > 0 {
			// Another event than those picked, if todo has one.
			if j := slices.IndexFunc(order, func(f *Failure) bool {
				return !slices.ContainsFunc(out, func(p *Failure) bool { return p.Latest.Event == f.Latest.Event })
			}); j >= 0 {
				i = j
			}
		}
		out = append(out, order[i])
		order = slices.Delete(order, i, i+1)
	}
	return out
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func eventList(m map[string]bool) string {
	evs := make([]string, 0, len(m))
	for e := range m {
		evs = append(evs, e)
	}
	slices.Sort(evs)
	if len(evs) > 3 {
		evs = append(evs[:3], "…")
	}
	s := ""
	for i, e := range evs {
		if i > 0 {
			s += ", "
		}
		s += e
	}
	return s
}

// spanText is sampleSpan as a person writes it.
var spanText = fmt.Sprintf("%d minutes", int(sampleSpan/time.Minute))

// tried says what k of the n GUIDs tried within sampleSpan did: "the GUID
// tried within 5m0s succeeded", "all 3 GUIDs … failed", "2 of the 5 GUIDs …".
func tried(k, n int, did string) string {
	switch {
	case n == 1:
		return fmt.Sprintf("the GUID tried within %s %s", spanText, did)
	case k == n && n == 2:
		return fmt.Sprintf("both GUIDs tried within %s %s", spanText, did)
	case k == n:
		return fmt.Sprintf("all %d GUIDs tried within %s %s", n, spanText, did)
	}
	return fmt.Sprintf("%d of the %d GUIDs tried within %s %s", k, n, spanText, did)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
