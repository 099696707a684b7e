package report

import (
	"encoding/json"
	"time"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// MaxJSONFailures caps the failures listed per hook in the JSON report; the
// count of those left out is in failures_omitted.
const MaxJSONFailures = 1000

// The JSON report's shape. Field names are snake_case; times are RFC 3339 in
// UTC and left out when unknown; delivery ids are strings, because they are
// past 2^53 and would lose digits in a JSON reader that uses float64 (jq
// before 1.7, JavaScript).
type jsonRun struct {
	DryRun    bool       `json:"dry_run"`
	Simulated bool       `json:"simulated,omitempty"` // the demo's simulated GitHub
	Totals    jsonTotals `json:"totals"`
	Hooks     []jsonHook `json:"hooks"`
}

type jsonTotals struct {
	Scanned        int `json:"scanned"`
	Failed         int `json:"failed"`
	Redelivered    int `json:"redelivered"`
	WouldRedeliver int `json:"would_redeliver"`
	Skipped        int `json:"skipped"`
	GaveUp         int `json:"gave_up"`
	Expired        int `json:"expired"`
	Remaining      int `json:"remaining"`
	Waiting        int `json:"waiting"`
	Errors         int `json:"errors"`
}

type jsonHook struct {
	Target          jsonTarget     `json:"target"`
	Window          *jsonWindow    `json:"window,omitempty"` // absent if the pass never started
	Pages           int            `json:"pages"`
	Scanned         int            `json:"scanned"`
	Counts          jsonCounts     `json:"counts"`
	Stopped         string         `json:"stopped,omitempty"`
	Receiver        *jsonReceiver  `json:"receiver,omitempty"`
	Checkpoint      jsonCheckpoint `json:"checkpoint"`
	Notes           []string       `json:"notes,omitempty"`
	Failures        []jsonFailure  `json:"failures"`
	FailuresOmitted int            `json:"failures_omitted"`
	Error           string         `json:"error,omitempty"`
}

type jsonTarget struct {
	Kind   string `json:"kind"` // app, org or repo
	Name   string `json:"name"` // as in the text report
	Org    string `json:"org,omitempty"`
	Owner  string `json:"owner,omitempty"`
	Repo   string `json:"repo,omitempty"`
	HookID int64  `json:"hook_id,omitempty"`
}

type jsonWindow struct {
	Since          string `json:"since,omitempty"`
	Until          string `json:"until,omitempty"`
	Listed         bool   `json:"listed"` // the whole window was read
	FromSinceInput bool   `json:"from_since_input"`
}

type jsonReceiver struct {
	State string `json:"state"` // up, down or unknown
	Since string `json:"since,omitempty"`
	How   string `json:"how"`
}

// jsonCounts has one count per outcome, by its code in outcomeCodes, and
// the number of failed GUIDs.
type jsonCounts map[string]int

type jsonCheckpoint struct {
	Store    string `json:"store"`
	Previous string `json:"previous,omitempty"` // absent on a first run
	Saved    string `json:"saved,omitempty"`    // absent if none was written
}

type jsonFailure struct {
	GUID        string `json:"guid"`
	Event       string `json:"event"` // event.action
	DeliveryID  int64  `json:"delivery_id,string"`
	DeliveredAt string `json:"delivered_at"`
	Status      string `json:"status"`
	StatusCode  int    `json:"status_code"`
	Attempts    int    `json:"attempts"`
	Complete    bool   `json:"attempts_exact"` // the original attempt was in the window
	Outcome     string `json:"outcome"`
	Detail      string `json:"detail,omitempty"`
}

// outcomeCodes are the outcomes as machine-friendly words.
var outcomeCodes = map[redeliver.Outcome]string{
	redeliver.Delivered:      "delivered",
	redeliver.FailedAgain:    "failed_again",
	redeliver.NotSeen:        "not_seen",
	redeliver.Waiting:        "waiting",
	redeliver.WouldRedeliver: "would_redeliver",
	redeliver.Unknown:        "unknown",
	redeliver.Refused:        "refused",
	redeliver.NotAttempted:   "not_attempted",
	redeliver.GaveUp:         "gave_up",
	redeliver.Expired:        "expired",
	redeliver.Skipped:        "skipped",
}

// JSON renders the report as one JSON object without a trailing newline, for
// scripts and monitoring (the command line's --json).
func (r *Run) JSON() ([]byte, error) {
	out := jsonRun{
		DryRun:    r.DryRun,
		Simulated: r.Simulated,
		// A conversion, so a new total fails to compile until it has a
		// JSON name here.
		Totals: jsonTotals(r.Totals()),
		Hooks:  make([]jsonHook, 0, len(r.Hooks)),
	}
	for _, h := range r.Hooks {
		out.Hooks = append(out.Hooks, jsonHookOf(h))
	}
	return json.Marshal(out)
}

func jsonHookOf(h Hook) jsonHook {
	j := jsonHook{
		Target: jsonTarget{
			Kind: h.Target.Kind().String(), Name: h.Target.String(),
			Org: h.Target.Org, Owner: h.Target.Owner, Repo: h.Target.Repo, HookID: h.Target.HookID,
		},
		Failures: []jsonFailure{},
		Error:    errText(h.Err),
		Counts:   jsonCounts{"failed": 0, "redelivered": 0},
	}
	for _, o := range redeliver.Outcomes() {
		j.Counts[outcomeCodes[o]] = 0
	}
	res := h.Result
	if res == nil {
		return j
	}
	j.Checkpoint = jsonCheckpoint{Store: res.Store, Previous: rfc3339(res.Previous), Saved: rfc3339(res.Saved)}
	j.Counts["failed"] = len(res.Failures)
	for _, f := range res.Failures {
		j.Counts[outcomeCodes[f.Outcome]]++
		if f.Outcome.Sent() {
			j.Counts["redelivered"]++
		}
	}
	if res.Pages == 0 {
		return j
	}
	j.Notes = res.Notes
	if rc := res.Receiver; rc.State != "" {
		j.Receiver = &jsonReceiver{State: string(rc.State), Since: rfc3339(rc.Since), How: rc.How}
	}
	j.Window = &jsonWindow{Since: rfc3339(res.Since), Until: rfc3339(res.Until), Listed: res.Listed, FromSinceInput: res.SinceInput}
	if !res.Listed {
		j.Window.Until = ""
	}
	j.Pages, j.Scanned, j.Stopped = res.Pages, res.Scanned, res.Stopped
	for i, f := range res.Failures {
		if i == MaxJSONFailures {
			j.FailuresOmitted = len(res.Failures) - MaxJSONFailures
			break
		}
		code, ok := outcomeCodes[f.Outcome]
		if !ok {
			code = string(f.Outcome)
		}
		j.Failures = append(j.Failures, jsonFailure{
			GUID: f.GUID, Event: f.EventName(), DeliveryID: f.Failed.ID, DeliveredAt: rfc3339(f.Failed.DeliveredAt),
			Status: f.Failed.Status, StatusCode: f.Failed.StatusCode, Attempts: f.FailedAttempts(), Complete: f.Complete,
			Outcome: code, Detail: f.Detail,
		})
	}
	return j
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
