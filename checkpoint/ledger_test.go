package checkpoint

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sec is a time in whole seconds, as GitHub's timestamps are.
func sec(s int64) time.Time { return time.Unix(s, 0).UTC() }

// testCP is the checkpoint the ledgers of these tests belong to.
var testCP = sec(1763618400)

// fullLedger sets every field the stored form carries.
func fullLedger() *Ledger {
	return &Ledger{
		Listed: testCP.Add(2 * time.Hour),
		From:   testCP.Add(30 * time.Minute),
		Gaps: []Gap{
			{Cursor: "v1_9007199254740993", Below: 1<<53 + 1, To: testCP.Add(time.Hour)},
			{Cursor: "v1_42", Below: 42, To: testCP.Add(10 * time.Minute)},
		},
		Down: []Span{
			{Since: testCP.Add(-3 * time.Hour), Until: testCP.Add(-2 * time.Hour)},
			{Since: testCP.Add(90 * time.Minute)}, // still down
		},
		GUIDs: []Entry{
			{GUID: "0b9c55a0-c6b3-11f0-8e9e-6b1c4a3b0d11", ID: 1<<53 + 1, At: testCP.Add(5 * time.Minute), Oldest: testCP,
				Attempts: 3, Complete: true, Event: "pull_request.opened", Code: 503},
			{GUID: "1c0d66b1-c6b3-11f0-8e9e-6b1c4a3b0d11", ID: math.MaxInt64, At: testCP.Add(6 * time.Minute), Oldest: testCP.Add(time.Minute),
				Attempts: 5, GaveUp: true, Event: "push", Status: "timed out"},
			{GUID: "2d1e77c2-c6b3-11f0-8e9e-6b1c4a3b0d11", ID: 7, At: testCP.Add(7 * time.Minute), Oldest: testCP.Add(7 * time.Minute),
				Attempts: 1, Complete: true, GaveUp: true, Event: "check_run.completed", Code: 400},
			{GUID: "3e2f88d3-c6b3-11f0-8e9e-6b1c4a3b0d11", ID: 9007199254740995, At: testCP.Add(8 * time.Minute), Oldest: testCP.Add(8 * time.Minute),
				Event: "issues", Status: "Couldn't connect to server"},
		},
		Settled: []string{"4f3099e4-c6b3-11f0-8e9e-6b1c4a3b0d11"},
	}
}

// withSent is fullLedger with a GUID whose redelivery was not listed yet:
// what version 2 added.
func withSent() *Ledger {
	l := fullLedger()
	l.Taken, l.LastOK = []string{"issues", "push"}, testCP.Add(115*time.Minute)
	l.GUIDs = append(l.GUIDs, Entry{GUID: "5a41aaf5-c6b3-11f0-8e9e-6b1c4a3b0d11", ID: 9007199254741001, At: testCP.Add(110 * time.Minute),
		Oldest: testCP.Add(100 * time.Minute), Attempts: 2, Complete: true, Event: "push", Code: 502, Sent: testCP.Add(119 * time.Minute)})
	return l
}

func TestParseLedgerRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		l    *Ledger
		cp   time.Time
	}{
		{"every field", withSent(), testCP},
		{"listed only", &Ledger{Listed: testCP.Add(time.Hour)}, testCP},
		{"GUIDs only", &Ledger{Listed: testCP, GUIDs: fullLedger().GUIDs[:1]}, testCP},
		{"an open outage only", &Ledger{Listed: testCP, Down: []Span{{Since: testCP.Add(-time.Minute)}}}, testCP},
		// The checkpoint of a State is whole seconds when stored; a ledger
		// belongs to the stored one.
		{"checkpoint with milliseconds", fullLedger(), testCP.Add(250 * time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc := tt.l.Encode(tt.cp)
			got, err := ParseLedger(enc, tt.cp.Truncate(time.Second))
			if err != nil {
				t.Fatalf("ParseLedger(%s): %v", enc, err)
			}
			if diff := cmp.Diff(tt.l, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s\nstored: %s", diff, enc)
			}
			if len(enc) > MaxLedgerSize {
				t.Errorf("stored form is %d bytes, more than %d", len(enc), MaxLedgerSize)
			}
		})
	}
}

