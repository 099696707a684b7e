package report

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

func TestPlanOutputs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name              string
		run               *Run
		wantMatrix, count string
	}{
		{"not a plan", &Run{}, "", ""},
		{"a plan", &Run{Plan: &Plan{Matrix: `{"include":[{"name":"acme","leg":"{}"}]}`, Legs: []PlanLeg{{Name: "acme", Webhooks: 2}}}}, `{"include":[{"name":"acme","leg":"{}"}]}`, "1"},
		{"an empty plan", &Run{Plan: &Plan{Matrix: `{"include":[]}`}}, `{"include":[]}`, "0"},
	} {
		out := tt.run.Outputs()
		if out["matrix"] != tt.wantMatrix || out["count"] != tt.count {
			t.Errorf("%s: matrix %q count %q, want %q and %q", tt.name, out["matrix"], out["count"], tt.wantMatrix, tt.count)
		}
	}
	md := (&Run{Plan: &Plan{Legs: []PlanLeg{{Name: "acme", Installations: []string{"acme (installation 7)"}, Webhooks: 2}},
		Problems: []string{"widgets (installation 9): lacks Webhooks"}}}).Markdown()
	for _, want := range []string{"plan: 2 webhooks in 1 leg", "| `acme` | acme (installation 7) | 2 |", "> widgets (installation 9): lacks Webhooks"} {
		if !strings.Contains(md, want) {
			t.Errorf("plan summary lacks %q:\n%s", want, md)
		}
	}
}

// A run over many webhooks opens with the totals and a line per webhook,
// and stays under GitHub's 1 MiB a step however many there are.
func TestManyWebhooksSummary(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	run := &Run{Notes: []string{"alice (installation 3) is a user account: left out"}}
	const n = 1000
	for i := range n {
		tg := redeliver.Target{Org: fmt.Sprintf("org-%04d", i), HookID: int64(1000 + i)}
		res := &redeliver.Result{Target: tg, Since: t0.Add(-time.Hour), Until: t0, Listed: true, Pages: 3, Scanned: 250, Saved: t0}
		for g := range 30 {
			res.Failures = append(res.Failures, &redeliver.Failure{GUID: fmt.Sprintf("%04d-%04d", i, g),
				Failed: redeliver.Delivery{ID: int64(g), DeliveredAt: t0, Status: strings.Repeat("x", 100), StatusCode: 502, Event: "push"}, Attempts: 1, Complete: true,
				Outcome: redeliver.Delivered})
		}
		run.Hooks = append(run.Hooks, Hook{Target: tg, Result: res})
	}
	run.Hooks = append(run.Hooks, Hook{Target: redeliver.Target{Org: "widgets"}, Err: errors.New("installation 9 lacks Webhooks: read and write")})
	md := run.Markdown()
	if len(md) > summaryBudget+64<<10 {
		t.Errorf("summary of %d webhooks is %d bytes, want at most about %d", n, len(md), summaryBudget)
	}
	for _, want := range []string{
		"## Webhook redelivery: 1,001 webhooks",
		"❌ **1 of 1,001 webhooks failed.** Redelivered 30,000 of 30,000 failed GUIDs",
		"> alice (installation 3) is a user account: left out",
		"| organization org-0999 webhook 1999 | ✅ | 30 | 30 | 0 | 2026-11-21 06:00:00 |",
		"| org widgets | ❌ installation 9 lacks Webhooks: read and write | — | — | — | — |",
		"more are in the log",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if !strings.Contains(run.Text(), "org widgets") || !strings.HasPrefix(run.Text(), "1,001 webhooks: 30,000 failed GUIDs, 30,000 redelivered, 0 left, 1 with errors") {
		t.Errorf("text report opens with:\n%s", run.Text()[:300])
	}
}

// TestManyWebhooksOverviewBounded: the line a webhook of the overview stays
// within the summary's budget however many webhooks a job handles.
func TestManyWebhooksOverviewBounded(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	run := &Run{}
	const n = 12_000
	for i := range n {
		tg := redeliver.Target{Org: fmt.Sprintf("org-%05d", i), HookID: int64(100_000 + i)}
		run.Hooks = append(run.Hooks, Hook{Target: tg, Result: &redeliver.Result{Target: tg, Since: t0.Add(-time.Hour), Until: t0, Listed: true, Pages: 1, Saved: t0}})
	}
	md := run.Markdown()
	if len(md) > summaryBudget+64<<10 {
		t.Errorf("summary of %d webhooks is %d bytes, want at most about %d", n, len(md), summaryBudget)
	}
	if !regexp.MustCompile(`and [0-9,]+ more webhooks, all of them in the log`).MatchString(md) {
		t.Error("the overview does not say how many webhooks it left out")
	}
	// The README's figures are these budgets.
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("the lines for as many webhooks as fit in %d KiB, and the details for as many as fit in %d KiB in all", overviewBudget>>10, summaryBudget>>10); !strings.Contains(string(b), want) {
		t.Errorf("README.md does not say %q", want)
	}
}
