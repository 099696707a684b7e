package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

func TestJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	failures := []*redeliver.Failure{
		{
			GUID: "g-1", Attempts: 3, Complete: true, Outcome: redeliver.Delivered,
			Latest: redeliver.Delivery{ID: 3804004623172239366, DeliveredAt: at.Add(-time.Hour), Status: "Invalid HTTP Response: 503", StatusCode: 503, Event: "pull_request", Action: "opened"}, Failed: redeliver.Delivery{ID: 3804004623172239366, DeliveredAt: at.Add(-time.Hour), Status: "Invalid HTTP Response: 503", StatusCode: 503, Event: "pull_request", Action: "opened"},
		},
		{
			GUID: "g-2", Attempts: 1, Outcome: redeliver.Refused, Detail: "422 Validation Failed",
			Latest: redeliver.Delivery{ID: 3804004623172239367, DeliveredAt: at.Add(-30 * time.Minute), Status: "timed out", Event: "push"}, Failed: redeliver.Delivery{ID: 3804004623172239367, DeliveredAt: at.Add(-30 * time.Minute), Status: "timed out", Event: "push"},
		},
	}
	run := &Run{Hooks: []Hook{
		{
			Target: redeliver.Target{Org: "acme", HookID: 77},
			Result: &redeliver.Result{
				Since: at.Add(-2 * time.Hour), Until: at, Pages: 2, Scanned: 150, Listed: true,
				Failures: failures, Saved: at.Add(-30 * time.Minute),
				Store: "file /var/lib/hook-redeliver/checkpoint", Notes: []string{"a note"},
				Receiver: redeliver.Receiver{State: redeliver.ReceiverUp, How: "an original delivery succeeded"},
			},
		},
		{
			Target: redeliver.Target{Owner: "acme", Repo: "shop", HookID: 88},
			Result: &redeliver.Result{Store: "variable X in acme/ops"},
			Err:    errors.New("read checkpoint: 403 Forbidden"),
		},
	}}
	b, err := run.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "\n") {
		t.Error("JSON spans several lines; want one line per report (JSON Lines in --loop)")
	}
	// The delivery id survives a reader that parses numbers as float64.
	if !strings.Contains(string(b), `"delivery_id":"3804004623172239366"`) {
		t.Errorf("delivery id not a string with every digit:\n%s", b)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"dry_run": false,
		"totals": map[string]any{
			"scanned": 150.0, "failed": 2.0, "redelivered": 1.0, "would_redeliver": 0.0, "skipped": 0.0,
			"gave_up": 0.0, "expired": 0.0, "remaining": 1.0, "waiting": 0.0, "errors": 1.0,
		},
		"hooks": []any{
			map[string]any{
				"target":  map[string]any{"kind": "org", "name": "organization acme webhook 77", "org": "acme", "hook_id": 77.0},
				"window":  map[string]any{"since": "2026-11-21T04:00:00Z", "until": "2026-11-21T06:00:00Z", "listed": true, "from_since_input": false},
				"pages":   2.0,
				"scanned": 150.0,
				"counts": map[string]any{
					"failed": 2.0, "redelivered": 1.0, "delivered": 1.0, "failed_again": 0.0, "not_seen": 0.0, "waiting": 0.0,
					"would_redeliver": 0.0, "unknown": 0.0, "refused": 1.0, "not_attempted": 0.0, "gave_up": 0.0, "expired": 0.0, "skipped": 0.0,
				},
				"receiver":   map[string]any{"state": "up", "how": "an original delivery succeeded"},
				"checkpoint": map[string]any{"store": "file /var/lib/hook-redeliver/checkpoint", "saved": "2026-11-21T05:30:00Z"},
				"notes":      []any{"a note"},
				"failures": []any{
					map[string]any{
						"guid": "g-1", "event": "pull_request.opened", "delivery_id": "3804004623172239366", "delivered_at": "2026-11-21T05:00:00Z",
						"status": "Invalid HTTP Response: 503", "status_code": 503.0, "attempts": 3.0, "attempts_exact": true, "outcome": "delivered",
					},
					map[string]any{
						"guid": "g-2", "event": "push", "delivery_id": "3804004623172239367", "delivered_at": "2026-11-21T05:30:00Z",
						"status": "timed out", "status_code": 0.0, "attempts": 1.0, "attempts_exact": false, "outcome": "refused", "detail": "422 Validation Failed",
					},
				},
				"failures_omitted": 0.0,
			},
			map[string]any{
				"target":  map[string]any{"kind": "repo", "name": "repository acme/shop webhook 88", "owner": "acme", "repo": "shop", "hook_id": 88.0},
				"pages":   0.0,
				"scanned": 0.0,
				"counts": map[string]any{
					"failed": 0.0, "redelivered": 0.0, "delivered": 0.0, "failed_again": 0.0, "not_seen": 0.0, "waiting": 0.0,
					"would_redeliver": 0.0, "unknown": 0.0, "refused": 0.0, "not_attempted": 0.0, "gave_up": 0.0, "expired": 0.0, "skipped": 0.0,
				},
				"checkpoint":       map[string]any{"store": "variable X in acme/ops"},
				"failures":         []any{},
				"failures_omitted": 0.0,
				"error":            "read checkpoint: 403 Forbidden",
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

func TestJSONCapsFailures(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	res := &redeliver.Result{Since: at.Add(-time.Hour), Until: at, Listed: true, Pages: 1}
	for i := range MaxJSONFailures + 234 {
		res.Failures = append(res.Failures, &redeliver.Failure{
			GUID: fmt.Sprintf("g-%d", i), Outcome: redeliver.NotAttempted,
			Latest: redeliver.Delivery{ID: int64(i), DeliveredAt: at, Event: "push"}, Failed: redeliver.Delivery{ID: int64(i), DeliveredAt: at, Event: "push"},
		})
	}
	b, err := (&Run{Hooks: []Hook{{Result: res}}}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Totals struct {
			Failed int `json:"failed"`
		} `json:"totals"`
		Hooks []struct {
			Failures        []json.RawMessage `json:"failures"`
			FailuresOmitted int               `json:"failures_omitted"`
			Counts          struct {
				NotAttempted int `json:"not_attempted"`
			} `json:"counts"`
		} `json:"hooks"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	h := got.Hooks[0]
	if len(h.Failures) != MaxJSONFailures || h.FailuresOmitted != 234 || h.Counts.NotAttempted != MaxJSONFailures+234 || got.Totals.Failed != MaxJSONFailures+234 {
		t.Errorf("listed %d, omitted %d, counted %d, total %d; want %d listed, 234 omitted, all counted",
			len(h.Failures), h.FailuresOmitted, h.Counts.NotAttempted, got.Totals.Failed, MaxJSONFailures)
	}
}

func TestJSONEmptyRun(t *testing.T) {
	t.Parallel()
	b, err := (&Run{DryRun: true}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"dry_run":true,"totals":{"scanned":0,"failed":0,"redelivered":0,"would_redeliver":0,"skipped":0,"gave_up":0,"expired":0,"remaining":0,"waiting":0,"errors":0},"hooks":[]}`; string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
}
