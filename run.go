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
	"github.com/hook-redeliver/hook-redeliver/internal/ghtransport"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// firstLookback is how far back the first run looks, as GitHub's scripts do.
const firstLookback = 24 * time.Hour

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
	// store returns the checkpoint store of one hook; nil means a repository
	// variable through the GitHub client given.
	store func(cfg *Config, hookID int64, client *github.Client) checkpoint.Store
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

func newGitHubClient(cfg *Config, rt http.RoundTripper) (*github.Client, error) {
	c := github.NewClient(&http.Client{Transport: rt})
	c.UserAgent = "hook-redeliver/" + version
	switch {
	case cfg.apiURL.String() == "https://api.github.com/":
		return c, nil
	case cfg.apiURL.Path == "/" && (strings.HasPrefix(cfg.apiURL.Hostname(), "api.") || isLoopback(cfg.apiURL.Hostname())):
		// An API at the root of its host (GHE.com's api.SUBDOMAIN.ghe.com,
		// a local proxy): WithEnterpriseURLs would append api/v3/.
		u := *cfg.apiURL
		c.BaseURL, c.UploadURL = &u, &u
		return c, nil
	}
	// Enterprise Server: https://HOST/api/v3/ (WithEnterpriseURLs adds
	// api/v3/ when it is missing).
	return c.WithEnterpriseURLs(cfg.APIURL, cfg.APIURL)
}

// buildClients sets up credentials: an App JWT for the App's webhook, the
// token for everything else, or, with an App and no token, installation
// tokens minted for each purpose with the narrowest permissions.
func buildClients(cfg *Config, d deps, srv *clock.Server, passDeadline, hardDeadline time.Time) (*clients, error) {
	base := d.transport
	if base == nil {
		base = defaultTransport()
	}
	logf := func(format string, args ...any) { d.log.Infof(format, args...) }
	write := "write"
	if cfg.DryRun {
		write = "read"
	}

	var app *auth.App
	var inst *auth.Installations
	if cfg.AppID != "" {
		key, err := auth.ParsePrivateKey(cfg.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("input %w", err)
		}
		if app, err = auth.NewApp(cfg.AppID, key, srv); err != nil {
			return nil, fmt.Errorf("input %w", err)
		}
		app.OnMint(d.log.AddMask)
		if cfg.Token == "" {
			jwtT := ghtransport.New(app.RoundTripper(base), ghtransport.Options{Server: srv, Deadline: hardDeadline, Logf: logf, Rand: d.rand})
			jwtClient, err := newGitHubClient(cfg, jwtT)
			if err != nil {
				return nil, err
			}
			inst = auth.NewInstallations(jwtClient, srv, d.log.AddMask, auth.WithAppID(cfg.AppID))
		}
	}

	var hookAuth, cpAuth http.RoundTripper
	switch {
	case cfg.target.org == "" && cfg.target.owner == "":
		hookAuth = app.RoundTripper(base)
	case cfg.Token != "":
		hookAuth = auth.Token(cfg.Token, base)
	case cfg.target.org != "":
		hookAuth = inst.RoundTripper(auth.Scope{Org: cfg.target.org, InstallationID: cfg.InstallationID,
			Permissions: auth.Permissions{"organization_hooks": write}}, base)
	default:
		hookAuth = inst.RoundTripper(auth.Scope{Owner: cfg.target.owner, Repo: cfg.target.repo, InstallationID: cfg.InstallationID,
			Permissions: auth.Permissions{"repository_hooks": write}}, base)
	}
	if cfg.Token != "" {
		cpAuth = auth.Token(cfg.Token, base)
	} else {
		// The checkpoint repository may belong to another installation
		// than the target: installation-id names the target's only.
		cpAuth = inst.RoundTripper(auth.Scope{Owner: cfg.cpOwner, Repo: cfg.cpRepo,
			Permissions: auth.Permissions{"actions_variables": write}}, base)
	}

	hooksT := ghtransport.New(hookAuth, ghtransport.Options{
		Server: srv, MutationInterval: cfg.RedeliveryInterval, Deadline: passDeadline,
		// Leave a few requests of a shared budget for the checkpoint.
		Reserve: 10, Logf: logf, Rand: d.rand,
	})
	cpT := ghtransport.New(cpAuth, ghtransport.Options{Server: srv, Deadline: hardDeadline, Logf: logf, Rand: d.rand})
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
		dispatchAuth := auth.Token(cfg.Token, base)
		if cfg.Token == "" {
			dispatchAuth = inst.RoundTripper(auth.Scope{Owner: cfg.dispatchTo[0], Repo: cfg.dispatchTo[1],
				Permissions: auth.Permissions{"contents": "write"}}, base)
		}
		dt := ghtransport.New(dispatchAuth, ghtransport.Options{Server: srv, Deadline: hardDeadline, Logf: logf, Rand: d.rand})
		if cl.dispatch, err = newGitHubClient(cfg, dt); err != nil {
			return nil, err
		}
	}
	return cl, nil
}

