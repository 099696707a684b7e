// Package matrix is the plan of a run over many identities, as a GitHub
// Actions matrix: one leg per App installation, each leg carrying the
// webhooks of that installation and where their checkpoints live, so that a
// matrix job runs every installation on a runner of its own.
//
// One leg per installation, not per webhook: an installation is one
// identity, with one rate limit and one pacing of a write a second, so two
// legs of one installation would only share its pacing while each paid for a
// runner; and an App installed in a few hundred organizations fits in one
// matrix (256 legs) where their webhooks would not.
package matrix

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
)

// GitHub's limits.
const (
	// MaxLegs is the most jobs one matrix makes.
	MaxLegs = 256
	// MaxOutput is the most a job's outputs hold, read as 1,000,000 bytes
	// (the smaller reading of "1 MB"); Build keeps the matrix 4 KiB under it
	// for the job's other outputs.
	MaxOutput = 1_000_000
	// outputSlack is what Build leaves of MaxOutput for the other outputs.
	outputSlack = 4 << 10
)

// Version is the leg format's version. A leg of another version is refused:
// the plan and its legs run one release of the action.
const Version = 1

// Target is one webhook of a leg and where its checkpoint lives. Exactly one
// of Org (an organization's webhook) and Repo ("owner/name", a repository's)
// is set.
type Target struct {
	Org  string `json:"org,omitempty"`
	Repo string `json:"repo,omitempty"`
	Hook int64  `json:"hook"`
	// Var is the checkpoint variable, and State the place of it and its
	// ledger (checkpoint.Place: "org:acme" or "repo:acme/ops").
	Var   string `json:"var"`
	State string `json:"state"`
}

// Group is the targets of one identity: an App installation, or, with a
// token, the token (Installation 0).
type Group struct {
	Account      string   `json:"account,omitempty"`
	Installation int64    `json:"installation,omitempty"`
	Targets      []Target `json:"targets"`
}

// Leg is one entry of the matrix: what one runner does. It holds one group,
// or, past MaxLegs installations, a few, which the leg runs at once as a
// single job runs several identities. It carries no secret: the runner drops
// an output that holds one, and every leg mints its own tokens.
type Leg struct {
	Version int     `json:"v"`
	Groups  []Group `json:"groups"`
}

// Entry is one element of the matrix's include list: Name keys the leg's
// concurrency group and names its job; Leg is the Leg as compact JSON, passed
// whole to the action's leg input.
type Entry struct {
	Name string `json:"name"`
	Leg  string `json:"leg"`
}

// Matrix is what the plan's matrix output holds: {"include": [...]}, the
// form strategy.matrix takes from fromJSON.
type Matrix struct {
	Include []Entry `json:"include"`
}

// Build makes the matrix of groups: one leg each, named after its account,
// while there are at most MaxLegs; past that, groups share MaxLegs legs named
// shard-NNN by a hash of their account, so that an installation keeps its leg
// (and its concurrency group) from run to run while their number is stable.
// Groups without targets get no leg. It fails if the matrix would pass
// GitHub's limit on a job's outputs.
func Build(groups []Group) (Matrix, error) {
	var kept []Group
	for _, g := range groups {
		if len(g.Targets) > 0 {
			kept = append(kept, g)
		}
	}
	legs := map[string]*Leg{}
	for _, g := range kept {
		name := legName(g, len(kept))
		if legs[name] == nil {
			legs[name] = &Leg{Version: Version}
		}
		legs[name].Groups = append(legs[name].Groups, g)
	}
	m := Matrix{Include: []Entry{}}
	for _, name := range slices.Sorted(maps.Keys(legs)) {
		b, err := json.Marshal(legs[name])
		if err != nil {
			return Matrix{}, fmt.Errorf("encode leg %s: %w", name, err)
		}
		m.Include = append(m.Include, Entry{Name: name, Leg: string(b)})
	}
	b, err := m.JSON()
	if err != nil {
		return Matrix{}, err
	}
	if len(b) > MaxOutput-outputSlack {
		targets := 0
		for _, g := range kept {
			targets += len(g.Targets)
		}
		return Matrix{}, &TooLargeError{Bytes: len(b), Targets: targets}
	}
	return m, nil
}

// legName is the leg of group g among n groups.
func legName(g Group, n int) string {
	account := strings.ToLower(g.Account)
	if account == "" {
		account = "token" // a token is one identity: one leg
	}
	if n <= MaxLegs {
		return account
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(account)) // a hash's Write never fails
	return fmt.Sprintf("shard-%03d", h.Sum32()%MaxLegs)
}

// JSON is the matrix output's value.
func (m Matrix) JSON() ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode the matrix: %w", err)
	}
	return b, nil
}

// TooLargeError is a matrix over GitHub's limit on a job's outputs.
type TooLargeError struct{ Bytes, Targets int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the plan's matrix for %d webhooks would be %d bytes, over the %d GitHub allows a job's outputs: plan fewer organizations per workflow (org: a list instead of all)",
		e.Targets, e.Bytes, MaxOutput-outputSlack)
}

// ParseLeg reads a leg as the leg input passes it, and checks what a leg
// must hold: its version, and for each target a webhook, one holder, a
// checkpoint variable and its place.
func ParseLeg(s string) (Leg, error) {
	var l Leg
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Leg{}, fmt.Errorf("not a leg of the plan's matrix (pass ${{ matrix.leg }}): %w", err)
	}
	if l.Version != Version {
		return Leg{}, fmt.Errorf("a leg of format version %d, this release reads version %d: run the plan and its legs with one release of the action", l.Version, Version)
	}
	if len(l.Groups) == 0 {
		return Leg{}, fmt.Errorf("the leg holds no installation")
	}
	for _, g := range l.Groups {
		if len(g.Targets) == 0 {
			return Leg{}, fmt.Errorf("installation %d (%s) of the leg holds no webhook", g.Installation, g.Account)
		}
		for _, t := range g.Targets {
			switch {
			case (t.Org == "") == (t.Repo == ""):
				return Leg{}, fmt.Errorf("a webhook of the leg names %q as organization and %q as repository; want exactly one", t.Org, t.Repo)
			case t.Hook <= 0:
				return Leg{}, fmt.Errorf("a webhook of the leg has id %d", t.Hook)
			case t.Var == "" || t.State == "":
				return Leg{}, fmt.Errorf("webhook %d of the leg does not say where its checkpoint lives", t.Hook)
			}
		}
	}
	return l, nil
}
