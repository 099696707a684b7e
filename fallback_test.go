package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

// cpVar and ledgerVar are the variables of the org webhook's checkpoint.
const (
	cpVar     = "REDELIVER_ORG_ACME_HOOK_77"
	ledgerVar = cpVar + "_STATE"
)

// outage drives runs of the action against the org webhook while its
// receiver is down, then once it is back, and records what each run
// redelivered.
type outage struct {
	t      *testing.T
	h      *harness
	hook   fakegithub.HookRef
	inputs map[string]string
	down   atomic.Bool
	upAt   time.Time // GitHub time when the receiver came back; zero while down
	made   int       // originals added, for their GUIDs
	perRun [][]fakegithub.Redelivery
	logs   []string
	// stored are the checkpoint and ledger variables after each run; ""
	// for a missing one.
	stored [][2]string
}

func newOutage(t *testing.T, inputs ...string) *outage {
	t.Helper()
	h := newHarness(t, "/api/v3", fakegithub.Faults{VisibilityLag: 5 * time.Second})
	o := &outage{t: t, h: h, hook: targets[1].hook, inputs: with(targets[1].inputs, inputs...)}
	o.down.Store(true)
	// The fake calls the receiver with its lock held: an atomic, not the
	// fake's clock.
	h.fake.SetReceiver(func(fakegithub.Delivery, int) (string, int) {
		if o.down.Load() {
			return "Invalid HTTP Response: 502", 502
		}
		return "OK", 200
	})
	return o
}

// traffic adds n original deliveries spread evenly over [from, to), oldest
// first: failing if fail.
func (o *outage) traffic(n int, from, to time.Time, fail bool) {
	for i := range n {
		d := fakegithub.Delivery{
			GUID:        fmt.Sprintf("guid-%05d", o.made),
			DeliveredAt: from.Add(time.Duration(i) * to.Sub(from) / time.Duration(n)).Truncate(time.Second),
			Event:       "push", Status: "OK", StatusCode: 200,
		}
		if fail {
			d.Status, d.StatusCode = "Invalid HTTP Response: 502", 502
		}
		o.h.fake.AddDelivery(o.hook, d)
		o.made++
	}
}

// history adds what happened before the first run: ok originals that
// succeeded, then failed ones during an outage that began outageFor ago and
// still goes on.
func (o *outage) history(ok int, failed int, outageFor time.Duration) {
	now := o.h.fake.Now()
	o.traffic(ok, now.Add(-outageFor-6*time.Hour), now.Add(-outageFor), false)
	o.traffic(failed, now.Add(-outageFor), now, true)
}

// up brings the receiver back.
func (o *outage) up() {
	o.down.Store(false)
	o.upAt = o.h.fake.Now()
}

// run advances GitHub time by after, with n originals meanwhile, and runs
// the action once.
func (o *outage) run(after time.Duration, n int) result {
	o.t.Helper()
	now := o.h.fake.Now()
	o.h.clock.Advance(after)
	if n > 0 {
		o.traffic(n, now, o.h.fake.Now(), o.down.Load())
	}
	before := len(o.h.fake.Redeliveries())
	r := o.h.run(o.inputs)
	if r.code != 0 {
		o.t.Fatalf("run %d exited %d:\n%s", len(o.perRun)+1, r.code, r.log)
	}
	o.perRun = append(o.perRun, o.h.fake.Redeliveries()[before:])
	o.logs = append(o.logs, r.log)
	cp, _ := o.h.fake.Variable("acme", "ops", cpVar)
	l, _ := o.h.fake.Variable("acme", "ops", ledgerVar)
	o.stored = append(o.stored, [2]string{cp, l})
	return r
}

// ledger returns the stored ledger variable, failing the test if there is
// none: the setup must leave GUIDs in play.
func (o *outage) ledger() string {
	o.t.Helper()
	v, ok := o.h.fake.Variable("acme", "ops", ledgerVar)
	cp, _ := o.h.fake.Variable("acme", "ops", cpVar)
	if !ok || !strings.HasSuffix(cp, "999") {
		o.t.Fatalf("no ledger beside checkpoint %q: the setup left no GUIDs in play, so the test proves nothing", cp)
	}
	return v
}

// failedGUIDs returns every GUID with a failed attempt.
func (o *outage) failedGUIDs() []string {
	var out []string
	for _, d := range o.h.fake.Deliveries(o.hook) {
		if d.Status != "OK" && !slices.Contains(out, d.GUID) {
			out = append(out, d.GUID)
		}
	}
	return out
}

