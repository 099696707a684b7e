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
	// Notes are what a run over many targets says beside its hooks: the
	// installations it left out, and why.
	Notes []string
	// Plan is what a plan found; nil unless the run only planned.
	Plan *Plan
}

// Hook is what was done for one webhook.
type Hook struct {
	Target redeliver.Target
	Result *redeliver.Result // nil if the pass never started
	Err    error
}

// Totals adds up the hooks.
type Totals struct {
	Scanned, Failed, Redelivered, WouldRedeliver, Skipped, GaveUp, Expired, Remaining, Waiting, Errors int
}

// Totals returns the sums over all hooks. Redelivered counts what GitHub
// performed: requests it accepted, and those without a clear answer whose
// new attempt was seen.
func (r *Run) Totals() Totals {
	var t Totals
	for _, h := range r.Hooks {
		if h.Err != nil {
			t.Errors++
		}
		if h.Result == nil {
			continue
		}
		t.Scanned += h.Result.Scanned
		t.Waiting += h.Result.Waiting()
		t.Failed += len(h.Result.Failures)
		for _, f := range h.Result.Failures {
			switch o := f.Outcome; {
			case o.Sent():
				t.Redelivered++
			case o == redeliver.WouldRedeliver:
				t.WouldRedeliver++
			case o == redeliver.Skipped:
				t.Skipped++
			case o == redeliver.GaveUp:
				t.GaveUp++
			case o == redeliver.Expired:
				t.Expired++
			}
			if f.Outcome.Remaining() {
				t.Remaining++
			}
		}
	}
	return t
}

// NeedsAttention reports whether a person should hear of the run: a hook
// failed, or a GUID was given up, lost or still fails.
func (r *Run) NeedsAttention() bool {
	for _, h := range r.Hooks {
		if h.Err != nil {
			return true
		}
		if h.Result == nil {
			continue
		}
		for _, f := range h.Result.Failures {
			if f.Outcome.NeedsAttention() {
				return true
			}
		}
	}
	return false
}

// counts returns how many failures of res ended with each outcome.
func counts(res *redeliver.Result) map[redeliver.Outcome]int {
	c := map[redeliver.Outcome]int{}
	for _, f := range res.Failures {
		c[f.Outcome]++
	}
	return c
}

// sent counts the GUIDs GitHub redelivered.
func sent(c map[redeliver.Outcome]int) int { return sum(c, redeliver.Outcome.Sent) }

// remaining counts the GUIDs left in play.
func remaining(c map[redeliver.Outcome]int) int { return sum(c, redeliver.Outcome.Remaining) }

func sum(c map[redeliver.Outcome]int, is func(redeliver.Outcome) bool) int {
	n := 0
	for o, k := range c {
		if is(o) {
			n += k
		}
	}
	return n
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
		"waiting":     strconv.Itoa(t.Waiting),
		"since":       "",
		"checkpoint":  "",
	}
	// With several hooks the window and checkpoint are the earliest ones:
	// the conservative answer to "from when on is everything handled".
	var since, cp time.Time
	for _, h := range r.Hooks {
		if h.Result == nil {
			continue
		}
		if since.IsZero() || h.Result.Since.Before(since) {
			since = h.Result.Since
		}
		if saved := h.Result.Saved; !saved.IsZero() && (cp.IsZero() || saved.Before(cp)) {
			cp = saved
		}
	}
	if !since.IsZero() {
		out["since"] = since.UTC().Format(time.RFC3339)
	}
	if !cp.IsZero() {
		out["checkpoint"] = cp.UTC().Format(time.RFC3339)
	}
	r.planOutputs(out)
	return out
}

// Markdown renders the job summary.
func (r *Run) Markdown() string {
	var b strings.Builder
	if r.Plan != nil {
		r.planMarkdown(&b)
		return b.String()
	}
	if len(r.Hooks) > 1 || len(r.Notes) > 0 {
		r.overviewMarkdown(&b)
	}
	for i, h := range r.Hooks {
		var one strings.Builder
		if i > 0 {
			one.WriteString("\n")
		}
		r.hookMarkdown(&one, h)
		if b.Len()+one.Len() > summaryBudget {
			fmt.Fprintf(&b, "\nThe details of %s more are in the log: the summary keeps under GitHub's 1 MiB a step.\n", plural(len(r.Hooks)-i, "webhook"))
			break
		}
		b.WriteString(one.String())
	}
	return b.String()
}