// Ids above 2^53 must not pass through a float64: stored as strings.
func TestLedgerIDsAreExact(t *testing.T) {
	t.Parallel()
	for _, id := range []int64{1<<53 + 1, 9007199254740995, math.MaxInt64} {
		l := &Ledger{Listed: testCP, GUIDs: []Entry{{GUID: "g", ID: id, At: testCP, Oldest: testCP, Code: 502}}}
		enc := l.Encode(testCP)
		if want := `"` + strconv.FormatInt(id, 10) + `"`; !strings.Contains(enc, want) {
			t.Errorf("id %d: stored form %s does not hold %s", id, enc, want)
		}
		got, err := ParseLedger(enc, testCP)
		if err != nil || got == nil || got.GUIDs[0].ID != id {
			t.Errorf("id %d: ParseLedger = %+v, %v", id, got, err)
		}
	}
}

// The receiver's status code says what the status text would; only a text
// without a code ("timed out") is stored.
func TestLedgerStoresStatusTextOnlyWithoutCode(t *testing.T) {
	t.Parallel()
	l := &Ledger{Listed: testCP, GUIDs: []Entry{
		{GUID: "a", ID: 1, At: testCP, Oldest: testCP, Status: "Invalid HTTP Response: 503", Code: 503},
		{GUID: "b", ID: 2, At: testCP, Oldest: testCP, Status: "timed out"},
	}}
	got, err := ParseLedger(l.Encode(testCP), testCP)
	if err != nil {
		t.Fatal(err)
	}
	if e := got.GUIDs[0]; e.Status != "" || e.Code != 503 {
		t.Errorf("entry with a code = status %q, code %d; want the code alone", e.Status, e.Code)
	}
	if e := got.GUIDs[1]; e.Status != "timed out" || e.Code != 0 {
		t.Errorf("entry without a code = status %q, code %d; want the text", e.Status, e.Code)
	}
}

func TestParseLedgerOtherCheckpoint(t *testing.T) {
	t.Parallel()
	enc := fullLedger().Encode(testCP)
	for _, cp := range []time.Time{
		testCP.Add(time.Second),       // a later run's checkpoint
		testCP.Add(-time.Hour),        // a person moved it back
		testCP.Add(time.Millisecond),  // GitHub's scripts wrote arbitrary milliseconds
		testCP.Add(-time.Millisecond), // ... or the marked value itself
	} {
		got, err := ParseLedger(enc, cp)
		if got != nil || err != nil {
			t.Errorf("ParseLedger for checkpoint %d = %+v, %v; want nil, nil", cp.UnixMilli(), got, err)
		}
	}
}

// TestLedgerReadsVersion1: a ledger written by a binary of version 1's time
// (testdata/ledger-v1.json, fullLedger as that binary stored it) is read
// whole, so an upgrade keeps the GUIDs in play and the outage. The other
// direction, a binary that knows only version 1 finding this one, is a
// version it does not know: it reads from the checkpoint alone, as
// TestParseLedgerErrors and the stores' fallback tests show.
func TestLedgerReadsVersion1(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/ledger-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseLedger(string(b), testCP)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fullLedger(), got); diff != "" {
		t.Errorf("version 1 ledger read (-want +got):\n%s", diff)
	}
	if enc := fullLedger().Encode(testCP); !strings.HasPrefix(enc, `{"v":2,`) {
		t.Errorf("a ledger is written as %.20s…, want version 2", enc)
	}
}

