package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

// TestActionLongRunReMintsJWT: 700 paced redeliveries take over 11 minutes
// of GitHub time, longer than any App JWT lives; the fake rejects expired
// JWTs, so every one succeeding means the JWT was re-minted in time.
func TestActionLongRunReMintsJWT(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{Latency: 20 * time.Millisecond})
	for i := 0; i < 700; i++ {
		h.fake.AddDelivery(fakegithub.AppHook(), fakegithub.Delivery{GUID: fmt.Sprint("g", i), DeliveredAt: start.Add(-time.Duration(700-i) * time.Second), Status: "timed out"})
	}
	began := h.clock.Now()
	r := h.run(targets[0].inputs)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	if took := h.clock.Now().Sub(began); took < 11*time.Minute {
		t.Fatalf("the run took %s of virtual time; the test needs it longer than a JWT lives", took)
	}
	if got := len(h.redelivered()); got != 700 {
		t.Errorf("%d GUIDs redelivered, want 700", got)
	}
	for _, req := range h.fake.Requests() {
		if req.Status == 401 {
			t.Fatalf("GitHub rejected a JWT at %s: it was not re-minted in time", req.At)
		}
	}
}

// TestActionClockSkew: the runner's clock is 15 minutes off GitHub's either
// way. JWTs are still accepted, and the checkpoint comes from GitHub's clock.
func TestActionClockSkew(t *testing.T) {
	t.Parallel()
	for _, skew := range []time.Duration{15 * time.Minute, -15 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "/api/v3", fakegithub.Faults{ClockOffset: skew})
			h.fake.AddDelivery(fakegithub.AppHook(), fakegithub.Delivery{GUID: "ok", DeliveredAt: h.fake.Now().Add(-time.Hour), Status: "OK", StatusCode: 200})
			r := h.run(targets[0].inputs)
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.log)
			}
			v, _ := h.fake.Variable("acme", "ops", "REDELIVER_APP_123456")
			st, err := checkpoint.Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			if d := st.Checkpoint.Sub(h.fake.Now()); d < -5*time.Second || d > 5*time.Second {
				t.Errorf("checkpoint %s is %s off GitHub's clock (runner clock %s)", st.Checkpoint, d, h.clock.Now())
			}
		})
	}
}

func TestActionClampsToRetention(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	h.fake.SetVariable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77", strconv.FormatInt(start.Add(-9*24*time.Hour).UnixMilli(), 10))
	h.add(targets[1].hook, "a", 60, false, false)
	r := h.run(targets[1].inputs)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	// Enterprise Server (an /api/v3 URL): seven days.
	if want := start.Add(-7 * 24 * time.Hour).Format(time.RFC3339); r.outputs["since"] != want {
		t.Errorf("since = %s, want %s", r.outputs["since"], want)
	}
	warning := regexp.MustCompile(`::warning::the window start 2026-11-1[12] [0-9:]+ UTC is older than GitHub's retention of 7 days; reading from 2026-11-14 06:00:0[01] UTC instead`)
	if !warning.MatchString(r.log) {
		t.Errorf("no retention warning:\n%s", r.log)
	}
	// The since input clamped says so too: the user asked for more.
	r = h.run(with(targets[1].inputs, "since", "10d"))
	if r.code != 0 || !warning.MatchString(r.log) {
		t.Errorf("since 10d: exit %d, no retention warning:\n%s", r.code, r.log)
	}
}

// TestActionSinceLaterThanCheckpoint: a manual run reading only the last
// hour must not move the checkpoint past the deliveries it did not read.
func TestActionSinceLaterThanCheckpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	stored := start.Add(-10 * time.Hour)
	h.fake.SetVariable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77", strconv.FormatInt(stored.UnixMilli(), 10))
	h.add(targets[1].hook, "old-failure", 5*60, false, false)
	h.add(targets[1].hook, "recent", 30, false, true)
	r := h.run(with(targets[1].inputs, "since", "1h"))
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	v, _ := h.fake.Variable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77")
	if st, _ := checkpoint.Parse(v); st.Checkpoint.After(stored) {
		t.Errorf("checkpoint moved to %s, past the unread deliveries after %s", st.Checkpoint, stored)
	}
	if !strings.Contains(r.summary, "since input: reading from") || !strings.Contains(r.summary, "the checkpoint is kept at or before 2026-11-20 20:00:00 UTC") {
		t.Errorf("the summary does not explain the kept checkpoint:\n%s", r.summary)
	}
	// The next scheduled run still finds the older failure.
	h.clock.Advance(6 * time.Hour)
	if r := h.run(targets[1].inputs); r.code != 0 || h.redelivered()["old-failure"] != 1 {
		t.Errorf("next run: exit %d, redeliveries %v; want old-failure redelivered", r.code, h.redelivered())
	}
}