// checkOnceAfterUp checks the promises over every run: no GUID lost, none
// redelivered twice in a run or after an attempt of it succeeded; and every
// failed GUID redelivered exactly once from the time the receiver came back.
func (o *outage) checkOnceAfterUp() {
	o.t.Helper()
	failed := o.failedGUIDs()
	if len(failed) == 0 {
		o.t.Fatal("no GUID failed: the test proves nothing")
	}
	checkPromises(o.t, o.h.fake.Deliveries(o.hook), o.perRun)
	after := map[string]int{}
	for _, rds := range o.perRun {
		for _, rd := range rds {
			if !rd.At.Before(o.upAt) {
				after[rd.GUID]++
			}
		}
	}
	wrong := 0
	for _, g := range failed {
		if after[g] != 1 {
			wrong++
			if wrong <= 5 {
				o.t.Errorf("GUID %s was redelivered %d times once the receiver was back, want once", g, after[g])
			}
		}
	}
	if wrong > 5 {
		o.t.Errorf("... and %d more GUIDs not redelivered exactly once", wrong-5)
	}
	for g := range after {
		if !slices.Contains(failed, g) {
			o.t.Errorf("GUID %s was redelivered but never failed", g)
		}
	}
}

// TestFallbackWhenLedgerUnusable: a run finds the ledger beside the
// checkpoint missing, left by another checkpoint, damaged, or of a version it
// does not know. It says so, reads from the checkpoint (which holds back to
// the oldest GUID in play), and finds every GUID again: once the receiver is
// back, each failed GUID is redelivered exactly once. An older ledger of the
// same checkpoint is used, and is as safe.
func TestFallbackWhenLedgerUnusable(t *testing.T) {
	t.Parallel()
	tampers := []struct {
		name string
		// tamper changes the stored ledger; stored is its value.
		tamper   func(o *outage, stored string)
		wantNote string // "" when the ledger is still used
	}{
		{"missing", func(o *outage, _ string) {
			if !o.h.fake.DeleteVariable("acme", "ops", ledgerVar) {
				o.t.Fatal("no ledger to delete")
			}
		}, "the ledger variable " + ledgerVar + " is missing; reading from the checkpoint instead"},
		{"another checkpoint's", func(o *outage, stored string) {
			var j map[string]json.RawMessage
			if err := json.Unmarshal([]byte(stored), &j); err != nil {
				o.t.Fatal(err)
			}
			var cp int64
			if err := json.Unmarshal(j["cp"], &cp); err != nil {
				o.t.Fatal(err)
			}
			j["cp"] = json.RawMessage(fmt.Sprint(cp - time.Hour.Milliseconds()))
			b, err := json.Marshal(j)
			if err != nil {
				o.t.Fatal(err)
			}
			o.h.fake.SetVariable("acme", "ops", ledgerVar, string(b))
		}, "the ledger variable " + ledgerVar + " belongs to another checkpoint; reading from the checkpoint instead"},
		{"cut in half", func(o *outage, stored string) {
			o.h.fake.SetVariable("acme", "ops", ledgerVar, stored[:len(stored)/2])
		}, "the ledger variable " + ledgerVar + " is unreadable (parse ledger: unexpected EOF); reading from the checkpoint instead"},
		{"garbage", func(o *outage, _ string) {
			o.h.fake.SetVariable("acme", "ops", ledgerVar, "garbage")
		}, "the ledger variable " + ledgerVar + " is unreadable"},
		{"of an unknown version", func(o *outage, stored string) {
			o.h.fake.SetVariable("acme", "ops", ledgerVar, strings.Replace(stored, `{"v":2,`, `{"v":3,`, 1))
		}, "the ledger variable " + ledgerVar + " is unreadable (parse ledger: version 3 is not known to this version of hook-redeliver); reading from the checkpoint instead"},
		// The checkpoint is held at the oldest GUID in play, so the first
		// run's ledger belongs to the second run's checkpoint too: it is
		// used, and it is safe, only older.
		{"an earlier run's, of the same checkpoint", func(o *outage, _ string) {
			if o.stored[0][0] != o.stored[1][0] || o.stored[0][1] == o.stored[1][1] {
				o.t.Fatalf("the first two runs stored %q and %q: the case needs one checkpoint and two ledgers", o.stored[0], o.stored[1])
			}
			o.h.fake.SetVariable("acme", "ops", ledgerVar, o.stored[0][1])
		}, ""},
	}
	// When the next runs happen: the receiver back with live traffic, back
	// but quiet (a probe finds it up), or still down for one more run.
	afters := []string{"back with traffic", "back and quiet", "still down"}
	for _, tc := range tampers {
		for _, after := range afters {
			t.Run(tc.name+"/"+after, func(t *testing.T) {
				t.Parallel()
				o := newOutage(t)
				o.history(36, 24, 4*time.Hour)

				// Two runs find it down; the second works from the ledger.
				o.run(0, 0)
				o.run(time.Hour, 6)
				if !strings.Contains(o.logs[1], "the previous run read up to") {
					t.Fatalf("the second run did not use the ledger:\n%s", o.logs[1])
				}
				tc.tamper(o, o.ledger())

				var r result
				switch after {
				case "back with traffic":
					o.up()
					r = o.run(time.Hour, 6)
				case "back and quiet":
					o.up()
					r = o.run(time.Hour, 0)
				case "still down":
					r = o.run(time.Hour, 6)
					// With the ledger it knows of the outage and tries the
					// receiver once; without, it does not, and confirms a
					// failed probe with a second before calling it down.
					want := 1
					if tc.wantNote != "" {
						want = 2
					}
					if n := len(o.perRun[len(o.perRun)-1]); n != want {
						t.Errorf("the run while the receiver was still down sent %d redeliveries, want %d", n, want)
					}
					o.up()
					o.run(time.Hour, 6)
				}
				switch {
				case tc.wantNote == "":
					if strings.Contains(r.log, "reading from the checkpoint instead") || !strings.Contains(r.log, "the previous run read up to") {
						t.Errorf("the run after the ledger was changed did not use it:\n%s", r.log)
					}
				case !strings.Contains(r.log, tc.wantNote) || !strings.Contains(r.summary, tc.wantNote):
					t.Errorf("the run after the ledger was changed does not say %q; log:\n%s\nsummary:\n%s", tc.wantNote, r.log, r.summary)
				case !strings.Contains(r.log, "reading from") || strings.Contains(r.log, "the previous run read up to"):
					t.Errorf("the run after the ledger was changed did not read from the checkpoint:\n%s", r.log)
				}
				// Then scheduled runs until one has nothing left to do.
				for i := 0; ; i++ {
					r = o.run(time.Hour, 6)
					if len(o.perRun[len(o.perRun)-1]) == 0 && r.outputs["remaining"] == "0" {
						break
					}
					if i == 3 {
						t.Fatalf("runs still redeliver or leave GUIDs after %d runs with the receiver up: %v", i+1, r.outputs)
					}
				}
				o.checkOnceAfterUp()
			})
		}
	}
}

