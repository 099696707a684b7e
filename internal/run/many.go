package run

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/auth"
	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/fanout"
	"github.com/hook-redeliver/hook-redeliver/internal/ghtransport"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// A run over many targets (config.Many): several organizations or
// repositories, every organization of the App, a plan, or a leg of a plan's
// matrix. Its work is split by identity: each App installation (or the one
// token) is a unit, with its own transports, rate-limit accounting and
// pacing of one write a second. Units run at once, at most the parallel
// input at a time (internal/fanout); a unit's webhooks run one after
// another. The time budget is the run's, shared: every pass stops at the
// same deadline and saves where it stopped.

// unit is one identity's work.
type unit struct {
	// account is the installation's account; "" for a token.
	account        string
	installationID int64
	// holders are the organizations and repositories whose webhooks the
	// unit lists; targets the webhooks it runs, once known.
	holders  []holder
	targets  []unitTarget
	problems []report.Hook // holders the unit cannot serve, and why

	log     *bufferedLog
	clients map[string]*github.Client // by holder, then by checkpoint place
}

// holder is an organization or repository, and its webhooks: ids, or nil to
// list them.
type holder struct {
	base redeliver.Target
	ids  []int64
}

// unitTarget is a webhook and where its checkpoint lives.
type unitTarget struct {
	target redeliver.Target
	place  checkpoint.Place
	name   string // the checkpoint variable
}

// identity keys what an identity's transports share: its pacing.
func (u *unit) identity() string {
	if u.account == "" {
		return "token"
	}
	return "installation:" + strings.ToLower(u.account)
}

// describe names the unit in the log and the plan.
func (u *unit) describe() string {
	if u.installationID == 0 {
		return "token"
	}
	return fmt.Sprintf("%s (installation %d)", u.account, u.installationID)
}

func (u *unit) fail(base redeliver.Target, err error) {
	u.problems = append(u.problems, report.Hook{Target: base, Err: err})
}

// fleet is what the units of a run share: the settings, the App and its
// installation tokens, the network, GitHub's clock, and each identity's
// pacing.
type fleet struct {
	cfg          *config.Config
	d            Deps
	log          *lockedLog
	srv          *clock.Server
	base         http.RoundTripper
	app          *auth.App
	installs     *auth.Installations
	passDeadline time.Time
	hardDeadline time.Time

	mu     sync.Mutex
	pacers map[string]*ghtransport.Pacer
	shared map[string]*github.Client // checkpoint repositories' clients, by place
}

// executeMany is Execute for a run over many targets.
func executeMany(ctx context.Context, cfg *config.Config, d Deps) (*report.Run, error) {
	rep := &report.Run{DryRun: cfg.DryRun}
	start := d.Clock.Now()
	hard := start.Add(cfg.Timeout)
	f := &fleet{
		cfg: cfg, d: d, log: &lockedLog{l: d.Log}, srv: clock.NewServer(d.Clock), base: d.Transport,
		passDeadline: hard.Add(-finishReserve(cfg.Timeout)), hardDeadline: hard,
		pacers: map[string]*ghtransport.Pacer{}, shared: map[string]*github.Client{},
	}
	if f.base == nil {
		f.base = defaultTransport()
	}
	if err := f.setUpApp(); err != nil {
		return rep, err
	}
	units, err := f.units(ctx, rep)
	if err != nil {
		return rep, err
	}

	// Which webhooks: listed by each identity with its own token, a
	// bounded number of identities at once.
	fanout.Run(ctx, len(units), cfg.Parallel, f.join, func(ctx context.Context, i int) { f.expand(ctx, units[i]) })
	if err := f.checkRoom(units); err != nil {
		return rep, err
	}
	if cfg.Plan {
		return rep, f.plan(rep, units)
	}

	if err := f.openShared(ctx, units); err != nil {
		return rep, err
	}
	results := make([][]report.Hook, len(units))
	fanout.Run(ctx, len(units), cfg.Parallel, f.join, func(ctx context.Context, i int) { results[i] = f.runUnit(ctx, units[i]) })
	var errs []error
	for _, hooks := range results {
		for _, h := range hooks {
			rep.Hooks = append(rep.Hooks, h)
			if h.Err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", report.HookName(h.Target), h.Err))
			}
		}
	}
	if err := f.notify(ctx, rep); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

