package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// lowerBoundHook is what seedLowerBound puts on a hook.
type lowerBoundHook struct {
	inWindow int      // deliveries at or after the window's start
	failed   []string // GUIDs in the window without a successful attempt
}

// seedLowerBound fills the App's webhook with 1,050 deliveries in the window
// [since, since+18h) and 150 before it, ids in delivery order as on GitHub.
// 37 GUIDs have no successful attempt in the window: 30 failed once, 4
// failed twice (original and a redelivery), and 3 have only a failed
// redelivery in the window, their original being older. 10 more failed and
// were redelivered successfully.
func seedLowerBound(fake *fakegithub.Server, since time.Time) lowerBoundHook {
	type planned struct {
		at         time.Time
		guid       string
		redelivery bool
		ok         bool
	}
	var plan []planned
	var h lowerBoundHook
	guid := func(prefix string, i int) string { return fmt.Sprintf("%s%07d-0000-4000-8000-000000000000", prefix, i) }
	minute := func(m float64) time.Time { return since.Add(time.Duration(m * float64(time.Minute))) }

	for j := range 150 {
		ok := j != 10 && j != 20 && j != 30
		plan = append(plan, planned{at: minute(float64(j - 150)), guid: guid("0", j), ok: ok})
	}
	for k, j := range []int{10, 20, 30} {
		plan = append(plan, planned{at: minute(float64(100*(k+1)) + 0.5), guid: guid("0", j), redelivery: true})
		h.failed = append(h.failed, guid("0", j))
	}
	const originals = 1033
	for e := range originals {
		g := guid("1", e)
		p := planned{at: minute(float64(1 + e)), guid: g, ok: true}
		switch {
		case e < 900 && e%30 == 3:
			p.ok = false
			h.failed = append(h.failed, g)
		case slices.Contains([]int{905, 915, 925, 935}, e):
			p.ok = false
			plan = append(plan, planned{at: minute(float64(e+5) + 0.5), guid: g, redelivery: true})
			h.failed = append(h.failed, g)
		case e >= 940 && e < 1000 && (e-940)%6 == 0:
			p.ok = false
			plan = append(plan, planned{at: minute(float64(e+3) + 0.5), guid: g, redelivery: true, ok: true})
		}
		plan = append(plan, p)
	}
	slices.SortFunc(plan, func(a, b planned) int { return a.at.Compare(b.at) })
	for _, p := range plan {
		d := fakegithub.Delivery{GUID: p.guid, DeliveredAt: p.at, Redelivery: p.redelivery, Event: "push", Status: "OK", StatusCode: 200}
		if !p.ok {
			d.Status, d.StatusCode = "Invalid HTTP Response: 503", 503
		}
		fake.AddDelivery(fakegithub.AppHook(), d)
		if !p.at.Before(since) {
			h.inWindow++
		}
	}
	slices.Sort(h.failed)
	return h
}

// callKind sorts the requests of a pass.
func callKind(r fakegithub.Request) string {
	switch p := r.Path; {
	case r.Method == http.MethodGet && strings.HasSuffix(p, "/deliveries"):
		return "list"
	case r.Method == http.MethodPost && strings.HasSuffix(p, "/attempts"):
		return "redeliver"
	case strings.Contains(p, "/actions/variables") && r.Method == http.MethodGet:
		return "variable read"
	case strings.Contains(p, "/actions/variables"):
		return "variable write"
	case strings.HasSuffix(p, "/installation") || strings.HasSuffix(p, "/access_tokens"):
		return "auth"
	}
	return r.Method + " " + r.Path
}

