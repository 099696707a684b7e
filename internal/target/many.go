package target

import (
	"strings"

	"github.com/hook-redeliver/hook-redeliver/internal/input"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// AllOrgs is the org input's value for every organization the App is
// installed in.
const AllOrgs = "all"

// Many reports whether the spec names several holders of webhooks (org: a, b;
// repository: o/a, o/b) or every organization of the App (org: all), each
// with all its webhooks: a run over several identities.
func (s Spec) Many() bool { return s.AllOrgs || len(s.Holders) > 0 }

// Name says what the spec asks for, for the log: "org acme, hooks 1,2", "the
// GitHub App webhook", "every organization the App is installed in",
// "organizations a, b".
func (s Spec) Name() string {
	switch {
	case s.AllOrgs:
		return "every organization the App is installed in"
	case len(s.Holders) > 0:
		names := make([]string, len(s.Holders))
		for i, h := range s.Holders {
			names[i] = h.Org
			if h.Kind() == redeliver.RepoHook {
				names[i] = h.Owner + "/" + h.Repo
			}
		}
		what := "organizations "
		if s.Holders[0].Kind() == redeliver.RepoHook {
			what = "repositories "
		}
		return what + strings.Join(names, ", ") + ", every webhook of each"
	case s.Base.Kind() == redeliver.AppHook:
		return s.Base.Holder()
	}
	return s.Base.Holder() + ", hooks " + s.Hooks.String()
}

// splitList splits a list input at commas, newlines and spaces.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' || r == '\r' || r == '\t' })
}

// parseMany reads org and repository inputs that name several holders, or
// org: all. ok is false when they name one holder or none, which Parse reads
// as before.
func parseMany(org, repository, hookID string) (s Spec, errs []error, ok bool) {
	orgs, repos := splitList(org), splitList(repository)
	all := len(orgs) == 1 && strings.EqualFold(orgs[0], AllOrgs)
	if !all && len(orgs) <= 1 && len(repos) <= 1 {
		return Spec{}, nil, false
	}
	// A credential pasted here is described, never shown: checked whole,
	// before the value is split into pieces a message would quote.
	for _, in := range []struct{ name, v string }{{"org", org}, {"repository", repository}} {
		if m := input.Misplaced(in.name, in.v); m != "" {
			return Spec{}, []error{input.Bad(in.name, "%s", m)}, true
		}
	}

	if org != "" && repository != "" {
		return Spec{}, []error{input.Bad("org", "set org or repository, not both")}, true
	}
	s.Hooks = Hooks{All: true}
	if h := strings.TrimSpace(hookID); h != "" && !strings.EqualFold(h, "all") {
		errs = append(errs, input.Bad("hook-id", "with several organizations or repositories, or org: all, leave hook-id empty or set it to all: every webhook of each is handled, listed when the run starts"))
	}
	seen := map[string]bool{}
	twice := func(name, in string) bool {
		k := strings.ToLower(name)
		if seen[k] {
			errs = append(errs, input.Bad(in, "%s is listed twice", input.Value(in, name)))
			return true
		}
		seen[k] = true
		return false
	}
	switch {
	case all:
		s.AllOrgs = true
	case len(orgs) > 1:
		for _, o := range orgs {
			if strings.EqualFold(o, AllOrgs) {
				errs = append(errs, input.Bad("org", "all stands alone: every organization the App is installed in; or list organizations without it"))
				continue
			}
			if !ValidLogin(o) {
				errs = append(errs, input.Bad("org", "%s is not an organization login", input.Value("org", o)))
				continue
			}
			if !twice(o, "org") {
				s.Holders = append(s.Holders, redeliver.Target{Org: o})
			}
		}
	default:
		for _, r := range repos {
			owner, name, valid := SplitRepository(r)
			if !valid {
				errs = append(errs, input.Bad("repository", "want owner/name such as octo-org/octo-repo, got %s", input.Value("repository", r)))
				continue
			}
			if !twice(r, "repository") {
				s.Holders = append(s.Holders, redeliver.Target{Owner: owner, Repo: name})
			}
		}
	}
	return s, errs, true
}
