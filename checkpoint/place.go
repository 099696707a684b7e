package checkpoint

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// GitHub's limits on Actions variables: a repository holds at most 500, an
// organization 1,000 of its own.
const (
	RepoVariables = 500
	OrgVariables  = 1000
)

// VariablesPerTarget is the most variables one target keeps: its checkpoint,
// and the ledger beside it while GUIDs are in play.
const VariablesPerTarget = 2

// Place is where a target's checkpoint variables live: a repository's
// variables (Owner and Repo) or an organization's own (Org).
type Place struct {
	Org         string
	Owner, Repo string
}

// String is the place as a plan's leg writes it: "org:acme" or
// "repo:acme/ops". ParsePlace reads it back.
func (p Place) String() string {
	if p.Org != "" {
		return "org:" + p.Org
	}
	return "repo:" + p.Owner + "/" + p.Repo
}

// ParsePlace reads what String wrote.
func ParsePlace(s string) (Place, error) {
	kind, where, _ := strings.Cut(s, ":")
	switch kind {
	case "org":
		if where != "" && !strings.Contains(where, "/") {
			return Place{Org: where}, nil
		}
	case "repo":
		if owner, repo, ok := strings.Cut(where, "/"); ok && owner != "" && repo != "" {
			return Place{Owner: owner, Repo: repo}, nil
		}
	}
	return Place{}, fmt.Errorf("want org:LOGIN or repo:OWNER/NAME, got %q", s)
}

// Limit is how many variables the place holds.
func (p Place) Limit() int {
	if p.Org != "" {
		return OrgVariables
	}
	return RepoVariables
}

// key folds case: GitHub's logins and names are case-insensitive.
func (p Place) key() Place {
	return Place{Org: strings.ToLower(p.Org), Owner: strings.ToLower(p.Owner), Repo: strings.ToLower(p.Repo)}
}

// CheckRoom reports the places that cannot hold the checkpoints of the
// targets given (a target's place each, repeated per target): a place holds
// Limit/VariablesPerTarget targets at most, counting every target's ledger,
// since on a bad day every target has GUIDs in play. Variables that other
// tools keep in the same place count too, and are not known here.
func CheckRoom(places []Place) error {
	count := map[Place]int{}
	first := map[Place]Place{}
	for _, p := range places {
		k := p.key()
		if _, ok := first[k]; !ok {
			first[k] = p
		}
		count[k]++
	}
	keys := slices.SortedFunc(maps.Keys(count), func(a, b Place) int { return cmp.Compare(a.String(), b.String()) })
	var full []string
	for _, k := range keys {
		if n := count[k]; n*VariablesPerTarget > k.Limit() {
			p := first[k]
			where := "repository " + p.Owner + "/" + p.Repo
			if p.Org != "" {
				where = "organization " + p.Org
			}
			full = append(full, fmt.Sprintf("%d webhooks keep up to %d variables in %s, which holds %d", n, n*VariablesPerTarget, where, k.Limit()))
		}
	}
	if len(full) == 0 {
		return nil
	}
	return &RoomError{Full: full}
}

// RoomError says which places cannot hold the checkpoints of a run's
// targets.
type RoomError struct{ Full []string }

func (e *RoomError) Error() string {
	return "not enough room for the checkpoints: " + strings.Join(e.Full, "; ") +
		" (a checkpoint and its ledger a webhook); set checkpoint-store: organization to keep each organization's in its own variables"
}
