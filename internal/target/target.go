// Package target reads what a run is asked to handle (the org, repository
// and hook-id inputs) into a Spec, and expands a Spec into the one-hook
// targets a pass runs over (redeliver.Target).
//
// A Spec says what the user asked for; a redeliver.Target is one concrete
// webhook. Keeping the two apart lets a Spec name webhooks that only GitHub
// can list (hook-id: all), expanded when the run has a client to ask with.
package target

import (
	"context"
	"regexp"
	"strings"

	"github.com/hook-redeliver/hook-redeliver/internal/input"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// Spec is the webhooks a run is asked to handle: the GitHub App's own
// webhook, or some or all webhooks of one organization or repository.
type Spec struct {
	// Base holds the webhooks: its Org, or its Owner and Repo, and no hook
	// id. The zero Target is the GitHub App's own webhook.
	Base  redeliver.Target
	Hooks Hooks
	// Holders are the organizations or repositories of a run over several
	// (org: a, b; repository: o/a, o/b), and AllOrgs asks for every
	// organization the App is installed in (org: all): see Many. Base is then
	// zero and Hooks all.
	Holders []redeliver.Target
	AllOrgs bool
}

// GitHub's rules for an account's login and a repository's name.
var (
	loginRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	repoRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
)

// ValidLogin reports whether s can be an organization's or user's login.
func ValidLogin(s string) bool { return loginRE.MatchString(s) }

// SplitRepository splits owner/name and reports whether both parts follow
// GitHub's rules. The parts are returned even when they do not.
func SplitRepository(s string) (owner, name string, ok bool) {
	owner, name, ok = strings.Cut(s, "/")
	return owner, name, ok && loginRE.MatchString(owner) && repoRE.MatchString(name)
}

// Parse reads the org, repository and hook-id inputs. It returns what the
// log should say of a URL it read, and an *input.Error per problem, in the
// order the inputs are checked.
func Parse(org, repository, hookID string) (Spec, []input.Note, []error) {
	if s, errs, ok := parseMany(org, repository, hookID); ok {
		return s, nil, errs
	}
	var (
		s    Spec
		errs []error
	)
	switch {
	case org != "" && repository != "":
		errs = append(errs, input.Bad("org", "set org or repository, not both (org for an organization webhook, repository for a repository webhook, neither for the App's webhook)"))
	case org != "":
		if !ValidLogin(org) {
			errs = append(errs, input.Bad("org", "%s is not an organization login", input.Value("org", org)))
		}
		s.Base = redeliver.Target{Org: org}
	case repository != "":
		owner, name, ok := SplitRepository(repository)
		if !ok {
			errs = append(errs, input.Bad("repository", "want owner/name such as octo-org/octo-repo, got %s", input.Value("repository", repository)))
		}
		s.Base = redeliver.Target{Owner: owner, Repo: name}
	}
	hooks, notes, hookErrs := parseHookID(hookID, org, repository)
	s.Hooks = hooks
	return s, notes, append(errs, hookErrs...)
}

// For is the target of one of the spec's webhooks.
func (s Spec) For(hookID int64) redeliver.Target {
	t := s.Base
	t.HookID = hookID
	return t
}

// Lister reads the ids of the webhooks base holds from GitHub
// (redeliver.ListHooks with the run's client).
type Lister func(ctx context.Context, base redeliver.Target) ([]int64, error)

// Targets expands the spec into one target per webhook, in the order the
// hook-id input gave them. With hook-id all, list reads the webhooks; its
// error is returned as it is.
func (s Spec) Targets(ctx context.Context, list Lister) ([]redeliver.Target, error) {
	ids := s.Hooks.IDs
	if s.Hooks.All {
		var err error
		if ids, err = list(ctx, s.Base); err != nil {
			return nil, err
		}
	}
	ts := make([]redeliver.Target, len(ids))
	for i, id := range ids {
		ts[i] = s.For(id)
	}
	return ts, nil
}