// TestLedgerVersion2IsSmaller: naming the fields costs nothing per GUID:
// columns with relative times and an event table take a third fewer bytes
// than version 1's rows, so a ledger carries more GUIDs.
func TestLedgerVersion2IsSmaller(t *testing.T) {
	t.Parallel()
	l := &Ledger{Listed: testCP.Add(3 * time.Hour), GUIDs: manyGUIDs(500, testCP)}
	v2 := len(l.Encode(testCP))
	b, err := os.ReadFile("testdata/ledger-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	// Version 1 took 120 bytes a GUID of manyGUIDs' shape (a row of 9
	// fields), measured once with that binary's Encode: 60,052 bytes for
	// these 500.
	const v1 = 60052
	t.Logf("500 GUIDs: version 2 %d bytes (%.0f a GUID), version 1 %d; version 1 sample: %d bytes", v2, float64(v2)/500, v1, len(b))
	if v2 > v1*2/3 {
		t.Errorf("version 2 takes %d bytes for 500 GUIDs, version 1 took %d", v2, v1)
	}
}

// TestLedgerCapacity: the README says a ledger carries about 500 GUIDs in
// MaxLedgerSize before it keeps the oldest and records where the others
// start. GUIDs of manyGUIDs' shape (a long event name, a status code) are
// typical; Fit trims a tenth at a time, so it keeps a little less than what
// would fit (531 of them, where 590 would).
func TestLedgerCapacity(t *testing.T) {
	t.Parallel()
	l := &Ledger{Listed: testCP.Add(3 * time.Hour), GUIDs: manyGUIDs(1000, testCP)}
	dropped := l.Fit(testCP)
	kept := len(l.GUIDs)
	t.Logf("%d of 1000 GUIDs fit in %d bytes", kept, MaxLedgerSize)
	if kept < 500 || kept > 600 || kept+dropped != 1000 {
		t.Errorf("%d GUIDs kept and %d dropped; the README promises about 500 kept", kept, dropped)
	}
	if b, err := os.ReadFile("../README.md"); err != nil || !strings.Contains(string(b), "past about 500 GUIDs in play") {
		t.Errorf("README.md does not state the capacity this test checks (%v)", err)
	}
}

func TestParseLedgerErrors(t *testing.T) {
	t.Parallel()
	cp := strconv.FormatInt(testCP.UnixMilli(), 10)
	head := `{"v":1,"cp":` + cp + `,"listed":1763625600`
	v2 := func(cols string) string { return `{"v":2,"cp":` + cp + `,"listed":1763625600,"guids":{` + cols + `}}` }
	entry := func(fields string) string { return head + `,"g":[[` + fields + `]]}` }
	const ok = `"guid-1","9007199254740993",1763618700,1763618400,2,1,"push","",503`
	if _, err := ParseLedger(entry(ok), testCP); err != nil {
		t.Fatalf("the well-formed entry the cases below break is refused: %v", err)
	}
	enc := fullLedger().Encode(testCP)
	tests := []struct {
		name, in, want string
	}{
		{"unknown version", `{"v":3,"cp":` + cp + `,"listed":1763625600}`, "version 3 is not known"},
		{"no version", `{"cp":` + cp + `,"listed":1763625600}`, "version 0 is not known"},
		{"unknown version of another checkpoint", `{"v":3,"cp":1}`, "version 3 is not known"},
		{"version 2, unknown field", `{"v":2,"cp":` + cp + `,"listed":1763625600,"g":[]}`, "unknown field"},
		{"version 2, no listed time", `{"v":2,"cp":` + cp + `}`, "no listed time"},
		{"version 2, short column", v2(`"guid":["a","b"],"id":["1"],"at":[0,0],"oldest":[0,0],"attempts":[0,0],"event":[0,0],"events":["push"],"code":[0,0]`), "column id has 1 rows, guid has 2"},
		{"version 2, event out of the table", v2(`"guid":["a"],"id":["1"],"at":[0],"oldest":[0],"attempts":[0],"event":[1],"events":["push"],"code":[0]`), "row 0 is malformed"},
		{"version 2, id not a number", v2(`"guid":["a"],"id":["x"],"at":[0],"oldest":[0],"attempts":[0],"event":[0],"events":["push"],"code":[0]`), "row 0 is malformed"},
		{"version 2, empty GUID", v2(`"guid":[""],"id":["1"],"at":[0],"oldest":[0],"attempts":[0],"event":[0],"events":["push"],"code":[0]`), "row 0 is malformed"},
		{"version 2, gave_up out of range", v2(`"guid":["a"],"id":["1"],"at":[0],"oldest":[0],"attempts":[0],"event":[0],"events":["push"],"code":[0],"gave_up":[1]`), "gave_up names row 1 of 1"},
		{"version 2, sent names no row", v2(`"guid":["a"],"id":["1"],"at":[0],"oldest":[0],"attempts":[0],"event":[0],"events":["push"],"code":[0],"sent":{"x":1}`), "sent names row \"x\""},
		{"version 2, status names no row", v2(`"guid":["a"],"id":["1"],"at":[0],"oldest":[0],"attempts":[0],"event":[0],"events":["push"],"code":[0],"status":{"3":"timed out"}`), "status names row \"3\""},
		{"empty", "", "parse ledger"},
		{"garbage", "garbage", "parse ledger"},
		{"truncated", enc[:len(enc)/2], "parse ledger"},
		{"null", "null", "version 0"},
		{"array", "[1,2]", "parse ledger"},
		{"checkpoint as a string", `{"v":1,"cp":"` + cp + `","listed":1}`, "parse ledger"},
		{"no listed time", `{"v":1,"cp":` + cp + `}`, "no listed time"},
		{"entry as an object", head + `,"g":[{"guid":"x"}]}`, "parse ledger"},
		{"entry with 8 fields", entry(`"guid-1","1",1763618700,1763618400,2,1,"push",""`), "GUID 0: want 9 fields, got 8"},
		{"entry with 10 fields", entry(ok + `,0`), "GUID 0: want 9 fields, got 10"},
		{"empty GUID", entry(`"","1",1763618700,1763618400,2,1,"push","",503`), "GUID 0: malformed"},
		{"GUID as a number", entry(`7,"1",1763618700,1763618400,2,1,"push","",503`), "GUID 0: malformed"},
		{"id as a number", entry(`"guid-1",9007199254740993,1763618700,1763618400,2,1,"push","",503`), "GUID 0: malformed"},
		{"id not a number", entry(`"guid-1","x1",1763618700,1763618400,2,1,"push","",503`), "GUID 0: malformed"},
		{"time as a string", entry(`"guid-1","1","1763618700",1763618400,2,1,"push","",503`), "GUID 0: malformed"},
		{"fractional attempts", entry(`"guid-1","1",1763618700,1763618400,2.5,1,"push","",503`), "GUID 0: malformed"},
		{"flags as a string", entry(`"guid-1","1",1763618700,1763618400,2,"1","push","",503`), "GUID 0: malformed"},
		{"null event", entry(`"guid-1","1",1763618700,1763618400,2,1,null,"",503`), "GUID 0: malformed"},
		{"null code", entry(`"guid-1","1",1763618700,1763618400,2,1,"push","",null`), "GUID 0: malformed"},
		{"second entry malformed", head + `,"g":[[` + ok + `],["guid-2"]]}`, "GUID 1: want 9 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLedger(tt.in, testCP)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "parse ledger") {
				t.Fatalf("ParseLedger(%.80q) = %+v, %v; want an error containing %q", tt.in, got, err, tt.want)
			}
			if got != nil {
				t.Errorf("ParseLedger returned a ledger with its error: %+v", got)
			}
		})
	}
}

