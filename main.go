// Command hook-redeliver finds failed GitHub webhook deliveries and
// redelivers them. In a workflow it runs as a Docker container action; on a
// server it runs from the command line.
package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
	buildversion "github.com/hook-redeliver/hook-redeliver/internal/version"
)

// version is set at build time with -ldflags "-X main.version=..."
// (release builds); main completes it from Go's build info otherwise
// (version.Resolve). It must keep a constant initializer for -X to work.
var version = "dev"

// Exit statuses, the same from the action and the command line.
const (
	exitOK      = 0
	exitFailure = 1 // the run failed; the report says what was done
	exitUsage   = 2 // bad input: flags, variables, files or inputs
	exitLocked  = 3 // another run holds the checkpoint file's lock (command line only)
)

func main() {
	// A pass makes one request at a time, so more threads than one only
	// add scheduler hand-offs and parallel GC work: a pass over 100k
	// deliveries took 1.9–2.5 s of CPU with two threads and 1.3–2.2 s with
	// one (README, Performance). A run over many identities has one request
	// in flight per identity, and still waits on the network nearly all the
	// time. An explicit GOMAXPROCS still wins.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	version = buildversion.Resolve(version, debug.ReadBuildInfo)
	// SIGTERM is what the runner sends when a job is cancelled: stop
	// starting redeliveries, but still save the checkpoint.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, isTerminal(os.Stdout))
	stop()
	os.Exit(exitCode(err))
}

// realMain picks the mode and runs it. terminal tells whether a person
// watches stdout. The front end has reported any error it returns, in its
// own words (the action names inputs, the command line flags and
// variables), so main only maps it to the exit status.
func realMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, terminal bool) error {
	if actionMode(args, getenv) {
		return runAction(ctx, getenv, stdout)
	}
	return runCLI(ctx, args, getenv, stdout, stderr, terminal)
}

// isTerminal reports whether f is a terminal, so that a person is reading
// what the binary prints; not a pipe, a file, a journal or cron's mail.
// /dev/null is a character device too, and is what cron jobs often send
// their output to, so it does not count.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// actionMode reports whether the binary runs as the container action: in a
// workflow run, with the runner's INPUT_ variables and no arguments. The
// binary run by a workflow's own step (as GitHub's scripts are, with their
// env:) gets no INPUT_ variables and takes the command line's path. The
// runner always sets the inputs that have a default in action.yml, so a
// container action never has them all empty.
func actionMode(args []string, getenv func(string) string) bool {
	if getenv("GITHUB_ACTIONS") != "true" || len(args) > 0 {
		return false
	}
	for _, k := range config.Settings() {
		if _, ok := config.InputLookuper(getenv).Lookup(k.Key); ok {
			return true
		}
	}
	return false
}

// errUsage marks a usage error the command line has reported: a bad flag or
// argument, or nothing configured where no person watches.
var errUsage = errors.New("usage")

// exitCode is the exit status for what a front end returned: the one place
// errors become exit statuses.
func exitCode(err error) int {
	var in *input.Error
	var locked *checkpoint.LockedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &in), errors.Is(err, errUsage):
		return exitUsage
	case errors.As(err, &locked):
		return exitLocked
	}
	return exitFailure
}
