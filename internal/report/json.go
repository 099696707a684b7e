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
	Errors         int `json:"errors"`
}

type jsonHook struct {
	Target          jsonTarget     `json:"target"`
	Window          *jsonWindow    `json:"window,omitempty"` // absent if the pass never started
	Pages           int            `json:"pages"`
	Scanned         int            `json:"scanned"`
	Counts          jsonCounts     `json:"counts"`
	Stopped         string         `json:"stopped,omitempty"`
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

type jsonCounts struct {
	Failed         int `json:"failed"`
	Redelivered    int `json:"redelivered"`
	WouldRedeliver int `json:"would_redeliver"`
	Unknown        int `json:"unknown"`
	Refused        int `json:"refused"`
	NotAttempted   int `json:"not_attempted"`
	GaveUp         int `json:"gave_up"`
	Expired        int `json:"expired"`
	Skipped        int `json:"skipped"`
}

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
	redeliver.Redelivered:    "redelivered",
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
			Kind: h.Target.Kind(), Name: h.Target.String(),
			Org: h.Target.Org, Owner: h.Target.Owner, Repo: h.Target.Repo, HookID: h.Target.HookID,
		},
		Checkpoint: jsonCheckpoint{Store: h.Store, Previous: rfc3339(h.Previous), Saved: rfc3339(h.Saved)},
		Notes:      h.Notes,
		Failures:   []jsonFailure{},
		Error:      errText(h.Err),
	}
	res := h.Result
	if res == nil {
		return j
	}
	c := counts(res)
	j.Window = &jsonWindow{Since: rfc3339(res.Since), Until: rfc3339(res.Until), Listed: res.Listed, FromSinceInput: h.SinceInput}
	if !res.Listed {
		j.Window.Until = ""
	}
	j.Pages, j.Scanned, j.Stopped = res.Pages, res.Scanned, res.Stopped
	j.Counts = jsonCounts{
		Failed: len(res.Failures), Redelivered: c.redelivered, WouldRedeliver: c.would, Unknown: c.unknown,
		Refused: c.refused, NotAttempted: c.notAttempted, GaveUp: c.gaveUp, Expired: c.expired, Skipped: c.skipped,
	}
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
			GUID: f.GUID, Event: f.EventName(), DeliveryID: f.Latest.ID, DeliveredAt: rfc3339(f.Latest.DeliveredAt),
			Status: f.Latest.Status, StatusCode: f.Latest.StatusCode, Attempts: f.Attempts, Complete: f.Complete,
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
