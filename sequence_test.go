package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// sequence drives scheduled runs of the action against one webhook of the
// fake GitHub, with traffic between them, and measures each run against the
// lower bound of API calls: ceil(deliveries made since the previous run's
// last read / 100) pages, plus one read of the newest page to learn the
// outcome of the run's redeliveries.
//
// Run with -v to see the table of each sequence:
//
//	go test -run 'TestSequence' -v .
type sequence struct {
	t      *testing.T
	h      *harness
	hook   fakegithub.HookRef
	inputs map[string]string
	rng    *rand.Rand

	every    time.Duration          // a new original delivery this often, GitHub time
	failing  float64                // share of originals that fail while the receiver is up
	down     func(t time.Time) bool // the receiver is down
	poison   string                 // a GUID the receiver always refuses
	poisonAt time.Time              // when its original is delivered

	generated time.Time
	seen      int // deliveries listed after the previous run
	runs      []runStat
	perRun    [][]fakegithub.Redelivery
}

type runStat struct {
	at                             time.Time
	code                           int
	made                           int // deliveries made since the previous run's last read
	list, readBack, bound          int
	calls, callBound               int // every API call, and their lower bound
	redeliveries, intoDown         int
	receiver, waiting, gaveUp, rem string
	outputs                        map[string]string
	log                            string
}

func newSequence(t *testing.T, seed uint64, faults fakegithub.Faults) *sequence {
	h := newHarness(t, "/api/v3", faults)
	s := &sequence{
		t: t, h: h, hook: targets[1].hook, inputs: with(targets[1].inputs),
		// Traffic starts inside the first run's 24-hour look-back, wherever
		// that first run falls in the first day.
		rng: rand.New(rand.NewPCG(seed, 1)), generated: start,
		down: func(time.Time) bool { return false },
	}
	// The fake calls the receiver with its lock held: read the clock, not
	// the fake.
	h.fake.SetReceiver(func(d fakegithub.Delivery, attempt int) (string, int) {
		if s.down(h.clock.Now()) {
			return "Invalid HTTP Response: 502", 502
		}
		if d.GUID == s.poison {
			return "Invalid HTTP Response: 400", 400
		}
		return "OK", 200
	})
	return s
}

// traffic adds the originals GitHub delivered since the last call.
func (s *sequence) traffic() {
	events := []string{"push", "pull_request", "issues", "check_run"}
	for now := s.h.clock.Now(); s.generated.Before(now); s.generated = s.generated.Add(s.every) {
		d := fakegithub.Delivery{DeliveredAt: s.generated, Event: events[s.rng.IntN(len(events))], Status: "OK", StatusCode: 200}
		if s.poison != "" && s.poisonAt.Equal(s.generated) {
			d.GUID = s.poison
		}
		switch {
		case d.GUID == s.poison && s.poison != "":
			d.Status, d.StatusCode = "Invalid HTTP Response: 400", 400
		case s.down(s.generated):
			d.Status, d.StatusCode = "Invalid HTTP Response: 502", 502
		case s.rng.Float64() < s.failing:
			d.Status, d.StatusCode = "timed out", 0
		}
		s.h.fake.AddDelivery(s.hook, d)
	}
}

// addPoison makes the original delivered at at one the receiver refuses, then
// and on every redelivery.
func (s *sequence) addPoison(at time.Time) {
	s.poison, s.poisonAt = "poison-0000", at
}

