package checkpoint

import (
	"strings"
	"testing"
	"time"
)

func TestParseEncode(t *testing.T) {
	t.Parallel()
	cp := time.UnixMilli(1763618400000).UTC()
	tests := []struct {
		name, in, wantErr string
	}{
		{name: "GitHub's scripts write epoch milliseconds", in: "1763618400000"},
		{name: "surrounding space", in: " 1763618400000\n"},
		{name: "garbage", in: "yesterday", wantErr: "want epoch milliseconds"},
		{name: "negative", in: "-5", wantErr: "want epoch milliseconds"},
		{name: "json", in: `{"checkpoint":1763618400000}`, wantErr: "want epoch milliseconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !got.Checkpoint.Equal(cp) {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, got.Checkpoint, cp)
			}
			if enc := got.Encode(); enc != "1763618400000" {
				t.Errorf("Encode() = %q, want the plain number", enc)
			}
		})
	}
}

func TestDefaultNameIsValidAndDistinct(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ app, org, owner, repo string }{
		{app: "123"}, {app: "Iv1.abc"}, {org: "acme"}, {org: "my-org"},
		{owner: "a-b", repo: "c"}, {owner: "a", repo: "b-c"}, {owner: "a", repo: "b_c"}, {owner: "a", repo: "b.c"},
	} {
		n := DefaultName(c.app, c.org, c.owner, c.repo, 7)
		if err := ValidateName(n); err != nil {
			t.Errorf("DefaultName(%+v) = %q: %v", c, n, err)
		}
	}
	// a-b/c and a/b-c must not share a checkpoint. (Hook ids are unique
	// across GitHub, so two repositories never share one.)
	if DefaultName("", "", "a-b", "c", 1) == DefaultName("", "", "a", "b-c", 1) {
		t.Error("a-b/c and a/b-c share a variable name")
	}
}

func TestValidateName(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"", "1ABC", "GITHUB_X", "github_x", "A-B", "A B"} {
		if ValidateName(n) == nil {
			t.Errorf("ValidateName(%q) = nil, want an error", n)
		}
	}
	for _, n := range []string{"LAST_REDELIVERY", "_x", "a1"} {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v", n, err)
		}
	}
}

