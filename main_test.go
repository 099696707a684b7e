package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
)

// TestExitCode: the one mapping from what a front end returned to the exit
// status, as --help and the README state it.
func TestExitCode(t *testing.T) {
	t.Parallel()
	bad := input.Bad("hook-id", "want a webhook id")
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, exitOK},
		{"a failed run", errors.New("organization acme or hook 9 not found"), exitFailure},
		{"interrupted", fmt.Errorf("interrupted: %w", context.Canceled), exitFailure},
		{"bad input", bad, exitUsage},
		{"bad inputs, joined", errors.Join(errors.New("other"), bad), exitUsage},
		{"a bad flag", fmt.Errorf("%w: flag provided but not defined: -x", errUsage), exitUsage},
		{"locked", fmt.Errorf("lock: %w", &checkpoint.LockedError{Path: "cp.lock", PID: 42}), exitLocked},
	} {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}