// run advances GitHub time by gap, adds the traffic, and runs the action.
func (s *sequence) run(gap time.Duration, inputs ...string) runStat {
	s.t.Helper()
	s.h.clock.Advance(gap)
	s.traffic()
	made := len(s.h.fake.Deliveries(s.hook)) - s.seen
	reqs, rds := len(s.h.fake.Requests()), len(s.h.fake.Redeliveries())
	at := s.h.clock.Now()
	r := s.h.run(with(s.inputs, inputs...))
	st := runStat{at: at, code: r.code, made: made, waiting: r.outputs["waiting"], gaveUp: r.outputs["gave-up"], rem: r.outputs["remaining"], outputs: r.outputs, log: r.log}
	for _, rq := range s.h.fake.Requests()[reqs:] {
		if rq.Method == http.MethodGet && strings.HasSuffix(rq.Path, "/deliveries") {
			st.list++
			if rq.Query.Get("cursor") == "" {
				st.readBack++
			}
		}
	}
	st.readBack-- // the first page of the window itself
	newRds := s.h.fake.Redeliveries()[rds:]
	s.perRun = append(s.perRun, newRds)
	st.redeliveries = len(newRds)
	for _, rd := range newRds {
		if s.down(rd.At) {
			st.intoDown++
		}
	}
	// The pages of what was made since, and of the redeliveries' new
	// attempts, read once to learn their outcomes.
	st.bound = max(1, (made+redeliver.PageSize-1)/redeliver.PageSize)
	if st.redeliveries > 0 {
		st.bound += (st.redeliveries + redeliver.PageSize - 1) / redeliver.PageSize
	}
	st.calls = len(s.h.fake.Requests()) - reqs
	// ... plus the redeliveries and the checkpoint's read and write.
	st.callBound = st.bound + st.redeliveries + 2
	switch {
	case strings.Contains(r.summary, "| Receiver | up"):
		st.receiver = "up"
	case strings.Contains(r.summary, "| Receiver | down"):
		st.receiver = "down"
	default:
		st.receiver = "-"
	}
	// What the run left unread stays unseen: measure from what it read.
	s.seen = len(s.h.fake.Deliveries(s.hook))
	if r.code != 0 {
		s.t.Logf("run at %s exited %d: %s", at.Format(time.DateTime), r.code, lastError(r.log))
	}
	s.runs = append(s.runs, st)
	return st
}

// report logs the table of the runs and returns the list calls and their
// lower bound, summed.
func (s *sequence) report(name string) (list, bound int) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%-19s %4s %6s %5s %5s %5s %6s %6s %5s %9s %9s %8s %7s %7s %9s\n", name,
		"run (GitHub time)", "exit", "made", "list", "bound", "ratio", "calls", "bound", "ratio", "redeliver", "into down", "receiver", "waiting", "gave up", "remaining")
	var calls, callBound int
	for _, st := range s.runs {
		fmt.Fprintf(&b, "%-19s %4d %6d %5d %5d %5.2f %6d %6d %5.2f %9d %9d %8s %7s %7s %9s\n", st.at.Format(time.DateTime), st.code, st.made,
			st.list, st.bound, float64(st.list)/float64(st.bound), st.calls, st.callBound, float64(st.calls)/float64(st.callBound),
			st.redeliveries, st.intoDown, st.receiver, st.waiting, st.gaveUp, st.rem)
		list += st.list
		bound += st.bound
		calls += st.calls
		callBound += st.callBound
	}
	fmt.Fprintf(&b, "all runs: %d list calls, lower bound %d, ratio %.3f; %d API calls, lower bound %d, ratio %.3f",
		list, bound, float64(list)/float64(bound), calls, callBound, float64(calls)/float64(callBound))
	s.t.Log(b.String())
	return list, bound
}

// calls returns the API calls of all runs and their lower bound.
func (s *sequence) calls() (calls, bound int) {
	for _, st := range s.runs {
		calls += st.calls
		bound += st.callBound
	}
	return calls, bound
}

// promises checks nothing lost and nothing doubled over the whole sequence:
// every GUID that failed has a successful attempt (but those in exempt), no
// run redelivered a GUID twice, and none was redelivered after an attempt of
// it had succeeded.
func (s *sequence) promises(exempt ...string) (failed, lost, doubled int) {
	return checkPromises(s.t, s.h.fake.Deliveries(s.hook), s.perRun, exempt...)
}

