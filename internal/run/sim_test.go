package run

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

// The simulation of one job over many identities: simInstallations App
// installations, each an organization with one webhook holding simFailed
// failed GUIDs among older successes (more for later organizations, so
// their listing takes more pages), on a virtual clock on which the
// identities' sleeps overlap as they would for real, with simLatency a
// request.
const (
	simInstallations = 20
	simFailed        = 100
	simLatency       = 100 * time.Millisecond
)

// latency delays every request by d on clk, in the calling goroutine: the
// participant itself waits, so the parallel clock counts the wait as its own
// (a server that slept instead would be waited for by no one).
type latency struct {
	d    time.Duration
	clk  clock.Clock
	next http.RoundTripper
}

func (l latency) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := l.clk.Sleep(req.Context(), l.d); err != nil {
		return nil, err
	}
	return l.next.RoundTrip(req)
}

// simWorld is a fake GitHub on a parallel clock holding the organizations
// orgs (indexes into the simulation's) and their failures.
func simWorld(t *testing.T, orgs []int) (*fakegithub.Server, *clock.Parallel) {
	t.Helper()
	pc := clock.NewParallel(t0)
	fake := fakegithub.New(fakegithub.Options{Clock: pc, Seed: 1})
	t.Cleanup(func() {
		fake.Close()
		if err := fake.Err(); err != nil {
			t.Error(err)
		}
	})
	fake.AddApp(testAppID, "", &testKey().PublicKey)
	for _, i := range orgs {
		org := simOrg(i)
		fake.AddInstallation(fakegithub.Installation{ID: int64(100 + i), AppID: testAppID, Account: org,
			Permissions: map[string]string{"organization_hooks": "write", "organization_actions_variables": "write"}})
		h := fakegithub.OrgHook(org, int64(1000+i))
		at := t0.Add(-3 * time.Hour)
		for range i * 40 { // older successes: more pages to read for later organizations
			fake.AddDelivery(h, fakegithub.Delivery{DeliveredAt: at, StatusCode: 200})
			at = at.Add(time.Second)
		}
		for g := range simFailed {
			fake.AddDelivery(h, fakegithub.Delivery{GUID: fmt.Sprintf("%s-%03d", org, g), DeliveredAt: t0.Add(-2*time.Hour + time.Duration(g)*time.Second), StatusCode: 503})
		}
		fake.AddDelivery(h, fakegithub.Delivery{DeliveredAt: t0.Add(-5 * time.Minute), StatusCode: 200})
	}
	return fake, pc
}

func simOrg(i int) string { return fmt.Sprintf("org-%02d", i) }

// simRun runs the action over the organizations of the world and returns
// its wall time on the virtual clock.
func simRun(t *testing.T, fake *fakegithub.Server, pc *clock.Parallel, inputs map[string]string) time.Duration {
	t.Helper()
	w := &fleetWorld{fake: fake}
	env := map[string]string{"SINCE": "3h", "CHECKPOINT_STORE": "organization"}
	for k, v := range inputs {
		env[k] = v
	}
	began := pc.Now()
	cfg := w.config(t, env)
	if _, err := Execute(t.Context(), cfg, Deps{Clock: pc, Log: &testLog{}, Version: "test",
		Transport: latency{d: simLatency, clk: pc, next: http.DefaultTransport}}); err != nil {
		t.Fatal(err)
	}
	return pc.Now().Sub(began)
}

// simCheck counts what a run lost and doubled, the writes of the
// installations, and the shortest time between two writes of one.
func simCheck(t *testing.T, fake *fakegithub.Server, orgs []int) (lost, doubled int, minGap time.Duration, writes int) {
	t.Helper()
	got := map[string]int{}
	for _, r := range fake.Redeliveries() {
		got[r.GUID]++
	}
	for _, i := range orgs {
		for g := range simFailed {
			switch n := got[fmt.Sprintf("%s-%03d", simOrg(i), g)]; {
			case n == 0:
				lost++
			case n > 1:
				doubled++
			}
		}
	}
	last := map[int64]time.Time{}
	minGap = time.Hour
	for _, r := range fake.Requests() {
		// The identity is the installation whose token wrote: an
		// organization's (its webhook and its variables) or the checkpoint
		// repository's. The App's own writes (minting tokens) are not an
		// installation's.
		if r.Method == http.MethodGet || r.Installation == 0 {
			continue
		}
		writes++
		if prev, ok := last[r.Installation]; ok {
			minGap = min(minGap, r.At.Sub(prev))
		}
		last[r.Installation] = r.At
	}
	return lost, doubled, minGap, writes
}