// join makes a worker a participant of the run's clock.
func (f *fleet) join(ctx context.Context) (context.Context, func()) {
	return clock.Join(ctx, f.d.Clock)
}

// setUpApp makes the App and its installation tokens, when the App's
// installations serve the run.
func (f *fleet) setUpApp() error {
	if f.cfg.AppID == "" {
		return nil
	}
	app, err := auth.NewApp(f.cfg.AppID, f.cfg.Key(), f.srv)
	if err != nil {
		return err
	}
	app.OnMint(f.log.AddMask)
	f.app = app
	if f.cfg.Token != "" {
		return nil
	}
	jwtClient, err := f.client(app.RoundTripper(f.base), ghtransport.Options{Deadline: f.hardDeadline, Logf: f.log.Infof})
	if err != nil {
		return err
	}
	f.installs = auth.NewInstallations(jwtClient, f.srv, f.log.AddMask, auth.WithAppID(f.cfg.AppID))
	return nil
}

// units splits the run by identity: the leg's installations, the token's
// one identity, or the App's installations on the organizations and
// repositories asked for. What it leaves out it says in rep.Notes.
func (f *fleet) units(ctx context.Context, rep *report.Run) ([]*unit, error) {
	cfg := f.cfg
	if leg := cfg.Leg(); leg != nil {
		var us []*unit
		for _, g := range leg.Groups {
			u := f.newUnit(g.Account, g.Installation)
			for _, t := range g.Targets {
				base := redeliver.Target{Org: t.Org, HookID: t.Hook}
				if t.Repo != "" {
					owner, repo, _ := strings.Cut(t.Repo, "/")
					base = redeliver.Target{Owner: owner, Repo: repo, HookID: t.Hook}
				}
				place, _ := checkpoint.ParsePlace(t.State) // checked by Validate
				u.targets = append(u.targets, unitTarget{target: base, place: place, name: t.Var})
			}
			us = append(us, u)
		}
		return us, nil
	}

	spec := cfg.Target()
	var holders []holder
	for _, h := range spec.Holders {
		holders = append(holders, holder{base: h})
	}
	if !spec.Many() {
		h := holder{base: spec.Base}
		if !spec.Hooks.All {
			h.ids = spec.Hooks.IDs
		}
		holders = []holder{h}
	}
	if f.installs == nil { // a token: one identity
		u := f.newUnit("", 0)
		u.holders = holders
		return []*unit{u}, nil
	}
	if len(holders) == 1 && cfg.InstallationID != 0 {
		u := f.newUnit(owner(holders[0].base), cfg.InstallationID)
		u.holders = holders
		return []*unit{u}, nil
	}

	f.log.Group("Installations of the GitHub App")
	installs, err := f.installs.List(ctx)
	f.log.EndGroup()
	if err != nil {
		return nil, err
	}
	f.log.Infof("the App is installed on %d accounts", len(installs))
	if err := f.checkCheckpointRepo(installs); err != nil {
		return nil, err
	}
	byAccount := map[string]auth.Installation{}
	for _, in := range installs {
		byAccount[strings.ToLower(in.Account)] = in
	}
	if spec.AllOrgs {
		holders = nil
		for _, in := range installs {
			if !in.Organization() {
				note := fmt.Sprintf("installation %d is on user account %s, which has no organization webhooks: left out (name its repositories with repository to include them)", in.ID, in.Account)
				rep.Notes = append(rep.Notes, note)
				f.log.Infof("%s", note)
				continue
			}
			holders = append(holders, holder{base: redeliver.Target{Org: in.Account}})
		}
		if len(holders) == 0 {
			rep.Notes = append(rep.Notes, "the App is installed in no organization")
		}
	}

	var us []*unit
	index := map[string]*unit{}
	for _, h := range holders {
		account := owner(h.base)
		key := strings.ToLower(account)
		u := index[key]
		if u == nil {
			in, ok := byAccount[key]
			u = f.newUnit(account, in.ID)
			index[key] = u
			us = append(us, u)
			if err := f.usable(in, ok, h.base); err != nil {
				u.fail(redeliver.Target{Org: h.base.Org, Owner: h.base.Owner, Repo: h.base.Repo}, err)
				continue
			}
		}
		if len(u.problems) == 0 {
			u.holders = append(u.holders, h)
		}
	}
	return us, nil
}

