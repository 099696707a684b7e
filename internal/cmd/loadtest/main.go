// Command loadtest runs one full pass of hook-redeliver against the fake
// GitHub API on 127.0.0.1 at a chosen scale and reports what it cost: API
// calls by kind against the lower bound, wall and CPU time, peak memory,
// start-up time and binary size, and what the same pass would take on the
// real API.
//
//	go run ./internal/cmd/loadtest -deliveries 100000 -failed 5000 -latency 0
//
// The action is measured alone. It runs as a child process: the release
// binary (CGO_ENABLED=0, -trimpath, -ldflags "-s -w", as the Dockerfile
// builds it), started the way the runner starts it (GITHUB_ACTIONS=true, the
// inputs as INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files).
// Its CPU time and peak RSS come from wait4's rusage, so they are the
// action's own; the fake GitHub and its million deliveries live in this
// process. (A small launcher process starts the action, so that this one's
// memory does not count as the action's: see launch.go.) While the action
// runs, its log marks the listing (from the "Deliveries of" group to "read
// N deliveries"), and at both marks this process reads the action's CPU
// time and peak RSS from /proc.
//
// Time is scaled by leaving waits out: the redelivery-interval input is 0s,
// so the pass sends its redeliveries back to back (the requests are the same
// as with the default 1s; only the pause between them is gone), and the fake
// answers at once unless -latency is given. The cost of the pauses and of a
// real round trip is computed instead (the projection at -rtt). The fake's
// primary rate limit is lifted so that a large pass is not made to wait for
// the hour's reset; the projection says when a real one would.
//
// With -runs N the pass is measured N times, each on a freshly seeded fake,
// and the report gives the median and range. With -script FILE GitHub's
// documented Node.js script runs on the same deliveries after each pass of
// the action and is measured the same way, and the report gives the action's
// margin over it (see script.go).
//
// It is a separate command rather than a mode of the action so that the
// binary measured is exactly the one shipped, and so that measuring needs
// nothing from the action but its documented inputs.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

const (
	appID          = 424242
	installationID = 4242
	cpOwner        = "acme"
	cpRepo         = "ops"
	// olderEvents are seeded before the window: the tail of the previous
	// run's window, so the listing has to find the boundary.
	olderEvents = 1000
)

