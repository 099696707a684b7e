package report

import (
	"fmt"
	"strings"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// Text renders the report for a terminal or a cron mail.
func (r *Run) Text() string {
	var b strings.Builder
	if r.Plan != nil {
		r.planText(&b)
		return b.String()
	}
	if len(r.Hooks) > 1 || len(r.Notes) > 0 {
		r.overviewText(&b)
	}
	for _, h := range r.Hooks {
		if r.Simulated {
			fmt.Fprintf(&b, "SIMULATED (demo, nothing was redelivered): %s\n", h.Target)
		} else {
			fmt.Fprintf(&b, "%s\n", h.Target)
		}
		res := h.Result
		if res == nil || res.Pages == 0 {
			fmt.Fprintf(&b, "  failed before any delivery was read\n  error: %s\n", errText(h.Err))
			continue
		}
		c := counts(res)
		fmt.Fprintf(&b, "  window        %s → %s UTC\n", day(res.Since), day(res.Until))
		fmt.Fprintf(&b, "  read          %d deliveries in %s", res.Scanned, plural(res.Pages-res.ReadBack, "page"))
		if res.ReadBack > 0 {
			fmt.Fprintf(&b, ", and the newest %s while redelivering", times(res.ReadBack))
		}
		b.WriteString("\n")
		if rc := res.Receiver; rc.State == redeliver.ReceiverDown {
			fmt.Fprintf(&b, "  receiver      DOWN since %s UTC, %d GUIDs waiting%s (%s)\n", day(rc.Since), res.Waiting(), behind(res), rc.How)
		} else if rc.State != "" {
			fmt.Fprintf(&b, "  receiver      %s (%s)\n", rc.State, rc.How)
		}
		fmt.Fprintf(&b, "  failed GUIDs  %d\n", len(res.Failures))
		if !r.DryRun {
			fmt.Fprintf(&b, "  redelivered   %d", sent(c))
			if n := sent(c); n > 0 {
				fmt.Fprintf(&b, " (%d succeeded, %d failed again, %d not listed yet)", c[redeliver.Delivered], c[redeliver.FailedAgain], c[redeliver.NotSeen])
			}
			b.WriteString("\n")
		}
		for _, o := range redeliver.Outcomes() {
			if c[o] > 0 && !o.Sent() {
				fmt.Fprintf(&b, "  %-13s %d\n", string(o), c[o])
			}
		}
		if res.Stopped != "" {
			fmt.Fprintf(&b, "  stopped early %s\n", res.Stopped)
		}
		if res.Unread > 0 {
			fmt.Fprintf(&b, "  unread        %d parts of the list, continued by the next run\n", res.Unread)
		}
		switch {
		case r.DryRun:
			fmt.Fprintf(&b, "  checkpoint    unchanged (dry run), %s\n", res.Store)
		case !res.Saved.IsZero():
			fmt.Fprintf(&b, "  checkpoint    %s UTC, %s\n", day(res.Saved), res.Store)
		default:
			fmt.Fprintf(&b, "  checkpoint    unchanged, %s\n", res.Store)
		}
		textTimeline(&b, res)
		for _, n := range res.Notes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
		if h.Err != nil {
			fmt.Fprintf(&b, "  error: %s\n", h.Err)
		}
	}
	return b.String()
}
