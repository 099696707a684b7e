package fakegithub

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"
)

func TestSeed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		hook              HookRef
		n                 int
		failed, recovered float64
	}{
		{name: "app", hook: AppHook(), n: 2000, failed: 0.1, recovered: 0.2},
		{name: "org all ok", hook: OrgHook("acme", 1), n: 300},
		{name: "repo all failed", hook: RepoHook("acme", "api", 2), n: 300, failed: 1},
		{name: "one", hook: RepoHook("acme", "api", 3), n: 1, recovered: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newServer(t, Options{Seed: 3})
			from, to := start.Add(-24*time.Hour), start
			failed := s.Seed(tc.hook, SeedOptions{N: tc.n, From: from, To: to, FailedFraction: tc.failed, RecoveredFraction: tc.recovered})
			ds := s.Deliveries(tc.hook)

			type state struct{ attempts, ok int }
			guids := map[string]*state{}
			events := map[string]bool{}
			for i, d := range ds {
				if i > 0 && (d.ID >= ds[i-1].ID || d.DeliveredAt.After(ds[i-1].DeliveredAt)) {
					t.Fatalf("delivery %d (%d at %v) is out of order after %d at %v", i, d.ID, d.DeliveredAt, ds[i-1].ID, ds[i-1].DeliveredAt)
				}
				if d.DeliveredAt.Before(from) || !d.DeliveredAt.Before(to) {
					t.Errorf("delivery at %v outside [%v, %v)", d.DeliveredAt, from, to)
				}
				if len(d.GUID) != 36 || d.GUID[8] != '-' || d.GUID[13] != '-' {
					t.Errorf("GUID %q is not UUID-shaped", d.GUID)
				}
				st := guids[d.GUID]
				if st == nil {
					st = &state{}
					guids[d.GUID] = st
				}
				st.attempts++
				if d.Status == "OK" {
					st.ok++
					if d.StatusCode != 200 {
						t.Errorf("OK with status code %d", d.StatusCode)
					}
				}
				if d.Redelivery && d.Status != "OK" {
					t.Errorf("seeded redelivery failed: %+v", d)
				}
				events[d.Event+"."+d.Action] = true
				if tc.hook.isApp() != (d.InstallationID != 0) || d.RepositoryID == 0 {
					t.Errorf("ids of %+v", d)
				}
			}
			if len(guids) != tc.n {
				t.Errorf("%d GUIDs, want %d", len(guids), tc.n)
			}
			left, recovered := 0, 0
			for _, st := range guids {
				switch {
				case st.ok == 0:
					left++
				case st.attempts == 2:
					recovered++
				}
			}
			if left != failed {
				t.Errorf("Seed returned %d failed GUIDs, the hook has %d", failed, left)
			}
			if len(ds) != tc.n+recovered {
				t.Errorf("%d deliveries, want %d GUIDs + %d redeliveries", len(ds), tc.n, recovered)
			}
			if tc.n >= 1000 {
				for name, frac := range map[string]float64{"failed": float64(left) / float64(tc.n), "recovered": float64(recovered) / float64(tc.n)} {
					want := map[string]float64{"failed": tc.failed, "recovered": tc.recovered}[name]
					if frac < want-0.05 || frac > want+0.05 {
						t.Errorf("%s fraction %.3f, want about %.2f", name, frac, want)
					}
				}
				if len(events) < 8 {
					t.Errorf("only %d event kinds: %v", len(events), events)
				}
			}
		})
	}
}

func TestSeedDeterministic(t *testing.T) {
	t.Parallel()
	seed := func(o SeedOptions) []Delivery {
		s, _ := newServer(t, Options{Seed: 9})
		o.N, o.From, o.To, o.FailedFraction, o.RecoveredFraction = 200, start.Add(-time.Hour), start, 0.2, 0.2
		s.Seed(OrgHook("acme", 1), o)
		return s.Deliveries(OrgHook("acme", 1))
	}
	if diff := cmp.Diff(seed(SeedOptions{}), seed(SeedOptions{})); diff != "" {
		t.Errorf("same seed, different deliveries (-first +second):\n%s", diff)
	}
	a := seed(SeedOptions{Rand: rand.New(rand.NewPCG(1, 2))})
	b := seed(SeedOptions{Rand: rand.New(rand.NewPCG(1, 2))})
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same Rand, different deliveries (-first +second):\n%s", diff)
	}
}

func TestSeededHookServesAndRedelivers(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	h := OrgHook("acme", 1)
	s.Seed(h, SeedOptions{N: 5000, From: start.Add(-72 * time.Hour), To: start, FailedFraction: 0.3})
	c := newClient(t, s, addToken(s, "ghp", Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}}))
	var all []*github.HookDelivery
	opts := &github.ListCursorOptions{PerPage: 100}
	for {
		ds, resp, err := c.Organizations.ListHookDeliveries(t.Context(), "acme", 1, opts)
		if err != nil {
			t.Fatalf("listing: %v", err)
		}
		all = append(all, ds...)
		if resp.Cursor == "" {
			break
		}
		opts.Cursor = resp.Cursor
	}
	if len(all) != 5000 {
		t.Fatalf("listed %d, want 5000", len(all))
	}
	// The guid index is built on the first redelivery of a seeded hook.
	var failed *github.HookDelivery
	for _, d := range all {
		if d.GetStatus() != "OK" {
			failed = d
			break
		}
	}
	var attempt int
	s.SetReceiver(func(_ Delivery, a int) (string, int) { attempt = a; return "OK", 200 })
	if _, _, err := c.Organizations.RedeliverHookDelivery(t.Context(), "acme", 1, failed.GetID()); !isAccepted(err) {
		t.Fatalf("redelivering: %v", err)
	}
	if attempt != 2 {
		t.Errorf("attempt = %d, want 2", attempt)
	}
}