func checkPromises(t *testing.T, deliveries []fakegithub.Delivery, perRun [][]fakegithub.Redelivery, exempt ...string) (failed, lost, doubled int) {
	t.Helper()
	byGUID := map[string][]fakegithub.Delivery{}
	for _, d := range deliveries {
		byGUID[d.GUID] = append(byGUID[d.GUID], d)
	}
	for guid, attempts := range byGUID {
		if !slices.ContainsFunc(attempts, func(d fakegithub.Delivery) bool { return d.Status != "OK" }) {
			continue
		}
		failed++
		if !slices.ContainsFunc(attempts, func(d fakegithub.Delivery) bool { return d.Status == "OK" }) && !slices.Contains(exempt, guid) {
			lost++
			t.Errorf("lost: GUID %s failed and never got a successful delivery (%d attempts)", guid, len(attempts))
		}
	}
	for i, rds := range perRun {
		seen := map[string]bool{}
		for _, rd := range rds {
			if seen[rd.GUID] {
				doubled++
				t.Errorf("run %d redelivered GUID %s twice", i+1, rd.GUID)
			}
			seen[rd.GUID] = true
			for _, d := range byGUID[rd.GUID] {
				if d.ID < rd.NewID && d.Status == "OK" {
					doubled++
					t.Errorf("run %d redelivered GUID %s although attempt %d had succeeded", i+1, rd.GUID, d.ID)
				}
			}
		}
	}
	return failed, lost, doubled
}

// TestSequenceTwoDayOutage: a receiver down for two days, a run every six
// hours with the default inputs. While it is down each run sends one probe
// and reports it; the first run that finds it up redelivers the whole
// backlog, oldest first; in the end every GUID has been delivered, with
// max-attempts at its default of 5 (the old behaviour gave up on all of them
// after four runs).
func TestSequenceTwoDayOutage(t *testing.T) {
	t.Parallel()
	for _, maxAttempts := range []string{"", "2"} {
		t.Run("max-attempts="+maxAttempts, func(t *testing.T) {
			t.Parallel()
			twoDayOutage(t, maxAttempts)
		})
	}
}

// twoDayOutage runs the outage with max-attempts as given ("" for the
// default). With 2, each probe leaves a GUID at two failed attempts: only
// not counting what failed while the receiver was down keeps them.
func twoDayOutage(t *testing.T, maxAttempts string) {
	s := newSequence(t, 1, fakegithub.Faults{VisibilityLag: 5 * time.Second})
	if maxAttempts != "" {
		s.inputs["max-attempts"] = maxAttempts
	}
	s.every, s.failing = 2*time.Minute, 0.01
	downFrom, downTo := start.Add(9*time.Hour), start.Add(57*time.Hour)
	s.down = func(at time.Time) bool { return !at.Before(downFrom) && at.Before(downTo) }

	for range 14 {
		st := s.run(6 * time.Hour)
		if st.code != 0 {
			t.Errorf("run at %s exited %d", st.at, st.code)
		}
		if st.intoDown > 1 {
			t.Errorf("run at %s sent %d redeliveries into the down receiver, want the probe only", st.at, st.intoDown)
		}
		if s.down(st.at) && (st.receiver != "down" || st.waiting == "0") {
			t.Errorf("run at %s during the outage: receiver %s, %s waiting; want it reported down", st.at, st.receiver, st.waiting)
		}
	}
	list, bound := s.report("two-day outage, a run every 6 hours, max-attempts " + maxAttempts)
	failed, lost, doubled := s.promises()
	t.Logf("%d GUIDs failed, %d lost, %d doubled", failed, lost, doubled)
	if failed < 1000 {
		t.Fatalf("only %d GUIDs failed: the outage did not happen", failed)
	}
	// The run that finds the receiver back reads what did not fit in the
	// ledger and checks on the receiver while it redelivers the backlog:
	// more list calls than the bound in that one run, a few percent of its
	// calls.
	if calls, bound := s.calls(); float64(calls) > 1.1*float64(bound) {
		t.Errorf("%d API calls over the sequence, lower bound %d: more than 1.1x", calls, bound)
	}
	_, _ = list, bound
}

