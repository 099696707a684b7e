package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

var update = flag.Bool("update", false, "rewrite golden files")

// targets are the three kinds of webhook with the inputs that select them.
var targets = []struct {
	name   string
	hook   fakegithub.HookRef
	inputs map[string]string
	path   string // deliveries path
}{
	{"app", fakegithub.AppHook(), map[string]string{"app-id": strconv.Itoa(appID), "private-key": keyPEM(testKey()), "token": fullToken}, "/app/hook/deliveries"},
	{"org", fakegithub.OrgHook("acme", 77), map[string]string{"org": "acme", "hook-id": "77", "token": fullToken}, "/orgs/acme/hooks/77/deliveries"},
	{"repo", fakegithub.RepoHook("acme", "shop", 88), map[string]string{"repository": "acme/shop", "hook-id": "88", "token": fullToken}, "/repos/acme/shop/hooks/88/deliveries"},
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestActionRedeliversFailedGUIDsOnce covers each target, on github.com-style
// and Enterprise Server-style URLs: only GUIDs without a successful attempt
// are redelivered, each once, using its newest attempt.
func TestActionRedeliversFailedGUIDsOnce(t *testing.T) {
	t.Parallel()
	for _, tgt := range targets {
		for _, prefix := range []string{"", "/api/v3"} {
			t.Run(tgt.name+prefix, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, prefix, fakegithub.Faults{})
				h.add(tgt.hook, "ok-1", 300, false, true)
				h.add(tgt.hook, "failed-once", 250, false, false)
				h.add(tgt.hook, "recovered", 200, false, false)
				h.add(tgt.hook, "recovered", 190, true, true)
				h.add(tgt.hook, "failed-thrice", 150, false, false)
				h.add(tgt.hook, "failed-thrice", 140, true, false)
				newest := h.add(tgt.hook, "failed-thrice", 130, true, false)
				h.add(tgt.hook, "ok-2", 10, false, true)

				r := h.run(tgt.inputs)
				if r.code != 0 {
					t.Fatalf("exit %d, log:\n%s", r.code, r.log)
				}
				if diff := cmp.Diff(map[string]int{"failed-once": 1, "failed-thrice": 1}, h.redelivered()); diff != "" {
					t.Errorf("redeliveries by GUID (-want +got):\n%s", diff)
				}
				for _, rd := range h.fake.Redeliveries() {
					if rd.GUID == "failed-thrice" && rd.RequestedID != newest.ID {
						t.Errorf("failed-thrice: redelivered delivery %d, want the newest attempt %d", rd.RequestedID, newest.ID)
					}
				}
				want := map[string]string{"scanned": "8", "failed": "2", "redelivered": "2", "skipped": "0", "gave-up": "0", "remaining": "0"}
				for k, v := range want {
					if r.outputs[k] != v {
						t.Errorf("output %s = %q, want %q", k, r.outputs[k], v)
					}
				}
				// One to list the window, one a second after the last
				// redelivery to read their outcome.
				if got := h.count("GET", tgt.path); got != 2 {
					t.Errorf("%d list calls, want 2", got)
				}
				name := map[string]string{"app": "REDELIVER_APP_123456", "org": "REDELIVER_ORG_ACME_HOOK_77", "repo": "REDELIVER_REPO_ACME__SHOP_HOOK_88"}[tgt.name]
				v, ok := h.fake.Variable("acme", "ops", name)
				if !ok {
					t.Fatalf("checkpoint variable %s was not created", name)
				}
				st, err := checkpoint.Parse(v)
				if err != nil {
					t.Fatal(err)
				}
				// Both redeliveries were seen to succeed: nothing holds the
				// checkpoint back from the read that saw them.
				rds := h.fake.Redeliveries()
				if want := rds[len(rds)-1].At; st.Checkpoint.Before(want) || r.outputs["redelivered"] != "2" {
					t.Errorf("checkpoint = %s, want the time of the read after the redeliveries, %s or later", st.Checkpoint, want)
				}
				if v != strconv.FormatInt(st.Checkpoint.UnixMilli(), 10) {
					t.Errorf("stored %q: want plain epoch milliseconds, as GitHub's scripts write", v)
				}
				if r.outputs["checkpoint"] != st.Checkpoint.Format(time.RFC3339) {
					t.Errorf("output checkpoint = %q, stored %s", r.outputs["checkpoint"], st.Checkpoint.Format(time.RFC3339))
				}
			})
		}
	}
}