func (r *Run) hookMarkdown(b *strings.Builder, h Hook) {
	if r.Simulated {
		fmt.Fprintf(b, "## SIMULATED webhook redelivery: %s\n\n", esc(HookName(h.Target)))
		b.WriteString("> [!NOTE]\n> SIMULATED: a demo against a simulated GitHub on 127.0.0.1 (`hook-redeliver --demo`). No real webhook was read and nothing was redelivered.\n\n")
	} else {
		fmt.Fprintf(b, "## Webhook redelivery: %s\n\n", esc(HookName(h.Target)))
	}
	res := h.Result
	if res == nil || res.Pages == 0 {
		fmt.Fprintf(b, "**Failed before any delivery was read:** %s\n\n", esc(errText(h.Err)))
		return
	}
	c := counts(res)
	fmt.Fprintf(b, "%s\n\n", headline(r.DryRun, h, c))
	if h.Err != nil {
		fmt.Fprintf(b, "> [!CAUTION]\n> %s\n\n", esc(errText(h.Err)))
	}
	if rc := res.Receiver; rc.State == redeliver.ReceiverDown {
		fmt.Fprintf(b, "> [!WARNING]\n> **Receiver down since %s UTC, %s waiting%s.** %s. The first run that finds it up redelivers them, oldest first.\n\n", day(rc.Since), plural(res.Waiting(), "GUID"), behind(res), esc(sentence(rc.How)))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(b, "> [!WARNING]\n> %s\n\n", esc(n))
	}
	b.WriteString("| | |\n|---|---|\n")
	window := fmt.Sprintf("%s → %s", day(res.Since), day(res.Until))
	if !res.Listed {
		window = fmt.Sprintf("%s → (listing did not finish)", day(res.Since))
	}
	if res.SinceInput {
		window += " (from the since input)"
	}
	if res.Unread > 0 {
		window += fmt.Sprintf("; %s of the list left unread, continued by the next run", plural(res.Unread, "part"))
	}
	fmt.Fprintf(b, "| Window (UTC) | %s |\n", window)
	read := fmt.Sprintf("%s in %s", thousands(res.Scanned), plural(res.Pages-res.ReadBack, "page"))
	if res.ReadBack > 0 {
		read += fmt.Sprintf(", and the newest deliveries read %s to see what became of the redeliveries", times(res.ReadBack))
	}
	fmt.Fprintf(b, "| Deliveries read | %s |\n", read)
	if rc := res.Receiver; rc.State != "" {
		fmt.Fprintf(b, "| Receiver | %s: %s |\n", rc.State, esc(rc.How))
	}
	fmt.Fprintf(b, "| GUIDs without a successful attempt | %s |\n", thousands(len(res.Failures)))
	for _, o := range redeliver.Outcomes() {
		if n := c[o]; n > 0 {
			fmt.Fprintf(b, "| %s | %s |\n", label(o), thousands(n))
		}
	}
	if res.Stopped != "" {
		fmt.Fprintf(b, "| Stopped early | %s |\n", esc(res.Stopped))
	}
	prev := "none (first run)"
	if !res.Previous.IsZero() {
		prev = day(res.Previous)
	}
	next := "unchanged"
	switch {
	case r.DryRun:
		next = "unchanged (dry run)"
	case !res.Saved.IsZero():
		next = day(res.Saved)
		if res.InLedger > 0 {
			// Otherwise a checkpoint hours before the window's end looks
			// like a bug.
			next += fmt.Sprintf(", held at the oldest GUID still in play; %s carried to the next run beside it, which reads only what is new", plural(res.InLedger, "GUID"))
		}
	}
	fmt.Fprintf(b, "| Checkpoint | %s → %s (%s) |\n", prev, next, esc(res.Store))
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
		attempts := strconv.Itoa(f.FailedAttempts())
		if !f.Complete {
			attempts += "+"
		}
		done := string(f.Outcome)
		if f.Detail != "" {
			done += ": " + f.Detail
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d | `%s` | %s |\n",
			esc(f.EventName()), esc(failure(f.Failed)), day(f.Failed.DeliveredAt), attempts, f.Failed.ID, esc(f.GUID), esc(done))
	}
}

func headline(dryRun bool, h Hook, c map[redeliver.Outcome]int) string {
	res := h.Result
	switch {
	case h.Err != nil:
		return "❌ **The run failed.** What it did before that is below; the checkpoint was only moved past deliveries that were fully handled."
	case dryRun:
		return fmt.Sprintf("🔎 **Dry run:** %d GUIDs would be redelivered. Nothing was redelivered and the checkpoint was not changed.", c[redeliver.WouldRedeliver])
	case res.Receiver.State == redeliver.ReceiverDown:
		return fmt.Sprintf("🔴 **Receiver down since %s UTC: %s waiting%s.**", day(res.Receiver.Since), plural(res.Waiting(), "GUID"), behind(res))
	case len(res.Failures) == 0:
		return "✅ **No failed deliveries.**"
	case remaining(c) > 0:
		return fmt.Sprintf("⚠️ **Redelivered %d (%d accepted by the receiver); %d left for the next run.**", sent(c), c[redeliver.Delivered], remaining(c))
	case c[redeliver.GaveUp]+c[redeliver.Expired] > 0:
		return fmt.Sprintf("⚠️ **Redelivered %d; %d given up or expired.**", sent(c), c[redeliver.GaveUp]+c[redeliver.Expired])
	}
	return fmt.Sprintf("✅ **Redelivered %d, all accepted by the receiver.**", sent(c))
}

// behind says, after a count of GUIDs waiting, that GUIDs failed before
// Result.Behind wait too but are not counted: the run did not read them.
func behind(res *redeliver.Result) string {
	if res.Behind.IsZero() {
		return ""
	}
	return fmt.Sprintf(", and those failed before %s UTC, which the ledger could not carry: they are read again once it is back", day(res.Behind))
}

// label names an outcome in the summary's table.
func label(o redeliver.Outcome) string {
	switch o {
	case redeliver.Delivered:
		return "Redelivered, receiver accepted"
	case redeliver.FailedAgain:
		return "Redelivered, failed again"
	case redeliver.NotSeen:
		return "Redelivered, outcome not listed yet (checked next run)"
	case redeliver.WouldRedeliver:
		return "Would redeliver (dry run)"
	case redeliver.Waiting:
		return "Waiting for the receiver"
	case redeliver.Unknown:
		return "Outcome unknown (checked next run)"
	case redeliver.Refused:
		return "Refused by GitHub"
	case redeliver.NotAttempted:
		return "Left for the next run"
	case redeliver.GaveUp:
		return "Gave up (max-attempts)"
	case redeliver.Expired:
		return "Expired (past GitHub's retention)"
	case redeliver.Skipped:
		return "Skipped (filters)"
	}
	return string(o)
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

// sentence starts s with a capital letter.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return thousands(n) + " times"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}
