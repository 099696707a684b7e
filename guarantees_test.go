package main

import (
	"fmt"
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
	if !strings.Contains(r.log, "::warning::") || !strings.Contains(r.log, "retention") {
		t.Errorf("no retention warning:\n%s", r.log)
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
	if !strings.Contains(r.summary, "since") || !strings.Contains(r.summary, "not moved past") {
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

// TestActionSettleWaitRespectsTheTimeBudget: a run whose budget cannot hold
// the settle wait says so at once instead of overrunning its timeout.
func TestActionSettleWaitRespectsTheTimeBudget(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	h.fake.SetVariable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77", strconv.FormatInt(start.Add(-time.Hour).UnixMilli(), 10))
	before := h.clock.Now()
	r := h.run(with(targets[1].inputs, "timeout", "15s"))
	if r.code == 0 || !strings.Contains(r.log, "would use up the time budget") {
		t.Errorf("exit %d; want a clear error about the time budget:\n%s", r.code, r.log)
	}
	if waited := h.clock.Now().Sub(before); waited > 15*time.Second {
		t.Errorf("the run took %s with a 15s timeout", waited)
	}
}

// TestActionSettleWaitIsBounded: a checkpoint saved "in the future" (a
// skewed clock) costs at most the settle time itself.
func TestActionSettleWaitIsBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{ClockOffset: 48 * time.Hour})
	h.fake.SetVariable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77", strconv.FormatInt(start.Add(-time.Hour).UnixMilli(), 10))
	h.fake.SetFaults(fakegithub.Faults{})
	before := h.clock.Now()
	if r := h.run(targets[1].inputs); r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	if waited := h.clock.Now().Sub(before); waited > 2*time.Minute {
		t.Errorf("waited %s for a settle time two days ahead", waited)
	}
}
