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
	// unknown. A run saves after its last redelivery: when the ledger is
	// lost, a GUID failed before SavedAt may have a redelivery GitHub has not
	// listed yet. Not part of the stored value.
	SavedAt time.Time
	// Ledger is what the run left besides the checkpoint, stored beside it;
	// nil when there is none, or none that belongs to this checkpoint.
	Ledger *Ledger
	// Note says why a stored ledger was not used, for the log; "" if none.
	Note string
	// marked: the stored value says a ledger was stored with it.
	marked bool
}

// LedgerLost reports whether the checkpoint was stored with a ledger that is
// now missing, unreadable or another checkpoint's (a run died between the two
// writes, or something else changed one of them): what the ledger said of
// the previous run's redeliveries, and of GUIDs in play, is unknown.
func (s State) LedgerLost() bool { return s.marked && s.Ledger == nil }

// A checkpoint stored with a ledger beside it is written one millisecond
// early, so that its value ends in 999: a run reads the ledger only then,
// which saves a request in the common case of no ledger, and a value written
// by GitHub's scripts or a person (almost never ending in 999) makes the run
// ignore a ledger left from before. One millisecond early is always safe: a
// checkpoint may be early, never late. Checkpoints themselves are whole
// seconds (GitHub's timestamps are).
const ledgerMark = 999

// Parse reads a stored value: epoch milliseconds.
func Parse(s string) (State, error) {
	s = strings.TrimSpace(s)
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return State{}, fmt.Errorf("parse checkpoint %q: want epoch milliseconds such as 1763618400000", s)
	}
	st := State{Checkpoint: time.UnixMilli(ms).UTC()}
	if ms%1000 == ledgerMark {
		st.Checkpoint = st.Checkpoint.Add(time.Millisecond)
		st.marked = true
	}
	return st, nil
}

// Encode returns the checkpoint's stored value.
func (s State) Encode() string {
	ms := s.Checkpoint.Truncate(time.Second).UnixMilli()
	if !s.Ledger.Empty() {
		ms--
	}
	return strconv.FormatInt(ms, 10)
}
