// Package checkpoint reads and writes what one run leaves for the next: the
// time before which every delivery has been handled.
//
// The stored value is epoch milliseconds as a decimal string, the format
// GitHub's documented redelivery scripts write, so a user switching from them
// keeps their state. A run that redelivered something adds the time until
// which the next run must wait for those redeliveries to show up in the list;
// the value is then a small JSON object holding both numbers. Either form is
// read back.
package checkpoint

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// State is what a run stores for the next one.
type State struct {
	// Checkpoint: every delivery before it has been handled (redelivered and
	// seen to succeed, given up, expired or filtered out). GitHub time.
	Checkpoint time.Time
	// SettleUntil: GitHub asynchronously adds a redelivery's attempt to the
	// list. A run starting before this time waits for it, so that it does not
	// take a redelivery it cannot see yet for one never made. Zero if the run
	// redelivered nothing.
	SettleUntil time.Time
}

type wire struct {
	Checkpoint  int64 `json:"checkpoint"`
	SettleUntil int64 `json:"settle_until,omitempty"`
}

// Parse reads a stored value: epoch milliseconds, or the JSON form.
func Parse(s string) (State, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		var w wire
		if err := json.Unmarshal([]byte(s), &w); err != nil {
			return State{}, fmt.Errorf("parse checkpoint %q: %w", s, err)
		}
		if w.Checkpoint <= 0 {
			return State{}, fmt.Errorf("parse checkpoint %q: no checkpoint time", s)
		}
		st := State{Checkpoint: time.UnixMilli(w.Checkpoint).UTC()}
		if w.SettleUntil > 0 {
			st.SettleUntil = time.UnixMilli(w.SettleUntil).UTC()
		}
		return st, nil
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return State{}, fmt.Errorf("parse checkpoint %q: want epoch milliseconds such as 1732147200000", s)
	}
	return State{Checkpoint: time.UnixMilli(ms).UTC()}, nil
}

// Encode returns the value to store: plain epoch milliseconds when there is
// nothing else to say, the JSON form otherwise.
func (s State) Encode() string {
	if s.SettleUntil.IsZero() {
		return strconv.FormatInt(s.Checkpoint.UnixMilli(), 10)
	}
	b, _ := json.Marshal(wire{Checkpoint: s.Checkpoint.UnixMilli(), SettleUntil: s.SettleUntil.UnixMilli()})
	return string(b)
}
