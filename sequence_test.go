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
	events   []string               // events of the originals, in turn; default four
	refused  string                 // an event the receiver always refuses
	// newestFails makes the newest original before each run one that
	// failed: the unlucky delivery a judgement by one delivery trips on.
	newestFails bool

	generated time.Time
	seen      int // deliveries listed after the previous run
	runs      []runStat
	perRun    [][]fakegithub.Redelivery
}

type runStat struct {
	at                             time.Time
	took, floor                    time.Duration // wall time (virtual), and redeliveries × redelivery-interval
	falseDown                      bool          // reported down while the receiver was up
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
		if d.GUID == s.poison || (s.refused != "" && d.Event == s.refused) {
			return "Invalid HTTP Response: 400", 400
		}
		return "OK", 200
	})
	return s
}

// traffic adds the originals GitHub delivered since the last call.
func (s *sequence) traffic() {
	events := s.events
	if len(events) == 0 {
		events = []string{"push", "pull_request", "issues", "check_run"}
	}
	now := s.h.clock.Now()
	for ; s.generated.Before(now); s.generated = s.generated.Add(s.every) {
		d := fakegithub.Delivery{DeliveredAt: s.generated, Event: events[s.rng.IntN(len(events))], Status: "OK", StatusCode: 200}
		if s.poison != "" && s.poisonAt.Equal(s.generated) {
			d.GUID = s.poison
		}
		switch {
		case d.GUID == s.poison && s.poison != "", s.refused != "" && d.Event == s.refused:
			d.Status, d.StatusCode = "Invalid HTTP Response: 400", 400
		case s.down(s.generated):
			d.Status, d.StatusCode = "Invalid HTTP Response: 502", 502
		case s.rng.Float64() < s.failing:
			d.Status, d.StatusCode = "timed out", 0
		}
		s.h.fake.AddDelivery(s.hook, d)
	}
	if s.newestFails {
		s.h.fake.AddDelivery(s.hook, fakegithub.Delivery{DeliveredAt: now.Add(-time.Second), Event: events[0], Status: "timed out"})
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
	st := runStat{at: at, took: s.h.clock.Now().Sub(at), code: r.code, made: made, waiting: r.outputs["waiting"], gaveUp: r.outputs["gave-up"], rem: r.outputs["remaining"], outputs: r.outputs, log: r.log}
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
	st.floor = time.Duration(st.redeliveries) * time.Second // redelivery-interval, the default
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
		st.falseDown = !s.down(at) && !s.down(s.h.clock.Now())
	default:
		st.receiver = "-"
	}
	s.countsAgree(st, r.summary)
	// What the run left unread stays unseen: measure from what it read.
	s.seen = len(s.h.fake.Deliveries(s.hook))
	if r.code != 0 {
		s.t.Logf("run at %s exited %d: %s", at.Format(time.DateTime), r.code, lastError(r.log))
	}
	s.runs = append(s.runs, st)
	return st
}

// countsAgree checks that the run's numbers agree with each other and with
// what exists: the waiting output, the headline and the summary's table
// count the same GUIDs, and no count exceeds the GUIDs that ever failed.
func (s *sequence) countsAgree(st runStat, summary string) {
	s.t.Helper()
	everFailed := map[string]bool{}
	for _, d := range s.h.fake.Deliveries(s.hook) {
		if d.Status != "OK" {
			everFailed[d.GUID] = true
		}
	}
	atoi := func(v string) int { n, _ := strconv.Atoi(strings.ReplaceAll(v, ",", "")); return n }
	row := func(label string) int {
		m := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(label) + ` \| ([0-9,]+) \|$`).FindStringSubmatch(summary)
		if m == nil {
			return 0
		}
		return atoi(m[1])
	}
	waiting, failed := atoi(st.outputs["waiting"]), atoi(st.outputs["failed"])
	if failed > len(everFailed) || waiting > failed || row("GUIDs without a successful attempt") != failed {
		s.t.Errorf("run at %s: failed %d, waiting %d, table %d, but %d GUIDs ever failed", st.at.Format(time.DateTime), failed, waiting, row("GUIDs without a successful attempt"), len(everFailed))
	}
	if st.receiver != "down" {
		return
	}
	m := regexp.MustCompile(`Receiver down since [0-9-]+ [0-9:]+ UTC: ([0-9,]+) GUIDs? waiting`).FindStringSubmatch(summary)
	inTable := row("Waiting for the receiver") + row("Redelivered, failed again") + row("Redelivered, outcome not listed yet (checked next run)")
	if m == nil || atoi(m[1]) != waiting || inTable != waiting {
		s.t.Errorf("run at %s: waiting output %d, headline %v, table %d: want them equal", st.at.Format(time.DateTime), waiting, m, inTable)
	}
}