func TestActionEmptyAndAllOK(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		n    int
	}{{"empty hook", 0}, {"all ok", 5}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "/api/v3", fakegithub.Faults{})
			for i := 0; i < tc.n; i++ {
				h.add(targets[1].hook, fmt.Sprint("g", i), 10*i+1, false, true)
			}
			r := h.run(targets[1].inputs)
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.log)
			}
			if n := len(h.fake.Redeliveries()); n != 0 {
				t.Errorf("%d redeliveries, want 0", n)
			}
			if r.outputs["scanned"] != strconv.Itoa(tc.n) || r.outputs["failed"] != "0" {
				t.Errorf("outputs = %v", r.outputs)
			}
			if !strings.Contains(r.summary, "No failed deliveries") {
				t.Errorf("summary does not say there were no failures:\n%s", r.summary)
			}
			v, _ := h.fake.Variable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77")
			st, err := checkpoint.Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			// Nothing in play: the checkpoint moves to GitHub's time at the
			// listing, and no settle time is needed.
			if st.Checkpoint.Before(start) {
				t.Errorf("checkpoint = %+v, want GitHub's now (%s)", st, start)
			}
		})
	}
}

// TestActionPagesAndWindow: with a checkpoint 5 hours back and 1,000
// deliveries over 10 hours, the pass reads only the pages it needs, and a
// failure just outside the window is left alone while one just inside is
// redelivered.
func TestActionPagesAndWindow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[2].hook
	cp := start.Add(-5 * time.Hour)
	h.fake.SetVariable("acme", "ops", "REDELIVER_REPO_ACME__SHOP_HOOK_88", strconv.FormatInt(cp.UnixMilli(), 10))
	for i := 0; i < 1000; i++ {
		// one every 36 s over 10 hours, oldest first so ids increase with time
		at := 600*60 - i*36
		h.fake.AddDelivery(hook, fakegithub.Delivery{GUID: fmt.Sprint("g", i), DeliveredAt: start.Add(-time.Duration(at) * time.Second), Status: "OK", StatusCode: 200})
	}
	window := cp.Add(-redeliver.Overlap)
	h.fake.AddDelivery(hook, fakegithub.Delivery{GUID: "outside", DeliveredAt: window.Add(-time.Second), Status: "timed out"})
	h.fake.AddDelivery(hook, fakegithub.Delivery{GUID: "inside", DeliveredAt: window, Status: "timed out"})

	r := h.run(targets[2].inputs)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	if diff := cmp.Diff(map[string]int{"inside": 1}, h.redelivered()); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s\n%s", diff, r.log)
	}
	inWindow := 0
	for _, d := range h.fake.Deliveries(hook) {
		if !d.DeliveredAt.Before(window) && !d.Redelivery {
			inWindow++
		}
	}
	pages := h.count("GET", targets[2].path)
	if lo := (inWindow + 99) / 100; pages < lo || pages > lo+1 {
		t.Errorf("%d list calls for %d deliveries in the window, want %d or %d", pages, inWindow, lo, lo+1)
	}
	if r.outputs["scanned"] != strconv.Itoa(inWindow) {
		t.Errorf("scanned = %s, want %d", r.outputs["scanned"], inWindow)
	}
	if h.count("POST", "/repos/acme/ops/actions/variables") != 0 || h.count("PATCH", "/repos/acme/ops/actions/variables/") != 1 {
		t.Error("an existing variable must be updated with one PATCH, not created")
	}
}