// A checkpoint stored with a ledger is written one millisecond early, so its
// value ends in 999: the mark that tells a run to read the ledger.
func TestStateEncodeParse(t *testing.T) {
	t.Parallel()
	cp := time.UnixMilli(1763618400000).UTC()
	withLedger := &Ledger{Listed: cp.Add(time.Hour), GUIDs: []Entry{{GUID: "g", ID: 1, At: cp, Oldest: cp, Code: 502}}}
	tests := []struct {
		name    string
		st      State
		stored  string
		want    time.Time // the checkpoint Parse reads back
		wantErr bool
	}{
		{name: "no ledger", st: State{Checkpoint: cp}, stored: "1763618400000", want: cp},
		{name: "an empty ledger is none", st: State{Checkpoint: cp, Ledger: &Ledger{Listed: cp.Add(time.Hour)}}, stored: "1763618400000", want: cp},
		{name: "with a ledger: one millisecond early", st: State{Checkpoint: cp, Ledger: withLedger}, stored: "1763618399999", want: cp},
		{name: "with an open outage only", st: State{Checkpoint: cp, Ledger: &Ledger{Listed: cp, Down: []Span{{Since: cp}}}}, stored: "1763618399999", want: cp},
		{name: "with unread parts only", st: State{Checkpoint: cp, Ledger: &Ledger{Listed: cp, Gaps: []Gap{{Cursor: "v1_5", Below: 5, To: cp}}}}, stored: "1763618399999", want: cp},
		// Checkpoints are whole seconds; a finer one is stored earlier,
		// never later.
		{name: "milliseconds are dropped", st: State{Checkpoint: cp.Add(999 * time.Millisecond)}, stored: "1763618400000", want: cp},
		{name: "milliseconds are dropped, with a ledger", st: State{Checkpoint: cp.Add(999 * time.Millisecond), Ledger: withLedger}, stored: "1763618399999", want: cp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stored := tt.st.Encode()
			if stored != tt.stored {
				t.Fatalf("Encode() = %q, want %q", stored, tt.stored)
			}
			got, err := Parse(stored)
			if err != nil {
				t.Fatalf("Parse(%q): %v", stored, err)
			}
			if !got.Checkpoint.Equal(tt.want) {
				t.Errorf("Parse(%q).Checkpoint = %s, want %s", stored, got.Checkpoint, tt.want)
			}
			if wantMark := !tt.st.Ledger.Empty(); got.marked != wantMark {
				t.Errorf("Parse(%q) marked = %t, want %t", stored, got.marked, wantMark)
			}
			if got.Checkpoint.After(tt.st.Checkpoint) {
				t.Errorf("the stored checkpoint %s is later than the state's %s", got.Checkpoint, tt.st.Checkpoint)
			}
			if got.Ledger != nil || got.Note != "" {
				t.Errorf("Parse(%q) = %+v: the value alone carries no ledger", stored, got)
			}
			// Stored again unchanged, the value is the same: a save of an
			// unchanged state writes nothing.
			if again := (State{Checkpoint: got.Checkpoint, Ledger: tt.st.Ledger}).Encode(); again != stored {
				t.Errorf("stored again: %q, want %q", again, stored)
			}
			if !tt.st.Ledger.Empty() {
				// The ledger stored beside it belongs to the checkpoint read.
				l, err := ParseLedger(tt.st.Ledger.Encode(tt.st.Checkpoint), got.Checkpoint)
				if err != nil || l == nil {
					t.Errorf("the ledger does not belong to the checkpoint read back: %+v, %v", l, err)
				}
			}
		})
	}
}

// Values written by GitHub's scripts (Date.now(): any millisecond) are read
// exactly; one that happens to end in 999 sends the run looking for a ledger,
// which finds none that belongs to it: never an error.
func TestParseScriptsValues(t *testing.T) {
	t.Parallel()
	leftover := (&Ledger{Listed: time.UnixMilli(1763600000000), GUIDs: []Entry{{GUID: "g", ID: 1, Code: 502}}}).Encode(time.UnixMilli(1763600000000))
	tests := []struct {
		name     string
		in       string
		wantMS   int64
		wantMark bool
		stored   string // Encode without a ledger
	}{
		{name: "arbitrary milliseconds", in: "1763618400123", wantMS: 1763618400123, stored: "1763618400000"},
		{name: "one millisecond", in: "1763618400001", wantMS: 1763618400001, stored: "1763618400000"},
		{name: "998", in: "1763618400998", wantMS: 1763618400998, stored: "1763618400000"},
		{name: "ends in 999 by chance", in: "1763618400999", wantMS: 1763618401000, wantMark: true, stored: "1763618401000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if st.Checkpoint.UnixMilli() != tt.wantMS || st.marked != tt.wantMark {
				t.Errorf("Parse(%q) = %d (marked %t), want %d (marked %t)", tt.in, st.Checkpoint.UnixMilli(), st.marked, tt.wantMS, tt.wantMark)
			}
			// At most one millisecond later than the value: a delivery
			// GitHub timestamps in whole seconds is never skipped by it.
			if d := st.Checkpoint.UnixMilli() - 1763618400000; d < 0 || d > 1000 {
				t.Errorf("Parse(%q) moved the checkpoint by %d ms", tt.in, d)
			}
			if l, err := ParseLedger(leftover, st.Checkpoint); l != nil || err != nil {
				t.Errorf("a ledger left from before is taken: %+v, %v", l, err)
			}
			if enc := st.Encode(); enc != tt.stored {
				t.Errorf("stored again as %q, want %q (whole seconds)", enc, tt.stored)
			}
		})
	}
}
