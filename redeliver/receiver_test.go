package redeliver

import (
	"fmt"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
)

// hookLog builds a hook's attempts in the order GitHub creates them: ids
// grow with time.
type hookLog struct {
	h   *health
	id  int64
	now time.Time
	n   int
}

func newHookLog(down ...checkpoint.Span) *hookLog {
	return &hookLog{h: newHealth(&checkpoint.Ledger{Down: down}), id: 1000, now: t0}
}

// at adds an attempt of guid at now+offset and moves now there.
func (l *hookLog) at(offset time.Duration, guid, event string, ok, redelivery bool) {
	l.now = l.now.Add(offset)
	l.id++
	status := "OK"
	if !ok {
		status = "Invalid HTTP Response: 503"
	}
	l.h.observe(&Delivery{ID: l.id, GUID: guid, DeliveredAt: l.now, Event: event, Status: status, Redelivery: redelivery})
}

// original adds a new GUID's first attempt.
func (l *hookLog) original(offset time.Duration, event string, ok bool) string {
	l.n++
	guid := fmt.Sprintf("g%05d", l.n)
	l.at(offset, guid, event, ok, false)
	return guid
}

var events = []string{"push", "pull_request", "issues", "check_run"}

// quiet adds six hours of a quiet hook that took everything: an original of
// each event in turn every half hour.
func (l *hookLog) quiet() {
	for i := range 12 {
		l.original(30*time.Minute, events[i%4], true)
	}
}

func TestReceiverJudgement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(l *hookLog)
		// judged this long after the last attempt
		after time.Duration
		want  ReceiverState
	}{
		{
			name: "busy hook, 1% failing, a poison GUID retried, the newest original failed",
			build: func(l *hookLog) {
				for i := range 5000 {
					l.original(time.Second, events[i%4], i%100 != 7)
				}
				for range 4 {
					l.at(time.Second, "poison", "push", false, true)
				}
				l.original(time.Second, "push", false)
			},
			want: ReceiverUp,
		},
		{
			name: "busy hook down for the last ten minutes",
			build: func(l *hookLog) {
				for i := range 600 {
					l.original(5*time.Second, events[i%4], i < 480)
				}
			},
			want: ReceiverDown,
		},
		{
			name: "busy hook whose failures are all one event the receiver never took",
			build: func(l *hookLog) {
				for i := range 600 {
					if i%3 == 0 {
						l.original(time.Second, "deployment_status", false)
					} else {
						l.original(time.Second, events[i%4], true)
					}
				}
				for range 20 { // a burst of the refused event only
					l.original(time.Second, "deployment_status", false)
				}
			},
			want: ReceiverUp,
		},
		{
			name: "quiet hook, nothing in the last five minutes",
			build: func(l *hookLog) {
				l.quiet()
			},
			after: 10 * time.Minute,
			want:  ReceiverUnknown,
		},
		{
			name: "quiet hook, one unlucky newest delivery",
			build: func(l *hookLog) {
				l.quiet()
				l.original(29*time.Minute, "push", false)
			},
			want: ReceiverUnknown,
		},
		{
			name: "quiet hook, the newest delivery succeeded",
			build: func(l *hookLog) {
				for i := range 12 {
					l.original(30*time.Minute, events[i%4], i != 5)
				}
			},
			want: ReceiverUp,
		},
		{
			name: "quiet hook, two failures of one event on a hook that carries several",
			build: func(l *hookLog) {
				l.quiet()
				l.original(28*time.Minute, "push", false)
				l.original(time.Minute, "push", false)
			},
			want: ReceiverUnknown,
		},
		{
			name: "quiet hook, failures of two events and nothing succeeding",
			build: func(l *hookLog) {
				l.quiet()
				l.original(28*time.Minute, "push", false)
				l.original(time.Minute, "issues", false)
			},
			want: ReceiverDown,
		},
		{
			name: "a hook of one event: two failures suffice",
			build: func(l *hookLog) {
				for range 12 {
					l.original(30*time.Minute, "workflow_job", true)
				}
				l.original(28*time.Minute, "workflow_job", false)
				l.original(time.Minute, "workflow_job", false)
			},
			want: ReceiverDown,
		},
		{
			name: "nothing ever succeeded: failures of any events are evidence",
			build: func(l *hookLog) {
				for range 5 {
					l.original(time.Minute, "push", false)
				}
			},
			want: ReceiverDown,
		},
		{
			name: "a poison GUID redelivered ten times in a row is one vote",
			build: func(l *hookLog) {
				for i := range 20 {
					l.original(time.Second, events[i%4], true)
				}
				for range 10 {
					l.at(time.Second, "poison", "push", false, true)
				}
			},
			want: ReceiverUp,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newHookLog()
			tt.build(l)
			got := l.h.judge(l.now.Add(tt.after), time.Time{})
			if got.State != tt.want {
				t.Errorf("judged %s (%s), want %s", got.State, got.How, tt.want)
			}
		})
	}
}