func TestActionFirstRunLooksBack24h(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[1].hook
	h.add(hook, "old", 25*60, false, false)
	h.add(hook, "recent", 23*60, false, false)
	r := h.run(targets[1].inputs)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	if diff := cmp.Diff(map[string]int{"recent": 1}, h.redelivered()); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s", diff)
	}
	if want := start.Add(-24 * time.Hour).Format(time.RFC3339); r.outputs["since"] != want {
		t.Errorf("since = %s, want %s", r.outputs["since"], want)
	}
	// Created first (so a token that cannot write fails before redelivering),
	// then updated.
	if h.count("POST", "/repos/acme/ops/actions/variables") != 1 || h.count("PATCH", "/repos/acme/ops/actions/variables/") != 1 {
		t.Errorf("want one POST and one PATCH of the variable; requests: %v", h.fake.Requests())
	}
}

func TestActionDryRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[1].hook
	h.add(hook, "a", 30, false, false)
	h.add(hook, "b", 20, false, false)
	r := h.run(with(targets[1].inputs, "dry-run", "true"))
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	if n := len(h.fake.Redeliveries()); n != 0 {
		t.Errorf("dry run made %d redeliveries", n)
	}
	if _, ok := h.fake.Variable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77"); ok {
		t.Error("dry run created the checkpoint variable")
	}
	if !strings.Contains(r.summary, "Dry run") || !strings.Contains(r.summary, "would redeliver") {
		t.Errorf("summary does not say dry run:\n%s", r.summary)
	}
	if r.outputs["failed"] != "2" || r.outputs["redelivered"] != "0" || r.outputs["checkpoint"] != "" {
		t.Errorf("outputs = %v", r.outputs)
	}
}

// TestActionBadInput: a clear error naming the input, a non-zero exit,
// nothing changed on GitHub, no secret in the log.
func TestActionBadInput(t *testing.T) {
	t.Parallel()
	key := keyPEM(testKey())
	tests := []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"bad private key", with(targets[0].inputs, "private-key", "-----BEGIN RSA PRIVATE KEY-----\nnot really a key\n-----END RSA PRIVATE KEY-----"), "private-key"},
		{"wrong app id", with(targets[0].inputs, "app-id", "999"), "app-id"},
		{"token without permission", with(targets[1].inputs, "token", noPermToken), "the token needs the Variables: read permission"},
		{"token without hook permission", with(targets[1].inputs, "token", varsToken), "Organization hooks: read"},
		{"token without repo hook permission", with(targets[2].inputs, "token", varsToken), "Webhooks: read"},
		{"invalid token", with(targets[1].inputs, "token", "ghp_doesNotExist000000000000000000000000"), "invalid or expired"},
		{"hook-id missing", with(targets[1].inputs, "hook-id", ""), "input hook-id"},
		{"hook-id garbage", with(targets[1].inputs, "hook-id", "abc"), "input hook-id"},
		{"org and repository", with(targets[1].inputs, "repository", "acme/shop"), "input org"},
		{"app target without app", map[string]string{"token": fullToken}, "input app-id"},
		{"org without credentials", map[string]string{"org": "acme", "hook-id": "1"}, "input token"},
		{"bad since", with(targets[1].inputs, "since", "last tuesday"), "input since"},
		{"bad timeout", with(targets[1].inputs, "timeout", "soon"), "input timeout"},
		{"bad max-attempts", with(targets[1].inputs, "max-attempts", "many"), "input max-attempts"},
		{"bad dry-run", with(targets[1].inputs, "dry-run", "perhaps"), "input dry-run"},
		{"bad variable name", with(targets[1].inputs, "checkpoint-variable", "GITHUB_X"), "input checkpoint-variable"},
		{"bad api-url", with(targets[1].inputs, "api-url", "ftp://x"), "input api-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "/api/v3", fakegithub.Faults{})
			h.add(targets[0].hook, "a", 30, false, false)
			h.add(targets[1].hook, "b", 30, false, false)
			r := h.run(tt.inputs)
			if r.code == 0 {
				t.Fatalf("exit 0, want non-zero; log:\n%s", r.log)
			}
			if !strings.Contains(r.log, "::error::") || !strings.Contains(r.log, tt.want) {
				t.Errorf("log has no ::error:: annotation mentioning %q:\n%s", tt.want, r.log)
			}
			for _, req := range h.fake.Requests() {
				if req.Method != "GET" {
					t.Errorf("changed something on GitHub: %s %s", req.Method, req.Path)
				}
			}
			for _, secret := range []string{fullToken, noPermToken, "ghp_doesNotExist", strings.Split(key, "\n")[2], "not really a key"} {
				if strings.Contains(r.log, secret) || strings.Contains(r.summary, secret) {
					t.Errorf("a secret (%.8s…) appears in the output", secret)
				}
			}
		})
	}
}

func TestActionMaxAttemptsGivesUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[1].hook
	for i := 0; i < 3; i++ {
		h.add(hook, "stubborn", 100-i*10, i > 0, false)
	}
	h.add(hook, "fresh", 50, false, false)
	// The receiver takes other deliveries meanwhile: stubborn is poison, not
	// an outage, so its failures count.
	h.add(hook, "live", 40, false, true)
	r := h.run(with(targets[1].inputs, "max-attempts", "3"))
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	if diff := cmp.Diff(map[string]int{"fresh": 1}, h.redelivered()); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s", diff)
	}
	if r.outputs["gave-up"] != "1" || !strings.Contains(r.log, "::warning::") || !strings.Contains(r.summary, "gave up") {
		t.Errorf("giving up is not reported: outputs %v\n%s", r.outputs, r.summary)
	}
}

// TestActionGivenUpStaysGivenUp: a run minutes after one that gave up on a
// GUID reads its newest attempts again (the overlap). It must neither take
// them for a new failure nor report the giving up a second time.
func TestActionGivenUpStaysGivenUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[1].hook
	for i := 0; i < 3; i++ {
		h.add(hook, "stubborn", 9-i*3, i > 0, false)
	}
	h.add(hook, "live", 30, false, true)
	h.add(hook, "live-2", 1, false, true)
	in := with(targets[1].inputs, "max-attempts", "3")
	if r := h.run(in); r.code != 0 || r.outputs["gave-up"] != "1" {
		t.Fatalf("first run: exit %d, outputs %v:\n%s", r.code, r.outputs, r.log)
	}
	h.clock.Advance(2 * time.Minute)
	r := h.run(in)
	if r.code != 0 {
		t.Fatalf("second run: exit %d:\n%s", r.code, r.log)
	}
	if n := len(h.fake.Redeliveries()); n != 0 {
		t.Errorf("%d redeliveries of a GUID given up", n)
	}
	if r.outputs["gave-up"] != "0" || r.outputs["failed"] != "0" {
		t.Errorf("the second run reports %v, want nothing failed or given up: the first reported it", r.outputs)
	}
}

// TestActionSecondRunDoesNotWaitOrRepeat: a run seconds after one whose
// redeliveries GitHub had not listed yet neither waits for them nor sends
// them again: the ledger says when they were sent, so they are not due. The
// run after that sees them succeed and moves the checkpoint on.
func TestActionSecondRunDoesNotWaitOrRepeat(t *testing.T) {
	t.Parallel()
	// Listed later than the run waits for its last outcomes (35 s: the
	// harness's API is an Enterprise Server's).
	h := newHarness(t, "/api/v3", fakegithub.Faults{VisibilityLag: 45 * time.Second})
	hook := targets[1].hook
	h.add(hook, "a", 60, false, false)
	h.add(hook, "b", 30, false, false)
	if r := h.run(targets[1].inputs); r.code != 0 || r.outputs["redelivered"] != "2" || r.outputs["remaining"] != "2" {
		t.Fatalf("first run: exit %d, outputs %v:\n%s", r.code, r.outputs, r.log)
	}
	before := h.clock.Now()
	r := h.run(targets[1].inputs)
	if r.code != 0 {
		t.Fatalf("second run: exit %d:\n%s", r.code, r.log)
	}
	if took := h.clock.Now().Sub(before); took > 5*time.Second {
		t.Errorf("second run took %s; want no wait for the first run's redeliveries", took)
	}
	if diff := cmp.Diff(map[string]int{"a": 1, "b": 1}, h.redelivered()); diff != "" {
		t.Errorf("redeliveries over both runs (-want +got):\n%s", diff)
	}
	if r.outputs["redelivered"] != "0" || r.outputs["remaining"] != "2" || !strings.Contains(r.summary, "by the previous run, whose attempt GitHub had not listed yet") {
		t.Errorf("second run: outputs %v; want both left, said to be redelivered by the previous run:\n%s", r.outputs, r.summary)
	}
	h.clock.Advance(time.Minute)
	after := h.clock.Now()
	r = h.run(targets[1].inputs)
	if r.code != 0 || r.outputs["failed"] != "0" || len(h.fake.Redeliveries()) != 2 {
		t.Errorf("third run: exit %d, outputs %v, %d redeliveries in all; want both seen delivered, none sent again", r.code, r.outputs, len(h.fake.Redeliveries()))
	}
	v, _ := h.fake.Variable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77")
	if st, _ := checkpoint.Parse(v); st.Checkpoint.Before(after) {
		t.Errorf("third run left the checkpoint at %s, want it past %s", st.Checkpoint, after)
	}
}

