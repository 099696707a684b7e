package config

import (
	"fmt"
	"strings"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
	"github.com/hook-redeliver/hook-redeliver/internal/matrix"
	"github.com/hook-redeliver/hook-redeliver/internal/target"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// The checkpoint-store input's values.
const (
	storeRepository   = "repository"
	storeOrganization = "organization"
)

// MaxParallel bounds the parallel input. Every identity at work holds a
// connection and a pass's memory (a few MiB), and GitHub allows 100
// concurrent requests; a job that needs more identities at once than this
// is what the matrix is for.
const MaxParallel = 100

// validateMany checks the inputs of runs over many targets: plan, leg,
// parallel and checkpoint-store, and the org and repository lists.
func (c *Config) validateMany() []error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, input.Bad(name, format, args...))
	}
	switch strings.ToLower(c.CheckpointStore) {
	case "", storeRepository:
	case storeOrganization:
		c.orgStore = true
		switch {
		case c.checkpointFile != "":
			errs = append(errs, &input.Error{Inputs: []string{"checkpoint-file", "checkpoint-store"}, Problem: "both set; keep the checkpoints in a file or in organizations' variables, not both"})
		case c.CheckpointRepository != "":
			errs = append(errs, &input.Error{Inputs: []string{"checkpoint-repository", "checkpoint-store"}, Problem: "checkpoint-store: organization keeps each checkpoint in its organization's own variables; leave checkpoint-repository empty"})
		case !c.target.Many() && c.LegInput == "" && c.target.Base.Kind() == redeliver.AppHook:
			bad("checkpoint-store", "the GitHub App's own webhook belongs to no organization; keep its checkpoint in a repository (leave checkpoint-store empty)")
		}
	default:
		bad("checkpoint-store", "want repository (the checkpoint-repository's variables) or organization (each organization's own), got %s", input.Value("checkpoint-store", c.CheckpointStore))
	}

	if c.LegInput != "" {
		if c.Plan {
			errs = append(errs, &input.Error{Inputs: []string{"plan", "leg"}, Problem: "both set; the plan's job sets plan, each leg of its matrix sets leg"})
		}
		// In action.yml's order, so the errors come in the same order
		// every time.
		for _, in := range []struct{ name, v string }{{"org", c.Org}, {"repository", c.Repository}, {"hook-id", c.HookID},
			{"checkpoint-variable", c.CheckpointVariable}, {"checkpoint-repository", c.CheckpointRepository}, {"checkpoint-store", c.CheckpointStore}} {
			if in.v != "" {
				bad(in.name, "the leg says which webhooks to handle and where their checkpoints live; leave %s empty in the matrix's job", in.name)
			}
		}
		if c.InstallationID != 0 {
			bad("installation-id", "the leg names each installation; leave installation-id empty in the matrix's job")
		}
		if c.checkpointFile != "" {
			errs = append(errs, &input.Error{Inputs: []string{"leg", "checkpoint-file"}, Problem: "the leg says where each checkpoint lives; leave checkpoint-file unset"})
		}
		leg, err := matrix.ParseLeg(c.LegInput)
		if err != nil {
			bad("leg", "%v", err)
		} else {
			for _, g := range leg.Groups {
				for _, t := range g.Targets {
					// The leg's names go into API paths: GitHub's rules
					// for them, as for the org and repository inputs.
					if t.Org != "" && !target.ValidLogin(t.Org) {
						bad("leg", "webhook %d: %s is not an organization login", t.Hook, input.Value("leg", t.Org))
					}
					if _, _, ok := target.SplitRepository(t.Repo); t.Repo != "" && !ok {
						bad("leg", "webhook %d: want owner/name, got %s", t.Hook, input.Value("leg", t.Repo))
					}
					if place, err := checkpoint.ParsePlace(t.State); err != nil {
						bad("leg", "webhook %d: checkpoint place %v", t.Hook, err)
					} else if !validPlace(place) {
						bad("leg", "webhook %d: checkpoint place %s names no organization or repository", t.Hook, input.Value("leg", t.State))
					}
					if err := checkpoint.ValidateName(t.Var); err != nil {
						bad("leg", "webhook %d: checkpoint variable %v", t.Hook, err)
					}
				}
				if g.Installation != 0 && c.AppID == "" {
					bad("app-id", "required: the leg's installation %d mints its tokens with the App (set app-id and private-key)", g.Installation)
				}
			}
			c.leg = &leg
		}
		if c.AppID == "" && c.Token == "" {
			bad("token", "required for a leg, unless app-id and private-key are set")
		}
	}

	if c.target.Many() {
		if c.InstallationID != 0 {
			bad("installation-id", "several organizations or repositories each have their own installation, found when the run starts; leave installation-id empty")
		}
		if c.target.AllOrgs {
			switch {
			case c.AppID == "":
				bad("app-id", "required with org: all, which lists the App's installations")
			case c.Token != "":
				bad("token", "with org: all each organization is served by the App's installation there; leave token empty")
			}
		}
	}
	if (c.target.Many() || c.LegInput != "") && (c.Parallel < 1 || c.Parallel > MaxParallel) {
		// Read only by runs over many targets.
		bad("parallel", "want from 1 to %d identities at once, got %d", MaxParallel, c.Parallel)
	}
	if c.Plan {
		switch {
		case c.checkpointFile != "":
			errs = append(errs, &input.Error{Inputs: []string{"plan", "checkpoint-file"}, Problem: "the legs of a matrix keep their checkpoints in variables; set checkpoint-repository or checkpoint-store instead"})
		case !c.target.Many() && c.target.Base.Kind() == redeliver.AppHook:
			bad("plan", "the GitHub App's own webhook is one target; plan a matrix for organizations (org: all, or a list) or repositories")
		}
	}
	return errs
}

