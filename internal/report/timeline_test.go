package report

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("differs from %s (-want +got):\n%s", path, diff)
	}
}

// failuresAt makes n failed GUIDs that first failed at t, spread over the
// minute that follows it.
func failuresAt(t time.Time, n int, seq *int) []*redeliver.Failure {
	var out []*redeliver.Failure
	for range n {
		*seq++
		first := t.Add(time.Duration(*seq%60) * time.Second)
		out = append(out, &redeliver.Failure{
			GUID:   fmt.Sprintf("%08d-0000-4000-8000-000000000000", *seq),
			Oldest: first,
			Latest: redeliver.Delivery{ID: 3804004623172239366 + int64(*seq), DeliveredAt: first.Add(20 * time.Minute),
				Status: "Invalid HTTP Response: 502", StatusCode: 502, Event: "push"},
			Failed: redeliver.Delivery{ID: 3804004623172239366 + int64(*seq), DeliveredAt: first.Add(20 * time.Minute),
				Status: "Invalid HTTP Response: 502", StatusCode: 502, Event: "push"},
			Attempts: 2, Complete: true, Outcome: redeliver.Delivered,
		})
	}
	return out
}

// outage is a day's window with a receiver down from 13:00 to 17:00, and a
// few failures before and after.
func outage() *redeliver.Result {
	since := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	res := &redeliver.Result{Target: redeliver.Target{Org: "acme", HookID: 77}, Since: since, Until: since.Add(24 * time.Hour), Listed: true, Pages: 31, Scanned: 3012}
	seq := 0
	// Hours after the window's start, and the GUIDs that first failed in
	// them, oldest first as a pass lists them.
	for _, hn := range [][2]int{{2, 1}, {7, 12}, {8, 57}, {9, 41}, {10, 30}, {11, 6}, {16, 2}, {21, 1}} {
		res.Failures = append(res.Failures, failuresAt(since.Add(time.Duration(hn[0])*time.Hour+7*time.Minute), hn[1], &seq)...)
	}
	return res
}

// TestTimelineGolden pins the timeline as a person sees it, in the job
// summary and in the command line's report, for the windows a run meets.
func TestTimelineGolden(t *testing.T) {
	t.Parallel()
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }
	seq := 0
	week := &redeliver.Result{Since: at(14, 6, 0), Until: at(21, 6, 0), Listed: true}
	for d := range 7 {
		week.Failures = append(week.Failures, failuresAt(at(14+d, 9, 30), 3, &seq)...)
	}
	week.Failures = append(week.Failures, failuresAt(at(18, 2, 0), 200, &seq)...)
	week.Failures = append(week.Failures, failuresAt(at(18, 5, 0), 120, &seq)...)
	month := &redeliver.Result{Since: at(1, 0, 0).AddDate(0, -1, 0), Until: at(21, 6, 0), Listed: true}
	month.Failures = append(month.Failures, failuresAt(at(3, 12, 0), 40, &seq)...)
	partial := &redeliver.Result{Since: at(20, 6, 0), Until: at(21, 6, 0)}
	partial.Failures = failuresAt(at(21, 4, 0), 5, &seq)

	for _, tt := range []struct {
		name string
		res  *redeliver.Result
	}{
		{"outage-24h", outage()},
		{"week-3h-buckets", week},
		{"7-weeks-daily", month},
		{"within-an-hour", &redeliver.Result{Since: at(21, 5, 10), Until: at(21, 5, 40), Listed: true, Failures: failuresAt(at(21, 5, 20), 2, &seq)}},
		{"checkpoint-mid-hour", &redeliver.Result{Since: at(20, 23, 55), Until: at(21, 6, 0).Add(59 * time.Second), Listed: true, Failures: failuresAt(at(21, 1, 0), 1, &seq)}},
		{"listing-unfinished", partial},
		{"no-failures", &redeliver.Result{Since: at(20, 6, 0), Until: at(21, 6, 0), Listed: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var md, text strings.Builder
			markdownTimeline(&md, tt.res)
			textTimeline(&text, tt.res)
			golden(t, "timeline-"+tt.name+".golden", "Markdown:\n"+md.String()+"\nText:\n"+text.String())
			for _, line := range strings.Split(md.String()+text.String(), "\n") {
				if strings.HasPrefix(line, "Failures per") || strings.HasPrefix(line, "  Failures per") {
					continue // the title, in words
				}
				if n := utf8.RuneCountInString(line); n > 80 {
					t.Errorf("%d columns, want at most 80: %q", n, line)
				}
			}
		})
	}
}

