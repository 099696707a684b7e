// Package checkpoint reads and writes what one run leaves for the next: the
// time before which every delivery has been handled.
//
// The stored value is epoch milliseconds as a decimal string, the format
// GitHub's documented redelivery scripts write, so a user can switch from
// them, or back, and keep their state.
package checkpoint

import (
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
	// SavedAt is when the state was last written, as the store knows it
	// (the variable's updated_at, the file's modification time); zero if
	// unknown. A run saves after its last redelivery, so a run that starts
	// soon after SavedAt waits for those redeliveries to show in the list.
	// Not part of the stored value.
	SavedAt time.Time
}

// Parse reads a stored value: epoch milliseconds.
func Parse(s string) (State, error) {
	s = strings.TrimSpace(s)
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return State{}, fmt.Errorf("parse checkpoint %q: want epoch milliseconds such as 1763618400000", s)
	}
	return State{Checkpoint: time.UnixMilli(ms).UTC()}, nil
}

// Encode returns the value to store.
func (s State) Encode() string {
	return strconv.FormatInt(s.Checkpoint.UnixMilli(), 10)
}