// TestFallbackWhenLedgerTooBig: 2,000 GUIDs wait for a receiver that is
// down, far more than the ledger holds. The runs keep the oldest GUIDs in the
// ledger and say that the others are read again from where they start; the
// run that finds the receiver back reads them there, and every failed GUID is
// redelivered exactly once.
func TestFallbackWhenLedgerTooBig(t *testing.T) {
	t.Parallel()
	o := newOutage(t)
	o.history(24, 2000, 10*time.Hour)

	for i := range 2 {
		r := o.run(time.Duration(i)*time.Hour, i*200)
		stored := o.ledger()
		if len(stored) > checkpoint.MaxLedgerSize {
			t.Errorf("run %d stored a ledger of %d bytes, more than %d", i+1, len(stored), checkpoint.MaxLedgerSize)
		}
		if !strings.Contains(r.log, "GUIDs in play did not fit in the ledger") || !strings.Contains(r.log, "the first run that finds the receiver up reads back to") {
			t.Errorf("run %d does not say that GUIDs did not fit in the ledger:\n%s", i+1, lastLines(r.log, 20))
		}
		if n := len(o.perRun[i]); n != 1 {
			t.Errorf("run %d sent %d redeliveries while the receiver was down, want one probe", i+1, n)
		}
	}
	o.up()
	for i := 0; ; i++ {
		r := o.run(time.Hour, 10)
		if len(o.perRun[len(o.perRun)-1]) == 0 && r.outputs["remaining"] == "0" {
			break
		}
		if i == 3 {
			t.Fatalf("runs still redeliver or leave GUIDs after %d runs with the receiver up: %v", i+1, r.outputs)
		}
	}
	if n := len(o.failedGUIDs()); n < 2200 {
		t.Fatalf("%d GUIDs failed, want 2,200", n)
	}
	o.checkOnceAfterUp()
}

// TestFallbackCountsOutageAttempts: a GUID the receiver could not take
// during a long outage, probed by every run meanwhile, has more failed
// attempts than max-attempts, none of which count: the ledger remembers the
// outage. When the ledger is lost, the run that finds the receiver back (by
// its live traffic) must not give the GUID up for attempts made while the
// receiver was down: no original succeeded around them, so they do not count
// even with no record of the outage.
func TestFallbackCountsOutageAttempts(t *testing.T) {
	t.Parallel()
	for _, lose := range []bool{false, true} {
		name := "ledger kept"
		if lose {
			name = "ledger lost"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := newOutage(t)
			o.history(12, 1, 50*time.Minute)
			// Five runs while it is down: each probes the one GUID.
			for i := range 5 {
				o.run(time.Duration(min(i, 1))*time.Hour, 0)
			}
			if got := o.h.redelivered()["guid-00012"]; got != 5 {
				t.Fatalf("the waiting GUID was probed %d times while the receiver was down, want 5", got)
			}
			if lose {
				o.ledger()
				o.h.fake.DeleteVariable("acme", "ops", ledgerVar)
			}
			o.up()
			r := o.run(time.Hour, 6)
			if r.outputs["gave-up"] != "0" {
				t.Errorf("the GUID was given up for the attempts made while the receiver was down: outputs %v\n%s", r.outputs, lastLines(r.log, 15))
			}
			o.run(time.Hour, 6)
			o.checkOnceAfterUp()
		})
	}
}

// lastLines returns the last n lines of a log.
func lastLines(log string, n int) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