// Many reports whether the run goes over many targets: several
// organizations or repositories (or every organization of the App), a plan,
// or a leg of a plan's matrix. Such a run works on several identities at
// once (internal/run).
func (c *Config) Many() bool { return c.target.Many() || c.Plan || c.leg != nil }

// Leg is the leg input, read and checked; nil without one.
func (c *Config) Leg() *matrix.Leg { return c.leg }

// OrgStore reports whether each target's checkpoint lives among its
// organization's own variables (checkpoint-store: organization).
func (c *Config) OrgStore() bool { return c.orgStore }

// PlaceFor is where the checkpoint of target t lives: its organization's
// variables (the organization of an organization's webhook, the owner of a
// repository's), or the checkpoint repository's.
func (c *Config) PlaceFor(t redeliver.Target) checkpoint.Place {
	if !c.orgStore {
		return checkpoint.Place{Owner: c.cpOwner, Repo: c.cpRepo}
	}
	if t.Kind() == redeliver.RepoHook {
		return checkpoint.Place{Org: t.Owner}
	}
	return checkpoint.Place{Org: t.Org}
}

// Name says what the run is asked to do, for the log's first line.
func (c *Config) Name() string {
	switch {
	case c.leg != nil:
		n, accounts := 0, []string{}
		for _, g := range c.leg.Groups {
			n += len(g.Targets)
			if g.Account != "" {
				accounts = append(accounts, g.Account)
			}
		}
		name := fmt.Sprintf("a leg of the plan's matrix: %d webhooks", n)
		if len(accounts) > 0 {
			name += " of " + strings.Join(accounts, ", ")
		}
		return name
	case c.Plan:
		return "a plan for " + c.target.Name()
	}
	return c.target.Name()
}

// targetName names the holder of the webhooks for String, whose hooks field
// names the webhooks.
func (c *Config) targetName() string {
	if c.Many() {
		return c.Name()
	}
	return c.target.Base.Holder()
}

// validPlace reports whether a checkpoint place names an organization or a
// repository by GitHub's rules.
func validPlace(p checkpoint.Place) bool {
	if p.Org != "" {
		return target.ValidLogin(p.Org)
	}
	_, _, ok := target.SplitRepository(p.Owner + "/" + p.Repo)
	return ok
}
