package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// summaryBudget bounds the job summary of a run over many webhooks, far
// below GitHub's 1 MiB a step: the overview (a line a webhook, within
// overviewBudget), then the webhooks' details while they fit, the rest being
// in the log.
const summaryBudget = 768 << 10

// overviewBudget bounds the overview's line a webhook within summaryBudget:
// a job over thousands of webhooks (one organization may hold 500 with its
// checkpoints in its own variables, and a job may span many) would otherwise
// pass GitHub's 1 MiB a step with the overview alone.
const overviewBudget = summaryBudget / 2

// Plan is what a plan found: the matrix output, its legs, and what could not
// be planned.
type Plan struct {
	// Matrix is the matrix output's value: {"include": [...]}.
	Matrix string
	Legs   []PlanLeg
	// Problems are the installations or organizations left out, each with
	// why (a permission not granted, no installation, suspended).
	Problems []string
}

// PlanLeg is one leg of the matrix, for the summary.
type PlanLeg struct {
	Name string
	// Installations are "acme (installation 42)", or "token".
	Installations []string
	Webhooks      int
}

// Webhooks counts the webhooks of every leg.
func (p *Plan) Webhooks() int {
	n := 0
	for _, l := range p.Legs {
		n += l.Webhooks
	}
	return n
}

// planOutputs sets the outputs of a plan: the matrix, and its number of legs
// so that a workflow can skip an empty matrix (GitHub fails a matrix job
// with no legs).
func (r *Run) planOutputs(out map[string]string) {
	out["matrix"], out["count"] = "", ""
	if r.Plan != nil {
		out["matrix"], out["count"] = r.Plan.Matrix, strconv.Itoa(len(r.Plan.Legs))
	}
}

// HasSummary reports whether the run has anything for the job summary.
func (r *Run) HasSummary() bool { return len(r.Hooks) > 0 || r.Plan != nil || len(r.Notes) > 0 }

// title is a heading's start, saying SIMULATED for the demo.
func (r *Run) title(what string) string {
	if r.Simulated {
		return "## SIMULATED " + what
	}
	return "## " + strings.ToUpper(what[:1]) + what[1:]
}

func (r *Run) planMarkdown(b *strings.Builder) {
	p := r.Plan
	fmt.Fprintf(b, "%s: %s in %s\n\n", r.title("webhook redelivery plan"), plural(p.Webhooks(), "webhook"), plural(len(p.Legs), "leg"))
	for _, n := range append(p.Problems, r.Notes...) {
		fmt.Fprintf(b, "> [!WARNING]\n> %s\n\n", esc(n))
	}
	if len(p.Legs) == 0 {
		b.WriteString("Nothing to run: the `count` output is 0.\n")
		return
	}
	b.WriteString("| Leg | Installations | Webhooks |\n|---|---|---:|\n")
	for _, l := range p.Legs {
		fmt.Fprintf(b, "| `%s` | %s | %d |\n", esc(l.Name), esc(strings.Join(l.Installations, ", ")), l.Webhooks)
	}
}

func (r *Run) planText(b *strings.Builder) {
	p := r.Plan
	fmt.Fprintf(b, "plan: %s in %s\n", plural(p.Webhooks(), "webhook"), plural(len(p.Legs), "leg"))
	for _, l := range p.Legs {
		fmt.Fprintf(b, "  leg %-20s %3d webhooks  %s\n", l.Name, l.Webhooks, strings.Join(l.Installations, ", "))
	}
	for _, n := range append(p.Problems, r.Notes...) {
		fmt.Fprintf(b, "  left out: %s\n", n)
	}
	fmt.Fprintf(b, "matrix: %s\n", p.Matrix)
}

// HookName names a hook in the summary: its webhook, or, when the run could
// not list the webhooks of an organization or repository, that holder.
func HookName(t redeliver.Target) string {
	if t.HookID == 0 && t.Kind() != redeliver.AppHook {
		return t.Holder()
	}
	return t.String()
}