func (f *fleet) newUnit(account string, installationID int64) *unit {
	return &unit{account: account, installationID: installationID, log: &bufferedLog{to: f.log}, clients: map[string]*github.Client{}}
}

// owner is the account that holds a target's webhooks.
func owner(t redeliver.Target) string {
	if t.Kind() == redeliver.RepoHook {
		return t.Owner
	}
	return t.Org
}

// access is the level of a permission the run needs where it writes: a dry
// run reads. A plan checks what its legs will need, which run with the same
// dry-run.
func (f *fleet) access() string {
	if f.cfg.DryRun {
		return "read"
	}
	return "write"
}

// usable says why installation in (found: ok) cannot serve the webhooks of
// base: none there, suspended, or a permission not granted. nil if it can.
func (f *fleet) usable(in auth.Installation, ok bool, base redeliver.Target) error {
	app := fmt.Sprintf("the GitHub App (app-id %s)", f.cfg.AppID)
	switch {
	case !ok && base.Kind() == redeliver.OrgHook:
		return fmt.Errorf("%s is not installed on organization %s: install it there", app, base.Org)
	case !ok:
		return fmt.Errorf("%s is not installed on %s, which owns repository %s/%s: install it there", app, base.Owner, base.Owner, base.Repo)
	case base.Kind() == redeliver.OrgHook && !in.Organization():
		return fmt.Errorf("%s is a user account, which has no organization webhooks: name its repositories with repository instead", base.Org)
	case in.Suspended:
		return fmt.Errorf("installation %d on %s is suspended: unsuspend it in the account's settings", in.ID, in.Account)
	}
	level := f.access()
	perm := "repository_hooks"
	if base.Kind() == redeliver.OrgHook {
		perm = "organization_hooks"
	}
	if err := in.Need(perm, level); err != nil {
		return err
	}
	if f.cfg.OrgStore() {
		return in.Need("organization_actions_variables", level)
	}
	return nil
}

// checkCheckpointRepo checks, from the App's installations, that the App can
// keep checkpoints in the checkpoint repository: every target needs it, so
// a problem there fails the run before anything else is done.
func (f *fleet) checkCheckpointRepo(installs []auth.Installation) error {
	if f.cfg.OrgStore() || f.cfg.CheckpointFile() != "" || f.d.Store != nil {
		return nil
	}
	owner, repo := f.cfg.CheckpointRepo()
	for _, in := range installs {
		if strings.EqualFold(in.Account, owner) {
			if err := in.Need("actions_variables", f.access()); err != nil {
				return fmt.Errorf("the checkpoints are kept in %s/%s: %w", owner, repo, err)
			}
			return nil
		}
	}
	return fmt.Errorf("the checkpoints are kept in %s/%s, but the GitHub App (app-id %s) is not installed on %s: install it there with the repository permission Variables, or set checkpoint-store: organization",
		owner, repo, f.cfg.AppID, owner)
}

// authPlan is which credential serves each purpose of unit u.
func (f *fleet) authPlan(u *unit) *auth.Plan {
	return &auth.Plan{Token: f.cfg.Token, App: f.app, Installations: f.installs, InstallationID: u.installationID,
		DryRun: f.cfg.DryRun || f.cfg.Plan}
}