// manyGUIDs returns n entries, oldest first, one a second from base.
func manyGUIDs(n int, base time.Time) []Entry {
	out := make([]Entry, n)
	for i := range out {
		out[i] = Entry{
			GUID: fmt.Sprintf("%08x-c6b3-11f0-8e9e-%012x", i, i), ID: 1<<53 + int64(i)*3,
			At: base.Add(time.Duration(i)*time.Second + time.Hour), Oldest: base.Add(time.Duration(i) * time.Second),
			Attempts: 2, Complete: true, Event: "pull_request.synchronize", Code: 502,
		}
	}
	return out
}

func TestLedgerFit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    int
		from time.Time // the ledger's From before Fit
		// wantFrom, given the oldest attempt of the oldest GUID dropped
		// (zero if none was): the From after Fit.
		wantFrom func(oldestDropped time.Time) time.Time
	}{
		{"2,000 GUIDs, no From yet", 2000, time.Time{}, func(d time.Time) time.Time { return d }},
		{"2,000 GUIDs, From already earlier", 2000, testCP.Add(-time.Hour), func(time.Time) time.Time { return testCP.Add(-time.Hour) }},
		{"2,000 GUIDs, From later than those dropped", 2000, testCP.Add(3 * time.Hour), func(d time.Time) time.Time { return d }},
		{"10,000 GUIDs", 10000, time.Time{}, func(d time.Time) time.Time { return d }},
		{"10 GUIDs fit as they are", 10, time.Time{}, func(time.Time) time.Time { return time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			all := manyGUIDs(tt.n, testCP)
			l := fullLedger()
			l.From, l.GUIDs = tt.from, slices.Clone(all)
			dropped := l.Fit(testCP)

			enc := l.Encode(testCP)
			if len(enc) > MaxLedgerSize {
				t.Errorf("after Fit the ledger is %d bytes, more than %d", len(enc), MaxLedgerSize)
			}
			kept := len(l.GUIDs)
			if dropped != tt.n-kept {
				t.Errorf("Fit returned %d dropped, but %d of %d GUIDs are gone", dropped, tt.n-kept, tt.n)
			}
			if diff := cmp.Diff(all[:kept], l.GUIDs); diff != "" {
				t.Errorf("kept GUIDs are not the %d oldest (-want +got):\n%s", kept, diff)
			}
			var oldestDropped time.Time
			if kept < tt.n {
				oldestDropped = all[kept].Oldest
				// It uses the room it has, not a small part of it.
				if len(enc) < MaxLedgerSize*3/4 {
					t.Errorf("after Fit the ledger is %d bytes, %d GUIDs: it dropped more than it needed to", len(enc), kept)
				}
			}
			if want := tt.wantFrom(oldestDropped); !l.From.Equal(want) {
				t.Errorf("From = %s, want %s (oldest attempt of the GUIDs dropped: %s)", l.From, want, oldestDropped)
			}
			// The next run reads back to From: every dropped GUID is found
			// there.
			for _, e := range all[kept:] {
				if e.Oldest.Before(l.From) {
					t.Fatalf("dropped GUID %s starts at %s, before From %s: the next run would not find it", e.GUID, e.Oldest, l.From)
				}
			}
			got, err := ParseLedger(enc, testCP)
			if err != nil || got == nil || len(got.GUIDs) != kept || !got.From.Equal(l.From) {
				t.Errorf("the fitted ledger does not read back: %d GUIDs, From %v, %v", kept, got, err)
			}
		})
	}
}