// overviewMarkdown opens the summary of a run over several webhooks: the
// totals across them, then a line per webhook.
func (r *Run) overviewMarkdown(b *strings.Builder) {
	t := r.Totals()
	fmt.Fprintf(b, "%s: %s\n\n", r.title("webhook redelivery"), plural(len(r.Hooks), "webhook"))
	if r.Simulated {
		b.WriteString("> [!NOTE]\n> SIMULATED: a demo against a simulated GitHub on 127.0.0.1 (`hook-redeliver --demo`). No real webhook was read and nothing was redelivered.\n\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "> [!WARNING]\n> %s\n\n", esc(n))
	}
	head := fmt.Sprintf("✅ **Redelivered %s of %s failed GUIDs across %s.**", thousands(t.Redelivered), thousands(t.Failed), plural(len(r.Hooks), "webhook"))
	switch {
	case t.Errors > 0:
		head = fmt.Sprintf("❌ **%s of %s failed.** Redelivered %s of %s failed GUIDs; %s left for the next run.", thousands(t.Errors), plural(len(r.Hooks), "webhook"), thousands(t.Redelivered), thousands(t.Failed), thousands(t.Remaining))
	case r.DryRun:
		head = fmt.Sprintf("🔎 **Dry run:** %s GUIDs would be redelivered across %s.", thousands(t.WouldRedeliver), plural(len(r.Hooks), "webhook"))
	case t.Remaining+t.GaveUp+t.Expired > 0:
		head = fmt.Sprintf("⚠️ **Redelivered %s of %s failed GUIDs across %s; %s left for the next run, %s given up or expired.**", thousands(t.Redelivered), thousands(t.Failed), plural(len(r.Hooks), "webhook"), thousands(t.Remaining), thousands(t.GaveUp+t.Expired))
	}
	fmt.Fprintf(b, "%s\n\n", head)
	fmt.Fprintf(b, "| Scanned | Failed | Redelivered | Left | Waiting | Gave up | Skipped |\n|---:|---:|---:|---:|---:|---:|---:|\n| %s | %s | %s | %s | %s | %s | %s |\n\n",
		thousands(t.Scanned), thousands(t.Failed), thousands(t.Redelivered), thousands(t.Remaining), thousands(t.Waiting), thousands(t.GaveUp), thousands(t.Skipped))
	b.WriteString("| Webhook | Result | Failed | Redelivered | Left | Checkpoint |\n|---|---|---:|---:|---:|---|\n")
	start := b.Len()
	for i, h := range r.Hooks {
		if b.Len()-start > overviewBudget {
			fmt.Fprintf(b, "\nand %s more webhooks, all of them in the log.\n", thousands(len(r.Hooks)-i))
			break
		}
		result, failed, redelivered, left, saved := "✅", "—", "—", "—", "—"
		if res := h.Result; res != nil {
			c := counts(res)
			failed, redelivered, left = thousands(len(res.Failures)), thousands(sent(c)), thousands(remaining(c))
			saved = day(res.Saved)
			switch {
			case res.Receiver.State == redeliver.ReceiverDown:
				result = "🔴 receiver down"
			case remaining(c) > 0 || c[redeliver.GaveUp]+c[redeliver.Expired] > 0:
				result = "⚠️"
			}
		}
		if h.Err != nil {
			result = "❌ " + shorten(errText(h.Err), 200)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", esc(HookName(h.Target)), esc(result), failed, redelivered, left, saved)
	}
	b.WriteString("\n")
}

// shorten cuts s to at most n bytes, at a space where it can.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
	}
	return s[:cut] + " …"
}

// overviewText opens the text report of a run over several webhooks.
func (r *Run) overviewText(b *strings.Builder) {
	t := r.Totals()
	if r.Simulated {
		b.WriteString("SIMULATED (demo, nothing was redelivered): ")
	}
	fmt.Fprintf(b, "%s: %s failed GUIDs, %s redelivered, %s left, %s with errors\n",
		plural(len(r.Hooks), "webhook"), thousands(t.Failed), thousands(t.Redelivered), thousands(t.Remaining), thousands(t.Errors))
	for _, n := range r.Notes {
		fmt.Fprintf(b, "  note: %s\n", n)
	}
	for _, h := range r.Hooks {
		line := "no pass"
		if res := h.Result; res != nil {
			c := counts(res)
			line = fmt.Sprintf("%d failed, %d redelivered, %d left", len(res.Failures), sent(c), remaining(c))
		}
		if h.Err != nil {
			line += ", error: " + shorten(errText(h.Err), 160)
		}
		fmt.Fprintf(b, "  %-50s %s\n", HookName(h.Target), line)
	}
	b.WriteString("\n")
}
