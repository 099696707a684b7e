package redeliver

import (
	"flag"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

var update = flag.Bool("update", false, "rewrite testdata/deliveries/page-100.json from the fake GitHub API")

// pagePath is a page of 100 deliveries exactly as GitHub serves it: ids
// above 2^53, successes and failures, originals and redeliveries, actions
// null and set.
var pagePath = filepath.Join("..", "testdata", "deliveries", "page-100.json")

// readTestPage returns the committed page, regenerating it first with -update.
func readTestPage(t testing.TB) []byte {
	t.Helper()
	if *update {
		if err := os.WriteFile(pagePath, generatePage(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(pagePath)
	if err != nil {
		t.Fatalf("%v (run go test ./redeliver -run TestListPageIDs -update to create it)", err)
	}
	return b
}

// generatePage serves the newest page of a seeded hook from the fake, with a
// few failed redeliveries added to the mix the seed makes.
func generatePage(t testing.TB) []byte {
	t.Helper()
	now := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	s := fakegithub.New(fakegithub.Options{Clock: clock.NewVirtual(now), Seed: 7})
	defer s.Close()
	hook := fakegithub.OrgHook("acme", 7)
	s.Seed(hook, fakegithub.SeedOptions{
		N: 400, From: now.Add(-2 * time.Hour), To: now.Add(-10 * time.Minute),
		FailedFraction: 0.12, RecoveredFraction: 0.1,
		Rand: rand.New(rand.NewPCG(7, 7)),
	})
	// Redeliveries that failed again, some of them of events with no action.
	for i, d := range s.Deliveries(hook)[:60] {
		if d.Status != "OK" && i%2 == 0 {
			s.AddDelivery(hook, fakegithub.Delivery{
				GUID: d.GUID, DeliveredAt: now.Add(-time.Duration(9-i/10) * time.Minute), Redelivery: true,
				Duration: 10, Status: "timed out", Event: d.Event, Action: d.Action,
				InstallationID: d.InstallationID, RepositoryID: d.RepositoryID,
			})
		}
	}
	s.AddToken("ghp_testdata", fakegithub.Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"orgs/acme/hooks/7/deliveries?per_page=100", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer ghp_testdata")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET deliveries: %d %v", resp.StatusCode, err)
	}
	return append(b, '\n')
}