func TestLedgerAddGap(t *testing.T) {
	t.Parallel()
	// gap i was left by run i: later runs read later (higher) parts of the
	// list, so both To and Below grow with i.
	gap := func(i int) Gap {
		return Gap{Cursor: fmt.Sprintf("v1_%d", 1000*i), Below: int64(1000 * i), To: testCP.Add(time.Duration(i) * time.Hour)}
	}
	seq := func(from, to int) []int {
		var s []int
		for i := from; i <= to; i++ {
			s = append(s, i)
		}
		return s
	}
	tests := []struct {
		name  string
		order []int
		want  []Gap // nil: check only that every gap added is covered
	}{
		{"up to 8 are kept, newest first", []int{3, 1, 2}, []Gap{gap(3), gap(2), gap(1)}},
		{"exactly 8", seq(1, 8), []Gap{gap(8), gap(7), gap(6), gap(5), gap(4), gap(3), gap(2), gap(1)}},
		{"the 9th merges the newest two", seq(1, 9),
			[]Gap{{Cursor: gap(9).Cursor, Below: gap(9).Below, To: gap(8).To}, gap(7), gap(6), gap(5), gap(4), gap(3), gap(2), gap(1)}},
		{"12 in the order runs leave them", seq(1, 12),
			[]Gap{{Cursor: gap(12).Cursor, Below: gap(12).Below, To: gap(8).To}, gap(7), gap(6), gap(5), gap(4), gap(3), gap(2), gap(1)}},
		{"12, newest first", []int{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, nil},
		// A run that keeps the unread parts it could not read adds them
		// after the part it left itself.
		{"12, the newest first then the rest in order", append([]int{12}, seq(1, 11)...), nil},
		{"20, interleaved", []int{20, 1, 19, 2, 18, 3, 17, 4, 16, 5, 15, 6, 14, 7, 13, 8, 12, 9, 11, 10}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := &Ledger{Listed: testCP}
			for _, i := range tt.order {
				l.AddGap(gap(i))
			}
			if len(l.Gaps) > maxGaps {
				t.Errorf("%d gaps kept, want at most %d", len(l.Gaps), maxGaps)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, l.Gaps); diff != "" {
					t.Errorf("gaps (-want +got):\n%s", diff)
				}
			}
			// Never skipped: each range added (ids below its Below, at or
			// after its To) lies inside one kept range, which is read from
			// its cursor down to its To.
			for _, i := range tt.order {
				g := gap(i)
				if !slices.ContainsFunc(l.Gaps, func(k Gap) bool { return k.Below >= g.Below && !k.To.After(g.To) }) {
					t.Errorf("the range of gap %d (below %d, from %s) is in no kept gap: %+v", i, g.Below, g.To.Format(time.DateTime), l.Gaps)
				}
			}
		})
	}
}