// TestActionCutShortThenFinished: max-redeliveries 3 of 10 failures takes
// the three oldest; the next run takes the other seven and does not repeat
// the first three, whose redeliveries succeeded.
func TestActionCutShortThenFinished(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{VisibilityLag: 15 * time.Second})
	for i := 0; i < 10; i++ {
		h.add(targets[1].hook, fmt.Sprint("g", i), 100-i*5, false, false)
	}
	r := h.run(with(targets[1].inputs, "max-redeliveries", "3"))
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	got := h.redelivered()
	if len(got) != 3 || got["g0"] != 1 || got["g1"] != 1 || got["g2"] != 1 {
		t.Errorf("first run redelivered %v, want the three oldest", got)
	}
	if r.outputs["remaining"] != "7" || !strings.Contains(r.log, "stopped early") {
		t.Errorf("outputs %v; want remaining 7 and a warning", r.outputs)
	}
	h.clock.Advance(30 * time.Second) // a manual run soon after
	if r := h.run(targets[1].inputs); r.code != 0 {
		t.Fatalf("second run: exit %d:\n%s", r.code, r.log)
	}
	got = h.redelivered()
	for i := 0; i < 10; i++ {
		if got[fmt.Sprint("g", i)] != 1 {
			t.Errorf("g%d redelivered %d times over two runs, want once", i, got[fmt.Sprint("g", i)])
		}
	}
}

// TestActionFirstRunWithSince: a first run with since: 1h (what a manual
// dispatch invites) reads the last hour, but must not make a later run miss
// the failures between 24 hours and 1 hour ago, which a first run without it
// would have redelivered. The log says what the run reads.
func TestActionFirstRunWithSince(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[1].hook
	h.add(hook, "ok", 23*60, false, true)
	h.add(hook, "earlier", 20*60, false, false)
	h.add(hook, "recent", 30, false, false)
	r := h.run(with(targets[1].inputs, "since", "1h"))
	if r.code != 0 || h.redelivered()["recent"] != 1 || h.redelivered()["earlier"] != 0 {
		t.Fatalf("first run: exit %d, redeliveries %v; want only recent:\n%s", r.code, h.redelivered(), r.log)
	}
	if !strings.Contains(r.log, "since input: reading from 2026-11-21 05:00:00 UTC, later than a run without it would (2026-11-20 06:00:00 UTC)") || strings.Contains(r.log, "first run, reading back") {
		t.Errorf("the log does not say what the run read:\n%s", r.log)
	}
	h.clock.Advance(6 * time.Hour)
	if r := h.run(targets[1].inputs); r.code != 0 || h.redelivered()["earlier"] != 1 || h.redelivered()["recent"] != 1 {
		t.Errorf("next run: exit %d, redeliveries %v; want earlier redelivered, recent not again:\n%s", r.code, h.redelivered(), r.log)
	}
}

// TestActionStartsWithoutWaiting: a run right after another (a manual
// dispatch after a scheduled run, a re-run job) starts at once: the previous
// run left nothing in play, so nothing of it can be on its way.
func TestActionStartsWithoutWaiting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	h.fake.SetVariable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77", strconv.FormatInt(start.Add(-time.Hour).UnixMilli(), 10))
	h.add(targets[1].hook, "ok", 20, false, true)
	h.add(targets[1].hook, "failed", 10, false, false)
	before := h.clock.Now()
	r := h.run(with(targets[1].inputs, "timeout", "15s"))
	if r.code != 0 || h.redelivered()["failed"] != 1 {
		t.Fatalf("exit %d, redeliveries %v:\n%s", r.code, h.redelivered(), r.log)
	}
	if took := h.clock.Now().Sub(before); took > 5*time.Second {
		t.Errorf("the run took %s for one redelivery; want no wait", took)
	}
}

