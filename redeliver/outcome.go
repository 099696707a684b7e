package redeliver

// Outcome is what a run did with a failed GUID. Its meaning (does the GUID
// stay in play, does a person need to look, how it is said) is defined here
// once, by the methods below; the report, the notification and the log ask
// them rather than listing outcomes of their own.
type Outcome string

// Outcomes.
const (
	// Delivered: redelivered, and the new attempt succeeded.
	Delivered Outcome = "redelivered, succeeded"
	// FailedAgain: redelivered, and the new attempt failed too.
	FailedAgain Outcome = "redelivered, failed again"
	// NotSeen: redelivered (GitHub accepted it), but the new attempt was
	// not listed yet when the run looked.
	NotSeen Outcome = "redelivered, not seen yet"
	// WouldRedeliver: a dry run would have redelivered it.
	WouldRedeliver Outcome = "would redeliver (dry run)"
	// Unknown: the redelivery request got no clear answer and no new
	// attempt appeared, even after one more request.
	Unknown Outcome = "outcome unknown"
	// Refused: GitHub refused the redelivery request (400, 404, 422).
	Refused Outcome = "refused by GitHub"
	// Waiting: the receiver is down; the GUID waits for it to come back.
	Waiting Outcome = "waiting for the receiver"
	// NotAttempted: the run stopped before reaching it.
	NotAttempted Outcome = "left for the next run"
	// GaveUp: max-attempts failed attempts while the receiver was up.
	GaveUp Outcome = "gave up"
	// Expired: older than GitHub's retention.
	Expired Outcome = "expired"
	// Skipped: excluded by the events or exclude-status-codes input.
	Skipped Outcome = "skipped"
)

// Sent reports whether GitHub performed a redelivery of the GUID in this run.
func (o Outcome) Sent() bool { return o == Delivered || o == FailedAgain || o == NotSeen }

// Resolved reports whether the GUID is out of play: nothing is left for a
// later run to do with it.
func (o Outcome) Resolved() bool {
	return o == Delivered || o == GaveUp || o == Expired || o == Skipped
}

// Remaining reports whether a later run still has work for the GUID.
func (o Outcome) Remaining() bool {
	return !o.Resolved() && o != WouldRedeliver
}

// NeedsAttention reports whether a person should hear of the GUID: it was
// given up or lost, or it still fails. A redelivery not listed yet and one a
// dry run would make do not need anyone.
func (o Outcome) NeedsAttention() bool {
	switch o {
	case GaveUp, Expired, Refused, Unknown, Waiting, NotAttempted, FailedAgain:
		return true
	}
	return false
}

// Describe says, after a count of GUIDs, what happened to them and what comes
// next: "3 GUIDs " + Describe().
func (o Outcome) Describe() string {
	switch o {
	case Delivered:
		return "were redelivered and the receiver accepted them"
	case FailedAgain:
		return "were redelivered but failed again; the next run tries again"
	case NotSeen:
		return "were redelivered; GitHub had not listed the new attempt yet, so the next run checks it"
	case GaveUp:
		return "reached max-attempts while the receiver was up and were not redelivered again"
	case Expired:
		return "are older than GitHub's retention and can no longer be redelivered"
	case Refused:
		return "could not be redelivered (GitHub refused); the next run tries again"
	case Unknown:
		return "got no clear answer to the redelivery request and no new attempt appeared; the next run checks again"
	case Waiting:
		return "wait for the receiver to come back; the first run that finds it up redelivers them, oldest first"
	case NotAttempted:
		return "were not reached by this run; the next run continues, oldest first"
	case Skipped:
		return "were skipped by the events or exclude-status-codes input"
	case WouldRedeliver:
		return "would be redelivered (dry run)"
	}
	return string(o)
}

// outcomesInOrder lists the outcomes in the order reports show them.
var outcomesInOrder = []Outcome{Delivered, FailedAgain, NotSeen, WouldRedeliver, Waiting, Unknown, Refused, NotAttempted, GaveUp, Expired, Skipped}

// Outcomes returns every outcome, in the order reports show them.
func Outcomes() []Outcome { return outcomesInOrder }
