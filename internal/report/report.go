// Package report renders what a run did: the job summary a person reads in
// the Actions UI, the step outputs a workflow reads, and the plain-text or
// JSON report of the command line.
package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// MaxRows caps the failure table of the summary so it stays far below
// GitHub's 1 MiB per step (a row is about 200 bytes).
const MaxRows = 500

// Run is what one invocation did, for every hook it handled.
type Run struct {
	DryRun bool
	// Simulated marks a run against the built-in simulated GitHub (the
	// demo): every title says SIMULATED, so that a copied report can never
	// pass for a real one.
	Simulated bool
	Hooks     []Hook
}

// Hook is what was done for one webhook.
type Hook struct {
	Target     redeliver.Target
	Result     *redeliver.Result // nil if the pass never started
	Store      string            // where the checkpoint lives
	Previous   time.Time         // stored checkpoint; zero on the first run
	Saved      time.Time         // checkpoint written; zero if none was
	Notes      []string          // warnings worth showing next to the numbers
	Err        error
	SinceInput bool // the window start came from the since input
}

// Totals adds up the hooks.
type Totals struct {
	Scanned, Failed, Redelivered, WouldRedeliver, Skipped, GaveUp, Expired, Remaining, Errors int
}

// Totals returns the sums over all hooks.
func (r *Run) Totals() Totals {
	var t Totals
	for _, h := range r.Hooks {
		if h.Err != nil {
			t.Errors++
		}
		if h.Result == nil {
			continue
		}
		c := counts(h.Result)
		t.Scanned += h.Result.Scanned
		t.Failed += len(h.Result.Failures)
		t.Redelivered += c.redelivered
		t.WouldRedeliver += c.would
		t.Skipped += c.skipped
		t.GaveUp += c.gaveUp
		t.Expired += c.expired
		t.Remaining += c.remaining
	}
	return t
}

type outcomeCounts struct {
	redelivered, would, skipped, gaveUp, expired, remaining, unknown, refused, notAttempted int
}

func counts(r *redeliver.Result) outcomeCounts {
	var c outcomeCounts
	for _, f := range r.Failures {
		switch f.Outcome {
		case redeliver.Redelivered:
			c.redelivered++
		case redeliver.WouldRedeliver:
			c.would++
		case redeliver.Skipped:
			c.skipped++
		case redeliver.GaveUp:
			c.gaveUp++
		case redeliver.Expired:
			c.expired++
		case redeliver.Unknown:
			c.unknown++
			c.remaining++
		case redeliver.Refused:
			c.refused++
			c.remaining++
		default:
			c.notAttempted++
			c.remaining++
		}
	}
	return c
}

// Outputs returns the step outputs.
func (r *Run) Outputs() map[string]string {
	t := r.Totals()
	out := map[string]string{
		"scanned":     strconv.Itoa(t.Scanned),
		"failed":      strconv.Itoa(t.Failed),
		"redelivered": strconv.Itoa(t.Redelivered),
		"skipped":     strconv.Itoa(t.Skipped),
		"gave-up":     strconv.Itoa(t.GaveUp),
		"remaining":   strconv.Itoa(t.Remaining),
		"since":       "",
		"checkpoint":  "",
	}
	// With several hooks the window and checkpoint are the earliest ones:
	// the conservative answer to "from when on is everything handled".
	var since, cp time.Time
	for _, h := range r.Hooks {
		if h.Result != nil && (since.IsZero() || h.Result.Since.Before(since)) {
			since = h.Result.Since
		}
		if !h.Saved.IsZero() && (cp.IsZero() || h.Saved.Before(cp)) {
			cp = h.Saved
		}
	}
	if !since.IsZero() {
		out["since"] = since.UTC().Format(time.RFC3339)
	}
	if !cp.IsZero() {
		out["checkpoint"] = cp.UTC().Format(time.RFC3339)
	}
	return out
}

// Markdown renders the job summary.
func (r *Run) Markdown() string {
	var b strings.Builder
	for i, h := range r.Hooks {
		if i > 0 {
			b.WriteString("\n")
		}
		r.hookMarkdown(&b, h)
	}
	return b.String()
}