func main() {
	if len(os.Args) >= 3 && os.Args[1] == launchFlag {
		os.Exit(launch(os.Args[2], os.Args[3:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type options struct {
	deliveries  int
	failed      int
	recovered   float64
	latency     time.Duration
	window      time.Duration
	interval    time.Duration
	timeout     time.Duration
	firstRun    bool
	dryRun      bool
	binary      string
	rtt         time.Duration
	pacing      time.Duration
	quiet       bool
	logFile     string
	env         []string // extra NAME=VALUE for the action
	startupRuns int
	runs        int    // measured passes of each contender
	script      string // GitHub's documented script, compared with the action ("" : not)
	node        string // the node command that runs it
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	progress := stderr
	if o.quiet {
		progress = io.Discard
	}
	rep, err := run(ctx, o, progress)
	if err != nil {
		return err
	}
	rep.print(stdout)
	return nil
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.deliveries, "deliveries", 100_000, "deliveries in the window")
	fs.IntVar(&o.failed, "failed", 5_000, "GUIDs in the window whose only attempt failed (drawn at random: about this many)")
	fs.Float64Var(&o.recovered, "recovered", 0.005, "fraction of events that failed and were redelivered successfully (listed twice)")
	fs.DurationVar(&o.latency, "latency", 0, "time the fake takes to answer each request (real time)")
	fs.DurationVar(&o.window, "window", 24*time.Hour, "how far back the checkpoint is: the window's length (a first run reads 24h back)")
	fs.DurationVar(&o.interval, "redelivery-interval", 0, "the action's redelivery-interval input (0s: no pauses; the requests are the same)")
	fs.DurationVar(&o.timeout, "timeout", 50*time.Minute, "the action's timeout input")
	fs.BoolVar(&o.firstRun, "first-run", false, "no checkpoint variable yet: the action's first run (it creates the variable)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "the action's dry-run input: list and report, redeliver nothing")
	fs.StringVar(&o.binary, "binary", "", "the action binary to run (default: build it like the Dockerfile does)")
	fs.DurationVar(&o.rtt, "rtt", 200*time.Millisecond, "round trip of the real API, for the projection")
	fs.DurationVar(&o.pacing, "pacing", time.Second, "redelivery-interval of the projection (the action's default)")
	fs.IntVar(&o.startupRuns, "startup-runs", 5, "extra, tiny runs that measure the start-up time (at least 1)")
	fs.BoolVar(&o.quiet, "q", false, "print only the results table")
	fs.Func("env", "set a variable in the action's environment, such as GOMAXPROCS=1 (repeatable)", func(v string) error {
		if !strings.Contains(v, "=") {
			return errors.New("want NAME=VALUE")
		}
		o.env = append(o.env, v)
		return nil
	})
	fs.StringVar(&o.logFile, "log", "", "write the action's output (its log on stdout, and stderr) to this file")
	fs.IntVar(&o.runs, "runs", 1, "measure the pass this many times (and the script, alternating), each on a fresh fake; the report gives median and range")
	fs.StringVar(&o.script, "script", "", "GitHub's documented script for an App webhook (redeliver-failed-deliveries.js, as published, with octokit installed next to it): run it on the same deliveries and compare (see script.go)")
	fs.StringVar(&o.node, "node", "node", "the Node.js command that runs -script")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.deliveries < 1 || o.failed < 0 || o.failed > o.deliveries:
		return o, fmt.Errorf("want 1 or more deliveries and 0 to that many failed GUIDs, got %d and %d", o.deliveries, o.failed)
	case o.recovered < 0 || float64(o.failed)/float64(o.deliveries)+o.recovered > 1:
		return o, fmt.Errorf("-recovered %g: want 0 or more, and failed plus recovered at most all events", o.recovered)
	case o.startupRuns < 1:
		return o, fmt.Errorf("-startup-runs %d: want 1 or more", o.startupRuns)
	case o.runs < 1:
		return o, fmt.Errorf("-runs %d: want 1 or more", o.runs)
	case o.script != "" && (o.firstRun || o.dryRun):
		return o, errors.New("-script compares a steady-state run: not with -first-run or -dry-run")
	case o.window <= 2*time.Minute || o.window > 6*24*time.Hour:
		return o, fmt.Errorf("-window %s: want more than 2m and at most 6 days (inside Enterprise Server's retention of 7)", o.window)
	}
	return o, nil
}

// run seeds the fake, runs the action and measures it.
func run(ctx context.Context, o options, progress io.Writer) (*report, error) {
	dir, err := os.MkdirTemp("", "hook-redeliver-loadtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := o.binary
	if bin == "" {
		bin = filepath.Join(dir, "hook-redeliver")
		fmt.Fprintln(progress, "building the action binary (CGO_ENABLED=0, -trimpath, -ldflags \"-s -w\")")
		build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/hook-redeliver/hook-redeliver")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = progress, progress
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build the action: %w", err)
		}
	}
	st, err := os.Stat(bin)
	if err != nil {
		return nil, err
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate an App key: %w", err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))

	startup, err := measureStartup(ctx, bin, key, pemKey, dir, o.startupRuns)
	if err != nil {
		return nil, err
	}

	rep := &report{o: o, startup: startup, binSize: st.Size()}
	for i := range o.runs {
		if o.runs > 1 {
			fmt.Fprintf(progress, "run %d of %d\n", i+1, o.runs)
		}
		if err := measureAction(ctx, o, rep, bin, key, pemKey, dir, i, progress); err != nil {
			return nil, err
		}
		if o.script != "" {
			sr, err := measureScript(ctx, o, key, pemKey, dir, i, progress)
			if err != nil {
				return nil, err
			}
			rep.scripts = append(rep.scripts, sr)
		}
	}
	return rep, nil
}

// measureAction runs the action once on a freshly seeded fake and adds what
// it cost to rep; the first run's API calls are the report's.
func measureAction(ctx context.Context, o options, rep *report, bin string, key *rsa.PrivateKey, pemKey, dir string, i int, progress io.Writer) error {
	fake, sc := seed(o, key, progress)
	defer fake.Close()
	if !o.firstRun {
		setCheckpoint(fake, o.faults(), sc.since.Add(redeliver.Overlap))
	}
	fmt.Fprintf(progress, "running the action: %d deliveries in the window, %d failed GUIDs\n", sc.inWindow, sc.failed)
	c, err := runAction(ctx, bin, o, fake, pemKey, dir, fmt.Sprintf("main%d", i))
	if err != nil {
		return err
	}
	if err := fake.Err(); err != nil {
		return err
	}
	if c.scanned != sc.inWindow {
		return fmt.Errorf("the action read %d deliveries in the window, the fake holds %d", c.scanned, sc.inWindow)
	}
	c.redelivered = checkRedeliveries(fake)
	if i == 0 {
		rep.sc = sc
		rep.countCalls(fake.Requests())
	}
	rep.runs = append(rep.runs, c)
	rep.run = rep.runs[0]
	return nil
}

// seeded is what was put in the fake.
type seeded struct {
	inWindow int // deliveries with delivered_at at or after since
	failed   int // GUIDs in the window with no successful attempt
	since    time.Time
}

// seed starts the fake and fills the App's webhook. The checkpoint is left
// to the caller.
func seed(o options, key *rsa.PrivateKey, progress io.Writer) (*fakegithub.Server, seeded) {
	fake := fakegithub.New(fakegithub.Options{PathPrefix: "/api/v3", Seed: 1, Faults: o.faults()})
	setupApp(fake, key)
	hook := fakegithub.AppHook()
	now := fake.Now().UTC().Truncate(time.Second)
	since := now.Add(-o.window)
	if o.firstRun {
		// A first run reads 24 hours back from GitHub's now as the action
		// estimates it, a little after this now: start the window later.
		since = now.Add(-24*time.Hour + 2*time.Minute)
	}
	// Events, so that with the recovered ones listed twice the window
	// holds about o.deliveries deliveries.
	events := max(int(float64(o.deliveries)/(1+o.recovered)+0.5), 1)
	fmt.Fprintf(progress, "seeding the fake: %d events before the window, %d in it\n", olderEvents, events)
	r := mrand.New(mrand.NewPCG(1, 2))
	fake.Seed(hook, fakegithub.SeedOptions{N: olderEvents, From: since.Add(-time.Hour), To: since.Add(-2 * time.Minute), Rand: r})
	failed := fake.Seed(hook, fakegithub.SeedOptions{
		N: events, From: since, To: now.Add(-time.Minute),
		FailedFraction: float64(o.failed) / float64(events), RecoveredFraction: o.recovered, Rand: r,
	})
	in := 0
	for _, d := range fake.Deliveries(hook) {
		if !d.DeliveredAt.Before(since) {
			in++
		}
	}
	return fake, seeded{inWindow: in, failed: failed, since: since}
}

// faults are the fake's: the latency asked for, and no primary rate limit.
func (o options) faults() fakegithub.Faults {
	return fakegithub.Faults{Latency: o.latency, PrimaryLimit: 1 << 30}
}

// setupApp registers the App and its installation on the checkpoint's
// organization: the action lists with App JWTs and reaches the variable with
// an installation token it mints.
func setupApp(fake *fakegithub.Server, key *rsa.PrivateKey) {
	fake.AddApp(appID, "", &key.PublicKey)
	fake.AddInstallation(fakegithub.Installation{
		ID: installationID, AppID: appID, Account: cpOwner,
		Permissions: map[string]string{"actions_variables": "write", "metadata": "read"},
	})
}

// setCheckpoint stores the checkpoint as a previous run would have, a few
// minutes ago: a run that starts within a minute of the last save waits for
// that run's redeliveries to show in the list.
func setCheckpoint(fake *fakegithub.Server, faults fakegithub.Faults, cp time.Time) {
	earlier := faults
	earlier.ClockOffset -= 5 * time.Minute
	fake.SetFaults(earlier)
	fake.SetVariable(cpOwner, cpRepo, variable(), checkpoint.State{Checkpoint: cp}.Encode())
	fake.SetFaults(faults)
}

func variable() string { return checkpoint.DefaultName(strconv.Itoa(appID), "", "", "", 0) }

// child is what was seen of one run of the action.
type child struct {
	wall, cpu      time.Duration // whole run (CPU: user+system, from rusage)
	maxRSS         int64         // bytes, from rusage
	listWall       time.Duration // from the listing's start to its end, on the log
	listCPU        time.Duration
	hwmAfterList   int64 // peak RSS when the listing ended, bytes (0 if unknown)
	scanned, pages int
	failures       int
	started        time.Time // when the action's process was started
	lines          int
	// floorRSS is the peak RSS of the process that started the action;
	// maxRSS cannot be below it (see launch.go).
	floorRSS    int64
	outputs     map[string]string // the step outputs
	redelivered redeliveries      // what the fake saw redelivered
}

var (
	listingStarts = regexp.MustCompile(`^::group::Deliveries of `)
	listingEnds   = regexp.MustCompile(`^read (\d+) deliveries in (\d+) page(?:\(s\)|s)?; (\d+) GUIDs`)
)

// runAction runs the action once as a workflow step would and watches its
// log.
func runAction(ctx context.Context, bin string, o options, fake *fakegithub.Server, pemKey, dir, name string) (*child, error) {
	out, sum := filepath.Join(dir, name+".output"), filepath.Join(dir, name+".summary")
	for _, f := range []string{out, sum} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			return nil, err
		}
	}
	env := []string{
		"GITHUB_ACTIONS=true",
		"GITHUB_OUTPUT=" + out,
		"GITHUB_STEP_SUMMARY=" + sum,
		"GITHUB_API_URL=" + fake.URL(),
		"INPUT_APP-ID=" + strconv.Itoa(appID),
		"INPUT_PRIVATE-KEY=" + pemKey,
		"INPUT_API-URL=" + fake.URL(),
		"INPUT_CHECKPOINT-REPOSITORY=" + cpOwner + "/" + cpRepo,
		"INPUT_REDELIVERY-INTERVAL=" + o.interval.String(),
		"INPUT_TIMEOUT=" + o.timeout.String(),
		"INPUT_DRY-RUN=" + strconv.FormatBool(o.dryRun),
	}
	if o.script != "" {
		// GitHub's script redelivers every failed GUID; so does the
		// action, for the same work (by default it skips those the
		// receiver answered 4xx).
		env = append(env, "INPUT_EXCLUDE-STATUS-CODES=none")
	}
	env = append(env, o.env...)
	var logFile io.Writer = io.Discard
	if o.logFile != "" {
		f, err := os.Create(o.logFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		logFile = &lockedWriter{w: f}
	}

	l, err := startLauncher(ctx, env, bin)
	if err != nil {
		return nil, err
	}
	var stderr tail
	l.cmd.Stderr = io.MultiWriter(&stderr, logFile)
	stdout, err := l.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := l.start(); err != nil {
		return nil, err
	}
	c := &child{started: l.actionStart}
	pid := l.pid
	log := &tail{}
	var startWall time.Duration
	var startCPU time.Duration
	br := bufio.NewReaderSize(stdout, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			c.lines++
			_, _ = log.Write([]byte(line))
			_, _ = io.WriteString(logFile, line)
			line = strings.TrimRight(line, "\r\n")
			switch {
			case listingStarts.MatchString(line):
				startWall, startCPU = time.Since(c.started), procCPU(pid)
			case listingEnds.MatchString(line):
				c.listWall = time.Since(c.started) - startWall
				c.listCPU = procCPU(pid) - startCPU
				c.hwmAfterList = procHWM(pid)
				m := listingEnds.FindStringSubmatch(line)
				c.scanned, _ = strconv.Atoi(m[1])
				c.pages, _ = strconv.Atoi(m[2])
				c.failures, _ = strconv.Atoi(m[3])
			}
		}
		if err != nil {
			break
		}
	}
	res, err := l.wait()
	if err != nil {
		return nil, err
	}
	if res.code != 0 {
		return nil, fmt.Errorf("the action exited with status %d\nits log ends:\n%s\nits stderr ends:\n%s", res.code, log, &stderr)
	}
	c.wall, c.cpu, c.maxRSS, c.floorRSS = res.end.Sub(c.started), res.cpu, res.maxRSS, res.launcherRSS
	if c.outputs, err = readOutputs(out); err != nil {
		return nil, err
	}
	return c, nil
}

// readOutputs reads a GITHUB_OUTPUT file: name<<DELIMITER, value lines,
// DELIMITER.
func readOutputs(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out, nil
}

// measureStartup runs the action a few times against an empty webhook and
// returns the times from starting the process to the fake receiving its
// first request, shortest first.
func measureStartup(ctx context.Context, bin string, key *rsa.PrivateKey, pemKey, dir string, runs int) ([]time.Duration, error) {
	fake := fakegithub.New(fakegithub.Options{PathPrefix: "/api/v3", Seed: 2})
	defer fake.Close()
	setupApp(fake, key)
	var out []time.Duration
	for i := range runs {
		// Each run saves the checkpoint; put it back a few minutes, so
		// the next does not wait for a settle time.
		setCheckpoint(fake, fakegithub.Faults{}, fake.Now().Add(-time.Hour))
		before := len(fake.Requests())
		c, err := runAction(ctx, bin, options{timeout: time.Minute}, fake, pemKey, dir, fmt.Sprintf("startup%d", i))
		if err != nil {
			return nil, fmt.Errorf("start-up run: %w", err)
		}
		reqs := fake.Requests()
		if len(reqs) == before {
			return nil, errors.New("start-up run: the action sent no request")
		}
		out = append(out, time.Duration(reqs[before].At.UnixNano()-c.started.UnixNano()))
	}
	slices.Sort(out)
	return out, fake.Err()
}

// lockedWriter serializes writes from the goroutines copying the child's
// stdout and stderr.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// tail keeps the last lines written to it, for error messages.
type tail struct {
	mu    sync.Mutex
	lines []string
	part  string
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.part + string(p)
	parts := strings.Split(s, "\n")
	t.part = parts[len(parts)-1]
	t.lines = append(t.lines, parts[:len(parts)-1]...)
	if n := len(t.lines); n > 40 {
		t.lines = slices.Clone(t.lines[n-20:])
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(append(slices.Clone(t.lines), t.part), "\n")
}

// Kinds of API call.
const (
	kList     = "list deliveries"
	kRedeliv  = "redeliver"
	kVarRead  = "variable read"
	kVarWrite = "variable write"
	kAuth     = "auth (installation lookup, token)"
	kOther    = "other"
)

func kindOf(r fakegithub.Request) string {
	p := r.Path
	switch {
	case r.Method == "GET" && strings.HasSuffix(p, "/deliveries"):
		return kList
	case r.Method == "POST" && strings.HasSuffix(p, "/attempts"):
		return kRedeliv
	case strings.Contains(p, "/actions/variables"):
		if r.Method == "GET" {
			return kVarRead
		}
		return kVarWrite
	case strings.HasSuffix(p, "/installation") || strings.HasSuffix(p, "/access_tokens"):
		return kAuth
	}
	return kOther
}

type report struct {
	o        options
	sc       seeded
	run      *child   // the first run, whose API calls are counted
	runs     []*child // every run of the action
	scripts  []*scriptRun
	calls    map[string]int
	total    int
	repeated int
	readBack int // reads of the newest page after redelivering
	failedRq int // answers that were not 2xx
	startup  []time.Duration
	binSize  int64
}

// countCalls counts the API calls of a run by kind.
func (r *report) countCalls(reqs []fakegithub.Request) {
	r.calls, r.total = map[string]int{}, len(reqs)
	seen := map[string]bool{}
	firstPage := false
	for _, rq := range reqs {
		k := rq.Method + " " + rq.Path + "?" + rq.Query.Encode()
		if kindOf(rq) == kList && rq.Query.Get("cursor") == "" {
			// The newest page is read again while and after redelivering,
			// to watch the receiver and learn the outcomes.
			if firstPage {
				r.readBack++
				continue
			}
			firstPage = true
		}
		r.calls[kindOf(rq)]++
		if seen[k] {
			r.repeated++
		}
		seen[k] = true
		if rq.Status < 200 || rq.Status > 299 {
			r.failedRq++
		}
	}
}

// bounds are the fewest calls of each kind the pass could have made.
type bounds struct {
	pages     int // ceil(deliveries/100); one more may be needed to see the window's start
	redeliver int // failed GUIDs but those the action's filters skip
	filtered  int // failed GUIDs the filters skip
	varWrites int // 1, 2 on a first run (created, then updated), 0 in a dry run
	varReads  int
	auth      int // an installation lookup and a token for the variable
	total     int // without the boundary page
}

func (r *report) bounds() bounds {
	b := bounds{pages: (r.sc.inWindow + redeliver.PageSize - 1) / redeliver.PageSize, varReads: 1, varWrites: 1, auth: 2}
	// Failed GUIDs the action's filters exclude (exclude-status-codes,
	// max-attempts) are not redelivered: it says how many in its outputs.
	skipped, _ := strconv.Atoi(r.run.outputs["skipped"])
	gaveUp, _ := strconv.Atoi(r.run.outputs["gave-up"])
	b.filtered = skipped + gaveUp
	b.redeliver = r.sc.failed - b.filtered
	switch {
	case r.o.dryRun:
		b.redeliver, b.varWrites = 0, 0
	case r.o.firstRun:
		b.varWrites = 2
	}
	b.total = b.pages + b.redeliver + b.varReads + b.varWrites + b.auth
	return b
}

// callsOK reports whether the calls made are at the lower bound.
func (r *report) callsOK() bool {
	b := r.bounds()
	readBackOK := r.readBack == 0
	if b.redeliver > 0 {
		readBackOK = r.readBack >= 1 && r.readBack <= redeliver.LooksFor(b.redeliver)
	}
	return readBackOK && (r.calls[kList] == b.pages || r.calls[kList] == b.pages+1) && r.calls[kRedeliv] == b.redeliver &&
		r.calls[kVarRead] == b.varReads && r.calls[kVarWrite] == b.varWrites && r.calls[kAuth] == b.auth &&
		r.calls[kOther] == 0 && r.repeated == 0
}

func (r *report) print(w io.Writer) {
	o, run := r.o, r.run
	b := r.bounds()
	lower, wantRedeliveries := b.pages, b.redeliver
	ok := okStr
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	mb := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

	scale := fmt.Sprintf("%d deliveries in the window, %d failed GUIDs, %d pages, latency %s", r.sc.inWindow, r.sc.failed, run.pages, o.latency)
	if len(o.env) > 0 {
		scale += ", " + strings.Join(o.env, " ")
	}
	row("scale", scale)
	row("", "", "")
	row("API calls", "made", "lower bound", "")
	row("  "+kList, strconv.Itoa(r.calls[kList]), fmt.Sprintf("%d (ceil(%d/100); +1 to see the boundary)", lower, r.sc.inWindow),
		ok(r.calls[kList] == lower || r.calls[kList] == lower+1))
	why := "one per failed GUID"
	switch {
	case o.dryRun:
		why = "dry run"
	case b.filtered > 0:
		why = fmt.Sprintf("one per failed GUID but the %d the action's filters skip", b.filtered)
	}
	row("  "+kRedeliv, strconv.Itoa(r.calls[kRedeliv]), fmt.Sprintf("%d (%s)", wantRedeliveries, why), ok(r.calls[kRedeliv] == wantRedeliveries))
	row("  "+kVarRead, strconv.Itoa(r.calls[kVarRead]), strconv.Itoa(b.varReads), ok(r.calls[kVarRead] == b.varReads))
	writes := strconv.Itoa(b.varWrites)
	if o.firstRun {
		writes += " (first run: created before the first redelivery, updated at the end)"
	}
	row("  "+kVarWrite, strconv.Itoa(r.calls[kVarWrite]), writes, ok(r.calls[kVarWrite] == b.varWrites))
	row("  "+kAuth, strconv.Itoa(r.calls[kAuth]), "2 (one token, cached for the run)", ok(r.calls[kAuth] == b.auth))
	if n := r.calls[kOther]; n > 0 {
		row("  "+kOther, strconv.Itoa(n), "0", "MISSED")
	}
	row("  total", strconv.Itoa(r.total), fmt.Sprintf("%d (%d with the boundary page)", b.total, b.total+1), ok(r.callsOK()))
	row("  repeated (same method, path, query)", strconv.Itoa(r.repeated), "0", ok(r.repeated == 0))
	row("  newest page read while redelivering", strconv.Itoa(r.readBack), "at most "+strconv.Itoa(redeliver.LooksFor(r.bounds().redeliver)), "")
	row("  answered other than 2xx", strconv.Itoa(r.failedRq), "", "")
	row("", "", "")

	row("the action (child process)", "", "", "")
	row("  wall time", ms(run.wall), "", "")
	row("  CPU time (user+sys), all phases", ms(run.cpu), "", "")
	peak := mb(run.maxRSS)
	if run.maxRSS <= run.floorRSS {
		peak = fmt.Sprintf("at most %s (the launcher's; see launch.go)", mb(run.floorRSS))
	}
	row("  peak RSS", peak, fmt.Sprintf("target under 30 MB (launcher: %s)", mb(run.floorRSS)), ok(run.maxRSS < 30e6))
	if run.hwmAfterList > 0 {
		row("  peak RSS when the listing ended", mb(run.hwmAfterList), "", "")
	}
	row("  listing: wall time", ms(run.listWall), fmt.Sprintf("%.0f deliveries/s", float64(run.scanned)/run.listWall.Seconds()), "")
	if run.listCPU > 0 {
		row("  listing: CPU time", ms(run.listCPU), fmt.Sprintf("%.2f µs per delivery (HTTP, decoding, grouping)", float64(run.listCPU)/1e3/float64(run.scanned)), "")
	}
	after := fmt.Sprintf("CPU %s", ms(run.cpu-run.listCPU))
	if n := r.calls[kRedeliv]; n > 0 {
		after += fmt.Sprintf(", %.0f µs per redelivery", float64(run.cpu-run.listCPU)/1e3/float64(n))
	}
	row("  the rest (start-up, auth, redeliveries, checkpoint, report)", ms(run.wall-run.listWall), after, "")
	row("  start-up: process start to first API request", fmt.Sprintf("%s (median of %d; min %s)", ms(r.startup[len(r.startup)/2]), len(r.startup), ms(r.startup[0])), "", ok(r.startup[len(r.startup)/2] < 20*time.Millisecond))
	row("  binary (static, stripped)", mb(r.binSize), "", "")
	row("", "", "")
	r.printRuns(row)

	// The projection: every call is a round trip of o.rtt, serial;
	// redeliveries start at most one per o.pacing.
	others := r.total - r.calls[kList] - r.calls[kRedeliv]
	listT := time.Duration(r.calls[kList]) * o.rtt
	step := max(o.pacing, o.rtt)
	redelT := time.Duration(0)
	if n := r.calls[kRedeliv]; n > 0 {
		redelT = time.Duration(n-1)*step + o.rtt
	}
	otherT := time.Duration(others) * o.rtt
	total := listT + redelT + otherT
	row(fmt.Sprintf("at %s per call, %s between redeliveries", o.rtt, o.pacing), "", "", "")
	row("  listing", fmt.Sprintf("%d round trips", r.calls[kList]), round(listT), "")
	row("  redeliveries", fmt.Sprintf("%d, paced", r.calls[kRedeliv]), round(redelT), "")
	row("  auth and checkpoint", fmt.Sprintf("%d round trips", others), round(otherT), "")
	row("  total", fmt.Sprintf("%d round trips", r.total), round(total), "")
	budget := o.timeout - min(30*time.Second, o.timeout/10)
	if total > budget && r.calls[kRedeliv] > 0 {
		fit := max(int((budget-listT-otherT)/step), 0)
		row(fmt.Sprintf("  with timeout %s", o.timeout), fmt.Sprintf("about %d redeliveries fit", min(fit, r.calls[kRedeliv])),
			fmt.Sprintf("%d left for the next run", max(r.calls[kRedeliv]-fit, 0)), "")
	}
	if perHour := float64(r.total) / max(total.Hours(), 1.0/60); perHour > 5000 {
		row("  rate", fmt.Sprintf("%.0f calls/hour", perHour), "over a 5,000/h budget: the pass waits for the reset", "")
	}
}

// printRuns adds the rows of repeated runs and of the comparison with
// GitHub's script: medians and ranges.
func (r *report) printRuns(row func(...string)) {
	if len(r.runs) < 2 && len(r.scripts) == 0 {
		return
	}
	cpu := func(d time.Duration) float64 { return d.Seconds() }
	rss := func(b int64) float64 { return float64(b) / (1 << 20) }
	var aCPU, aRSS, aList, sCPU, sRSS, sWall, aWall []float64
	for _, c := range r.runs {
		aCPU, aRSS, aWall = append(aCPU, cpu(c.cpu)), append(aRSS, rss(c.maxRSS)), append(aWall, c.wall.Seconds())
		if c.listCPU > 0 {
			aList = append(aList, float64(c.listCPU)/1e3/float64(c.scanned))
		}
	}
	for _, sr := range r.scripts {
		sCPU, sRSS, sWall = append(sCPU, cpu(sr.cpu)), append(sRSS, rss(sr.maxRSS)), append(sWall, sr.wall.Seconds())
	}
	show := func(xs []float64, format string) string {
		m, lo, hi := spread(xs)
		if len(xs) == 1 {
			return fmt.Sprintf(format, m)
		}
		return fmt.Sprintf(format+" (%s–%s)", m, fmt.Sprintf(format, lo), fmt.Sprintf(format, hi))
	}
	row("the action, "+runsOf(len(r.runs)), "", "", "")
	row("  wall time", show(aWall, "%.2f s"), "", "")
	row("  CPU time (user+sys)", show(aCPU, "%.2f s"), "", "")
	row("  peak RSS", show(aRSS, "%.1f MiB"), "", "")
	if len(aList) > 0 {
		row("  listing: CPU per delivery", show(aList, "%.2f µs"), "", "")
	}
	rd := r.run.redelivered
	row("  redelivered", fmt.Sprintf("%d requests, %d GUIDs, %d wrong ids", rd.requests, rd.guids, rd.wrong), "", "")
	row("", "", "")
	if len(r.scripts) == 0 {
		return
	}
	row("GitHub's script (node, octokit), "+runsOf(len(r.scripts)), "", "", "")
	row("  wall time", show(sWall, "%.2f s"), "", "")
	row("  CPU time (user+sys)", show(sCPU, "%.2f s"), "", "")
	row("  peak RSS", show(sRSS, "%.1f MiB"), "", "")
	rd = r.scripts[0].redelivered
	row("  redelivered", fmt.Sprintf("%d requests, %d GUIDs, %d wrong ids", rd.requests, rd.guids, rd.wrong), "", "")
	// The margin: medians, and the least of the runs (the script's best
	// against the action's worst), which must meet the target.
	margin := func(what string, script, action []float64, target float64) {
		ms, leastS, _ := spread(script)
		ma, _, mostA := spread(action)
		row("  "+what, fmt.Sprintf("%.1fx (least %.1fx)", ms/ma, leastS/mostA), fmt.Sprintf("target %gx", target), okStr(leastS/mostA >= target))
	}
	row("the action's margin over the script", "", "", "")
	margin("CPU time", sCPU, aCPU, 10)
	margin("peak RSS", sRSS, aRSS, 5)
	row("", "", "")
}

// runsOf says how many runs a figure comes from.
func runsOf(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs: median (range)", n)
}

func okStr(b bool) string {
	if b {
		return "ok"
	}
	return "MISSED"
}

func round(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	case d >= time.Minute:
		return fmt.Sprintf("%.1f min", d.Minutes())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
