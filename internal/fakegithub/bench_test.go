package fakegithub

import (
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// BenchmarkListDeliveries100k walks all 1,000 pages of a 100k-delivery hook
// with go-github, as the action does on a busy hook.
func BenchmarkListDeliveries100k(b *testing.B) {
	s, _ := newServer(b, Options{})
	h := OrgHook("acme", 1)
	s.Seed(h, SeedOptions{N: 100_000, From: start.Add(-72 * time.Hour), To: start, FailedFraction: 0.01, RecoveredFraction: 0.01})
	c := newClient(b, s, addToken(s, "ghp", Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}}))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		opts := &github.ListCursorOptions{PerPage: 100}
		for {
			ds, resp, err := c.Organizations.ListHookDeliveries(b.Context(), "acme", 1, opts)
			if err != nil {
				b.Fatalf("listing: %v", err)
			}
			n += len(ds)
			if resp.Cursor == "" {
				break
			}
			opts.Cursor = resp.Cursor
		}
		if n < 100_000 {
			b.Fatalf("listed %d", n)
		}
	}
}

// BenchmarkListPage1M serves one page from the middle of a million-delivery
// hook, without HTTP, to show the cursor lookup does not scan.
func BenchmarkListPage1M(b *testing.B) {
	s, _ := newServer(b, Options{})
	h := OrgHook("acme", 1)
	s.Seed(h, SeedOptions{N: 1_000_000, From: start.Add(-72 * time.Hour), To: start, FailedFraction: 0.01})
	tok := addToken(s, "ghp", Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}})
	mid := s.Deliveries(h)[500_000].ID
	b.ReportAllocs()
	for b.Loop() {
		resp, body := do(b, s, "GET", "orgs/acme/hooks/1/deliveries?per_page=100&cursor=v1_"+itoa64(mid), tok, "")
		if resp.StatusCode != 200 || len(body) < 1000 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkSeed1M measures filling a hook for a load test.
func BenchmarkSeed1M(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s := New(Options{})
		s.Seed(OrgHook("acme", 1), SeedOptions{N: 1_000_000, From: start.Add(-72 * time.Hour), To: start, FailedFraction: 0.05, RecoveredFraction: 0.05})
		s.Close()
	}
}