// withinPace checks that a run spent its time on requests and pacing: at
// most 1.25 × the pacing floor + how long GitHub may take to list the last
// redelivery's attempt (15 s on github.com; 35 s here, as the fake's API is
// an Enterprise Server's), plus one settle time if a request got no clear
// answer.
func (s *sequence) withinPace(st runStat) {
	s.t.Helper()
	limit := st.floor*5/4 + 35*time.Second
	if strings.Contains(st.log, "got no clear answer") {
		limit += redeliver.Settle
	}
	if st.took > limit {
		s.t.Errorf("run at %s took %s for %d redeliveries: over %s", st.at.Format(time.DateTime), st.took.Round(time.Second), st.redeliveries, limit)
	}
}

// report logs the table of the runs and returns the list calls and their
// lower bound, summed.
func (s *sequence) report(name string) (list, bound int) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%-19s %4s %6s %5s %5s %5s %6s %6s %5s %9s %9s %8s %10s %7s %7s %7s %9s\n", name,
		"run (GitHub time)", "exit", "made", "list", "bound", "ratio", "calls", "bound", "ratio", "redeliver", "into down", "receiver", "false down", "wall", "floor", "waiting", "gave up/rem")
	var calls, callBound int
	for _, st := range s.runs {
		fmt.Fprintf(&b, "%-19s %4d %6d %5d %5d %5.2f %6d %6d %5.2f %9d %9d %8s %10t %7s %7s %7s %9s\n", st.at.Format(time.DateTime), st.code, st.made,
			st.list, st.bound, float64(st.list)/float64(st.bound), st.calls, st.callBound, float64(st.calls)/float64(st.callBound),
			st.redeliveries, st.intoDown, st.receiver, st.falseDown, st.took.Round(time.Second), st.floor, st.waiting, st.gaveUp+"/"+st.rem)
		list += st.list
		bound += st.bound
		calls += st.calls
		callBound += st.callBound
	}
	falseDown, intoDown, into := 0, 0, 0
	worst := s.runs[0]
	for _, st := range s.runs {
		if st.falseDown {
			falseDown++
		}
		intoDown = max(intoDown, st.intoDown)
		into += st.intoDown
		if st.took-st.floor > worst.took-worst.floor {
			worst = st
		}
	}
	fmt.Fprintf(&b, "all runs: %d list calls, lower bound %d, ratio %.3f; %d API calls, lower bound %d, ratio %.3f\n",
		list, bound, float64(list)/float64(bound), calls, callBound, float64(calls)/float64(callBound))
	fmt.Fprintf(&b, "false down verdicts %d; redeliveries into a down receiver %d (at most %d in a run); most time over the pacing floor: %s for %s",
		falseDown, into, intoDown, worst.took.Round(time.Second), worst.floor)
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
	s.withinPace(r)
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
	runs := []runStat{s.run(3 * time.Hour), s.run(10 * time.Second), s.run(time.Hour), s.run(2 * time.Hour)}
	s.report("the receiver dies forty seconds into a run that redelivers a backlog; a run 10 s later")
	if r := runs[1]; r.receiver != "down" || r.intoDown > 1 {
		t.Errorf("the run seconds later: receiver %s, %d redeliveries into it; want down, the trial only", r.receiver, r.intoDown)
	}
	runs = slices.Delete(runs, 1, 2)
	if r := runs[0]; r.receiver != "down" || r.intoDown == 0 || r.intoDown > 20 || r.waiting == "0" {
		t.Errorf("first run: receiver %s, %d redeliveries into the dead receiver, %s waiting; want it found down within 20 redeliveries, the rest waiting",
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

// TestSequenceBusyHookNewestFailed: about 5,000 deliveries between runs,
// 1 % failing, a poison GUID the receiver always refuses, and the newest
// original before every run one that failed. The receiver is up throughout:
// no run may call it down, the poison GUID is given up after max-attempts,
// and every other failure is redelivered in the run that finds it, whether
// runs are six hours apart or seconds apart (a manual dispatch after a
// scheduled run).
func TestSequenceBusyHookNewestFailed(t *testing.T) {
	t.Parallel()
	s := newSequence(t, 7, fakegithub.Faults{VisibilityLag: 2 * time.Second, Latency: 200 * time.Millisecond})
	s.every, s.failing, s.newestFails = 4320*time.Millisecond, 0.01, true
	s.addPoison(start.Add(1000 * s.every)) // on the traffic's grid
	gaps := []time.Duration{6 * time.Hour, 6 * time.Hour, 10 * time.Second, 20 * time.Second, 6 * time.Hour, 5 * time.Second, 6 * time.Hour, 6 * time.Hour}
	for _, gap := range gaps {
		st := s.run(gap)
		if st.code != 0 {
			t.Errorf("run at %s exited %d", st.at, st.code)
		}
		if st.falseDown || st.receiver == "down" {
			t.Errorf("run at %s called the receiver down (%s)", st.at, lastLine(st.log, "receiver"))
		}
		s.withinPace(st)
	}
	// The newest failure of the last run is listed after it began: one
	// more run without new failures takes it.
	s.newestFails, s.failing = false, 0
	s.run(6 * time.Hour)
	s.report("busy hook: ~5,000 deliveries between runs, 1% failing, a poison GUID, the newest original failed")
	failed, lost, doubled := s.promises(s.poison)
	t.Logf("%d GUIDs failed, %d lost, %d doubled; poison redelivered %d times", failed, lost, doubled, s.h.redelivered()[s.poison])
	if n := s.h.redelivered()[s.poison]; n != 4 {
		t.Errorf("the poison GUID was redelivered %d times, want 4 (max-attempts 5, counting the original)", n)
	}
}

// TestSequenceQuietHookRefusedEvent: an original every half hour; the
// receiver refuses every deployment_status delivery (400) and takes the
// others, some of which fail first and succeed when redelivered. No run may
// call the receiver down, and each refused GUID is given up after
// max-attempts (4 redeliveries) and reported, as on a busy hook.
func TestSequenceQuietHookRefusedEvent(t *testing.T) {
	t.Parallel()
	s := newSequence(t, 8, fakegithub.Faults{VisibilityLag: 2 * time.Second, Latency: 200 * time.Millisecond})
	s.every, s.failing = 30*time.Minute, 0.2
	s.events = []string{"push", "issues", "deployment_status", "check_run"}
	s.refused = "deployment_status"
	gaveUp := 0
	for i := range 10 {
		gap := 6 * time.Hour
		if i == 3 || i == 7 {
			gap = 10 * time.Second
		}
		st := s.run(gap)
		if st.code != 0 {
			t.Errorf("run at %s exited %d", st.at, st.code)
		}
		if st.receiver == "down" {
			t.Errorf("run at %s called the receiver down (%s)", st.at, lastLine(st.log, "receiver"))
		}
		s.withinPace(st)
		n, _ := strconv.Atoi(st.gaveUp)
		gaveUp += n
	}
	s.report("quiet hook: an original every 30 minutes, deployment_status always refused")
	var refused []string
	for _, d := range s.h.fake.Deliveries(s.hook) {
		if d.Event == s.refused && !d.Redelivery {
			refused = append(refused, d.GUID)
		}
	}
	failed, lost, doubled := s.promises(refused...)
	counts := s.h.redelivered()
	over := 0
	for _, g := range refused {
		if counts[g] > 4 {
			over++
			t.Errorf("refused GUID %s redelivered %d times, want at most 4 (max-attempts 5)", g, counts[g])
		}
	}
	t.Logf("%d GUIDs failed, %d lost, %d doubled; %d refused GUIDs, %d redelivered more than 4 times, %d given up", failed, lost, doubled, len(refused), over, gaveUp)
	if gaveUp == 0 {
		t.Error("no refused GUID was ever given up")
	}
}

// TestSequenceRunsSecondsApart: runs a few seconds apart (a manual dispatch
// after a scheduled run, a re-run job, --loop) and a dry run between them
// spend their time on requests and pacing, never on fixed waits: each takes
// at most 1.25 × its pacing floor + 15 s at 200 ms a request, well inside a
// 3-minute budget, and no GUID is redelivered twice.
func TestSequenceRunsSecondsApart(t *testing.T) {
	t.Parallel()
	s := newSequence(t, 9, fakegithub.Faults{VisibilityLag: 3 * time.Second, Latency: 200 * time.Millisecond})
	s.every, s.failing = 15*time.Second, 0.2
	runs := []struct {
		gap    time.Duration
		inputs []string
	}{
		{time.Hour, nil},
		{5 * time.Second, nil},
		{3 * time.Second, []string{"dry-run", "true"}},
		{10 * time.Second, nil},
		{20 * time.Minute, nil},
		{2 * time.Second, nil},
	}
	for _, r := range runs {
		st := s.run(r.gap, append([]string{"timeout", "3m"}, r.inputs...)...)
		if st.code != 0 {
			t.Errorf("run at %s exited %d", st.at, st.code)
		}
		s.withinPace(st)
		// A dry run never waits: its time is its requests' latency.
		if len(r.inputs) > 0 && st.took > time.Duration(st.calls)*200*time.Millisecond {
			t.Errorf("the dry run at %s took %s for %d requests of 200 ms: it waited", st.at, st.took, st.calls)
		}
		if st.rem != "0" && len(r.inputs) == 0 && !strings.Contains(st.log, "by the previous run") {
			t.Errorf("run at %s left %s GUIDs: %s", st.at, st.rem, lastLine(st.log, "left"))
		}
	}
	s.report("runs seconds apart, a dry run between, 200 ms a request")
	failed, lost, doubled := s.promises()
	t.Logf("%d GUIDs failed, %d lost, %d doubled", failed, lost, doubled)
}

// lastLine returns the last line of log containing s, for messages.
func lastLine(log, s string) string {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], s) {
			return lines[i]
		}
	}
	return ""
}