// TestReportGolden pins a whole job summary and text report of an outage.
func TestReportGolden(t *testing.T) {
	t.Parallel()
	res := outage()
	saved := res.Failures[0].Oldest // held at the oldest GUID in play
	res.Store, res.Previous, res.Saved = "variable REDELIVER_ORG_ACME_HOOK_77 in acme/ops", res.Since, saved
	run := &Run{Hooks: []Hook{{Target: res.Target, Result: res}}}
	golden(t, "outage.golden.md", run.Markdown())
	golden(t, "outage.golden.txt", run.Text())
}

// TestTimelineBuckets: the row fits in 80 columns for any window, with
// hourly buckets up to three days, and counts every failure once.
func TestTimelineBuckets(t *testing.T) {
	t.Parallel()
	until := time.Date(2026, 11, 21, 6, 0, 30, 0, time.UTC)
	for _, tt := range []struct {
		window time.Duration
		step   time.Duration
	}{
		{time.Minute, time.Hour},
		{24 * time.Hour, time.Hour},
		{72 * time.Hour, time.Hour},
		{75 * time.Hour, 2 * time.Hour},
		{7 * 24 * time.Hour, 3 * time.Hour},
		{14 * 24 * time.Hour, 6 * time.Hour},
		{30 * 24 * time.Hour, 12 * time.Hour},
		{60 * 24 * time.Hour, 24 * time.Hour},
		{365 * 24 * time.Hour, 5 * 24 * time.Hour},
	} {
		res := &redeliver.Result{Since: until.Add(-tt.window), Until: until, Listed: true}
		// One failure in each hour, one before the window (an overlap's)
		// and one after it (listed a moment after it began).
		seq := 0
		for at := res.Since.Add(-time.Minute); at.Before(until.Add(2 * time.Minute)); at = at.Add(time.Hour) {
			res.Failures = append(res.Failures, failuresAt(at, 1, &seq)...)
		}
		tl, ok := newTimeline(res)
		if !ok {
			t.Fatalf("%s: no timeline", tt.window)
		}
		if tl.step != tt.step {
			t.Errorf("%s window: buckets of %s, want %s", tt.window, tl.step, tt.step)
		}
		if n := utf8.RuneCountInString(tl.spark()); n != len(tl.counts) || n > maxColumns {
			t.Errorf("%s window: %d cells for %d buckets, want at most %d", tt.window, n, len(tl.counts), maxColumns)
		}
		if n := utf8.RuneCountInString(tl.axis()); n > 80 {
			t.Errorf("%s window: axis of %d columns: %q", tt.window, n, tl.axis())
		}
		if tl.total != len(res.Failures) {
			t.Errorf("%s window: counted %d of %d failures", tt.window, tl.total, len(res.Failures))
		}
	}
}

// TestTimelineStaysSmall: a week's window with 100,000 failures renders a
// timeline of two short lines, and the summary stays far under 1 MiB.
func TestTimelineStaysSmall(t *testing.T) {
	t.Parallel()
	until := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	res := &redeliver.Result{Target: redeliver.Target{Org: "acme", HookID: 7}, Since: until.Add(-7 * 24 * time.Hour), Until: until, Listed: true}
	const n = 100_000
	for i := range n {
		at := res.Since.Add(time.Duration(i) * (7 * 24 * time.Hour) / n)
		res.Failures = append(res.Failures, &redeliver.Failure{GUID: fmt.Sprint(i), Oldest: at, Latest: redeliver.Delivery{DeliveredAt: at, Status: "timed out", Event: "push"}})
	}
	var b strings.Builder
	markdownTimeline(&b, res)
	if size := b.Len(); size > 1024 {
		t.Errorf("timeline of %d bytes:\n%s", size, b.String())
	}
	if !strings.Contains(b.String(), "(100,000 in all)") {
		t.Errorf("the title does not count every failure:\n%s", b.String())
	}
	md := (&Run{Hooks: []Hook{{Target: res.Target, Result: res}}}).Markdown()
	if size := len(md); size > 512<<10 {
		t.Errorf("summary of %d bytes with %d failures; want well under GitHub's 1 MiB", size, n)
	}
	text := (&Run{Hooks: []Hook{{Target: res.Target, Result: res}}}).Text()
	if size := len(text); size > 4096 {
		t.Errorf("text report of %d bytes", size)
	}
}
