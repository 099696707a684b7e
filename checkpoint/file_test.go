package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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
	tests := []struct {
		name    string
		st      State
		content string
	}{
		{"plain epoch milliseconds, as GitHub's scripts write", State{Checkpoint: cp}, "1763618400000\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			f := NewFile(filepath.Join(dir, "cp"))
			if _, found, err := f.Load(t.Context()); err != nil || found {
				t.Fatalf("Load of a missing file = found %t, %v; want a first run", found, err)
			}
			// Save twice: the second replaces the first.
			if err := f.Save(t.Context(), State{Checkpoint: cp.Add(-time.Hour)}); err != nil {
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
			if err != nil || !found || !got.Checkpoint.Equal(tt.st.Checkpoint) || got.SavedAt.IsZero() {
				t.Errorf("Load = %+v, %t, %v; want %+v", got, found, err, tt.st)
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
