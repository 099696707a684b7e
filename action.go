package main

import (
	"context"
	"io"
	"maps"
	"slices"

	"github.com/sethvargo/go-githubactions"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
)

// runAction runs as a step of a workflow: inputs from INPUT_*, results as
// step outputs and a job summary, problems as annotations. The error it
// returns has been reported already; main only maps it to the exit status.
func runAction(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	return runActionWith(ctx, getenv, stdout, run.Deps{Clock: clock.Real{}})
}

func runActionWith(ctx context.Context, getenv func(string) string, stdout io.Writer, d run.Deps) error {
	gha := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout))
	d.Log, d.Version = gha, version
	cfg, err := config.Load(ctx, config.InputLookuper(getenv))
	if err == nil {
		r := config.RunnerFromEnv(getenv)
		r.Now = d.Clock.Now()
		err = cfg.Validate(r)
	}
	if err != nil {
		gha.Errorf("%s", err)
		return err
	}
	gha.Infof("hook-redeliver %s: %s", version, cfg)
	for _, n := range cfg.Notes() {
		gha.Infof("%s: %s", n.Input, n.Text)
	}

	rep, err := run.Execute(ctx, cfg, d)
	writeResults(gha, getenv, rep)
	if err != nil {
		gha.Errorf("%s", err)
		return err
	}
	return nil
}

// writeResults sets the step outputs and the job summary. Outside a runner
// (no GITHUB_OUTPUT file) go-githubactions would panic, so check first.
func writeResults(gha *githubactions.Action, getenv func(string) string, rep *report.Run) {
	if getenv("GITHUB_OUTPUT") != "" {
		out := rep.Outputs()
		for _, k := range slices.Sorted(maps.Keys(out)) {
			gha.SetOutput(k, out[k])
		}
	}
	if getenv("GITHUB_STEP_SUMMARY") != "" && rep.HasSummary() {
		gha.AddStepSummary(rep.Markdown())
	}
}