// client is a GitHub client sending through rt behind a transport with
// options o, on the run's clock and jitter.
func (f *fleet) client(rt http.RoundTripper, o ghtransport.Options) (*github.Client, error) {
	o.Server, o.Rand = f.srv, f.d.Rand
	return newGitHubClient(f.cfg, ghtransport.New(rt, o), f.d.Version)
}

// pacer is identity's pacing, shared by all its transports.
func (f *fleet) pacer(identity string) *ghtransport.Pacer {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pacers[identity]
	if p == nil {
		p = ghtransport.NewPacer(f.cfg.RedeliveryInterval, f.d.Clock)
		f.pacers[identity] = p
	}
	return p
}

// hooksClient is u's client for the webhooks of base: its own token (for a
// repository, restricted to it), paced with the rest of u's writes.
func (f *fleet) hooksClient(u *unit, base redeliver.Target) (*github.Client, error) {
	key := "hooks:" + strings.ToLower(base.Holder())
	if c := u.clients[key]; c != nil {
		return c, nil
	}
	c, err := f.client(f.authPlan(u).Hooks(false, base.Scope, f.base), ghtransport.Options{
		Pacer: f.pacer(u.identity()), Deadline: f.passDeadline,
		Reserve: checkpointReserve, Logf: u.log.Infof,
	})
	if err != nil {
		return nil, err
	}
	u.clients[key] = c
	return c, nil
}

// checkpointClient is the client for the checkpoint variables at place: for
// an organization, u's own installation (the organization holds its own
// webhooks); for a repository, one client the units share, on the identity
// of that repository's owner, paced with it.
func (f *fleet) checkpointClient(u *unit, place checkpoint.Place) (*github.Client, error) {
	p := f.authPlan(u)
	if place.Org != "" {
		key := "checkpoint:" + strings.ToLower(place.String())
		if c := u.clients[key]; c != nil {
			return c, nil
		}
		c, err := f.client(p.OrgCheckpoint(place.Org, f.base), ghtransport.Options{Pacer: f.pacer(u.identity()), Deadline: f.hardDeadline, Logf: u.log.Infof})
		if err != nil {
			return nil, err
		}
		u.clients[key] = c
		return c, nil
	}
	identity := "token"
	if f.cfg.Token == "" {
		identity = "installation:" + strings.ToLower(place.Owner)
	}
	pacer := f.pacer(identity)
	key := strings.ToLower(place.String())
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.shared[key]; c != nil {
		return c, nil
	}
	shared := &auth.Plan{Token: f.cfg.Token, App: f.app, Installations: f.installs, DryRun: p.DryRun}
	c, err := f.client(shared.Checkpoint(place.Owner, place.Repo, f.base), ghtransport.Options{Pacer: pacer, Deadline: f.hardDeadline, Logf: f.log.Infof})
	if err != nil {
		return nil, err
	}
	f.shared[key] = c
	return c, nil
}

// openShared reads, before the units start, one checkpoint of each
// repository that holds the checkpoints of several units, so that the
// token they share is minted once, up front, and a repository that cannot be
// read fails the run before any redelivery. (Units minting it at once would
// wait for each other, as the token of one scope is minted once.)
func (f *fleet) openShared(ctx context.Context, units []*unit) error {
	if f.cfg.CheckpointFile() != "" {
		return nil
	}
	opened := map[string]bool{}
	for _, u := range units {
		for _, t := range u.targets {
			key := strings.ToLower(t.place.String())
			if t.place.Org != "" || opened[key] {
				continue
			}
			opened[key] = true
			c, err := f.checkpointClient(u, t.place)
			if err != nil {
				return err
			}
			if _, resp, err := c.Actions.GetRepoVariable(ctx, t.place.Owner, t.place.Repo, t.name); err != nil && (resp == nil || resp.StatusCode != http.StatusNotFound) {
				return fmt.Errorf("read the checkpoints in %s/%s: %w", t.place.Owner, t.place.Repo, err)
			}
		}
	}
	return nil
}

