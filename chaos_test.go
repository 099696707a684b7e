package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// cancelAfter cancels the run's context just before its n-th request: a job
// cancelled at a random point.
type cancelAfter struct {
	n      int64
	sent   atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	if c.sent.Add(1) == c.n {
		c.cancel()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// crashingStore is the variable store of a run whose process dies after its
// redeliveries, before it saves the checkpoint: the final Save never lands.
type crashingStore struct{ checkpoint.Store }

func (crashingStore) Save(context.Context, checkpoint.State) error {
	return errors.New("process killed before the checkpoint was saved")
}

// TestManyRunsUnderFaults is the two promises under the conditions real runs
// meet: many scheduled runs (and manual ones right after) against one GitHub
// that injects 5xx, lost redelivery answers, secondary and primary rate
// limits, a skewed clock and listing lag; runs cut short by their time
// budget, max-redeliveries, cancellation and a crash before saving; a
// receiver that goes down for hours, then recovers. At the end:
//   - every GUID that ever failed has a successful delivery (nothing lost);
//   - no GUID was redelivered twice in one run;
//   - none was redelivered once an attempt of it had succeeded.
func TestManyRunsUnderFaults(t *testing.T) {
	t.Parallel()
	const seed = 20261121
	rng := rand.New(rand.NewPCG(seed, 7))
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	hook := fakegithub.AppHook()
	inputs := map[string]string{"app-id": strconv.Itoa(appID), "private-key": keyPEM(testKey()), "token": fullToken, "max-attempts": "0"}

	// The receiver is down during these spans of GitHub time (days from
	// start), including one longer than the gap between runs.
	type span struct{ from, to time.Time }
	day := func(d float64) time.Time { return start.Add(time.Duration(d * 24 * float64(time.Hour))) }
	outages := []span{{day(0.1), day(0.25)}, {day(1.3), day(1.9)}, {day(2.5), day(2.52)}, {day(3.2), day(3.8)}, {day(4.6), day(4.7)}}
	down := func(at time.Time) bool {
		for _, o := range outages {
			if !at.Before(o.from) && at.Before(o.to) {
				return true
			}
		}
		return false
	}
	// The fake calls the receiver with its lock held: compute GitHub's time
	// from the clock and the offset in force rather than asking the fake.
	var offset atomic.Int64
	h.fake.SetReceiver(func(d fakegithub.Delivery, attempt int) (string, int) {
		if down(h.clock.Now().Add(time.Duration(offset.Load()))) {
			return "Invalid HTTP Response: 502", 502
		}
		return "OK", 200
	})

	// Traffic: an event every 4 minutes of GitHub time, failing while the
	// receiver is down.
	generated := start.Add(-2 * time.Hour)
	events := []string{"push", "pull_request", "issues", "workflow_job", "check_run"}
	traffic := func() {
		for now := h.fake.Now(); generated.Before(now); generated = generated.Add(4 * time.Minute) {
			d := fakegithub.Delivery{DeliveredAt: generated, Event: events[rng.IntN(len(events))], Status: "OK", StatusCode: 200}
			if down(generated) {
				d.Status, d.StatusCode = "Couldn't connect to server", 0
			}
			h.fake.AddDelivery(hook, d)
		}
	}

	var (
		perRun                                          [][]fakegithub.Redelivery
		runs, cutByBudget, cutByCap, cancelled, crashed int
		failedRuns, manualReruns                        int
	)
	oneRun := func(chaos bool) {
		traffic()
		in := with(inputs)
		d := run.Deps{Rand: rand.New(rand.NewPCG(seed, uint64(runs)))}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		if chaos {
			f := fakegithub.Faults{
				Latency:            time.Duration(rng.IntN(300)) * time.Millisecond,
				ServerErrorRate:    0.05,
				LostResponseRate:   0.1,
				SecondaryLimitRate: 0.02,
				RetryAfter:         time.Duration(30+rng.IntN(90)) * time.Second,
				PrimaryLimit:       []int{0, 0, 120, 400}[rng.IntN(4)],
				ClockOffset:        time.Duration(rng.IntN(240)-120) * time.Second,
				VisibilityLag:      time.Duration(rng.IntN(40)) * time.Second,
			}
			offset.Store(int64(f.ClockOffset))
			h.fake.SetFaults(f)
			switch rng.IntN(6) {
			case 0:
				in["timeout"] = "15s" // a 13.5 s budget for the pass: a handful of paced redeliveries
				cutByBudget++
			case 1:
				in["max-redeliveries"] = strconv.Itoa(1 + rng.IntN(5))
				cutByCap++
			case 2:
				d.Transport = &cancelAfter{n: int64(2 + rng.IntN(12)), cancel: cancel}
				cancelled++
			case 3:
				if runs > 0 {
					d.Store = func(cfg *config.Config, target redeliver.Target, c *github.Client) checkpoint.Store {
						owner, repo := cfg.CheckpointRepo()
						return crashingStore{checkpoint.NewVariable(c, owner, repo, cfg.VariableFor(target))}
					}
					crashed++
				}
			}
		} else {
			offset.Store(0)
			h.fake.SetFaults(fakegithub.Faults{VisibilityLag: 10 * time.Second})
		}
		before := len(h.fake.Redeliveries())
		r := h.runWith(ctx, in, d)
		runs++
		if r.code != 0 {
			failedRuns++
			t.Logf("run %d exited %d (expected under faults): %s", runs, r.code, lastError(r.log))
		}
		perRun = append(perRun, h.fake.Redeliveries()[before:])
	}

	// Eight days of runs every six hours, some followed at once by a manual
	// run, all under faults; then the receiver has recovered and four
	// clean runs follow.
	for i := 0; i < 32; i++ {
		h.clock.Advance(6 * time.Hour)
		oneRun(true)
		if rng.IntN(4) == 0 {
			h.clock.Advance(time.Duration(5+rng.IntN(60)) * time.Second)
			manualReruns++
			oneRun(true)
		}
	}
	for i := 0; i < 4; i++ {
		h.clock.Advance(6 * time.Hour)
		oneRun(false)
	}

	deliveries := h.fake.Deliveries(hook)
	failedGUIDs, lost, doubled := checkPromises(t, deliveries, perRun)
	total := 0
	for _, rds := range perRun {
		total += len(rds)
	}
	var faults int
	for _, r := range h.fake.Requests() {
		if r.Status >= 500 || r.Status == http.StatusTooManyRequests || (r.Status == http.StatusForbidden) {
			faults++
		}
	}
	lostAnswers := 0
	for _, rd := range h.fake.Redeliveries() {
		if rd.Answered != http.StatusAccepted {
			lostAnswers++
		}
	}
	t.Logf("seed %d: %d runs (%d manual re-runs right after a run, %d exited non-zero), cut short: %d by time budget, %d by max-redeliveries, %d cancelled, %d crashed before saving",
		seed, runs, manualReruns, failedRuns, cutByBudget, cutByCap, cancelled, crashed)
	t.Logf("%d deliveries, %d GUIDs failed at least once, %d redeliveries (%d with a lost answer), %d fault answers from GitHub, %d requests in all",
		len(deliveries), failedGUIDs, total, lostAnswers, faults, len(h.fake.Requests()))
	t.Logf("redelivered twice in a run or after success: %d, lost: %d", doubled, lost)
	if failedGUIDs == 0 || total == 0 || faults == 0 {
		t.Fatal("the scenario injected no failures: the test proves nothing")
	}
}

// lastError is the last ::error:: line of a run's log.
func lastError(log string) string {
	i := strings.LastIndex(log, "::error::")
	if i < 0 {
		return "(no error annotation)"
	}
	line, _, _ := strings.Cut(log[i:], "\n")
	return line
}