// TestReceiverKnownOutage: an outage the previous run found is the open
// state of a breaker: down, and tried with one redelivery. A trial that fails
// keeps it down; one that succeeds ends it, however many older attempts
// failed, and failures before the end stay uncounted.
func TestReceiverKnownOutage(t *testing.T) {
	t.Parallel()
	since := t0.Add(-2 * time.Hour)
	for _, trialOK := range []bool{false, true} {
		t.Run(fmt.Sprintf("trial ok %t", trialOK), func(t *testing.T) {
			t.Parallel()
			l := newHookLog(checkpoint.Span{Since: since})
			for i := range 6 {
				l.original(20*time.Minute, events[i%4], false)
			}
			if v := l.h.judge(l.now.Add(10*time.Minute), time.Time{}); v.State != ReceiverDown || l.h.trials() != 1 {
				t.Fatalf("before the trial: %s (%s), %d trials; want down and one trial", v.State, v.How, l.h.trials())
			}
			l.at(11*time.Minute, "g00001", "push", trialOK, true)
			v := l.h.judge(l.now.Add(2*time.Second), time.Time{})
			want := map[bool]ReceiverState{false: ReceiverDown, true: ReceiverUp}[trialOK]
			if v.State != want {
				t.Fatalf("after the trial: %s (%s), want %s", v.State, v.How, want)
			}
			if want == ReceiverDown && !v.Since.Equal(since) {
				t.Errorf("down since %s, want the known outage's start %s", v.Since, since)
			}
			if got := l.h.down(); (len(got) == 1) != (want == ReceiverDown) {
				t.Errorf("outage carried to the next run: %v", got)
			}
			if l.h.counts(t0.Add(30 * time.Minute)) {
				t.Error("a failure during the outage counts towards max-attempts")
			}
		})
	}
}

// TestReceiverSuspectedOutage: failures newer than the newest success may be
// an outage. Until the receiver is found up they do not count; found down,
// the outage starts with them.
func TestReceiverSuspectedOutage(t *testing.T) {
	t.Parallel()
	l := newHookLog()
	for i := range 8 {
		l.original(20*time.Minute, events[i%4], true)
	}
	l.original(20*time.Minute, "push", false)
	streak := l.now
	l.original(20*time.Minute, "issues", false)
	now := l.now.Add(10 * time.Minute)
	if v := l.h.judge(now, streak); v.State != ReceiverUnknown {
		t.Fatalf("judged %s, want unknown", v.State)
	}
	l.h.suspect(streak)
	if l.h.counts(streak) {
		t.Error("a failure of a suspected outage counts")
	}
	if l.h.down() != nil {
		t.Error("a suspected outage is carried to the next run")
	}
	if n := l.h.trials(); n != probeGUIDs {
		t.Fatalf("%d trials for a suspected outage, want %d", n, probeGUIDs)
	}
	l.at(11*time.Minute, "g00009", "push", false, true)
	if v := l.h.judge(l.now.Add(time.Second), streak); v.State != ReceiverUnknown {
		t.Fatalf("after one failed probe: %s (%s), want still unknown", v.State, v.How)
	}
	l.at(time.Second, "g00010", "issues", false, true)
	v := l.h.judge(l.now.Add(time.Second), streak)
	if v.State != ReceiverDown || !v.Since.Equal(streak) {
		t.Fatalf("after failed probes of two events: %s since %s, want down since %s", v.State, v.Since, streak)
	}
	if len(l.h.down()) != 1 {
		t.Error("a confirmed outage is not carried to the next run")
	}
}

// TestReceiverFlapping: a receiver up ten minutes, down ten, with an original
// every ten seconds. The judgement follows it within a minute of each change,
// and failures while it is up count, those while it is down do not.
func TestReceiverFlapping(t *testing.T) {
	t.Parallel()
	l := newHookLog()
	up := func(t time.Time) bool { return t.Sub(t0)/(10*time.Minute)%2 == 0 }
	mismatched := 0
	for i := range 360 { // an hour
		at := l.now.Add(10 * time.Second)
		l.original(10*time.Second, events[i%4], up(at))
		v := l.h.judge(l.now, time.Time{})
		settled := l.now.Sub(t0)%(10*time.Minute) >= time.Minute
		if settled && (v.State == ReceiverUp) != up(l.now) {
			mismatched++
			t.Logf("%s: judged %s (%s), receiver up %t", l.now.Format(time.TimeOnly), v.State, v.How, up(l.now))
		}
	}
	if mismatched > 0 {
		t.Errorf("%d judgements disagreed with the receiver more than a minute after it changed", mismatched)
	}
}