// TestActionSummaryGolden pins the job summary a person reads.
func TestActionSummaryGolden(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[1].hook
	h.fake.SetVariable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77", strconv.FormatInt(start.Add(-6*time.Hour).UnixMilli(), 10))
	h.add(hook, "11111111-1111-1111-1111-111111111111", 300, false, false)
	h.add(hook, "22222222-2222-2222-2222-222222222222", 200, false, true)
	for i := 0; i < 3; i++ {
		h.add(hook, "33333333-3333-3333-3333-333333333333", 180-i, i > 0, false)
	}
	h.add(hook, "44444444-4444-4444-4444-444444444444", 20, false, true)
	r := h.run(with(targets[1].inputs, "max-attempts", "3"))
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	checkGolden(t, "testdata/summary.golden.md", r.summary)
}

// TestActionSummaryReceiverDown pins what a person sees during an outage:
// the receiver's state in the headline, a warning with when it went down and
// how many GUIDs wait, the timeline, an annotation, and the failure
// notification's receiver object; and that only the probes were sent: two,
// since one failure of one GUID never proves an outage.
func TestActionSummaryReceiverDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[1].hook
	h.fake.SetReceiver(func(fakegithub.Delivery, int) (string, int) { return "Invalid HTTP Response: 502", 502 })
	h.fake.SetVariable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77", strconv.FormatInt(start.Add(-6*time.Hour).UnixMilli(), 10))
	h.add(hook, "00000000-0000-0000-0000-000000000000", 330, false, true)
	for i := range 12 {
		h.add(hook, fmt.Sprintf("%08d-1111-1111-1111-111111111111", i), 150-i*10, false, false)
	}
	r := h.run(with(targets[1].inputs, "dispatch-event-type", "webhook-deliveries-failed"))
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	if n := len(h.fake.Redeliveries()); n != 2 {
		t.Errorf("%d redeliveries into a receiver that is down, want 2 (a probe, and a second GUID that confirms it)", n)
	}
	if r.outputs["waiting"] != "12" || r.outputs["remaining"] != "12" || r.outputs["gave-up"] != "0" {
		t.Errorf("outputs %v, want all 12 waiting (the probes' GUIDs failed again), none given up", r.outputs)
	}
	if strings.Count(r.log, "::warning::") != 1 || !strings.Contains(r.log, "receiver down since 2026-11-21 03:30:00 UTC, 12 GUIDs waiting") {
		t.Errorf("no annotation saying the receiver is down:\n%s", r.log)
	}
	ds := h.fake.Dispatches()
	if len(ds) != 1 || !strings.Contains(string(ds[0].ClientPayload), `"summary":"receiver down since 2026-11-21T03:30:00Z, 12 GUIDs waiting"`) {
		t.Errorf("dispatches %d, want one whose payload says the receiver is down: %s", len(ds), ds)
	}
	checkGolden(t, "testdata/summary-receiver-down.golden.md", r.summary)
}

// checkGolden compares got with a golden file, rewriting it first with
// -update.
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("summary differs from %s (-want +got):\n%s", golden, diff)
	}
}
