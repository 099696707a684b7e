package fakegithub

import (
	"container/heap"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// SeedOptions says what Seed generates.
type SeedOptions struct {
	N        int       // events (GUIDs); recovered ones add one redelivery each
	From, To time.Time // originals are spaced evenly over [From, To)
	// FailedFraction of the GUIDs failed on their original delivery and have
	// no later success; RecoveredFraction failed and were redelivered
	// successfully a few minutes later (always before To).
	FailedFraction, RecoveredFraction float64
	Rand                              *rand.Rand // default: derived from Options.Seed and the hook
}

// weighted is one entry of a random mix.
type weighted struct {
	a, b   string
	code   int32
	weight int
}

// eventMix approximates what a busy organization's webhook receives.
var eventMix = []weighted{
	{a: "push", weight: 24},
	{a: "pull_request", b: "opened", weight: 5},
	{a: "pull_request", b: "synchronize", weight: 9},
	{a: "pull_request", b: "closed", weight: 4},
	{a: "pull_request_review", b: "submitted", weight: 3},
	{a: "issues", b: "opened", weight: 4},
	{a: "issue_comment", b: "created", weight: 7},
	{a: "workflow_job", b: "queued", weight: 9},
	{a: "workflow_job", b: "in_progress", weight: 8},
	{a: "workflow_job", b: "completed", weight: 9},
	{a: "workflow_run", b: "completed", weight: 4},
	{a: "check_run", b: "completed", weight: 6},
	{a: "check_suite", b: "completed", weight: 3},
	{a: "create", weight: 2},
	{a: "delete", weight: 1},
	{a: "release", b: "published", weight: 1},
}

// failureMix is how deliveries fail in practice.
var failureMix = []weighted{
	{a: "Invalid HTTP Response: 503", code: 503, weight: 35},
	{a: "Invalid HTTP Response: 502", code: 502, weight: 15},
	{a: "Invalid HTTP Response: 500", code: 500, weight: 15},
	{a: "Invalid HTTP Response: 404", code: 404, weight: 5},
	{a: "Couldn't connect to server", code: 0, weight: 15},
	{a: "timed out", code: 0, weight: 15},
}

// picker draws from a weighted mix with precomputed interned strings.
type picker struct {
	cum   []int
	items []weighted
	a, b  []uint32
}

func (s *Server) newPicker(mix []weighted) picker {
	p := picker{items: mix}
	total := 0
	for _, w := range mix {
		total += w.weight
		p.cum = append(p.cum, total)
		p.a = append(p.a, s.strs.id(w.a))
		p.b = append(p.b, s.strs.id(w.b))
	}
	return p
}

func (p *picker) pick(r *rand.Rand) int {
	x := r.IntN(p.cum[len(p.cum)-1])
	i, _ := slices.BinarySearch(p.cum, x+1)
	return i
}

// recHeap orders pending redeliveries by time.
type recHeap []rec

func (h recHeap) Len() int           { return len(h) }
func (h recHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h recHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *recHeap) Push(x any)        { *h = append(*h, x.(rec)) }
func (h *recHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Seed fills hook h with o.N events for load tests and the demo and returns
// how many GUIDs are left failed. Ids follow delivery time, as on GitHub, so
// Seed should run before deliveries are added by other means. It costs about
// 160 ns and 165 bytes per delivery.
func (s *Server) Seed(h HookRef, o SeedOptions) (failedGUIDs int) {
	if o.N <= 0 {
		return 0
	}
	r := o.Rand
	if r == nil {
		f := fnv.New64a()
		_, _ = f.Write([]byte(strings.ToLower(h.String()))) // hash writes never fail
		r = rand.New(rand.NewPCG(uint64(s.seed), f.Sum64()))
	}
	from, to := o.From.UnixNano(), o.To.UnixNano()
	step := max(to-from, 0) / int64(o.N)

	s.mu.Lock()
	defer s.mu.Unlock()
	hk := s.hookLocked(h)
	events, failures := s.newPicker(eventMix), s.newPicker(failureMix)
	okStatus := s.strs.id("OK")
	insts, repos := s.seedPools(h)

	// One string holds every GUID and each delivery refers to a slice of
	// it: one allocation instead of a million.
	guidBuf := make([]byte, 0, 36*o.N)
	for range o.N {
		guidBuf = appendGUID(guidBuf, r.Uint64(), r.Uint64())
	}
	guids := string(guidBuf)

	extra := int(math.Ceil(float64(o.N)*o.RecoveredFraction)) + 16
	hk.recs = slices.Grow(hk.recs, o.N+extra)
	var pending recHeap
	duration := func() float64 { return math.Round((0.05+r.Float64()*0.7)*100) / 100 }
	for i := range o.N {
		at := from + int64(i)*step
		for len(pending) > 0 && pending[0].at <= at {
			x := heap.Pop(&pending).(rec)
			x.id = s.nextID
			s.nextID++
			hk.insert(x)
		}
		ev := events.pick(r)
		d := rec{
			id:     s.nextID,
			at:     at,
			guid:   guids[i*36 : (i+1)*36],
			event:  events.a[ev],
			action: events.b[ev],
			status: okStatus,
			code:   200,
			dur:    duration(),
		}
		s.nextID++
		if len(insts) > 0 {
			d.inst = insts[r.IntN(len(insts))]
		}
		if len(repos) > 0 {
			d.repo = repos[r.IntN(len(repos))]
		}
		fate := r.Float64()
		if fate < o.FailedFraction+o.RecoveredFraction {
			f := failures.pick(r)
			d.status, d.code = failures.a[f], failures.items[f].code
			switch failures.items[f].a {
			case "timed out":
				d.dur = 10
			case "Couldn't connect to server":
				d.dur = 0
			}
			if fate < o.FailedFraction {
				failedGUIDs++
			} else {
				delay := int64(2*time.Minute) + r.Int64N(int64(8*time.Minute))
				if at+delay >= to {
					delay = max((to-at)/2, 1) // keep the recovery inside the window
				}
				retry := d
				retry.at, retry.redelivery = at+delay, true
				retry.status, retry.code, retry.dur = okStatus, 200, duration()
				heap.Push(&pending, retry)
			}
		}
		hk.insert(d)
	}
	for len(pending) > 0 {
		x := heap.Pop(&pending).(rec)
		x.id = s.nextID
		s.nextID++
		hk.insert(x)
	}
	return failedGUIDs
}

// seedPools returns the installation and repository ids seeded deliveries
// carry. Repository and organization webhooks carry no installation.
func (s *Server) seedPools(h HookRef) (insts, repos []int64) {
	switch {
	case h.Org != "":
		for _, name := range []string{"api", "web", "infra", "docs", "mobile", "ops"} {
			repos = append(repos, RepoID(h.Org+"/"+name))
		}
	case !h.isApp():
		repos = []int64{RepoID(h.Owner + "/" + h.Repo)}
	default:
		for _, in := range s.sortedInstallations() {
			insts = append(insts, in.ID)
			for _, full := range in.Repositories {
				repos = append(repos, RepoID(full))
			}
			if len(in.Repositories) == 0 {
				repos = append(repos, RepoID(in.Account+"/api"), RepoID(in.Account+"/web"))
			}
		}
		if len(insts) == 0 {
			insts = []int64{42424242}
			repos = []int64{RepoID("octo-org/api"), RepoID("octo-org/web"), RepoID("octo-org/infra")}
		}
	}
	return insts, repos
}
