package fakegithub_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

// Example shows the usual test setup: a virtual clock, a hook with failed
// deliveries, a token, and the real go-github client.
func Example() {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	vc := clock.NewVirtual(now)
	s := fakegithub.New(fakegithub.Options{Clock: vc, Faults: fakegithub.Faults{VisibilityLag: 5 * time.Second}})
	defer s.Close()

	hook := fakegithub.OrgHook("acme", 7)
	failed := s.Seed(hook, fakegithub.SeedOptions{N: 250, From: now.Add(-time.Hour), To: now, FailedFraction: 0.1})
	s.AddToken("ghp_example", fakegithub.Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}})

	c := github.NewClient(&http.Client{Timeout: 10 * time.Second}).WithAuthToken("ghp_example")
	c.BaseURL, _ = url.Parse(s.URL()) // or c.WithEnterpriseURLs(s.URL(), s.URL()) with PathPrefix "/api/v3"

	ctx := context.Background()
	ds, resp, err := c.Organizations.ListHookDeliveries(ctx, "acme", 7, &github.ListCursorOptions{PerPage: 100})
	if err != nil {
		fmt.Println("listing:", err)
		return
	}
	_, _, err = c.Organizations.RedeliverHookDelivery(ctx, "acme", 7, ds[0].GetID())
	var accepted *github.AcceptedError
	fmt.Println(len(ds), resp.Cursor != "", failed > 0, errors.As(err, &accepted), len(s.Redeliveries()), s.Err())
	// Output: 100 true true true 1 <nil>
}
