package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// dirEntries lists the names in dir, to catch temporary files left behind.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestFileRoundTrip(t *testing.T) {
	t.Parallel()
	cp := time.UnixMilli(1763618400000).UTC()
	l := fullLedger()
	tests := []struct {
		name    string
		st      State
		content string
	}{
		{"plain epoch milliseconds, as GitHub's scripts write", State{Checkpoint: cp}, "1763618400000\n"},
		{"with a ledger: two lines, the first one millisecond early", State{Checkpoint: cp, Ledger: l}, "1763618399999\n" + l.Encode(cp) + "\n"},
		{"an empty ledger is not stored", State{Checkpoint: cp, Ledger: &Ledger{Listed: cp}}, "1763618400000\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			f := NewFile(filepath.Join(dir, "cp"))
			if _, found, err := f.Load(t.Context()); err != nil || found {
				t.Fatalf("Load of a missing file = found %t, %v; want a first run", found, err)
			}
			// Save twice: the second replaces the first, its ledger
			// line included.
			if err := f.Save(t.Context(), State{Checkpoint: cp.Add(-time.Hour), Ledger: fullLedger()}); err != nil {
				t.Fatal(err)
			}
			if err := f.Save(t.Context(), tt.st); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.content {
				t.Errorf("file holds %q, want %q", b, tt.content)
			}
			got, found, err := f.Load(t.Context())
			if err != nil || !found || !got.Checkpoint.Equal(tt.st.Checkpoint) || got.SavedAt.IsZero() || got.Note != "" {
				t.Errorf("Load = %+v, %t, %v; want %+v", got, found, err, tt.st)
			}
			var want *Ledger
			if !tt.st.Ledger.Empty() {
				want = tt.st.Ledger
			}
			if diff := cmp.Diff(want, got.Ledger); diff != "" {
				t.Errorf("Load ledger (-want +got):\n%s", diff)
			}
			if names := dirEntries(t, dir); len(names) != 1 || names[0] != "cp" {
				t.Errorf("directory holds %q, want only the checkpoint (no temporary files)", names)
			}
			if fi, err := os.Stat(f.path); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("mode = %v, %v; want 0644", fi.Mode(), err)
			}
		})
	}
}

// A file written by GitHub's documented scripts' format by hand (or copied
// from the variable) is read as is.
func TestFileReadsScriptFormat(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cp")
	if err := os.WriteFile(path, []byte("1763618400000"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, found, err := NewFile(path).Load(t.Context())
	if err != nil || !found || st.Checkpoint.UnixMilli() != 1763618400000 {
		t.Errorf("Load = %+v, %t, %v", st, found, err)
	}
}

func TestFileErrors(t *testing.T) {
	t.Parallel()
	t.Run("damaged content names the file", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "cp")
		if err := os.WriteFile(path, []byte("yesterday\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := NewFile(path).Load(t.Context())
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "fix or delete the file") {
			t.Errorf("Load error = %v, want one naming %s and saying what to do", err, path)
		}
	})
	t.Run("a failed save leaves the old file and no temporary file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		// A directory where the file should be: the rename fails.
		path := filepath.Join(dir, "cp")
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		err := NewFile(path).Save(t.Context(), State{Checkpoint: time.UnixMilli(1763618400000)})
		if err == nil || !strings.Contains(err.Error(), "write checkpoint file "+path) {
			t.Errorf("Save error = %v", err)
		}
		if names := dirEntries(t, dir); len(names) != 1 || names[0] != "cp" {
			t.Errorf("directory holds %q, want no temporary files", names)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "no", "such", "cp")
		if err := NewFile(path).Save(t.Context(), State{Checkpoint: time.UnixMilli(1)}); err == nil {
			t.Error("Save into a missing directory succeeded")
		}
	})
}

func TestLockContention(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cp")
	first, err := LockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to an open file, so a second LockFile in this
	// process contends exactly as a second process would.
	second, err := LockFile(path)
	var le *LockedError
	if !errors.As(err, &le) {
		second.Unlock()
		t.Fatalf("second LockFile = %v, want a *LockedError", err)
	}
	if le.PID != os.Getpid() {
		t.Errorf("holder pid = %d, want %d", le.PID, os.Getpid())
	}
	want := "another hook-redeliver run holds " + path + ".lock (pid " + strconv.Itoa(os.Getpid()) + "); refusing to run so deliveries are not redelivered twice"
	if err.Error() != want {
		t.Errorf("message = %q\nwant      %q", err, want)
	}

	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := first.Unlock(); err != nil {
		t.Errorf("second Unlock = %v, want nil", err)
	}
	again, err := LockFile(path)
	if err != nil {
		t.Fatalf("LockFile after Unlock = %v", err)
	}
	defer again.Unlock()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("locking created the checkpoint file itself (%v)", err)
	}
}

func TestLockedErrorWithoutPID(t *testing.T) {
	t.Parallel()
	err := &LockedError{Path: "/var/lib/x.lock"}
	if !strings.Contains(err.Error(), "(pid unknown)") {
		t.Errorf("message = %q", err)
	}
}

