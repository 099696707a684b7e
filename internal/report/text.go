package report

import (
	"fmt"
	"strings"
)

// Text renders the report for a terminal or a cron mail.
func (r *Run) Text() string {
	var b strings.Builder
	for _, h := range r.Hooks {
		if r.Simulated {
			fmt.Fprintf(&b, "SIMULATED (demo, nothing was redelivered): %s\n", h.Target)
		} else {
			fmt.Fprintf(&b, "%s\n", h.Target)
		}
		res := h.Result
		if res == nil {
			fmt.Fprintf(&b, "  failed before any delivery was read: %s\n", errText(h.Err))
			continue
		}
		c := counts(res)
		fmt.Fprintf(&b, "  window        %s → %s UTC\n", day(res.Since), day(res.Until))
		fmt.Fprintf(&b, "  read          %d deliveries in %d pages\n", res.Scanned, res.Pages)
		fmt.Fprintf(&b, "  failed GUIDs  %d\n", len(res.Failures))
		if r.DryRun {
			fmt.Fprintf(&b, "  would redeliver %d (dry run)\n", c.would)
		} else {
			fmt.Fprintf(&b, "  redelivered   %d\n", c.redelivered)
		}
		for _, x := range []struct {
			label string
			n     int
		}{{"left for next", c.notAttempted}, {"unknown", c.unknown}, {"refused", c.refused}, {"gave up", c.gaveUp}, {"expired", c.expired}, {"skipped", c.skipped}} {
			if x.n > 0 {
				fmt.Fprintf(&b, "  %-13s %d\n", x.label, x.n)
			}
		}
		if res.Stopped != "" {
			fmt.Fprintf(&b, "  stopped early %s\n", res.Stopped)
		}
		switch {
		case r.DryRun:
			fmt.Fprintf(&b, "  checkpoint    unchanged (dry run), %s\n", h.Store)
		case !h.Saved.IsZero():
			fmt.Fprintf(&b, "  checkpoint    %s UTC, %s\n", day(h.Saved), h.Store)
		default:
			fmt.Fprintf(&b, "  checkpoint    unchanged, %s\n", h.Store)
		}
		textTimeline(&b, res)
		for _, n := range h.Notes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
		if h.Err != nil {
			fmt.Fprintf(&b, "  error: %s\n", h.Err)
		}
	}
	return b.String()
}
