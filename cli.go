package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/demo"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
)

// runCLI runs outside GitHub Actions: settings from flags and the
// environment, a report on stdout, progress on stderr. With --demo it runs
// against a simulated GitHub instead; with nothing configured too, but only
// when stdout is a terminal (a person trying it out). terminal tells
// whether stdout is one. The error it returns has been reported already; main
// only maps it to the exit status.
func runCLI(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, terminal bool) error {
	return runCLIWith(ctx, args, getenv, stdout, stderr, terminal, run.Deps{Clock: clock.Real{}})
}

// runCLIWith is runCLI with the surroundings given, for tests. If d.Store is
// set it is used instead of the checkpoint store the settings select (the
// file is still locked when that store is a file).
func runCLIWith(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, terminal bool, d run.Deps) error {
	inv, err := parseCLI(args, getenv, stdout, stderr)
	if inv == nil {
		return err
	}
	if inv.version {
		fmt.Fprintln(stdout, "hook-redeliver", version)
		return nil
	}
	if line := config.IgnoredInputs(getenv); line != "" {
		fmt.Fprintln(stderr, line)
	}
	switch {
	case inv.demo:
		return inv.runDemo(ctx)
	case inv.unconfigured() && terminal:
		fmt.Fprintln(stderr, "hook-redeliver: nothing configured (no APP_ID, TOKEN, ORG or REPOSITORY): running against a SIMULATED GitHub. See --help and the README to run it for real.")
		return inv.runDemo(ctx)
	case inv.unconfigured():
		// A cron job or service that lost its environment: fail loudly
		// rather than report a simulated success.
		fmt.Fprintln(stderr, unconfiguredMessage)
		return fmt.Errorf("%w: nothing configured", errUsage)
	}

	inv.now = d.Clock.Now()
	cfg, err := inv.config(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "hook-redeliver:", inv.explain(err))
		return err
	}
	d.Log, d.Version = &textLogger{w: stderr}, version
	fmt.Fprintf(stderr, "hook-redeliver %s: %s, API %s, checkpoint: %s%s\n",
		version, cfg.Name(), cfg.APIURL, cfg.CheckpointPlace(), inv.dropInNote())
	for _, n := range cfg.Notes() {
		fmt.Fprintf(stderr, "%s: %s\n", inv.label(input.Key(n.Input)), n.Text)
	}

	// A dry run writes nothing, so it may run next to a real one.
	if cfg.CheckpointFile() != "" && !cfg.DryRun {
		lock, err := checkpoint.LockFile(cfg.CheckpointFile())
		if err != nil {
			var locked *checkpoint.LockedError
			if !errors.As(err, &locked) {
				err = input.Bad("checkpoint-file", "%v", err)
			}
			fmt.Fprintln(stderr, "hook-redeliver:", inv.explain(err))
			return err
		}
		defer lock.Unlock()
	}

	if inv.loop > 0 {
		return inv.runLoop(ctx, cfg, d)
	}
	rep, err := run.Execute(ctx, cfg, d)
	inv.writeReport(rep, 0)
	if getenv("GITHUB_ACTIONS") == "true" {
		// The binary run as a workflow step: give the job the outputs and
		// summary the action would.
		writeResults(githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stderr)), getenv, rep)
	}
	if err != nil {
		fmt.Fprintln(stderr, "hook-redeliver:", inv.explain(err))
		return err
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "hook-redeliver: interrupted before the run finished; the checkpoint records what was handled")
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return nil
}

// runLoop runs a pass every interval until ctx is cancelled (SIGINT,
// SIGTERM). A pass is timed from its start; one that overruns is followed by
// the next at once. --since applies to the first pass only. A failed pass is
// reported and the loop goes on: the next pass retries. A pass interrupted by
// a signal still saves its checkpoint (redeliver.Run), so stopping is clean
// and exits 0. The checkpoint file stays locked from the first pass to the
// end.
func (inv *invocation) runLoop(ctx context.Context, cfg *config.Config, d run.Deps) error {
	for pass := 1; ; pass++ {
		began := d.Clock.Now()
		rep, err := run.Execute(ctx, cfg, d)
		inv.writeReport(rep, pass)
		if err != nil {
			fmt.Fprintf(inv.stderr, "hook-redeliver: pass %d failed: %s\n", pass, inv.explain(err))
		}
		if ctx.Err() != nil {
			break
		}
		// --since is for one pass: the next ones go on from the checkpoint
		// that pass saved.
		cfg = cfg.WithoutSince()
		next := began.Add(inv.loop)
		fmt.Fprintf(inv.stderr, "hook-redeliver: next pass at %s\n", report.Stamp(next))
		if err := d.Clock.Sleep(ctx, max(0, next.Sub(d.Clock.Now()))); err != nil {
			break
		}
	}
	fmt.Fprintln(inv.stderr, "hook-redeliver: stopping; the checkpoint records what was handled")
	return nil
}

// writeReport prints one pass's report: plain text, or one line of JSON per
// pass with --json (JSON Lines in --loop). pass is 0 outside --loop.
func (inv *invocation) writeReport(rep *report.Run, pass int) {
	if inv.json {
		b, err := rep.JSON()
		if err != nil {
			fmt.Fprintln(inv.stderr, "hook-redeliver: render the JSON report:", err)
			return
		}
		fmt.Fprintf(inv.stdout, "%s\n", b)
		return
	}
	if pass > 0 {
		fmt.Fprintf(inv.stdout, "== pass %d\n", pass)
	}
	fmt.Fprint(inv.stdout, rep.Text())
}

// runDemo runs the demo with the command line's log and prints its report
// as a real run's: text, or JSON with --json. --dry-run (or DRY_RUN) makes
// it a dry run; the webhook and credentials are the demo's own, so other
// flags are said to be ignored.
func (inv *invocation) runDemo(ctx context.Context) error {
	var o demo.Options
	if v, ok := inv.Lookup("DRY_RUN"); ok {
		dry, err := strconv.ParseBool(v)
		if err != nil {
			err := input.Bad("dry-run", "want true or false, got %s", input.Value("dry-run", v))
			fmt.Fprintln(inv.stderr, "hook-redeliver:", inv.explain(err))
			return err
		}
		o.DryRun = dry
	}
	var ignored []string
	for _, k := range slices.Sorted(maps.Keys(inv.flagFrom)) {
		if k != "DRY_RUN" {
			ignored = append(ignored, inv.flagFrom[k])
		}
	}
	if len(ignored) > 0 {
		fmt.Fprintf(inv.stderr, "hook-redeliver: --demo runs its own simulated App webhook; ignoring %s\n", strings.Join(ignored, ", "))
	}
	rep, err := demo.Run(ctx, inv.stderr, &textLogger{w: inv.stderr}, version, o)
	if rep != nil {
		inv.writeReport(rep, 0)
	}
	if err != nil {
		fmt.Fprintln(inv.stderr, "demo:", err)
		// %v, not %w: whatever failed, the demo did (exit 1), even where
		// the cause would be bad input or a lock in a real run.
		return fmt.Errorf("demo: %v", err)
	}
	return nil
}
