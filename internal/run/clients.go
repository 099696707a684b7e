package run

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/auth"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/ghtransport"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// checkpointReserve is how many requests of a rate limit the webhook's
// client leaves unspent when the checkpoint shares its credential: enough
// to read and save the checkpoint and its ledger after the pass stops.
const checkpointReserve = 10

// defaultTransport bounds every network step but not the whole request: rate
// limit waits happen above it, in ghtransport, and may be long.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
}

// clients are the GitHub clients of a run, one per credential and purpose so
// each has its own rate-limit accounting and deadline.
type clients struct {
	hooks      *github.Client
	checkpoint *github.Client
	dispatch   *github.Client // nil unless dispatch-event-type is set
}

// newGitHubClient is a client of the API cfg names, sending through rt: the
// API's flavour (github.com, GHE.com, Enterprise Server) decides its base URL.
func newGitHubClient(cfg *config.Config, rt http.RoundTripper, version string) (*github.Client, error) {
	c := github.NewClient(&http.Client{Transport: rt})
	c.UserAgent = "hook-redeliver/" + version
	api := cfg.API()
	switch {
	case api.String() == "https://api.github.com/":
		return c, nil
	case api.Path == "/" && (strings.HasPrefix(api.Hostname(), "api.") || isLoopback(api.Hostname())):
		// An API at the root of its host (GHE.com's api.SUBDOMAIN.ghe.com,
		// a local proxy): WithEnterpriseURLs would append api/v3/.
		u := *api
		c.BaseURL, c.UploadURL = &u, &u
		return c, nil
	}
	// Enterprise Server: https://HOST/api/v3/ (WithEnterpriseURLs adds
	// api/v3/ when it is missing).
	return c.WithEnterpriseURLs(cfg.APIURL, cfg.APIURL)
}

// buildClients sets up the credentials auth.Plan picks, each behind a
// transport of its own.
func buildClients(cfg *config.Config, d Deps, srv *clock.Server, passDeadline, hardDeadline time.Time) (*clients, error) {
	base := d.Transport
	if base == nil {
		base = defaultTransport()
	}
	logf := func(format string, args ...any) { d.Log.Infof(format, args...) }

	plan := &auth.Plan{Token: cfg.Token, InstallationID: cfg.InstallationID, DryRun: cfg.DryRun}
	if cfg.AppID != "" {
		var err error
		if plan.App, err = auth.NewApp(cfg.AppID, cfg.Key(), srv); err != nil {
			return nil, err
		}
		plan.App.OnMint(d.Log.AddMask)
	}
	if plan.MintsInstallationTokens() {
		jwtT := ghtransport.New(plan.App.RoundTripper(base), ghtransport.Options{Server: srv, Deadline: hardDeadline, Logf: logf, Rand: d.Rand})
		jwtClient, err := newGitHubClient(cfg, jwtT, d.Version)
		if err != nil {
			return nil, err
		}
		plan.Installations = auth.NewInstallations(jwtClient, srv, d.Log.AddMask, auth.WithAppID(cfg.AppID))
	}

	target := cfg.Target().Base // the holder of the webhooks: what their credential is scoped to
	pacer := ghtransport.NewPacer(cfg.RedeliveryInterval, srv.Local())
	hooksT := ghtransport.New(plan.Hooks(target.Kind() == redeliver.AppHook, target.Scope, base), ghtransport.Options{
		Server: srv, Pacer: pacer, Deadline: passDeadline,
		Reserve: checkpointReserve, Logf: logf, Rand: d.Rand,
	})
	cpOwner, cpRepo := cfg.CheckpointRepo()
	cpAuth, cpAccount := plan.Checkpoint(cpOwner, cpRepo, base), cpOwner
	if place := cfg.PlaceFor(target); place.Org != "" {
		cpAuth, cpAccount = plan.OrgCheckpoint(place.Org, base), place.Org
	}
	cpOpts := ghtransport.Options{Server: srv, Deadline: hardDeadline, Logf: logf, Rand: d.Rand}
	if sameIdentity(plan, target, cpAccount) {
		// One identity's writes are paced together, whatever they are for.
		cpOpts.Pacer = pacer
	}
	cpT := ghtransport.New(cpAuth, cpOpts)
	hooks, err := newGitHubClient(cfg, hooksT, d.Version)
	if err != nil {
		return nil, err
	}
	cp, err := newGitHubClient(cfg, cpT, d.Version)
	if err != nil {
		return nil, err
	}
	cl := &clients{hooks: hooks, checkpoint: cp}
	if cfg.DispatchEventType != "" {
		owner, repo := cfg.DispatchTo()
		dt := ghtransport.New(plan.Dispatch(owner, repo, base), ghtransport.Options{Server: srv, Deadline: hardDeadline, Logf: logf, Rand: d.Rand})
		if cl.dispatch, err = newGitHubClient(cfg, dt, d.Version); err != nil {
			return nil, err
		}
	}
	return cl, nil
}

// isLoopback reports whether host is this machine: a local proxy or the fake
// GitHub of the tests and the demo.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameIdentity reports whether the webhooks of target and the checkpoint
// variables of account are reached as one identity: one token, or one App
// installation (an account's). The App's own webhook takes the App JWT, an
// identity of its own.
func sameIdentity(plan *auth.Plan, target redeliver.Target, account string) bool {
	switch {
	case target.Kind() == redeliver.AppHook:
		return false
	case plan.Token != "":
		return true
	}
	return strings.EqualFold(owner(target), account)
}
