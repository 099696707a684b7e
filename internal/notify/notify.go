// Package notify builds and sends the failure notification: a
// repository_dispatch event whose client_payload says what needs a person.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/report"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// MaxDeliveries bounds the list in the dispatch payload: GitHub caps
// a repository_dispatch body, and a person needs the first few, not all.
const MaxDeliveries = 30

// Payload is the client_payload of the failure notification. GitHub
// allows at most 10 top-level properties; this has 9.
type Payload struct {
	Target     string             `json:"target"`
	RunURL     string             `json:"run_url,omitempty"`
	Counts     dispatchCounts     `json:"counts"`
	Deliveries []dispatchDelivery `json:"deliveries"`
	More       int                `json:"more"`
	Errors     []string           `json:"errors,omitempty"`
	Window     dispatchWindow     `json:"window"`
	Version    string             `json:"version"`
	// Receiver is set when a hook's receiver was found down.
	Receiver *dispatchReceiver `json:"receiver,omitempty"`
}

type dispatchReceiver struct {
	Hook    int64  `json:"hook_id,omitempty"`
	State   string `json:"state"`
	Since   string `json:"since"`
	Waiting int    `json:"waiting"`
	Summary string `json:"summary"` // "receiver down since T, N GUIDs waiting"
}

type dispatchCounts struct {
	Scanned     int `json:"scanned"`
	Failed      int `json:"failed"`
	Redelivered int `json:"redelivered"`
	GaveUp      int `json:"gave_up"`
	Expired     int `json:"expired"`
	Remaining   int `json:"remaining"`
	Waiting     int `json:"waiting"`
	Skipped     int `json:"skipped"`
}

type dispatchWindow struct {
	Since string `json:"since,omitempty"`
}

type dispatchDelivery struct {
	Hook  int64  `json:"hook_id,omitempty"`
	GUID  string `json:"guid"`
	Event string `json:"event"`
	// A string: delivery ids passed 2^53, and a JavaScript consumer of the
	// payload would round a number.
	DeliveryID string `json:"delivery_id"`
	Status     string `json:"status"`
	FailedAt   string `json:"failed_at"`
	Attempts   int    `json:"attempts"`
	Outcome    string `json:"outcome"`
}

// Build summarises the run within GitHub's limits.
func Build(rep *report.Run, target, runURL, version string) Payload {
	t := rep.Totals()
	p := Payload{
		Target: target, RunURL: runURL, Version: version, Deliveries: []dispatchDelivery{},
		Counts: dispatchCounts{Scanned: t.Scanned, Failed: t.Failed, Redelivered: t.Redelivered, GaveUp: t.GaveUp, Expired: t.Expired, Remaining: t.Remaining, Waiting: t.Waiting, Skipped: t.Skipped},
	}
	if out := rep.Outputs(); out["since"] != "" {
		p.Window.Since = out["since"]
	}
	for _, h := range rep.Hooks {
		if h.Err != nil && len(p.Errors) < 5 {
			p.Errors = append(p.Errors, h.Err.Error())
		}
		if h.Result == nil {
			continue
		}
		if rc := h.Result.Receiver; rc.State == redeliver.ReceiverDown && p.Receiver == nil {
			since := rc.Since.UTC().Format("2006-01-02T15:04:05Z")
			p.Receiver = &dispatchReceiver{
				Hook: h.Target.HookID, State: string(rc.State), Since: since, Waiting: h.Result.Waiting(),
				Summary: fmt.Sprintf("receiver down since %s, %d GUIDs waiting", since, h.Result.Waiting()),
			}
			if b := h.Result.Behind; !b.IsZero() {
				// Waiting counts only the GUIDs the run read.
				p.Receiver.Summary += fmt.Sprintf(", and those failed before %s", b.UTC().Format("2006-01-02T15:04:05Z"))
			}
		}
		for _, f := range h.Result.Failures {
			if !f.Outcome.NeedsAttention() {
				continue
			}
			if len(p.Deliveries) == MaxDeliveries {
				p.More++
				continue
			}
			p.Deliveries = append(p.Deliveries, dispatchDelivery{
				Hook: h.Target.HookID, GUID: f.GUID, Event: f.EventName(), DeliveryID: strconv.FormatInt(f.Failed.ID, 10),
				Status: f.Failed.Status, FailedAt: f.Failed.DeliveredAt.UTC().Format("2006-01-02T15:04:05Z"), Attempts: f.FailedAttempts(), Outcome: string(f.Outcome),
			})
		}
	}
	return p
}

// Send sends the notification.
func Send(ctx context.Context, c *github.Client, owner, repo, eventType string, p Payload) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode the dispatch payload: %w", err)
	}
	raw := json.RawMessage(b)
	_, _, err = c.Repositories.Dispatch(ctx, owner, repo, github.DispatchRequestOptions{EventType: eventType, ClientPayload: &raw})
	if err != nil {
		return fmt.Errorf("send repository_dispatch %q to %s/%s: %w (the token needs Contents: write on that repository, or the repo scope for a classic token)", eventType, owner, repo, err)
	}
	return nil
}