// TestActionLedgerLostRightAfterARun: the previous run's redeliveries were
// not listed yet when it saved, and its ledger is then lost. A run seconds
// later cannot know which GUIDs that run redelivered: it leaves every GUID
// that failed before that save for later rather than redeliver it again,
// and a run a minute later finds them delivered. No GUID reaches the
// receiver twice.
func TestActionLedgerLostRightAfterARun(t *testing.T) {
	t.Parallel()
	// Listed later than the run waits for its last outcomes (35 s: the
	// harness's API is an Enterprise Server's).
	h := newHarness(t, "/api/v3", fakegithub.Faults{VisibilityLag: 45 * time.Second})
	hook := targets[1].hook
	for i := range 3 {
		h.add(hook, fmt.Sprint("g", i), 60-i*10, false, false)
	}
	h.add(hook, "ok", 2, false, true) // the receiver is up: no probe
	if r := h.run(targets[1].inputs); r.code != 0 || r.outputs["redelivered"] != "3" {
		t.Fatalf("first run: exit %d, outputs %v:\n%s", r.code, r.outputs, r.log)
	}
	h.fake.DeleteVariable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77_STATE")
	h.clock.Advance(time.Second) // the attempts are listed 45 s after the request
	r := h.run(targets[1].inputs)
	if r.code != 0 || len(h.fake.Redeliveries()) != 3 {
		t.Errorf("second run: exit %d, %d redeliveries in all; want none of the three again:\n%s", r.code, len(h.fake.Redeliveries()), r.log)
	}
	h.clock.Advance(time.Minute)
	if r := h.run(targets[1].inputs); r.code != 0 || r.outputs["failed"] != "0" || len(h.fake.Redeliveries()) != 3 {
		t.Errorf("third run: exit %d, outputs %v, %d redeliveries in all; want all three seen delivered", r.code, r.outputs, len(h.fake.Redeliveries()))
	}
}

// TestActionProbesNotListed: the receiver's state is unknown (nothing in
// the last 5 minutes), and GitHub lists the probes' attempts only after the
// run's outcome wait (35 s here: the fake's API is an Enterprise Server's).
// The run sends the two probes, waits no longer than that, and leaves the
// rest for the next run; the next run does not send the probes again.
func TestActionProbesNotListed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{VisibilityLag: time.Minute})
	hook := targets[1].hook
	h.add(hook, "ok", 120, false, true)
	for i, ev := range []string{"push", "issues", "check_run"} {
		h.fake.AddDelivery(hook, fakegithub.Delivery{GUID: fmt.Sprint("g", i), DeliveredAt: start.Add(-time.Duration(90-30*i) * time.Minute), Event: ev, Status: "timed out"})
	}
	before := h.clock.Now()
	r := h.run(targets[1].inputs)
	if r.code != 0 || len(h.fake.Redeliveries()) != 2 || r.outputs["remaining"] != "3" || !strings.Contains(r.log, "GitHub did not list the probe redeliveries") {
		t.Fatalf("exit %d, %d redeliveries, outputs %v; want the two probes sent and all three left:\n%s", r.code, len(h.fake.Redeliveries()), r.outputs, r.log)
	}
	if took := h.clock.Now().Sub(before); took > 40*time.Second {
		t.Errorf("the run took %s: want the probes' pacing and one outcome wait of 35 s at most", took)
	}
	h.clock.Advance(2 * time.Minute)
	if r := h.run(targets[1].inputs); r.code != 0 || r.outputs["failed"] != "1" || len(h.fake.Redeliveries()) != 3 {
		t.Errorf("next run: exit %d, outputs %v, %d redeliveries in all; want the probes seen delivered and only the third sent", r.code, r.outputs, len(h.fake.Redeliveries()))
	}
}
