package redeliver

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestREADMEStatesTheRule: the README's figures for judging the receiver and
// for the time a run spends come from the constants here, so the two cannot
// drift apart.
func TestREADMEStatesTheRule(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.Join(strings.Fields(string(b)), " ")
	// The looks after the last redelivery on github.com, as await makes them.
	var offsets []string
	for _, off := range lookOffsets(ReceiverTimeout + listLag) {
		offsets = append(offsets, fmt.Sprint(int(off/time.Second)))
	}
	looks := strings.Join(offsets[:len(offsets)-1], ", ") + " and " + offsets[len(offsets)-1]
	want := []string{
		fmt.Sprintf("the newest attempt of each of the newest %d GUIDs made in the last %d minutes", sampleGUIDs, int(sampleSpan/time.Minute)),
		fmt.Sprintf("| %d GUIDs, at least %d failed | down |", sampleGUIDs, downVotes),
		fmt.Sprintf("| %d GUIDs, fewer failed | up |", sampleGUIDs),
		fmt.Sprintf("less than %d %% failed | up |", downVotes*100/sampleGUIDs),
		fmt.Sprintf("none succeeded, at least %d failed, of two events", probeGUIDs),
		fmt.Sprintf("the run probes it with %d redeliveries", probeGUIDs),
		fmt.Sprintf("every %d redeliveries, and every %d while %d %% or more of the sample fails", lookQuiet, lookWary, waryVotes*100/sampleGUIDs),
		fmt.Sprintf("fewer than a page of deliveries (%d) arrive between looks", PageSize),
		fmt.Sprintf("at most ⌈n/%d⌉ + 1 looks, about %d %% more requests", lookQuiet, 100/lookQuiet),
		fmt.Sprintf("noticed within at most %d redeliveries (%d to the next look, %d more that GitHub may not have listed yet at one a second, and one look at the wary pace)",
			IntoDownBound(), lookQuiet, int(listLag/time.Second)),
		fmt.Sprintf("succeeded within an %s of it", map[time.Duration]string{time.Hour: "hour"}[nearSpan]),
		fmt.Sprintf("at %s seconds for the last few (GitHub waits %d seconds for a receiver", looks, int(ReceiverTimeout/time.Second)),
		fmt.Sprintf("costs up to %d seconds (%d on Enterprise Server)", int((ReceiverTimeout+listLag)/time.Second), int((ServerReceiverTimeout+listLag)/time.Second)),
		fmt.Sprintf("costs at most %d redeliveries before the run notices", IntoDownBound()),
		fmt.Sprintf("not due until GitHub has listed the attempt or a %s has passed", map[time.Duration]string{time.Minute: "minute"}[Settle]),
	}
	for _, w := range want {
		if !strings.Contains(readme, w) {
			t.Errorf("README.md does not say %q", w)
		}
	}
}