// A ledger holding only where to read back from still says something the
// checkpoint does not; settled GUIDs survive a round trip, and when they do
// not fit, the unread parts become a read from the newest delivery down.
func TestLedgerFromAndSettled(t *testing.T) {
	t.Parallel()
	if (&Ledger{Listed: testCP, From: testCP.Add(-time.Hour)}).Empty() {
		t.Error("a ledger with only From counts as empty: the next run would not read back")
	}
	l := &Ledger{Listed: testCP, Gaps: []Gap{{Cursor: "v1_7", Below: 7, To: testCP.Add(-2 * time.Hour)}}, Settled: []string{"a", "b"}}
	got, err := ParseLedger(l.Encode(testCP), testCP)
	if err != nil || got == nil || !slices.Equal(got.Settled, l.Settled) {
		t.Fatalf("ParseLedger = %+v, %v; want settled %v", got, err, l.Settled)
	}
	for i := range 3000 {
		l.Settled = append(l.Settled, fmt.Sprintf("%08x-c6b3-11f0-8e9e-%012x", i, i))
	}
	if dropped := l.Fit(testCP); dropped != 0 || len(l.Encode(testCP)) > MaxLedgerSize {
		t.Fatalf("Fit dropped %d GUIDs, size %d", dropped, len(l.Encode(testCP)))
	}
	if len(l.Gaps) != 0 || len(l.Settled) != 0 || !l.From.Equal(testCP.Add(-2*time.Hour)) {
		t.Errorf("after Fit: %d gaps, %d settled, From %s; want none, none, the gap's end", len(l.Gaps), len(l.Settled), l.From)
	}
}