// TestReceiverOutageStartsMidRun: the run redelivers a backlog at one a
// second into a receiver that goes down after 40, looking at the newest
// deliveries as the pass does (every lookQuiet, every lookWary while some
// fail) and seeing attempts listLag late. It notices within IntoDownBound.
func TestReceiverOutageStartsMidRun(t *testing.T) {
	t.Parallel()
	for _, lag := range []int{0, int(listLag / time.Second)} {
		t.Run(fmt.Sprintf("listed %ds late", lag), func(t *testing.T) {
			t.Parallel()
			l := newHookLog()
			for i := range 50 {
				l.original(time.Minute, events[i%4], true)
			}
			type sent struct {
				guid, event string
				ok          bool
			}
			var pending []sent // sent, not listed yet
			v := l.h.judge(l.now, time.Time{})
			into, since := 0, 0
			for i := range 200 {
				ok := i < 40
				if !ok {
					into++
				}
				pending = append(pending, sent{fmt.Sprintf("b%03d", i), events[i%4], ok})
				since++
				l.now = l.now.Add(time.Second)
				every := lookQuiet
				if v.wary {
					every = lookWary
				}
				if since < every {
					continue
				}
				since = 0
				// A look lists what was sent lag seconds ago and before.
				n := max(0, len(pending)-lag)
				for _, s := range pending[:n] {
					l.at(0, s.guid, s.event, s.ok, true)
				}
				pending = pending[n:]
				if v = l.h.judge(l.now, time.Time{}); v.State == ReceiverDown {
					break
				}
			}
			t.Logf("noticed after %d redeliveries into the down receiver (bound %d): %s", into, IntoDownBound(), v.How)
			if v.State != ReceiverDown || into > IntoDownBound() {
				t.Errorf("judged %s after %d redeliveries into the down receiver, want down within %d", v.State, into, IntoDownBound())
			}
		})
	}
}

func TestReceiverCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(l *hookLog)
		at    time.Duration // after t0
		want  bool
	}{
		{"an original succeeded half an hour before", func(l *hookLog) { l.original(0, "push", true) }, 30 * time.Minute, true},
		{"a redelivery of another GUID succeeded seconds after", func(l *hookLog) { l.at(time.Hour, "x", "push", true, true) }, time.Hour - 5*time.Second, true},
		{"nothing succeeded within an hour", func(l *hookLog) { l.original(0, "push", true) }, 90 * time.Minute, false},
		{"inside an outage", func(l *hookLog) {
			l.original(0, "push", true)
			l.h.spans = []checkpoint.Span{{Since: t0.Add(10 * time.Minute)}}
		}, 20 * time.Minute, false},
		{"after an outage ended", func(l *hookLog) {
			l.original(40*time.Minute, "push", true)
			l.h.spans = []checkpoint.Span{{Since: t0.Add(10 * time.Minute), Until: t0.Add(20 * time.Minute)}}
		}, 30 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newHookLog()
			tt.build(l)
			if got := l.h.counts(t0.Add(tt.at)); got != tt.want {
				t.Errorf("counts = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestReceiverProbes(t *testing.T) {
	t.Parallel()
	f := func(guid, event string, attempts int) *Failure {
		return &Failure{GUID: guid, Latest: Delivery{Event: event}, Attempts: attempts}
	}
	l := newHookLog()
	for _, e := range events {
		l.original(time.Minute, e, true)
	}
	l.original(time.Minute, "deployment_status", false) // refused: never delivered
	tests := []struct {
		name string
		todo []*Failure
		want []string
	}{
		{"never a GUID that failed while others succeeded", []*Failure{f("poison", "push", 3), f("a", "push", 0)}, []string{"a"}},
		{"none when every GUID did", []*Failure{f("p1", "push", 1), f("p2", "issues", 2)}, nil},
		{"an event the receiver takes before one it refuses", []*Failure{f("r", "deployment_status", 0), f("a", "push", 0)}, []string{"a", "r"}},
		{"the second of another event", []*Failure{f("a", "push", 0), f("b", "push", 0), f("c", "issues", 0)}, []string{"a", "c"}},
		{"the second of the same event when there is no other", []*Failure{f("a", "push", 0), f("b", "push", 0)}, []string{"a", "b"}},
		{"oldest first otherwise", []*Failure{f("a", "push", 0), f("b", "issues", 0), f("c", "check_run", 0)}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, p := range l.h.probes(tt.todo, probeGUIDs) {
				got = append(got, p.GUID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("probes %v, want %v", got, tt.want)
			}
		})
	}
}