// execute runs the action for every hook of cfg. It returns the report even
// when it also returns an error.
func execute(ctx context.Context, cfg *Config, d deps) (*report.Run, error) {
	rep := &report.Run{DryRun: cfg.DryRun}
	start := d.clock.Now()
	hardDeadline := start.Add(cfg.Timeout)
	passDeadline := hardDeadline.Add(-finishReserve(cfg.Timeout))
	srv := clock.NewServer(d.clock)

	cl, err := buildClients(cfg, d, srv, passDeadline, hardDeadline)
	if err != nil {
		return rep, err
	}
	target := redeliver.Target{Org: cfg.target.org, Owner: cfg.target.owner, Repo: cfg.target.repo}
	ids := cfg.hooks.ids
	if cfg.hooks.all {
		d.log.Group("Webhooks of " + cfg.target.String())
		ids, err = redeliver.ListHooks(ctx, cl.hooks, target)
		d.log.EndGroup()
		if err != nil {
			return rep, err
		}
		d.log.Infof("found %d webhooks: %v", len(ids), ids)
	}

	var errs []error
	for _, id := range ids {
		target.HookID = id
		var store checkpoint.Store
		if d.store != nil {
			store = d.store(cfg, id, cl.checkpoint)
		} else {
			store = checkpoint.NewVariable(cl.checkpoint, cfg.cpOwner, cfg.cpRepo, cfg.variableFor(id))
		}
		h := runHook(ctx, cfg, d, srv, cl, target, store, passDeadline)
		rep.Hooks = append(rep.Hooks, h)
		if h.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", target, h.Err))
		}
	}
	if cl.dispatch != nil && !cfg.DryRun && needsAttention(rep) {
		p := buildDispatch(rep, target.String(), cfg.runURL)
		if len(rep.Hooks) > 1 {
			p.Target = fmt.Sprintf("%d webhooks of %s", len(rep.Hooks), cfg.target)
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := dispatch(ctx, cl.dispatch, cfg.dispatchTo[0], cfg.dispatchTo[1], cfg.DispatchEventType, p); err != nil {
			errs = append(errs, err)
		} else {
			d.log.Infof("sent repository_dispatch %q to %s/%s: %d deliveries need attention", cfg.DispatchEventType, cfg.dispatchTo[0], cfg.dispatchTo[1], len(p.Deliveries)+p.More)
		}
	}
	return rep, errors.Join(errs...)
}

// window is where a pass starts, worked out from the stored checkpoint.
type window struct {
	prev  checkpoint.State
	found bool // false on the first run
	since time.Time
	// keepPrevious: the since input starts the window after the stored
	// checkpoint, so the new checkpoint must not move past the old one.
	keepPrevious bool
}

// readWindow loads the checkpoint and works out the window: the overlap,
// the since input, GitHub's retention, and the wait for a previous run's
// redeliveries to show in the list.
func readWindow(ctx context.Context, cfg *Config, d deps, srv *clock.Server, store checkpoint.Store, h *report.Hook, passDeadline time.Time) (window, error) {
	log := d.log
	var w window
	var err error
	w.prev, w.found, err = store.Load(ctx)
	if err != nil {
		return w, err
	}
	now := srv.Now()
	if w.found {
		h.Previous = w.prev.Checkpoint
		w.since = w.prev.Checkpoint.Add(-redeliver.Overlap)
		log.Infof("checkpoint %s: reading from %s (%s of overlap)", stamp(w.prev.Checkpoint), stamp(w.since), redeliver.Overlap)
	} else {
		w.since = now.Add(-firstLookback)
		log.Infof("no checkpoint yet: first run, looking back %s to %s", firstLookback, stamp(w.since))
	}
	if cfg.since.set() {
		s := cfg.since.resolve(now)
		if w.found && s.After(w.since) {
			// Moving the checkpoint past deliveries this run does not read
			// would lose them: keep the stored one.
			w.keepPrevious = true
			h.Notes = append(h.Notes, fmt.Sprintf("since (%s) is later than the stored checkpoint, so the checkpoint is not moved past %s: deliveries between the two were not read.", stamp(s), stamp(w.prev.Checkpoint)))
		}
		w.since, h.SinceInput = s, true
		log.Infof("since input: reading from %s", stamp(w.since))
	}
	if oldest := now.Add(-cfg.retention()); w.since.Before(oldest) {
		msg := fmt.Sprintf("the window start %s is older than GitHub's retention of %s; reading from %s instead. Failed deliveries older than that can no longer be redelivered.", stamp(w.since), cfg.retention(), stamp(oldest))
		if !h.SinceInput {
			log.Warningf("%s", msg)
			h.Notes = append(h.Notes, msg)
		}
		w.since = oldest
	}
	if settle := w.prev.SavedAt.Add(redeliver.Settle); w.found && !w.prev.SavedAt.IsZero() && settle.After(now) {
		// Never more than Settle, whatever the clocks say.
		wait := min(settle.Sub(now), redeliver.Settle)
		if d.clock.Now().Add(wait).After(passDeadline) {
			return w, fmt.Errorf("the checkpoint was saved at %s, less than %s ago, and waiting for that run's redeliveries to show in the list would use up the time budget (timeout %s): run again in a minute", stamp(w.prev.SavedAt), redeliver.Settle, cfg.Timeout)
		}
		log.Infof("the checkpoint was saved at %s, after that run's last redelivery: waiting %s for its attempts to show in the list", stamp(w.prev.SavedAt), wait.Round(time.Second))
		if err := d.clock.Sleep(ctx, wait); err != nil {
			return w, fmt.Errorf("wait for the previous run's redeliveries: %w", err)
		}
	}
	return w, nil
}

