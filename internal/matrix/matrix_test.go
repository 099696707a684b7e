package matrix

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// groups makes n installations with hooks webhooks each, their checkpoints
// in their own organization.
func groups(n, hooks int) []Group {
	var gs []Group
	for i := range n {
		org := fmt.Sprintf("org-%04d", i)
		g := Group{Account: org, Installation: int64(1000 + i)}
		for h := range hooks {
			id := int64(10_000_000 + i*100 + h)
			g.Targets = append(g.Targets, Target{Org: org, Hook: id, Var: fmt.Sprintf("REDELIVER_ORG_%s_HOOK_%d", strings.ToUpper(org), id), State: "org:" + org})
		}
		gs = append(gs, g)
	}
	return gs
}

func TestBuild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		groups             []Group
		wantLegs           int
		wantTargets        int
		wantMostGroupsALeg int
		wantNames          []string // the first few, if given
	}{
		{"none", nil, 0, 0, 0, nil},
		{"an installation without webhooks gets no leg", append(groups(2, 1), Group{Account: "empty", Installation: 9}), 2, 2, 1, []string{"org-0000", "org-0001"}},
		{"a token is one leg", []Group{{Targets: []Target{{Org: "a", Hook: 1, Var: "V", State: "repo:a/ops"}, {Org: "b", Hook: 2, Var: "W", State: "repo:a/ops"}}}}, 1, 2, 1, []string{"token"}},
		{"40 installations: a leg each", groups(40, 3), 40, 120, 1, nil},
		{"256 installations: still a leg each", groups(256, 1), 256, 256, 1, nil},
		{"1,000 installations share 256 legs", groups(1000, 1), 256, 1000, 12, []string{"shard-000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Build(tt.groups)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Include) != tt.wantLegs || len(m.Include) > MaxLegs {
				t.Errorf("%d legs, want %d (at most %d)", len(m.Include), tt.wantLegs, MaxLegs)
			}
			if got := targets(m); got != tt.wantTargets {
				t.Errorf("%d webhooks in all legs, want %d", got, tt.wantTargets)
			}
			seen := map[string]bool{}
			most := 0
			for i, e := range m.Include {
				if seen[e.Name] {
					t.Errorf("leg name %q twice", e.Name)
				}
				seen[e.Name] = true
				l, err := ParseLeg(e.Leg)
				if err != nil {
					t.Fatalf("leg %s: %v", e.Name, err)
				}
				most = max(most, len(l.Groups))
				if i < len(tt.wantNames) && e.Name != tt.wantNames[i] {
					t.Errorf("leg %d named %q, want %q", i, e.Name, tt.wantNames[i])
				}
			}
			if most > tt.wantMostGroupsALeg {
				t.Errorf("a leg holds %d installations, want at most %d", most, tt.wantMostGroupsALeg)
			}
			b, err := m.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > MaxOutput {
				t.Errorf("matrix is %d bytes, over %d", len(b), MaxOutput)
			}
			var back Matrix
			if err := json.Unmarshal(b, &back); err != nil || !cmp.Equal(back, m) {
				t.Errorf("the matrix does not read back: %v", err)
			}
		})
	}
}

// An installation keeps its leg from run to run: past 256 installations its
// shard depends on its account alone.
func TestBuildShardsAreStable(t *testing.T) {
	t.Parallel()
	where := func(gs []Group) map[string]string {
		m, err := Build(gs)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, e := range m.Include {
			l, _ := ParseLeg(e.Leg)
			for _, g := range l.Groups {
				out[g.Account] = e.Name
			}
		}
		return out
	}
	all := groups(600, 1)
	before := where(all)
	after := where(append(all[:100:100], all[101:]...)) // one installation removed
	for account, leg := range after {
		if before[account] != leg {
			t.Errorf("%s moved from %s to %s", account, before[account], leg)
		}
	}
}

// 1,000 webhooks fit a job's outputs many times over; a plan that does not
// fit fails and says what to do.
func TestBuildTooLarge(t *testing.T) {
	t.Parallel()
	m, err := Build(groups(100, 10))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.JSON()
	t.Logf("1,000 webhooks in 100 installations: %d bytes of output (%d a webhook)", len(b), len(b)/1000)
	if len(b) > MaxOutput/4 {
		t.Errorf("1,000 webhooks take %d bytes", len(b))
	}
	_, err = Build(groups(300, 30))
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Targets != 9000 || !strings.Contains(err.Error(), "org: a list instead of all") {
		t.Errorf("err = %v, want a *TooLargeError for 9000 webhooks", err)
	}
}

func TestParseLeg(t *testing.T) {
	t.Parallel()
	good := `{"v":1,"groups":[{"account":"acme","installation":7,"targets":[{"org":"acme","hook":5,"var":"V","state":"org:acme"}]}]}`
	if l, err := ParseLeg(good); err != nil || l.Groups[0].Targets[0].Hook != 5 {
		t.Fatalf("ParseLeg(good) = %+v, %v", l, err)
	}
	for _, tt := range []struct{ in, want string }{
		{"", "not a leg"},
		{"acme", "not a leg"},
		{`{"v":2,"groups":[]}`, "format version 2"},
		{`{"v":1,"groups":[]}`, "no installation"},
		{`{"v":1,"groups":[{"account":"a","targets":[]}]}`, "holds no webhook"},
		{`{"v":1,"groups":[{"targets":[{"org":"a","repo":"a/b","hook":1,"var":"V","state":"org:a"}]}]}`, "want exactly one"},
		{`{"v":1,"groups":[{"targets":[{"org":"a","hook":0,"var":"V","state":"org:a"}]}]}`, "has id 0"},
		{`{"v":1,"groups":[{"targets":[{"org":"a","hook":1}]}]}`, "where its checkpoint lives"},
		{`{"v":1,"groups":[],"token":"x"}`, "unknown field"},
	} {
		if _, err := ParseLeg(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseLeg(%q) = %v, want an error saying %q", tt.in, err, tt.want)
		}
	}
}

// targets counts the webhooks of every leg of m.
func targets(m Matrix) int {
	n := 0
	for _, e := range m.Include {
		if l, err := ParseLeg(e.Leg); err == nil {
			for _, g := range l.Groups {
				n += len(g.Targets)
			}
		}
	}
	return n
}