func TestLockMissingDirectory(t *testing.T) {
	t.Parallel()
	_, err := LockFile(filepath.Join(t.TempDir(), "missing", "cp"))
	var le *LockedError
	if err == nil || errors.As(err, &le) {
		t.Errorf("LockFile in a missing directory = %v, want a plain error", err)
	}
}

// A file whose ledger line is missing, left from before, or damaged is read
// from its first line alone: the run reads from the checkpoint, and says why
// when there was a ledger it could not use. Never an error.
func TestFileLedgerFallback(t *testing.T) {
	t.Parallel()
	cp := time.UnixMilli(1763618400000).UTC()
	other := fullLedger().Encode(cp.Add(-time.Hour))
	tests := []struct {
		name, content string
		wantMS        int64
		wantNote      string // "" for none
	}{
		{name: "only the scripts' value", content: "1763618400123\n", wantMS: 1763618400123},
		{name: "only the scripts' value, ending in 999", content: "1763618400999\n", wantMS: 1763618401000},
		{name: "only a marked value: the ledger line was removed", content: "1763618399999\n", wantMS: 1763618400000},
		{name: "the scripts' value over a run's file", content: "1763618400123\n" + fullLedger().Encode(cp) + "\n", wantMS: 1763618400123, wantNote: "belongs to another checkpoint"},
		{name: "a ledger of another checkpoint", content: "1763618399999\n" + other + "\n", wantMS: 1763618400000, wantNote: "belongs to another checkpoint"},
		{name: "a damaged ledger", content: "1763618399999\n{\"v\":1,\"cp\":1763618400000,\"g\":[[\n", wantMS: 1763618400000, wantNote: "is unreadable"},
		{name: "a ledger of an unknown version", content: "1763618399999\n{\"v\":9}\n", wantMS: 1763618400000, wantNote: "version 9 is not known"},
		{name: "blank lines after the value", content: "1763618400000\n\n\n", wantMS: 1763618400000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "cp")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			st, found, err := NewFile(path).Load(t.Context())
			if err != nil || !found {
				t.Fatalf("Load = found %t, %v; want the checkpoint, no error", found, err)
			}
			if st.Checkpoint.UnixMilli() != tt.wantMS || st.Ledger != nil {
				t.Errorf("Load = checkpoint %d, ledger %+v; want %d and no ledger", st.Checkpoint.UnixMilli(), st.Ledger, tt.wantMS)
			}
			switch {
			case tt.wantNote == "" && st.Note != "":
				t.Errorf("Note = %q, want none", st.Note)
			case tt.wantNote != "" && (!strings.Contains(st.Note, tt.wantNote) || !strings.Contains(st.Note, "reading from the checkpoint instead") || !strings.Contains(st.Note, path)):
				t.Errorf("Note = %q, want it to name %s, say %q and that the run reads from the checkpoint", st.Note, path, tt.wantNote)
			}
		})
	}
}

// Save replaces the file in one rename: a run loading it meanwhile sees one
// state or the other whole, never a checkpoint with another state's ledger
// or half a ledger.
func TestFileSaveIsAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := NewFile(filepath.Join(dir, "cp"))
	states := []State{
		{Checkpoint: time.UnixMilli(1763618400000).UTC(), Ledger: fullLedger()},
		{Checkpoint: time.UnixMilli(1763622000000).UTC(), Ledger: &Ledger{Listed: time.UnixMilli(1763625600000).UTC(), GUIDs: manyGUIDs(300, time.UnixMilli(1763622000000).UTC())}},
		{Checkpoint: time.UnixMilli(1763625600000).UTC()},
	}
	if err := f.Save(t.Context(), states[0]); err != nil {
		t.Fatal(err)
	}
	// Each save syncs to disk: a few dozen keep the test quick.
	const saves = 60
	done := make(chan error)
	go func() {
		defer close(done)
		for i := range saves {
			if err := f.Save(t.Context(), states[i%len(states)]); err != nil {
				done <- err
				return
			}
		}
	}()
	for loads := 0; ; loads++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if names := dirEntries(t, dir); len(names) != 1 {
				t.Errorf("directory holds %q after %d saves, want only the checkpoint", names, saves)
			}
			return
		default:
		}
		got, _, err := f.Load(t.Context())
		if err != nil {
			t.Fatalf("load %d: %v", loads, err)
		}
		if got.Note != "" {
			t.Fatalf("load %d saw a mix of two saves: %s", loads, got.Note)
		}
		i := slices.IndexFunc(states, func(s State) bool { return s.Checkpoint.Equal(got.Checkpoint) })
		if i < 0 {
			t.Fatalf("load %d read checkpoint %s, which no save wrote", loads, got.Checkpoint)
		}
		var want *Ledger
		if !states[i].Ledger.Empty() {
			want = states[i].Ledger
		}
		if diff := cmp.Diff(want, got.Ledger); diff != "" {
			t.Fatalf("load %d: checkpoint %s with another ledger (-want +got):\n%s", loads, got.Checkpoint, diff)
		}
	}
}
