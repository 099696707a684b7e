package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// maxFileSize bounds what Load reads: a stored value is a few dozen bytes.
const maxFileSize = 64 << 10

// File stores the state in a local file, for runs outside GitHub Actions
// (cron, a systemd timer, --loop). Its first line holds the same value as the
// repository variable (epoch milliseconds), so it can be read with cat and
// moved to or from a variable by hand; a second line, when a run left GUIDs in
// play, holds the ledger. Both are written in one atomic replace.
//
// Save replaces the file atomically: a reader, or a run after a crash, sees
// the old value or the new one, never a mix. Two runs must not use one file at
// once; Lock guards against that.
type File struct {
	path string
}

// NewFile returns a store for the file at path. The directory must exist;
// the file is created by the first Save.
func NewFile(path string) *File { return &File{path: path} }

func (f *File) String() string { return "file " + f.path }

// Load reads the file. A missing file is the first run.
func (f *File) Load(context.Context) (State, bool, error) {
	fh, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, fmt.Errorf("read checkpoint: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return State{}, false, fmt.Errorf("read checkpoint %s: %w", f, err)
	}
	if len(b) > maxFileSize {
		return State{}, false, fmt.Errorf("read checkpoint %s: larger than %d bytes, so not a checkpoint; fix or delete the file (a missing one means a first run, looking back 24h)", f, maxFileSize)
	}
	first, rest, _ := strings.Cut(string(b), "\n")
	st, err := Parse(first)
	if err != nil {
		return State{}, false, fmt.Errorf("read checkpoint %s: %w; fix or delete the file (a missing one means a first run, looking back 24h)", f, err)
	}
	if fi, err := fh.Stat(); err == nil {
		st.SavedAt = fi.ModTime()
	}
	if rest = strings.TrimSpace(rest); rest != "" {
		st.Ledger, err = ParseLedger(rest, st.Checkpoint)
		if err != nil {
			st.Note = fmt.Sprintf("the ledger in %s is unreadable (%v); reading from the checkpoint instead", f.path, err)
		} else if st.Ledger == nil {
			st.Note = fmt.Sprintf("the ledger in %s belongs to another checkpoint; reading from the checkpoint instead", f.path)
		}
	}
	return st, true, nil
}

// Save writes st atomically: to a temporary file in the same directory,
// synced to disk, then renamed over the old file, and the directory synced so
// the rename itself survives a power cut. The context is not consulted: a
// checkpoint is written even while the run is being cancelled.
func (f *File) Save(_ context.Context, st State) error {
	data := st.Encode() + "\n"
	if !st.Ledger.Empty() {
		data += st.Ledger.Encode(st.Checkpoint) + "\n"
	}
	if err := writeAtomic(f.path, []byte(data)); err != nil {
		return fmt.Errorf("write checkpoint %s: %w", f, err)
	}
	return nil
}

// writeAtomic replaces path with data. On failure the old file is untouched
// and no temporary file is left behind.
func writeAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600; a checkpoint is no secret, and an
	// operator reading it with another account should be able to.
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable. Its errors are ignored: the new file
// is in place whatever happens, and some file systems cannot sync a
// directory.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}

// Lock is an exclusive, advisory lock that keeps a second run from using a
// checkpoint file while the first one runs: both would read the same
// checkpoint and redeliver the same failures twice (a cron line firing while a
// slow run is still going, a --loop service next to a cron job).
//
// It is a flock(2) on "<file>.lock", which the kernel releases when the
// process ends however it ends, so a crash never leaves a stale lock; the lock
// file itself stays in place (removing it would let two runs lock two
// different files of the same name). It holds the holder's pid, for the
// message the second run prints.
type Lock struct {
	f *os.File
}

// LockedError is returned by LockFile when another process holds the lock.
type LockedError struct {
	Path string // the lock file
	PID  int    // the holder, as it wrote it; 0 if unknown
}

func (e *LockedError) Error() string {
	pid := "pid unknown"
	if e.PID > 0 {
		pid = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("another hook-redeliver run holds %s (%s); refusing to run so deliveries are not redelivered twice", e.Path, pid)
}

// LockFile takes the lock of the checkpoint file at path without waiting.
// If another process (or another LockFile in this process) holds it, it
// returns a *LockedError.
func LockFile(path string) (*Lock, error) {
	lp := path + ".lock"
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock checkpoint: %w", err)
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := readPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: lp, PID: pid}
		}
		return nil, fmt.Errorf("lock checkpoint: flock %s: %w", lp, err)
	}
	// Best effort: the pid only makes the other run's message better.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. It is safe to call more than once.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	// Empty the pid first, while the lock is still held; closing the file
	// releases the lock.
	_ = f.Truncate(0)
	err := flock(f, syscall.LOCK_UN)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// flock retries on EINTR, which a signal arriving during the call causes.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

func readPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