// TestSimulationManyIdentities: one job over 20 installations of 100 failed
// GUIDs each takes about as long as the slowest installation alone (goal:
// within 1.2 times), against 20 times as long one after another; no
// identity writes more than once a second; nothing is lost or doubled.
func TestSimulationManyIdentities(t *testing.T) {
	if testing.Short() {
		t.Skip("the simulation runs 6,000 redeliveries")
	}
	t.Parallel()
	all := make([]int, simInstallations)
	for i := range all {
		all[i] = i
	}

	// Each installation alone: today's single-target run.
	alone := make([]time.Duration, simInstallations)
	for _, i := range all {
		fake, pc := simWorld(t, []int{i})
		alone[i] = simRun(t, fake, pc, map[string]string{"ORG": simOrg(i), "HOOK_ID": "all"})
		if lost, doubled, gap, _ := simCheck(t, fake, []int{i}); lost+doubled > 0 || gap < time.Second {
			t.Fatalf("%s alone: lost %d, doubled %d, writes %s apart", simOrg(i), lost, doubled, gap)
		}
	}
	slowest := slices.Max(alone)

	rows := []string{fmt.Sprintf("%-28s %10s %8s %5s %7s %8s %s", "", "wall", "/slowest", "lost", "doubled", "writes", "least time between one identity's writes")}
	for _, tt := range []struct {
		name     string
		parallel int
		store    string
		bound    float64 // most wall time / slowest identity alone
	}{
		{"one job, 20 at once", 20, "organization", 1.2},
		{"one job, 20 at once, one repo", 20, "", 1.2},
		{"one job, one at a time", 1, "organization", simInstallations + 1},
	} {
		fake, pc := simWorld(t, all)
		inputs := map[string]string{"ORG": "all", "PARALLEL": strconv.Itoa(tt.parallel), "CHECKPOINT_STORE": tt.store}
		if tt.store == "" {
			// The checkpoints in the workflow's repository, written by
			// one more identity (its installation, on a user account so
			// that org: all leaves it out) for all 20.
			fake.AddInstallation(fakegithub.Installation{ID: 99, AppID: testAppID, Account: "acme", AccountType: "User", Permissions: map[string]string{"actions_variables": "write"}})
		}
		wall := simRun(t, fake, pc, inputs)
		lost, doubled, gap, writes := simCheck(t, fake, all)
		ratio := float64(wall) / float64(slowest)
		rows = append(rows, fmt.Sprintf("%-28s %10s %8.2f %5d %7d %8d %s", tt.name, wall.Round(100*time.Millisecond), ratio, lost, doubled, writes, gap))
		if ratio > tt.bound {
			t.Errorf("%s: %s, %.2f times the slowest identity alone (%s); want at most %.1f", tt.name, wall, ratio, slowest, tt.bound)
		}
		if lost != 0 || doubled != 0 {
			t.Errorf("%s: lost %d, doubled %d", tt.name, lost, doubled)
		}
		if gap < time.Second {
			t.Errorf("%s: an identity wrote twice within %s", tt.name, gap)
		}
	}
	t.Logf("%d installations × %d failed GUIDs, %s a request; alone: fastest %s, slowest %s, all in turn %s\n%s",
		simInstallations, simFailed, simLatency, slices.Min(alone).Round(100*time.Millisecond), slowest.Round(100*time.Millisecond),
		sum(alone).Round(100*time.Millisecond), strings.Join(rows, "\n"))
}

func sum(ds []time.Duration) time.Duration {
	var s time.Duration
	for _, d := range ds {
		s += d
	}
	return s
}

// The time budget is the job's, shared: with too little of it for 100
// redeliveries a second apart, every identity stops at the same deadline
// and saves where it stopped; the next run redelivers the rest, and nothing
// is lost or sent twice.
func TestSharedBudgetCutShortSaves(t *testing.T) {
	t.Parallel()
	orgs := []int{0, 1, 2}
	fake, pc := simWorld(t, orgs)
	w := &fleetWorld{fake: fake}
	first := w.config(t, map[string]string{"ORG": "all", "SINCE": "3h", "CHECKPOINT_STORE": "organization", "TIMEOUT": "1m"})
	deps := Deps{Clock: pc, Log: &testLog{}, Version: "test", Transport: latency{d: simLatency, clk: pc, next: http.DefaultTransport}}
	rep, err := Execute(t.Context(), first, deps)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Hooks) != len(orgs) {
		t.Fatalf("%d hooks, want %d", len(rep.Hooks), len(orgs))
	}
	sent := len(fake.Redeliveries())
	for _, h := range rep.Hooks {
		if h.Result.Stopped == "" || h.Result.Saved.IsZero() {
			t.Errorf("%s: stopped %q, saved %v; want it cut short and saved", h.Target, h.Result.Stopped, h.Result.Saved)
		}
	}
	if sent == 0 || sent >= len(orgs)*simFailed {
		t.Fatalf("the first run redelivered %d of %d; want it cut short", sent, len(orgs)*simFailed)
	}
	// The next run, with the default budget, from the saved checkpoints. A
	// run starts without waiting for the previous one, so the pace of one
	// write a second holds within a run; a new job starts seconds after the
	// last one ended.
	pc.Advance(5 * time.Second)
	if _, err := Execute(t.Context(), w.config(t, map[string]string{"ORG": "all", "CHECKPOINT_STORE": "organization"}), deps); err != nil {
		t.Fatal(err)
	}
	if lost, doubled, gap, _ := simCheck(t, fake, orgs); lost != 0 || doubled != 0 || gap < time.Second {
		t.Errorf("after two runs: lost %d, doubled %d, writes %s apart", lost, doubled, gap)
	}
	t.Logf("the first run redelivered %d of %d within its minute; the second the rest", sent, len(orgs)*simFailed)
}