func (r *Run) hookMarkdown(b *strings.Builder, h Hook) {
	if r.Simulated {
		fmt.Fprintf(b, "## SIMULATED webhook redelivery: %s\n\n", esc(h.Target.String()))
		b.WriteString("> [!NOTE]\n> SIMULATED: a demo against a simulated GitHub on 127.0.0.1 (`hook-redeliver --demo`). No real webhook was read and nothing was redelivered.\n\n")
	} else {
		fmt.Fprintf(b, "## Webhook redelivery: %s\n\n", esc(h.Target.String()))
	}
	res := h.Result
	if res == nil {
		fmt.Fprintf(b, "**Failed before any delivery was read:** %s\n\n", esc(errText(h.Err)))
		return
	}
	c := counts(res)
	fmt.Fprintf(b, "%s\n\n", headline(r.DryRun, h, c))
	if h.Err != nil {
		fmt.Fprintf(b, "> [!CAUTION]\n> %s\n\n", esc(errText(h.Err)))
	}
	for _, n := range h.Notes {
		fmt.Fprintf(b, "> [!WARNING]\n> %s\n\n", esc(n))
	}
	b.WriteString("| | |\n|---|---|\n")
	window := fmt.Sprintf("%s → %s", day(res.Since), day(res.Until))
	if !res.Listed {
		window = fmt.Sprintf("%s → (listing did not finish)", day(res.Since))
	}
	if h.SinceInput {
		window += " (from the since input)"
	}
	fmt.Fprintf(b, "| Window (UTC) | %s |\n", window)
	fmt.Fprintf(b, "| Deliveries read | %s in %s |\n", thousands(res.Scanned), plural(res.Pages, "page"))
	fmt.Fprintf(b, "| GUIDs without a successful attempt | %s |\n", thousands(len(res.Failures)))
	rows := []struct {
		label string
		n     int
	}{
		{"Redelivered", c.redelivered},
		{"Would redeliver (dry run)", c.would},
		{"Outcome unknown (checked next run)", c.unknown},
		{"Refused by GitHub", c.refused},
		{"Left for the next run", c.notAttempted},
		{"Gave up (max-attempts)", c.gaveUp},
		{"Expired (past GitHub's retention)", c.expired},
		{"Skipped (filters)", c.skipped},
	}
	for _, row := range rows {
		if row.n > 0 {
			fmt.Fprintf(b, "| %s | %s |\n", row.label, thousands(row.n))
		}
	}
	if res.Stopped != "" {
		fmt.Fprintf(b, "| Stopped early | %s |\n", esc(res.Stopped))
	}
	prev := "none (first run)"
	if !h.Previous.IsZero() {
		prev = day(h.Previous)
	}
	next := "unchanged"
	switch {
	case r.DryRun:
		next = "unchanged (dry run)"
	case !h.Saved.IsZero():
		next = day(h.Saved)
		if h.Saved.Before(res.Until) && len(res.Failures) > 0 {
			// Otherwise a checkpoint hours before the window's end looks
			// like a bug.
			next += ", held at the oldest GUID still in play so the next run sees how its redelivery went"
		}
	}
	fmt.Fprintf(b, "| Checkpoint | %s → %s (%s) |\n", prev, next, esc(h.Store))
	markdownTimeline(b, res)

	if len(res.Failures) == 0 {
		return
	}
	b.WriteString("\n| Event | Last failure | Failed at (UTC) | Attempts | Delivery | GUID | Done |\n|---|---|---|---:|---|---|---|\n")
	for i, f := range res.Failures {
		if i == MaxRows {
			fmt.Fprintf(b, "\nand %s more (all of them are in the log).\n", thousands(len(res.Failures)-MaxRows))
			break
		}
		attempts := strconv.Itoa(f.Attempts)
		if !f.Complete {
			attempts += "+"
		}
		done := string(f.Outcome)
		if f.Detail != "" {
			done += ": " + f.Detail
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d | `%s` | %s |\n",
			esc(f.EventName()), esc(failure(f.Latest)), day(f.Latest.DeliveredAt), attempts, f.Latest.ID, esc(f.GUID), esc(done))
	}
}

func headline(dryRun bool, h Hook, c outcomeCounts) string {
	switch {
	case h.Err != nil:
		return "❌ **The run failed.** What it did before that is below; the checkpoint was only moved past deliveries that were fully handled."
	case dryRun:
		return fmt.Sprintf("🔎 **Dry run:** %d GUIDs would be redelivered. Nothing was redelivered and the checkpoint was not changed.", c.would)
	case len(h.Result.Failures) == 0:
		return "✅ **No failed deliveries.**"
	case c.remaining > 0:
		return fmt.Sprintf("⚠️ **Redelivered %d; %d left for the next run.**", c.redelivered, c.remaining)
	case c.gaveUp+c.expired > 0:
		return fmt.Sprintf("⚠️ **Redelivered %d; %d given up or expired.**", c.redelivered, c.gaveUp+c.expired)
	}
	return fmt.Sprintf("✅ **Redelivered %d.**", c.redelivered)
}

func failure(d redeliver.Delivery) string {
	switch {
	case d.StatusCode != 0 && d.Status != "" && !strings.Contains(d.Status, strconv.Itoa(d.StatusCode)):
		return fmt.Sprintf("%d %s", d.StatusCode, d.Status)
	case d.Status != "":
		return d.Status
	}
	return strconv.Itoa(d.StatusCode)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// esc keeps text from GitHub (statuses, event names) from breaking a table
// row or injecting markup.
func esc(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "`", "'")
	return r.Replace(s)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}