// expand lists the webhooks of u's holders that were asked for as all, with
// u's own token, and says where each one's checkpoint lives.
func (f *fleet) expand(ctx context.Context, u *unit) {
	for _, h := range u.holders {
		ids := h.ids
		if ids == nil {
			c, err := f.hooksClient(u, h.base)
			if err == nil {
				ids, err = redeliver.ListHooks(ctx, c, h.base)
			}
			if err != nil {
				u.fail(h.base, err)
				continue
			}
			u.log.Infof("%s: %d webhooks %v", h.base.Holder(), len(ids), ids)
		}
		for _, id := range ids {
			t := h.base
			t.HookID = id
			u.targets = append(u.targets, unitTarget{target: t, place: f.cfg.PlaceFor(t), name: f.cfg.VariableFor(t)})
		}
	}
	u.log.flush()
}

// checkRoom fails the run when a place cannot hold the checkpoints of the
// targets that would keep them there.
func (f *fleet) checkRoom(units []*unit) error {
	if f.cfg.CheckpointFile() != "" {
		return nil
	}
	var places []checkpoint.Place
	for _, u := range units {
		for _, t := range u.targets {
			places = append(places, t.place)
		}
	}
	return checkpoint.CheckRoom(places)
}

// runUnit runs the passes of u's webhooks one after another, and reports
// them with the holders u could not serve.
func (f *fleet) runUnit(ctx context.Context, u *unit) []report.Hook {
	hooks := append([]report.Hook(nil), u.problems...)
	d := f.d
	d.Log = u.log
	for _, t := range u.targets {
		if ctx.Err() != nil {
			hooks = append(hooks, report.Hook{Target: t.target, Err: fmt.Errorf("not started: %w", ctx.Err())})
			continue
		}
		h, err := f.hooksClient(u, t.target)
		var store checkpoint.Store
		if err == nil {
			store, err = f.store(u, t, d)
		}
		if err != nil {
			hooks = append(hooks, report.Hook{Target: t.target, Err: err})
			continue
		}
		hooks = append(hooks, runHook(ctx, f.cfg, d, f.srv, &clients{hooks: h}, t.target, store, f.passDeadline))
		u.log.flush()
	}
	for _, h := range u.problems {
		f.log.Warningf("%s: %v", report.HookName(h.Target), h.Err)
	}
	return hooks
}

// store is where t's checkpoint lives: a test's store, the command line's
// file, or the variable at its place.
func (f *fleet) store(u *unit, t unitTarget, d Deps) (checkpoint.Store, error) {
	switch {
	case d.Store != nil:
		c, err := f.checkpointClient(u, t.place)
		if err != nil {
			return nil, err
		}
		return d.Store(f.cfg, t.target, c), nil
	case f.cfg.CheckpointFile() != "":
		return f.cfg.StoreFor(t.target, nil), nil
	}
	c, err := f.checkpointClient(u, t.place)
	if err != nil {
		return nil, err
	}
	return config.StoreAt(c, t.place, t.name), nil
}

// notify sends the failure notification of the whole run, when asked for
// and needed.
func (f *fleet) notify(ctx context.Context, rep *report.Run) error {
	cfg := f.cfg
	if cfg.DispatchEventType == "" || cfg.DryRun || !rep.NeedsAttention() {
		return nil
	}
	owner, repo := cfg.DispatchTo()
	p := &auth.Plan{Token: cfg.Token, App: f.app, Installations: f.installs}
	c, err := f.client(p.Dispatch(owner, repo, f.base), ghtransport.Options{Deadline: f.hardDeadline, Logf: f.log.Infof})
	if err != nil {
		return err
	}
	return sendNotification(ctx, cfg, f.d.Version, f.log.Infof, c, rep, fmt.Sprintf("%d webhooks: %s", len(rep.Hooks), cfg.Name()))
}
