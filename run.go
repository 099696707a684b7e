package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/auth"
	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/ghtransport"
	"github.com/hook-redeliver/hook-redeliver/internal/notify"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// logger is where a run tells what it does: the Actions log (annotations,
// groups, masks) or a terminal.
type logger interface {
	Infof(format string, args ...any)
	Warningf(format string, args ...any)
	Group(title string)
	EndGroup()
	AddMask(secret string)
}

// deps are what a run takes from its surroundings, so tests can run it whole
// on a virtual clock.
type deps struct {
	clock     clock.Clock       // local clock
	transport http.RoundTripper // the network
	log       logger
	// rand, if set, draws the transports' backoff jitter (tests replay a
	// run under faults exactly).
	rand *rand.Rand
	// store, if set, returns the checkpoint store of one hook instead of
	// the one the Config selects (Config.StoreFor).
	store func(cfg *config.Config, t redeliver.Target, client *github.Client) checkpoint.Store
}

// defaultTransport bounds every network step but not the whole request: rate
// limit waits happen above it, in ghtransport, and may be long.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
}

// finishReserve is the part of the time budget kept for saving the
// checkpoint and writing the report after the pass stops.
func finishReserve(timeout time.Duration) time.Duration {
	return min(30*time.Second, timeout/10)
}

// clients are the GitHub clients of a run, one per credential and purpose so
// each has its own rate-limit accounting and deadline.
type clients struct {
	hooks      *github.Client
	checkpoint *github.Client
	dispatch   *github.Client // nil unless dispatch-event-type is set
}

func newGitHubClient(cfg *config.Config, rt http.RoundTripper) (*github.Client, error) {
	c := github.NewClient(&http.Client{Transport: rt})
	c.UserAgent = "hook-redeliver/" + version
	switch {
	case cfg.API().String() == "https://api.github.com/":
		return c, nil
	case cfg.API().Path == "/" && (strings.HasPrefix(cfg.API().Hostname(), "api.") || isLoopback(cfg.API().Hostname())):
		// An API at the root of its host (GHE.com's api.SUBDOMAIN.ghe.com,
		// a local proxy): WithEnterpriseURLs would append api/v3/.
		u := *cfg.API()
		c.BaseURL, c.UploadURL = &u, &u
		return c, nil
	}
	// Enterprise Server: https://HOST/api/v3/ (WithEnterpriseURLs adds
	// api/v3/ when it is missing).
	return c.WithEnterpriseURLs(cfg.APIURL, cfg.APIURL)
}

// buildClients sets up the credentials auth.Plan picks, each behind a
// transport of its own.
func buildClients(cfg *config.Config, d deps, srv *clock.Server, passDeadline, hardDeadline time.Time) (*clients, error) {
	base := d.transport
	if base == nil {
		base = defaultTransport()
	}
	logf := func(format string, args ...any) { d.log.Infof(format, args...) }

	plan := &auth.Plan{Token: cfg.Token, InstallationID: cfg.InstallationID, DryRun: cfg.DryRun}
	if cfg.AppID != "" {
		var err error
		if plan.App, err = auth.NewApp(cfg.AppID, cfg.Key(), srv); err != nil {
			return nil, err
		}
		plan.App.OnMint(d.log.AddMask)
	}
	if plan.MintsInstallationTokens() {
		jwtT := ghtransport.New(plan.App.RoundTripper(base), ghtransport.Options{Server: srv, Deadline: hardDeadline, Logf: logf, Rand: d.rand})
		jwtClient, err := newGitHubClient(cfg, jwtT)
		if err != nil {
			return nil, err
		}
		plan.Installations = auth.NewInstallations(jwtClient, srv, d.log.AddMask, auth.WithAppID(cfg.AppID))
	}

	holder := cfg.Target().Base
	hooksT := ghtransport.New(plan.Hooks(holder.Kind() == redeliver.AppHook, holder.Scope, base), ghtransport.Options{
		Server: srv, MutationInterval: cfg.RedeliveryInterval, Deadline: passDeadline,
		// Leave a few requests of a shared budget for the checkpoint.
		Reserve: 10, Logf: logf, Rand: d.rand,
	})
	cpOwner, cpRepo := cfg.CheckpointRepo()
	cpT := ghtransport.New(plan.Checkpoint(cpOwner, cpRepo, base), ghtransport.Options{Server: srv, Deadline: hardDeadline, Logf: logf, Rand: d.rand})
	hooks, err := newGitHubClient(cfg, hooksT)
	if err != nil {
		return nil, err
	}
	cp, err := newGitHubClient(cfg, cpT)
	if err != nil {
		return nil, err
	}
	cl := &clients{hooks: hooks, checkpoint: cp}
	if cfg.DispatchEventType != "" {
		owner, repo := cfg.DispatchTo()
		dt := ghtransport.New(plan.Dispatch(owner, repo, base), ghtransport.Options{Server: srv, Deadline: hardDeadline, Logf: logf, Rand: d.rand})
		if cl.dispatch, err = newGitHubClient(cfg, dt); err != nil {
			return nil, err
		}
	}
	return cl, nil
}

// execute runs the action for every hook of cfg. It returns the report even
// when it also returns an error.
func execute(ctx context.Context, cfg *config.Config, d deps) (*report.Run, error) {
	rep := &report.Run{DryRun: cfg.DryRun}
	start := d.clock.Now()
	hardDeadline := start.Add(cfg.Timeout)
	passDeadline := hardDeadline.Add(-finishReserve(cfg.Timeout))
	srv := clock.NewServer(d.clock)

	cl, err := buildClients(cfg, d, srv, passDeadline, hardDeadline)
	if err != nil {
		return rep, err
	}
	targets, err := cfg.Target().Targets(ctx, func(ctx context.Context, base redeliver.Target) ([]int64, error) {
		d.log.Group("Webhooks of " + base.Holder())
		ids, err := redeliver.ListHooks(ctx, cl.hooks, base)
		d.log.EndGroup()
		if err == nil {
			d.log.Infof("found %d webhooks: %v", len(ids), ids)
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
		if d.store != nil {
			store = d.store(cfg, target, cl.checkpoint)
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
		p := notify.Build(rep, target.String(), cfg.RunURL(), version)
		if len(rep.Hooks) > 1 {
			p.Target = fmt.Sprintf("%d webhooks of %s", len(rep.Hooks), cfg.Target().Base.Holder())
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		owner, repo := cfg.DispatchTo()
		if err := notify.Send(ctx, cl.dispatch, owner, repo, cfg.DispatchEventType, p); err != nil {
			errs = append(errs, err)
		} else {
			d.log.Infof("sent repository_dispatch %q to %s/%s: %d deliveries need attention", cfg.DispatchEventType, owner, repo, len(p.Deliveries)+p.More)
		}
	}
	return rep, errors.Join(errs...)
}

// runHook handles one webhook: the pass reads the checkpoint, lists,
// redelivers and saves; this says in the log what a person must notice.
func runHook(ctx context.Context, cfg *config.Config, d deps, srv *clock.Server, cl *clients, target redeliver.Target, store checkpoint.Store, passDeadline time.Time) report.Hook {
	log := d.log
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

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