// TestSequenceBusyHookWithPoison: thousands of deliveries a run, a few
// failing and recovering, and one GUID the receiver always refuses. The
// poison GUID is given up after max-attempts and never pins the listing:
// every run reads only what is new.
func TestSequenceBusyHookWithPoison(t *testing.T) {
	t.Parallel()
	s := newSequence(t, 2, fakegithub.Faults{VisibilityLag: 5 * time.Second})
	s.every, s.failing = 5*time.Second, 0.005
	s.addPoison(start.Add(time.Hour))
	var gaveUp bool
	for range 7 {
		st := s.run(6 * time.Hour)
		if st.code != 0 {
			t.Errorf("run at %s exited %d", st.at, st.code)
		}
		if float64(st.list) > 1.1*float64(st.bound)+1 {
			t.Errorf("run at %s: %d list calls, lower bound %d", st.at, st.list, st.bound)
		}
		gaveUp = gaveUp || st.gaveUp == "1"
	}
	list, bound := s.report("busy hook (4,320 deliveries per run) with one poison GUID")
	failed, lost, doubled := s.promises(s.poison)
	t.Logf("%d GUIDs failed, %d lost, %d doubled", failed, lost, doubled)
	if !gaveUp {
		t.Error("the poison GUID was never given up")
	}
	if n := s.h.redelivered()[s.poison]; n != 4 {
		t.Errorf("the poison GUID was redelivered %d times, want 4 (max-attempts 5, counting the original)", n)
	}
	if float64(list) > 1.1*float64(bound) {
		t.Errorf("%d list calls over the sequence, lower bound %d: more than 1.1x", list, bound)
	}
}

// TestSequenceWindowLargerThanTheBudget: a first run facing a day of a busy
// hook under a primary rate limit it cannot list within, and a time budget
// that cannot wait for the reset. Each run reads what it can, redelivers what
// it found and saves where it stopped; the next continues there; no run
// starts over, and the backlog is done within a few runs.
func TestSequenceWindowLargerThanTheBudget(t *testing.T) {
	t.Parallel()
	s := newSequence(t, 3, fakegithub.Faults{PrimaryLimit: 60})
	s.every, s.failing = 10*time.Second, 0.01
	var unreadRuns int
	for i := range 8 {
		gap := time.Hour
		if i == 0 {
			gap = 24 * time.Hour // the first run faces a whole day
		}
		st := s.run(gap, "timeout", "10m")
		if i > 0 && st.list > 0 && st.redeliveries == 0 && st.rem != "0" && st.list < 5 {
			t.Errorf("run at %s made no progress: %d list calls, %d redeliveries, %s remaining", st.at, st.list, st.redeliveries, st.rem)
		}
		if st.made > 0 && st.list*redeliver.PageSize < st.made {
			unreadRuns++
		}
	}
	list, bound := s.report("a day of deliveries under a limit of 60 requests an hour, a run every hour with a 10-minute budget")
	failed, lost, doubled := s.promises()
	t.Logf("%d GUIDs failed, %d lost, %d doubled; %d runs could not read all that was new", failed, lost, doubled, unreadRuns)
	if unreadRuns == 0 {
		t.Fatal("every run read its whole window: the test proves nothing")
	}
	if float64(list) > 1.1*float64(bound) {
		t.Errorf("%d list calls over the sequence, lower bound %d: more than 1.1x", list, bound)
	}
}

// TestSequenceUnknownOutcomes: GitHub answers some redelivery requests with
// a 5xx after performing them (a lost answer), and fails others before
// performing them. The run looks for each one's new attempt before sending
// it again, so every GUID is redelivered exactly once, in the run, and the
// outputs count what GitHub did.
func TestSequenceUnknownOutcomes(t *testing.T) {
	t.Parallel()
	s := newSequence(t, 4, fakegithub.Faults{LostResponseRate: 0.3, ServerErrorRate: 0.1})
	s.every, s.failing = 3*time.Minute, 0.3
	r := s.run(6 * time.Hour)
	performed := len(s.perRun[0])
	lostAnswers := 0
	for _, rd := range s.perRun[0] {
		if rd.Answered != http.StatusAccepted {
			lostAnswers++
		}
	}
	if lostAnswers == 0 {
		t.Fatal("no answer was lost: the test proves nothing")
	}
	if r.outputs["redelivered"] != strconv.Itoa(performed) {
		t.Errorf("output redelivered=%s, want %d: what GitHub performed, lost answers included", r.outputs["redelivered"], performed)
	}
	// What two failed requests in a row left is done by the next run.
	s.h.fake.SetFaults(fakegithub.Faults{})
	r2 := s.run(6 * time.Hour)
	s.report("unknown outcomes: 30% of answers lost, 10% of requests failed")
	_, lost, doubled := s.promises()
	t.Logf("run 1: %d redeliveries performed, %d of them answered 502, %s left; run 2: %s redelivered; lost %d, doubled %d",
		performed, lostAnswers, r.rem, r2.outputs["redelivered"], lost, doubled)
}

