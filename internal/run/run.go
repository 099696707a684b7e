// Package run is what both front ends call: it builds the GitHub clients of
// a run from the validated Config (one per credential and purpose, as
// auth.Plan assigns them), expands the target into its webhooks and runs the
// pass of each, and sends the failure notification.
package run

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/notify"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// Logger is where a run tells what it does: the Actions log (annotations,
// groups, masks) or a terminal.
type Logger interface {
	Infof(format string, args ...any)
	Warningf(format string, args ...any)
	Group(title string)
	EndGroup()
	AddMask(secret string)
}

// Deps are what a run takes from its surroundings, so tests can run it whole
// on a virtual clock.
type Deps struct {
	Clock     clock.Clock       // local clock
	Transport http.RoundTripper // the network; nil for the default
	Log       Logger
	// Version is the binary's, for the User-Agent and the notification.
	Version string
	// Rand, if set, draws the transports' backoff jitter (tests replay a
	// run under faults exactly).
	Rand *rand.Rand
	// Store, if set, returns the checkpoint store of one target instead of
	// the one the Config selects (Config.StoreFor).
	Store func(cfg *config.Config, t redeliver.Target, client *github.Client) checkpoint.Store
}

// finishReserve is the part of the time budget kept for saving the
// checkpoint and writing the report after the pass stops.
func finishReserve(timeout time.Duration) time.Duration {
	return min(30*time.Second, timeout/10)
}

// Execute runs the action for every hook of cfg. It returns the report even
// when it also returns an error.
func Execute(ctx context.Context, cfg *config.Config, d Deps) (*report.Run, error) {
	if cfg.Many() {
		return executeMany(ctx, cfg, d)
	}
	rep := &report.Run{DryRun: cfg.DryRun}
	start := d.Clock.Now()
	hardDeadline := start.Add(cfg.Timeout)
	passDeadline := hardDeadline.Add(-finishReserve(cfg.Timeout))
	srv := clock.NewServer(d.Clock)

	cl, err := buildClients(cfg, d, srv, passDeadline, hardDeadline)
	if err != nil {
		return rep, err
	}
	targets, err := cfg.Target().Targets(ctx, func(ctx context.Context, base redeliver.Target) ([]int64, error) {
		d.Log.Group("Webhooks of " + base.Holder())
		ids, err := redeliver.ListHooks(ctx, cl.hooks, base)
		d.Log.EndGroup()
		if err == nil {
			d.Log.Infof("found %d webhooks: %v", len(ids), ids)
		}
		return ids, err
	})
	if err != nil {
		return rep, err
	}

	var errs []error
	// target is left at the last webhook: the notification names it.
	target := cfg.Target().Base
	for _, target = range targets {
		var store checkpoint.Store
		if d.Store != nil {
			store = d.Store(cfg, target, cl.checkpoint)
		} else {
			store = cfg.StoreFor(target, cl.checkpoint)
		}
		h := runHook(ctx, cfg, d, srv, cl, target, store, passDeadline)
		rep.Hooks = append(rep.Hooks, h)
		if h.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", target, h.Err))
		}
	}
	if cl.dispatch != nil && !cfg.DryRun && rep.NeedsAttention() {
		what := target.String()
		if len(rep.Hooks) > 1 {
			what = fmt.Sprintf("%d webhooks of %s", len(rep.Hooks), cfg.Target().Base.Holder())
		}
		if err := sendNotification(ctx, cfg, d.Version, d.Log.Infof, cl.dispatch, rep, what); err != nil {
			errs = append(errs, err)
		}
	}
	return rep, errors.Join(errs...)
}

// notifyTimeout bounds sending the failure notification, which happens even
// when the run is being cancelled: it is what tells a person.
const notifyTimeout = 30 * time.Second

// sendNotification sends the failure notification of rep, naming what it
// covers, and logs that it did.
func sendNotification(ctx context.Context, cfg *config.Config, version string, logf func(string, ...any), c *github.Client, rep *report.Run, what string) error {
	p := notify.Build(rep, what, cfg.RunURL(), version)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
	defer cancel()
	owner, repo := cfg.DispatchTo()
	if err := notify.Send(ctx, c, owner, repo, cfg.DispatchEventType, p); err != nil {
		return err
	}
	logf("sent repository_dispatch %q to %s/%s: %d deliveries need attention", cfg.DispatchEventType, owner, repo, len(p.Deliveries)+p.More)
	return nil
}

// runHook handles one webhook: the pass reads the checkpoint, lists,
// redelivers and saves; this says in the log what a person must notice.
func runHook(ctx context.Context, cfg *config.Config, d Deps, srv *clock.Server, cl *clients, target redeliver.Target, store checkpoint.Store, passDeadline time.Time) report.Hook {
	log := d.Log
	log.Group(fmt.Sprintf("Webhook redelivery: %s (checkpoint in %s)", target, store))
	o := redeliver.Options{
		Target:          target,
		Store:           store,
		Server:          srv,
		Deadline:        passDeadline,
		DryRun:          cfg.DryRun,
		MaxRedeliveries: cfg.MaxRedeliveries,
		MaxAttempts:     cfg.MaxAttempts,
		Retention:       cfg.Retention(),
		ReceiverTimeout: cfg.ReceiverTimeout(),
		Filter:          cfg.Filter(),
		Since:           cfg.ReadFrom(),
		Logf:            log.Infof,
		Warnf:           log.Warningf,
	}
	res, err := redeliver.Run(ctx, cl.hooks, o)
	log.EndGroup()
	warnings, details := report.Log(res)
	for _, w := range warnings {
		log.Warningf("%s", w)
	}
	for _, d := range details {
		log.Infof("%s", d)
	}
	return report.Hook{Target: target, Result: res, Err: err}
}