// runHook handles one webhook: read the checkpoint, run the pass, save the
// new checkpoint. Its errors end up in the returned report.
func runHook(ctx context.Context, cfg *Config, d deps, srv *clock.Server, cl *clients, target redeliver.Target, store checkpoint.Store, passDeadline time.Time) report.Hook {
	h := report.Hook{Target: target, Store: store.String()}
	log := d.log

	log.Group(fmt.Sprintf("Checkpoint of %s (%s)", target, store))
	w, err := readWindow(ctx, cfg, d, srv, store, &h, passDeadline)
	log.EndGroup()
	if err != nil {
		h.Err = err
		return h
	}
	since := w.since

	var createFirst func(context.Context) error
	if !w.found && !cfg.DryRun {
		// Create the variable before the first redelivery: a token that
		// cannot write it then fails before anything has changed. (After
		// the listing, so that wrong hook credentials change nothing
		// either.)
		createFirst = func(ctx context.Context) error {
			return store.Save(ctx, checkpoint.State{Checkpoint: since.Add(redeliver.Overlap)})
		}
	}

	log.Group(fmt.Sprintf("Deliveries of %s since %s", target, stamp(since)))
	res, err := redeliver.Run(ctx, cl.hooks, redeliver.Options{
		Target:          target,
		Since:           since,
		Server:          srv,
		Deadline:        passDeadline,
		DryRun:          cfg.DryRun,
		MaxRedeliveries: cfg.MaxRedeliveries,
		MaxAttempts:     cfg.MaxAttempts,
		Retention:       cfg.retention(),
		Skip:            cfg.skip,
		BeforeRedeliver: createFirst,
		Logf:            log.Infof,
	})
	log.EndGroup()
	h.Result = res
	if err != nil {
		h.Err = err
	}
	warnOutcomes(log, res)

	if cfg.DryRun || !res.Listed {
		return h
	}
	next := checkpoint.State{Checkpoint: res.Checkpoint}
	if w.keepPrevious && w.prev.Checkpoint.Before(next.Checkpoint) {
		next.Checkpoint = w.prev.Checkpoint
	}
	// Save even when the run is being cancelled: what was redelivered must
	// be recorded.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := store.Save(saveCtx, next); err != nil {
		h.Err = errors.Join(h.Err, fmt.Errorf("%w; the next run reads the same window again and skips what this run redelivered", err))
		return h
	}
	h.Saved = next.Checkpoint
	log.Infof("checkpoint saved: %s", stamp(next.Checkpoint))
	return h
}

// warnOutcomes raises one annotation per kind of trouble, not one per GUID:
// annotations are for a person to notice, the log has the details.
func warnOutcomes(log logger, res *redeliver.Result) {
	if res == nil {
		return
	}
	for _, o := range []redeliver.Outcome{redeliver.GaveUp, redeliver.Expired, redeliver.Refused, redeliver.Unknown} {
		if n := res.Count(o); n > 0 {
			log.Warningf("%s: %d GUIDs %s", res.Target, n, describe(o))
		}
	}
	if res.Stopped != "" {
		log.Warningf("%s: stopped early (%s); %d GUIDs left for the next run, oldest first", res.Target, res.Stopped, res.Count(redeliver.NotAttempted))
	}
	for _, f := range res.Failures {
		if f.Outcome != redeliver.Redelivered {
			log.Infof("%s %s (delivery %d, %s, %d attempts): %s %s", f.GUID, f.EventName(), f.Latest.ID, stamp(f.Latest.DeliveredAt), f.Attempts, f.Outcome, f.Detail)
		}
	}
}

func describe(o redeliver.Outcome) string {
	switch o {
	case redeliver.GaveUp:
		return "reached max-attempts and were not redelivered again"
	case redeliver.Expired:
		return "are older than GitHub's retention and can no longer be redelivered"
	case redeliver.Refused:
		return "could not be redelivered (GitHub refused); the next run tries again"
	case redeliver.Unknown:
		return "got no clear answer to the redelivery request; the next run checks whether it happened"
	}
	return string(o)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
