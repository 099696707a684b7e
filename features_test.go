package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/notify"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
)

// TestActionAllHooks: hook-id all lists every webhook of the organization
// (more than one page of them) and keeps a checkpoint per hook.
func TestActionAllHooks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	const n = 130 // more than one page of 100
	for i := 1; i <= n; i++ {
		hook := fakegithub.OrgHook("acme", int64(1000+i))
		h.fake.AddHook(hook)
		if i%40 == 0 {
			h.add(hook, fmt.Sprint("failed-", i), 30, false, false)
		}
	}
	r := h.run(map[string]string{"org": "acme", "hook-id": "all", "token": fullToken, "checkpoint-variable": "ACME_HOOKS"})
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	// The org has hook 77 from the harness too.
	if got := h.count("GET", "/orgs/acme/hooks?") + h.count("GET", "/orgs/acme/hooks"); got < 2 {
		t.Errorf("hooks listed in %d requests, want the pages followed", got)
	}
	if diff := cmp.Diff(map[string]int{"failed-40": 1, "failed-80": 1, "failed-120": 1}, h.redelivered()); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s", diff)
	}
	for _, id := range []int{1001, 1040, 1130} {
		if _, ok := h.fake.Variable("acme", "ops", fmt.Sprintf("ACME_HOOKS_%d", id)); !ok {
			t.Errorf("no checkpoint for hook %d", id)
		}
	}
	if !strings.Contains(r.summary, "organization acme webhook 1130") {
		t.Error("the summary does not show each hook")
	}
}

// TestActionHookIDFromURL: a hook's settings URL pasted into hook-id works,
// and the log says which id was taken.
func TestActionHookIDFromURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	h.add(targets[1].hook, "a", 30, false, false)
	const pasted = "https://github.com/organizations/acme/settings/hooks/77?tab=deliveries"
	r := h.run(with(targets[1].inputs, "hook-id", pasted))
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	if diff := cmp.Diff(map[string]int{"a": 1}, h.redelivered()); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s", diff)
	}
	if want := "hook-id: took webhook id 77 (organization acme) from " + pasted; !strings.Contains(r.log, want) {
		t.Errorf("the log does not say %q:\n%s", want, r.log)
	}
}

// TestActionOneHookFailingDoesNotCostAnother: hook 404 fails (no such hook),
// hook 77 is handled and its checkpoint saved; the run exits non-zero.
func TestActionOneHookFailingDoesNotCostAnother(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	h.add(fakegithub.OrgHook("acme", 77), "a", 30, false, false)
	r := h.run(map[string]string{"org": "acme", "hook-id": "404\n77", "token": fullToken})
	if r.code == 0 {
		t.Fatal("exit 0 although a hook failed")
	}
	if diff := cmp.Diff(map[string]int{"a": 1}, h.redelivered()); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s", diff)
	}
	if _, ok := h.fake.Variable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77"); !ok {
		t.Error("the good hook's checkpoint was not saved")
	}
	if _, ok := h.fake.Variable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_404"); ok {
		t.Error("the failing hook got a checkpoint")
	}
	if !strings.Contains(r.log, "::error::") || !strings.Contains(r.log, "hook 404 not found") {
		t.Errorf("the failing hook is not reported:\n%s", r.log)
	}
}

func TestActionFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[1].hook
	add := func(guid, event, action string, code int) {
		status := fmt.Sprintf("Invalid HTTP Response: %d", code)
		if code == 0 {
			status = "timed out"
		}
		h.fake.AddDelivery(hook, fakegithub.Delivery{GUID: guid, Event: event, Action: action, DeliveredAt: start.Add(-time.Hour), Status: status, StatusCode: code})
	}
	add("push-503", "push", "", 503)
	add("push-timeout", "push", "", 0)
	add("push-404", "push", "", 404)
	add("push-429", "push", "", 429)
	add("pr-opened", "pull_request", "opened", 502)
	add("pr-closed", "pull_request", "closed", 502)
	add("issues", "issues", "opened", 500)
	r := h.run(with(targets[1].inputs, "events", "push, pull_request.opened", "exclude-status-codes", "400-407,409-424,426-428,430-499"))
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	want := map[string]int{"push-503": 1, "push-timeout": 1, "push-429": 1, "pr-opened": 1}
	if diff := cmp.Diff(want, h.redelivered()); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s", diff)
	}
	if r.outputs["skipped"] != "3" {
		t.Errorf("skipped = %s, want 3 (push-404, pr-closed, issues)", r.outputs["skipped"])
	}
	if !strings.Contains(r.summary, "the receiver answered 404 (exclude-status-codes)") || !strings.Contains(r.summary, "event not in the events input") {
		t.Errorf("the summary does not say why GUIDs were skipped:\n%s", r.summary)
	}

	// exclude-status-codes: none redelivers the 404 too.
	h2 := newHarness(t, "/api/v3", fakegithub.Faults{})
	h2.fake.AddDelivery(hook, fakegithub.Delivery{GUID: "push-404", DeliveredAt: start.Add(-time.Hour), Status: "Invalid HTTP Response: 404", StatusCode: 404})
	if r := h2.run(with(targets[1].inputs, "exclude-status-codes", "none")); r.code != 0 || h2.redelivered()["push-404"] != 1 {
		t.Errorf("exclude-status-codes none: exit %d, redeliveries %v", r.code, h2.redelivered())
	}
}