// TestSequenceReceiverDiesMidRun: the receiver is back, the run redelivers
// an hour's backlog, and the receiver dies again forty seconds in. The run
// notices at its next look at the newest page, stops, and reports the
// receiver down; the runs after wait for it and then deliver everything.
func TestSequenceReceiverDiesMidRun(t *testing.T) {
	t.Parallel()
	s := newSequence(t, 5, fakegithub.Faults{})
	s.every = 10 * time.Second
	first := start.Add(3 * time.Hour)
	dies, back := first.Add(40*time.Second), first.Add(2*time.Hour)
	s.down = func(at time.Time) bool {
		return !at.Before(start.Add(time.Hour)) && at.Before(start.Add(2*time.Hour)) || !at.Before(dies) && at.Before(back)
	}
	runs := []runStat{s.run(3 * time.Hour), s.run(time.Hour), s.run(2 * time.Hour)}
	s.report("the receiver dies forty seconds into a run that redelivers a backlog")
	if r := runs[0]; r.receiver != "down" || r.intoDown == 0 || r.intoDown > 110 || r.waiting == "0" {
		t.Errorf("first run: receiver %s, %d redeliveries into the dead receiver, %s waiting; want it found down within about 110 redeliveries, the rest waiting",
			r.receiver, r.intoDown, r.waiting)
	}
	if r := runs[1]; r.receiver != "down" || r.intoDown > 1 {
		t.Errorf("second run: receiver %s, %d redeliveries into it; want down, the probe only", r.receiver, r.intoDown)
	}
	failed, lost, doubled := s.promises()
	t.Logf("%d GUIDs failed, %d lost, %d doubled", failed, lost, doubled)
}

// TestSequenceRefusedCursor: a run cut short leaves an unread part of the
// list with GitHub's cursor; GitHub no longer takes that cursor when the next
// run comes. The run says so, and a later run reads that part from the
// newest delivery down instead: slower, nothing lost.
func TestSequenceRefusedCursor(t *testing.T) {
	t.Parallel()
	s := newSequence(t, 6, fakegithub.Faults{PrimaryLimit: 60})
	s.every, s.failing = 10*time.Second, 0.01
	if st := s.run(24*time.Hour, "timeout", "10m"); st.rem == "0" {
		t.Fatalf("the first run read its whole window: the test proves nothing")
	}
	const ledger = "REDELIVER_ORG_ACME_HOOK_77_STATE"
	v, ok := s.h.fake.Variable("acme", "ops", ledger)
	if !ok || !strings.Contains(v, `"c":"v1_`) {
		t.Fatalf("the first run left no unread part with a cursor: %q", v)
	}
	// A cursor naming no delivery: GitHub answers 422 Invalid cursor.
	s.h.fake.SetVariable("acme", "ops", ledger, regexp.MustCompile(`"c":"v1_[0-9]+"`).ReplaceAllString(v, `"c":"v1_1"`))
	refused := false
	for range 6 {
		st := s.run(time.Hour, "timeout", "10m")
		refused = refused || strings.Contains(st.log, "GitHub refused the cursor of an unread part of the list")
	}
	s.report("an unread part of the list whose cursor GitHub refuses")
	if !refused {
		t.Error("no run said that GitHub refused the cursor")
	}
	failed, lost, doubled := s.promises()
	t.Logf("%d GUIDs failed, %d lost, %d doubled", failed, lost, doubled)
}
