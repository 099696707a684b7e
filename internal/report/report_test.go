package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// TestMarkdownStaysFarUnderTheStepLimit: GitHub refuses a job summary over
// 1 MiB per step, so the failure table is capped with "and N more".
func TestMarkdownStaysFarUnderTheStepLimit(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	res := &redeliver.Result{Target: redeliver.Target{Org: "acme", HookID: 7}, Since: t0.Add(-time.Hour), Until: t0, Listed: true, Pages: 1000, Scanned: 99999}
	const n = 20000
	for i := 0; i < n; i++ {
		res.Failures = append(res.Failures, &redeliver.Failure{
			GUID: fmt.Sprintf("%08d-0000-0000-0000-000000000000", i),
			Latest: redeliver.Delivery{ID: 3804004623172239366 + int64(i), DeliveredAt: t0, Status: strings.Repeat("x", 200), StatusCode: 502,
				Event: "pull_request_review_comment", Action: "created"}, Failed: redeliver.Delivery{ID: 3804004623172239366 + int64(i), DeliveredAt: t0, Status: strings.Repeat("x", 200), StatusCode: 502,
				Event: "pull_request_review_comment", Action: "created"},
			Attempts: 3, Complete: true, Outcome: redeliver.Refused, Detail: strings.Repeat("y", 200),
		})
	}
	md := (&Run{Hooks: []Hook{{Target: res.Target, Result: res}}}).Markdown()
	if size := len(md); size > 512<<10 {
		t.Errorf("summary is %d bytes with %d failures; want well under GitHub's 1 MiB", size, n)
	}
	if rows := strings.Count(md, "\n| pull_request_review_comment.created |"); rows != MaxRows {
		t.Errorf("%d table rows, want %d", rows, MaxRows)
	}
	if want := fmt.Sprintf("and %s more", thousands(n-MaxRows)); !strings.Contains(md, want) {
		t.Errorf("summary does not say %q", want)
	}
}

func TestEscapeKeepsRowsIntact(t *testing.T) {
	t.Parallel()
	if got := esc("a|b\nc<script>`x`"); got != `a\|b c&lt;script&gt;'x'` {
		t.Errorf("esc = %q", got)
	}
}

// A simulated run says so in every title, in each format.
func TestSimulatedSaysSoInEveryTitle(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	run := &Run{Simulated: true}
	for _, id := range []int64{1, 2} {
		run.Hooks = append(run.Hooks, Hook{Target: redeliver.Target{Org: "acme", HookID: id}, Result: &redeliver.Result{Since: t0.Add(-time.Hour), Until: t0, Listed: true}})
	}
	md := run.Markdown()
	// Two webhooks: the overview and each one's details.
	if n := strings.Count(md, "## SIMULATED "); n != 3 || strings.Count(md, "## ") != 3 {
		t.Errorf("%d SIMULATED titles in:\n%s", n, md)
	}
	if n := strings.Count(run.Text(), "SIMULATED"); n != 3 {
		t.Errorf("%d SIMULATED lines in:\n%s", n, run.Text())
	}
	if b, err := run.JSON(); err != nil || !strings.Contains(string(b), `"simulated":true`) {
		t.Errorf("JSON %s, %v", b, err)
	}
}