// TestActionRedeliversEveryFailureByDefault: with exclude-status-codes left
// empty, as action.yml leaves it, a delivery the receiver answered 404, 401
// or 403 (a route not deployed yet, a rotated secret, a WAF rule) is
// redelivered like any other failure.
func TestActionRedeliversEveryFailureByDefault(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[1].hook
	want := map[string]int{}
	for _, code := range []int{400, 401, 403, 404, 410, 422, 503} {
		guid := fmt.Sprint("push-", code)
		h.fake.AddDelivery(hook, fakegithub.Delivery{GUID: guid, Event: "push", DeliveredAt: start.Add(-time.Hour), Status: fmt.Sprintf("Invalid HTTP Response: %d", code), StatusCode: code})
		want[guid] = 1
	}
	r := h.run(targets[1].inputs)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	if diff := cmp.Diff(want, h.redelivered()); diff != "" {
		t.Errorf("redeliveries with the default inputs (-want +got):\n%s", diff)
	}
	if r.outputs["skipped"] != "0" || r.outputs["redelivered"] != "7" {
		t.Errorf("outputs skipped %s, redelivered %s; want 0 and 7", r.outputs["skipped"], r.outputs["redelivered"])
	}
	if strings.Contains(r.summary, "exclude-status-codes") {
		t.Errorf("the summary mentions exclude-status-codes, which was not set:\n%s", r.summary)
	}
}

// TestActionDispatchesWhenDeliveriesStayFailed checks the repository_dispatch
// payload: its shape, GitHub's limit of 10 top-level properties, the bounded
// list, and delivery ids as strings.
func TestActionDispatchesWhenDeliveriesStayFailed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := targets[1].hook
	for i := 0; i < 45; i++ {
		for a := 0; a < 3; a++ {
			h.fake.AddDelivery(hook, fakegithub.Delivery{GUID: fmt.Sprint("stuck-", i), Redelivery: a > 0, DeliveredAt: start.Add(-time.Duration(200-i*3-a) * time.Minute), Status: "timed out"})
		}
	}
	h.add(hook, "fresh", 10, false, false)
	// The receiver takes other deliveries meanwhile: the stuck ones are
	// poison, not an outage, so max-attempts applies.
	for m := 5; m < 240; m += 30 {
		h.add(hook, fmt.Sprint("live-", m), m, false, true)
	}
	r := h.runWith(t.Context(), with(targets[1].inputs, "max-attempts", "3", "dispatch-event-type", "webhook-deliveries-failed"), run.Deps{})
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	ds := h.fake.Dispatches()
	if len(ds) != 1 {
		t.Fatalf("%d dispatches, want 1", len(ds))
	}
	d := ds[0]
	if d.Owner != "acme" || d.Repo != "ops" || d.EventType != "webhook-deliveries-failed" {
		t.Errorf("dispatch = %s/%s %q", d.Owner, d.Repo, d.EventType)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(d.ClientPayload, &top); err != nil {
		t.Fatal(err)
	}
	if len(top) > 10 {
		t.Errorf("client_payload has %d top-level properties; GitHub allows 10", len(top))
	}
	var p notify.Payload
	if err := json.Unmarshal(d.ClientPayload, &p); err != nil {
		t.Fatal(err)
	}
	if p.Counts.GaveUp != 45 || p.Counts.Redelivered != 1 || len(p.Deliveries) != notify.MaxDeliveries || p.More != 15 {
		t.Errorf("payload counts %+v, %d deliveries listed, %d more", p.Counts, len(p.Deliveries), p.More)
	}
	if p.RunURL != "https://github.com/acme/ops/actions/runs/4242" {
		t.Errorf("run_url = %q", p.RunURL)
	}
	if !strings.Contains(string(top["deliveries"]), `"delivery_id":"38`) {
		t.Errorf("delivery ids are not strings: %s", top["deliveries"])
	}

	// Nothing left failed: no dispatch.
	h2 := newHarness(t, "/api/v3", fakegithub.Faults{})
	h2.add(hook, "x", 10, false, false)
	if r := h2.run(with(targets[1].inputs, "dispatch-event-type", "webhook-deliveries-failed")); r.code != 0 || len(h2.fake.Dispatches()) != 0 {
		t.Errorf("exit %d, %d dispatches; want none when everything was redelivered", r.code, len(h2.fake.Dispatches()))
	}
}

// TestActionReportsProgress: long work says how far it got. Listing 100
// pages at 200 ms a request takes 20 s: the log says at least once a 10 s
// how many pages and deliveries it has read and how far back; redeliveries
// say "n of N" with the time left. Plain lines, no terminal control codes:
// the Actions log and a journal show them as they are.
func TestActionReportsProgress(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{Latency: 200 * time.Millisecond})
	hook := targets[1].hook
	for i := range 10_000 {
		d := fakegithub.Delivery{GUID: fmt.Sprint("g", i), DeliveredAt: start.Add(-time.Duration(10_000-i) * 8 * time.Second), Event: "push", Status: "OK", StatusCode: 200}
		if i%500 == 7 {
			d.Status, d.StatusCode = "timed out", 0
		}
		h.fake.AddDelivery(hook, d)
	}
	r := h.run(targets[1].inputs)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	progress := regexp.MustCompile(`(?m)^reading organization acme webhook 77: [0-9]+ pages, [0-9]+ deliveries in the window so far, back to 2026-11-2[01] [0-9:]+ UTC$`).FindAllString(r.log, -1)
	if len(progress) < 1 {
		t.Errorf("no progress line while listing 100 pages for 20 s:\n%s", r.log)
	}
	if !strings.Contains(r.log, "[1 of 20]") || !regexp.MustCompile(`\[19 of 20, about [0-9]+s left\]`).MatchString(r.log) {
		t.Errorf("redeliveries do not say n of N with the time left:\n%s", r.log)
	}
	if strings.ContainsAny(r.log, "\r\x1b") {
		t.Error("the log holds terminal control codes")
	}
	t.Logf("%d progress lines while listing, e.g. %q", len(progress), progress[0])
}
