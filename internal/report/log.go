package report

import (
	"fmt"
	"time"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// Log is what the log says of one hook once its pass is over: Warnings, one
// annotation per kind of trouble rather than one per GUID (annotations are
// for a person to notice), and Details, a line for each GUID not
// redelivered.
func Log(res *redeliver.Result) (warnings, details []string) {
	if res == nil {
		return nil, nil
	}
	down := res.Receiver.State == redeliver.ReceiverDown
	if down {
		warnings = append(warnings, fmt.Sprintf("%s: receiver down since %s, %d GUIDs waiting%s (%s)", res.Target, Stamp(res.Receiver.Since), res.Waiting(), behind(res), res.Receiver.How))
	}
	for _, o := range redeliver.Outcomes() {
		if o == redeliver.Waiting || (o == redeliver.FailedAgain && down) {
			continue // said above: the probe, and what waits for the receiver
		}
		if n := res.Count(o); n > 0 && o.NeedsAttention() {
			warnings = append(warnings, fmt.Sprintf("%s: %d GUIDs %s", res.Target, n, o.Describe()))
		}
	}
	if res.Stopped != "" {
		warnings = append(warnings, fmt.Sprintf("%s: stopped early (%s); %d GUIDs left for the next run, oldest first", res.Target, res.Stopped, res.Count(redeliver.NotAttempted)))
	}
	for _, f := range res.Failures {
		if !f.Outcome.Sent() {
			details = append(details, fmt.Sprintf("%s %s (delivery %d, %s, %d attempts): %s %s", f.GUID, f.EventName(), f.Failed.ID, Stamp(f.Failed.DeliveredAt), f.FailedAttempts(), f.Outcome, f.Detail))
		}
	}
	return warnings, details
}

// Stamp is how the logs write a time: to the second, in UTC.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