// TestAPICallsAtLowerBound runs one pass of a GitHub App over 1,050
// deliveries with 37 failed GUIDs and checks it makes no API call it could
// do without: ceil(1050/100) list calls (one more only when a page boundary
// falls exactly on the window's start), one redelivery per failed GUID, one
// read of the checkpoint variable and one write (two on the first run: the
// variable is created before the first redelivery, then updated), one
// installation lookup and one token for the variable, and no request twice.
// The load test (internal/cmd/loadtest) checks the same at scale.
func TestAPICallsAtLowerBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		firstRun bool
		writes   []string // methods, in order
		notFound int      // 404 answers
	}{
		{name: "steady state", writes: []string{http.MethodPatch}},
		// The GET finds no variable (404), the variable is created just
		// before the first redelivery and updated at the end.
		{name: "first run", firstRun: true, writes: []string{http.MethodPost, http.MethodPatch}, notFound: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
			vc := clock.NewVirtual(now)
			fake := fakegithub.New(fakegithub.Options{Clock: vc, PathPrefix: "/api/v3", Seed: 1})
			t.Cleanup(fake.Close)
			fake.AddApp(appID, "", &testKey().PublicKey)
			fake.AddInstallation(fakegithub.Installation{ID: 99, AppID: appID, Account: "acme",
				Permissions: map[string]string{"actions_variables": "write"}})
			// The first run reads 24 hours back from GitHub's now, which the
			// action estimates half a second late: start the window a
			// minute later, where both cases put it.
			since := now.Add(-redeliver.FirstLookback + time.Minute)
			seeded := seedLowerBound(fake, since)
			if !tt.firstRun {
				name := checkpoint.DefaultName(strconv.Itoa(appID), "", "", "", 0)
				fake.SetVariable("acme", "ops", name, checkpoint.State{Checkpoint: since.Add(redeliver.Overlap)}.Encode())
			}

			cfg := &config.Config{
				AppID: strconv.Itoa(appID), PrivateKey: keyPEM(testKey()), APIURL: fake.URL(),
				CheckpointRepository: "acme/ops", MaxAttempts: 5, Timeout: 50 * time.Minute, RedeliveryInterval: time.Second,
			}
			if err := cfg.Validate(config.Runner{}); err != nil {
				t.Fatal(err)
			}
			if _, err := run.Execute(t.Context(), cfg, run.Deps{Clock: vc, Log: &textLogger{w: io.Discard}}); err != nil {
				t.Fatal(err)
			}
			if err := fake.Err(); err != nil {
				t.Fatal(err)
			}

			calls := map[string]int{}
			seen := map[string]bool{}
			readBack := 0
			var writes []string
			notFound := 0
			for _, r := range fake.Requests() {
				k := callKind(r)
				calls[k]++
				if k == "variable write" {
					writes = append(writes, r.Method)
				}
				if r.Status == http.StatusNotFound {
					notFound++
				}
				key := r.Method + " " + r.Path + "?" + r.Query.Encode()
				if k == "list" && r.Query.Get("cursor") == "" {
					// The newest page: read again after the redeliveries.
					readBack++
					continue
				}
				if seen[key] {
					t.Errorf("request sent twice: %s", key)
				}
				seen[key] = true
			}
			// While redelivering, the run looks at the newest page every
			// so many redeliveries to watch the receiver and learn the
			// outcomes, and once after the last.
			readBack--
			pages := (seeded.inWindow + redeliver.PageSize - 1) / redeliver.PageSize
			if got := calls["list"] - readBack; got != pages && got != pages+1 {
				t.Errorf("%d list calls for %d deliveries in the window, want %d (or %d to see the boundary)", got, seeded.inWindow, pages, pages+1)
			}
			if want := redeliver.LooksFor(len(seeded.failed)); readBack < 1 || readBack > want {
				t.Errorf("read the newest page %d times while and after redelivering %d GUIDs, want 1 to %d", readBack, len(seeded.failed), want)
			}
			var redelivered []string
			for _, r := range fake.Redeliveries() {
				redelivered = append(redelivered, r.GUID)
			}
			slices.Sort(redelivered)
			if !slices.Equal(redelivered, seeded.failed) {
				t.Errorf("redelivered %d GUIDs %v, want the %d failed ones %v", len(redelivered), redelivered, len(seeded.failed), seeded.failed)
			}
			if calls["redeliver"] != len(seeded.failed) {
				t.Errorf("%d redelivery requests, want %d", calls["redeliver"], len(seeded.failed))
			}
			if calls["variable read"] != 1 || !slices.Equal(writes, tt.writes) {
				t.Errorf("variable: %d reads and writes %v, want 1 read and writes %v", calls["variable read"], writes, tt.writes)
			}
			if calls["auth"] != 2 {
				t.Errorf("%d auth calls, want 2: one installation lookup and one token", calls["auth"])
			}
			if notFound != tt.notFound {
				t.Errorf("%d answers were 404, want %d", notFound, tt.notFound)
			}
			for k, n := range calls {
				switch k {
				case "list", "redeliver", "variable read", "variable write", "auth":
				default:
					t.Errorf("%d unexpected calls: %s", n, k)
				}
			}
			t.Logf("%d deliveries in the window, %d failed GUIDs: %v", seeded.inWindow, len(seeded.failed), calls)
		})
	}
}
