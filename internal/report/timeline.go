package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// The timeline shows an outage at a glance: failed GUIDs per hour of the
// window, counted by when each first failed, as a row of block characters
// with an hour axis under it. Plain text in a fenced code block, so it
// reads the same in the Actions UI, in a terminal, in a cron mail and
// wherever Markdown is not rendered; and it is two lines of at most
// maxColumns cells whatever the window and the number of failures, so it
// costs nothing of the summary's 1 MiB.

// maxColumns bounds the row: longer windows are bucketed per 2, 3, 6, 12
// hours or per days, so the row and its axis stay under 80 columns.
const maxColumns = 74

// sparkLevels are the bar heights, lowest first; a bucket without failures
// is sparkZero, so an hour with one failure still shows.
var sparkLevels = []rune("▁▂▃▄▅▆▇█")

const sparkZero = '·'

// timeline is the failures of one window, bucketed.
type timeline struct {
	from, to time.Time     // the window, UTC
	start    time.Time     // the first bucket's start, a multiple of step
	step     time.Duration // a bucket's length
	counts   []int
	total    int
	peak     int // the largest count, at counts[peakAt]
	peakAt   int
	partial  bool // the listing did not finish: older failures may be missing
}

// newTimeline buckets res's failures by the time each first failed
// (Failure.Oldest). It returns false when the window is unknown.
func newTimeline(res *redeliver.Result) (*timeline, bool) {
	from, to := res.Since.UTC(), res.Until.UTC()
	if from.IsZero() || !to.After(from) {
		return nil, false
	}
	step := bucketFor(from, to)
	tl := &timeline{from: from, to: to, start: from.Truncate(step), step: step, partial: !res.Listed}
	tl.counts = make([]int, buckets(tl.start, to, step))
	for _, f := range res.Failures {
		at := f.Oldest
		if at.IsZero() {
			at = f.Latest.DeliveredAt
		}
		// An attempt listed a moment after the window's end, or an
		// overlap's, goes to the nearest bucket.
		i := min(max(int(at.Sub(tl.start)/step), 0), len(tl.counts)-1)
		tl.counts[i]++
		tl.total++
	}
	for i, n := range tl.counts {
		if n > tl.peak {
			tl.peak, tl.peakAt = n, i
		}
	}
	return tl, true
}

// bucketFor picks the shortest bucket that fits the window in maxColumns:
// an hour for up to three days, then 2, 3, 6 or 12 hours, then whole days.
func bucketFor(from, to time.Time) time.Duration {
	for _, h := range []time.Duration{1, 2, 3, 6, 12, 24} {
		if step := h * time.Hour; buckets(from.Truncate(step), to, step) <= maxColumns {
			return step
		}
	}
	days := time.Duration(to.Sub(from)/(24*time.Hour))/maxColumns + 1
	for buckets(from.Truncate(days*24*time.Hour), to, days*24*time.Hour) > maxColumns {
		days++
	}
	return days * 24 * time.Hour
}

// buckets is how many buckets of step from start cover the time up to end.
func buckets(start, end time.Time, step time.Duration) int {
	return max(1, int((end.Sub(start)+step-1)/step))
}

// title says what the row shows, in words: the bucket, the window, the
// peak and the total.
func (tl *timeline) title() string {
	unit := "hour"
	switch h := int(tl.step / time.Hour); {
	case h == 24:
		unit = "day"
	case h%24 == 0:
		unit = fmt.Sprintf("%d days", h/24)
	case h > 1:
		unit = fmt.Sprintf("%d hours", h)
	}
	s := fmt.Sprintf("Failures per %s, %s → %s UTC, peak %s at %s (%s in all)",
		unit, tl.from.Format("2006-01-02 15:04"), tl.to.Format("2006-01-02 15:04"),
		thousands(tl.peak), tl.bucketName(tl.peakAt), thousands(tl.total))
	if tl.partial {
		s += "; the listing did not finish, so older failures may be missing"
	}
	return s
}

// bucketName names bucket i: "14:00" inside one day's window, else with its
// date; a bucket longer than an hour with its end.
func (tl *timeline) bucketName(i int) string {
	b := tl.start.Add(time.Duration(i) * tl.step)
	layout := "2006-01-02 15:04"
	if tl.from.YearDay() == tl.to.Add(-time.Nanosecond).YearDay() && tl.from.Year() == tl.to.Year() {
		layout = "15:04"
	}
	switch {
	case tl.step == time.Hour:
		return b.Format(layout)
	case tl.step%(24*time.Hour) == 0:
		return b.Format("2006-01-02")
	}
	return b.Format(layout) + "–" + b.Add(tl.step).Format("15:04")
}

// spark is the row: one cell per bucket.
func (tl *timeline) spark() string {
	var b strings.Builder
	for _, n := range tl.counts {
		if n == 0 {
			b.WriteRune(sparkZero)
			continue
		}
		// The height is n/peak rounded up, so the peak is full and any
		// failure shows.
		b.WriteRune(sparkLevels[(n*len(sparkLevels)-1)/tl.peak])
	}
	return b.String()
}

// axis labels the row: the hour ("06", "12") every few cells, and the date
// ("11-21") where the day changes.
func (tl *timeline) axis() string {
	tick := tl.tick()
	row := []rune(strings.Repeat(" ", len(tl.counts)+len("01-02")))
	next := 0 // the first free cell
	for i := range tl.counts {
		b := tl.start.Add(time.Duration(i) * tl.step)
		if i < next || !b.Truncate(tick).Equal(b) {
			continue
		}
		label := b.Format("15")
		if b.Hour() == 0 || tick >= 24*time.Hour {
			label = b.Format("01-02")
		}
		copy(row[i:], []rune(label))
		next = i + len(label) + 1
	}
	if next == 0 { // a window too short for a tick: name its hour
		copy(row, []rune(tl.start.Format("15")))
	}
	return strings.TrimRight(string(row), " ")
}

// tick is how often the axis has a label: at least six cells apart, on
// hours that divide a day (6, 12) or on whole days.
func (tl *timeline) tick() time.Duration {
	for _, h := range []time.Duration{6, 12, 24, 48, 72, 168} {
		if h*time.Hour >= 6*tl.step {
			return h * time.Hour
		}
	}
	return 6 * tl.step
}

// markdownTimeline writes the timeline for the job summary: the title, and
// the row and its axis in a code block so they render monospace.
func markdownTimeline(b *strings.Builder, res *redeliver.Result) {
	tl, ok := newTimeline(res)
	switch {
	case !ok:
		return
	case tl.total == 0:
		b.WriteString("\nNo failed deliveries in the window.\n")
		return
	}
	fmt.Fprintf(b, "\n%s:\n\n```text\n%s\n%s\n```\n", esc(tl.title()), tl.spark(), tl.axis())
}

// textTimeline writes the timeline for the command line's report, indented
// as the rest of it.
func textTimeline(b *strings.Builder, res *redeliver.Result) {
	tl, ok := newTimeline(res)
	switch {
	case !ok:
		return
	case tl.total == 0:
		b.WriteString("  No failed deliveries in the window.\n")
		return
	}
	fmt.Fprintf(b, "  %s:\n    %s\n    %s\n", tl.title(), tl.spark(), tl.axis())
}
