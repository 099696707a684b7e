//go:build container

package containertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

var image = flag.String("image", defaultImage(), "container image to test (default $HOOK_REDELIVER_IMAGE, else hook-redeliver:ci)")

func defaultImage() string {
	if v := os.Getenv("HOOK_REDELIVER_IMAGE"); v != "" {
		return v
	}
	return "hook-redeliver:ci"
}

const (
	// runTimeout bounds one docker run; a healthy run takes well under a
	// second.
	runTimeout = 30 * time.Second
	// startupBound is the most one start-up may take (docker run to exit,
	// empty hook). Generous: it catches a hang or a retry loop, not a slow
	// machine.
	startupBound = 10 * time.Second
	startupRuns  = 5
)

// The target every test uses, with its checkpoint variable's default name.
var (
	hook        = fakegithub.OrgHook("acme", 77)
	hookInputs  = map[string]string{"org": "acme", "hook-id": "77"}
	variable    = "REDELIVER_ORG_ACME_HOOK_77"
	deliveries  = "/orgs/acme/hooks/77/deliveries"
	variableAPI = "/repos/acme/ops/actions/variables"
)

// dockerReady checks once that the docker CLI answers and the image exists.
// The script only runs this test after building the image, so anything else
// is a failure, not a reason to skip.
var dockerReady = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "version", "-f", "{{.Server.Version}}").CombinedOutput(); err != nil {
		return fmt.Errorf("docker does not answer (%v): %s", err, bytes.TrimSpace(out))
	}
	if out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "-f", "{{.Id}}", *image).CombinedOutput(); err != nil {
		return fmt.Errorf("image %s is not there (%v): %s", *image, err, bytes.TrimSpace(out))
	}
	return nil
})

func requireDocker(t *testing.T) {
	t.Helper()
	if err := dockerReady(); err != nil {
		t.Fatalf("\n%[1]s\nCONTAINER TEST CANNOT RUN: %[2]v\n"+
			"Run it through .ci/container.sh, which starts Docker and builds the image first.\n%[1]s",
			strings.Repeat("#", 74), err)
	}
}

// newToken returns a classic token unique to the test, so that finding it in
// a log means it leaked. Tests never print it.
func newToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "ghp_" + hex.EncodeToString(b)
}

// shiftedClock is the real clock, moved forward on demand: GitHub's time can
// pass minutes between writing the checkpoint and a run, as it does between
// scheduled runs, without the test waiting. (A run that starts within a
// minute of the checkpoint's last save waits for that run's redeliveries to
// show in the list.)
type shiftedClock struct{ shift atomic.Int64 }

func (c *shiftedClock) Now() time.Time { return time.Now().Add(time.Duration(c.shift.Load())) }
func (c *shiftedClock) Sleep(ctx context.Context, d time.Duration) error {
	return clock.Real{}.Sleep(ctx, d)
}
func (c *shiftedClock) Advance(d time.Duration) { c.shift.Add(int64(d)) }

// newFake starts a fake GitHub on the real clock (shifted on demand), served
// under /api/v3 like Enterprise Server, with the org hook and a token that
// may use it and the checkpoint variable.
func newFake(t *testing.T, token string) (*fakegithub.Server, *shiftedClock) {
	t.Helper()
	clk := &shiftedClock{}
	fake := fakegithub.New(fakegithub.Options{PathPrefix: "/api/v3", Clock: clk})
	t.Cleanup(func() {
		fake.Close()
		if err := fake.Err(); err != nil {
			t.Errorf("the fake GitHub saw requests it does not serve: %v", err)
		}
	})
	fake.AddHook(hook)
	fake.AddToken(token, fakegithub.Credential{Kind: "classic", Scopes: []string{"repo", "admin:org_hook"}})
	return fake, clk
}

// declaredInputs reads action.yml: every input with its default ("" when it
// has none).
var declaredInputs = sync.OnceValues(func() (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		return nil, err
	}
	var a struct {
		Inputs map[string]struct {
			Default *string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("parse action.yml: %w", err)
	}
	if len(a.Inputs) == 0 {
		return nil, errors.New("action.yml declares no inputs")
	}
	out := make(map[string]string, len(a.Inputs))
	for name, in := range a.Inputs {
		out[name] = ""
		if in.Default != nil {
			out[name] = *in.Default
		}
	}
	return out, nil
})

// inputEnv is the runner's name for an input: spaces become underscores,
// upper case, hyphens kept (INPUT_HOOK-ID).
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// step is one run of the action as a workflow step, with the directories the
// runner mounts into the container and the environment it passes.
type step struct {
	t     *testing.T
	host  string // the runner's _temp and workspace, on the host
	id    string // suffix of the file-command files, new for every step
	token string // redacted from anything the test prints
	env   []envVar
}

type envVar struct{ name, value string }

// hostPath maps a path under /github to where it lives on the host.
func (s *step) hostPath(containerPath string) string {
	rel, ok := strings.CutPrefix(containerPath, "/github/")
	if !ok {
		s.t.Fatalf("%s is not under /github", containerPath)
	}
	return filepath.Join(s.host, filepath.FromSlash(rel))
}

// newStep lays out the runner's directories and environment for a step that
// uses the action with the given inputs (the with: block).
func newStep(t *testing.T, fake *fakegithub.Server, token string, with map[string]string) *step {
	t.Helper()
	idb := make([]byte, 16)
	if _, err := rand.Read(idb); err != nil {
		t.Fatal(err)
	}
	s := &step{t: t, host: t.TempDir(), id: hex.EncodeToString(idb), token: token}

	// As the runner does: every declared input, with action.yml's default
	// when the workflow gave none (empty when there is no default). Inputs
	// come first on the runner's command line too.
	declared, err := declaredInputs()
	if err != nil {
		t.Fatal(err)
	}
	for name := range with {
		if _, ok := declared[name]; !ok {
			t.Fatalf("input %q is not declared in action.yml", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(declared)) {
		v, ok := with[name]
		if !ok {
			v = declared[name]
		}
		s.env = append(s.env, envVar{inputEnv(name), v})
	}

	// GITHUB_API_URL as the runner sets it on Enterprise Server: no trailing
	// slash, ending in /api/v3.
	api := strings.TrimSuffix(fake.URL(), "/")
	server := strings.TrimSuffix(api, "/api/v3")
	fc := "/github/file_commands/"
	s.env = append(s.env,
		envVar{"HOME", "/github/home"},
		envVar{"GITHUB_JOB", "redeliver"},
		envVar{"GITHUB_REF", "refs/heads/main"},
		envVar{"GITHUB_SHA", "4b825dc642cb6eb9a060e54bf8d69288fbee4904"},
		envVar{"GITHUB_REPOSITORY", "acme/ops"},
		envVar{"GITHUB_REPOSITORY_OWNER", "acme"},
		envVar{"GITHUB_RUN_ID", "9000000001"},
		envVar{"GITHUB_RUN_NUMBER", "42"},
		envVar{"GITHUB_RUN_ATTEMPT", "1"},
		envVar{"GITHUB_RETENTION_DAYS", "90"},
		envVar{"GITHUB_ACTOR", "acme-bot"},
		envVar{"GITHUB_WORKFLOW", "Redeliver failed webhooks"},
		envVar{"GITHUB_EVENT_NAME", "schedule"},
		envVar{"GITHUB_SERVER_URL", server},
		envVar{"GITHUB_API_URL", api},
		envVar{"GITHUB_GRAPHQL_URL", server + "/api/graphql"},
		envVar{"GITHUB_REF_NAME", "main"},
		envVar{"GITHUB_REF_TYPE", "branch"},
		envVar{"GITHUB_WORKSPACE", "/github/workspace"},
		envVar{"GITHUB_ACTION", "__hook-redeliver_hook-redeliver"},
		envVar{"GITHUB_EVENT_PATH", "/github/workflow/event.json"},
		envVar{"GITHUB_ACTION_REPOSITORY", "hook-redeliver/hook-redeliver"},
		envVar{"GITHUB_ACTION_REF", "v1"},
		envVar{"GITHUB_PATH", fc + "add_path_" + s.id},
		envVar{"GITHUB_ENV", fc + "set_env_" + s.id},
		envVar{"GITHUB_STEP_SUMMARY", fc + "step_summary_" + s.id},
		envVar{"GITHUB_STATE", fc + "save_state_" + s.id},
		envVar{"GITHUB_OUTPUT", fc + "set_output_" + s.id},
		envVar{"RUNNER_OS", "Linux"},
		envVar{"RUNNER_ARCH", "X64"},
		envVar{"RUNNER_NAME", "GitHub Actions 1"},
		envVar{"RUNNER_ENVIRONMENT", "github-hosted"},
		// Host paths the runner does not mount: a container action sees
		// them as they are on the host.
		envVar{"RUNNER_TOOL_CACHE", "/opt/hostedtoolcache"},
		envVar{"RUNNER_TEMP", "/home/runner/work/_temp"},
		envVar{"RUNNER_WORKSPACE", "/home/runner/work/ops"},
	)

	for _, d := range []string{"workspace", "file_commands", "home", "workflow"} {
		if err := os.MkdirAll(filepath.Join(s.host, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The runner creates the file-command files, empty, before the step.
	for _, name := range []string{"GITHUB_PATH", "GITHUB_ENV", "GITHUB_STEP_SUMMARY", "GITHUB_STATE", "GITHUB_OUTPUT"} {
		if err := os.WriteFile(s.hostPath(s.get(name)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	event := map[string]any{
		"schedule":     "*/15 * * * *",
		"workflow":     ".github/workflows/redeliver.yml",
		"repository":   map[string]any{"full_name": "acme/ops", "name": "ops", "owner": map[string]any{"login": "acme"}},
		"organization": map[string]any{"login": "acme"},
	}
	b, err := json.MarshalIndent(event, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.hostPath(s.get("GITHUB_EVENT_PATH")), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// get returns the value of a variable in the step's environment.
func (s *step) get(name string) string {
	for _, e := range s.env {
		if e.name == name {
			return e.value
		}
	}
	s.t.Fatalf("%s is not in the step's environment", name)
	return ""
}

// result is what the runner sees of a step.
type result struct {
	code int
	log  string // stdout and stderr, interleaved, as the runner logs them
	took time.Duration
}

// run starts the container as the runner's DockerRun does: every variable
// passed by name only (-e NAME), its value in the docker CLI's own
// environment, so that no secret is on a command line; then GITHUB_ACTIONS
// and CI, the four mounts, and the image with no command.
func (s *step) run() result {
	s.t.Helper()
	name := "hook-redeliver-ct-" + s.id[:12]
	args := []string{"run", "--name", name, "--label", "dev.hook-redeliver.containertest",
		"--workdir", "/github/workspace", "--rm"}
	procEnv := os.Environ()
	for _, e := range s.env {
		args = append(args, "-e", e.name)
		procEnv = append(procEnv, e.name+"="+e.value) // later entries win
	}
	args = append(args, "-e", "GITHUB_ACTIONS=true", "-e", "CI=true",
		// The CI daemon has no bridge network; the runner's job network
		// would reach GitHub the same way the host does.
		"--network", "host")
	for _, d := range []string{"home", "workflow", "file_commands", "workspace"} {
		args = append(args, "-v", filepath.Join(s.host, d)+":/github/"+d)
	}
	args = append(args, *image)

	ctx, cancel := context.WithTimeout(s.t.Context(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = procEnv
	cmd.Cancel = func() error {
		// Killing the CLI leaves the container running: remove it too.
		rmCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = exec.CommandContext(rmCtx, "docker", "rm", "-f", name).Run()
		return cmd.Process.Kill()
	}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	began := time.Now()
	err := cmd.Run()
	took := time.Since(began)
	r := result{log: log.String(), took: took}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		s.t.Fatalf("docker run: %v", err)
	}
	if ctx.Err() != nil {
		s.t.Fatalf("docker run did not finish within %s; log:\n%s", runTimeout, s.redact(r.log))
	}
	if r.code >= 125 && r.code <= 127 {
		s.t.Fatalf("docker could not run the image (exit %d):\n%s", r.code, s.redact(r.log))
	}
	return r
}

// redact hides the token in text the test prints.
func (s *step) redact(text string) string {
	if s.token == "" {
		return text
	}
	return strings.ReplaceAll(text, s.token, "***")
}

// read returns a file the container wrote, by its path in the container.
func (s *step) read(containerPath string) string {
	s.t.Helper()
	b, err := os.ReadFile(s.hostPath(containerPath))
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}

// outputs parses the GITHUB_OUTPUT file as the runner does: name=value
// lines, or name<<DELIMITER, value lines, DELIMITER.
func (s *step) outputs() map[string]string {
	s.t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s.read(s.get("GITHUB_OUTPUT"))))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				val = append(val, sc.Text())
			}
			if !closed {
				s.t.Fatalf("GITHUB_OUTPUT: output %q has no closing delimiter %q", name, delim)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			s.t.Fatalf("GITHUB_OUTPUT line %q is neither name=value nor name<<DELIMITER", line)
		}
		out[name] = val
	}
	return out
}

// at is a time on GitHub's clock, whole seconds as delivered_at has.
func at(ago time.Duration) time.Time { return time.Now().Add(-ago).Truncate(time.Second) }

func addDelivery(fake *fakegithub.Server, guid string, ago time.Duration, redelivery, ok bool) fakegithub.Delivery {
	d := fakegithub.Delivery{GUID: guid, DeliveredAt: at(ago), Redelivery: redelivery, Event: "push", Status: "OK", StatusCode: 200}
	if !ok {
		d.Status, d.StatusCode = "Invalid HTTP Response: 503", 503
	}
	return fake.AddDelivery(hook, d)
}

func count(fake *fakegithub.Server, method, pathPrefix string) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// TestContainerContract runs one scheduled run: a checkpoint two hours old,
// three failed GUIDs in the window (one recovered by an earlier redelivery)
// and one failure before it. Exactly the two GUIDs without a successful
// attempt are redelivered, once each, and the workflow gets its outputs,
// its summary and a later checkpoint.
func TestContainerContract(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	token := newToken(t)
	fake, clk := newFake(t, token)

	cp := time.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
	fake.SetVariable("acme", "ops", variable, strconv.FormatInt(cp.UnixMilli(), 10))
	window := cp.Add(-redeliver.Overlap)

	// Before the window: the checkpoint says it was handled.
	fake.AddDelivery(hook, fakegithub.Delivery{GUID: "before-window", DeliveredAt: window.Add(-10 * time.Minute).Truncate(time.Second), Event: "push", Status: "Invalid HTTP Response: 503", StatusCode: 503})
	addDelivery(fake, "ok-1", 100*time.Minute, false, true)
	addDelivery(fake, "failed-once", 90*time.Minute, false, false)
	addDelivery(fake, "recovered", 80*time.Minute, false, false)
	addDelivery(fake, "recovered", 75*time.Minute, true, true)
	addDelivery(fake, "failed-thrice", 60*time.Minute, false, false)
	addDelivery(fake, "failed-thrice", 50*time.Minute, true, false)
	newest := addDelivery(fake, "failed-thrice", 40*time.Minute, true, false)
	addDelivery(fake, "ok-2", 10*time.Minute, false, true)
	addDelivery(fake, "ok-3", 5*time.Minute, false, true)
	const inWindow = 9
	clk.Advance(5 * time.Minute) // the checkpoint was saved by a run five minutes ago

	s := newStep(t, fake, token, with(hookInputs, "token", token, "redelivery-interval", "0s"))
	r := s.run()
	t.Logf("docker run took %s, exit %d", r.took.Round(time.Millisecond), r.code)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0; log:\n%s", r.code, s.redact(r.log))
	}

	// GitHub's side.
	got := map[string]int{}
	for _, rd := range fake.Redeliveries() {
		got[rd.GUID]++
		if rd.GUID == "failed-thrice" && rd.RequestedID != newest.ID {
			t.Errorf("failed-thrice: redelivered delivery %d, want its newest attempt %d", rd.RequestedID, newest.ID)
		}
	}
	if diff := cmp.Diff(map[string]int{"failed-once": 1, "failed-thrice": 1}, got); diff != "" {
		t.Errorf("redeliveries by GUID (-want +got):\n%s", diff)
	}
	// One for the window, one for the newest page after redelivering, to
	// learn the outcomes.
	if n := count(fake, "GET", deliveries); n != 2 {
		t.Errorf("%d list requests, want 2", n)
	}
	if n := count(fake, "PATCH", variableAPI+"/"+variable); n != 1 {
		t.Errorf("%d PATCHes of the checkpoint variable, want 1", n)
	}
	if n := count(fake, "POST", variableAPI); n != 0 {
		t.Errorf("%d POSTs creating a variable, want 0: %s exists", n, variable)
	}
	for _, rq := range fake.Requests() {
		if !strings.HasPrefix(rq.Credential, "token:") {
			t.Errorf("%s %s was sent as %s, want the token input", rq.Method, rq.Path, rq.Credential)
		}
	}
	v, ok := fake.Variable("acme", "ops", variable)
	if !ok {
		t.Fatalf("variable %s is gone", variable)
	}
	st, err := checkpoint.Parse(v)
	if err != nil {
		t.Fatalf("stored checkpoint: %v", err)
	}
	// Both redeliveries were seen to succeed: nothing holds the checkpoint
	// back from the read that saw them.
	rds := fake.Redeliveries()
	if last := rds[len(rds)-1].At.Truncate(time.Second); st.Checkpoint.Before(last) {
		t.Errorf("stored checkpoint %s, want the time of the read after the last redelivery (%s) or later", st.Checkpoint, last)
	}
	if v != strconv.FormatInt(st.Checkpoint.UnixMilli(), 10) {
		t.Errorf("stored %q: want plain epoch milliseconds, as GitHub's scripts write", v)
	}

	// The workflow's side.
	want := map[string]string{
		"scanned":     strconv.Itoa(inWindow),
		"failed":      "2",
		"redelivered": "2",
		"skipped":     "0",
		"gave-up":     "0",
		"remaining":   "0",
		"since":       window.UTC().Format(time.RFC3339),
		"checkpoint":  st.Checkpoint.UTC().Format(time.RFC3339),
		"waiting":     "0",
		"matrix":      "", // set by a plan only
		"count":       "",
	}
	if diff := cmp.Diff(want, s.outputs()); diff != "" {
		t.Errorf("step outputs (-want +got):\n%s", diff)
	}
	sum := s.read(s.get("GITHUB_STEP_SUMMARY"))
	for _, w := range []string{"## Webhook redelivery", "| GUID |", "`failed-once`", "`failed-thrice`", "**Redelivered 2, all accepted by the receiver.**"} {
		if !strings.Contains(sum, w) {
			t.Errorf("job summary lacks %q:\n%s", w, sum)
		}
	}
	for _, guid := range []string{"recovered", "before-window", "ok-1"} {
		if strings.Contains(sum, guid) {
			t.Errorf("job summary lists %s, which needs no redelivery:\n%s", guid, sum)
		}
	}
	for _, name := range []string{"GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE"} {
		if b := s.read(s.get(name)); b != "" {
			t.Errorf("the action wrote to %s: %q", name, b)
		}
	}
	if ents, err := os.ReadDir(s.hostPath("/github/workspace")); err != nil || len(ents) != 0 {
		t.Errorf("the workspace should be left alone; it holds %d entries (%v)", len(ents), err)
	}

	// The token stays secret everywhere the runner keeps text.
	for where, text := range map[string]string{"log": r.log, "GITHUB_OUTPUT": s.read(s.get("GITHUB_OUTPUT")), "summary": sum} {
		if strings.Contains(text, token) {
			t.Errorf("the token appears in the %s", where)
		}
	}
	if t.Failed() {
		t.Logf("container log:\n%s", s.redact(r.log))
	}
}

// TestContainerBadInput: a hook-id that is not a number stops the action
// before it talks to GitHub, with an error annotation naming the input.
func TestContainerBadInput(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	token := newToken(t)
	fake, _ := newFake(t, token)
	addDelivery(fake, "failed", time.Hour, false, false)

	s := newStep(t, fake, token, with(hookInputs, "token", token, "hook-id", "abc"))
	r := s.run()
	if r.code == 0 {
		t.Fatalf("exit 0 with hook-id abc; log:\n%s", s.redact(r.log))
	}
	if r.code != 2 {
		t.Errorf("exit %d, want 2 (bad input)", r.code)
	}
	var annotation string
	for line := range strings.Lines(r.log) {
		if strings.HasPrefix(line, "::error") && strings.Contains(line, "input hook-id") {
			annotation = strings.TrimSpace(line)
		}
	}
	if annotation == "" {
		t.Errorf("no ::error:: annotation naming input hook-id; log:\n%s", s.redact(r.log))
	} else {
		t.Logf("annotation: %s", s.redact(annotation))
	}
	for _, rq := range fake.Requests() {
		if rq.Method != "GET" {
			t.Errorf("%s %s reached GitHub despite the bad input", rq.Method, rq.Path)
		}
	}
	if n := len(fake.Redeliveries()); n != 0 {
		t.Errorf("%d redeliveries, want 0", n)
	}
	if strings.Contains(r.log, token) {
		t.Error("the token appears in the log")
	}
}

// TestContainerStartup times whole runs against an empty hook, docker run to
// exit, as a workflow step would take them; README quotes the numbers. Not
// parallel, so that the other tests do not slow it down.
func TestContainerStartup(t *testing.T) {
	requireDocker(t)
	token := newToken(t)
	fake, clk := newFake(t, token)

	var took []time.Duration
	for i := range startupRuns {
		clk.Advance(2 * time.Minute) // runs minutes apart, as scheduled runs are
		s := newStep(t, fake, token, with(hookInputs, "token", token))
		r := s.run()
		if r.code != 0 {
			t.Fatalf("run %d: exit %d; log:\n%s", i+1, r.code, s.redact(r.log))
		}
		if o := s.outputs(); o["scanned"] != "0" || o["failed"] != "0" {
			t.Errorf("run %d: outputs %v, want nothing scanned or failed", i+1, o)
		}
		took = append(took, r.took)
	}
	slices.Sort(took)
	lo, med, hi := took[0], took[len(took)/2], took[len(took)-1]
	size, err := imageSize(t.Context())
	if err != nil {
		t.Errorf("image size: %v", err)
	}
	t.Logf("image %s: %.1f MB (%d bytes)", *image, float64(size)/1e6, size)
	t.Logf("start-up to exit over %d runs (empty hook): min %s, median %s, max %s",
		len(took), lo.Round(time.Millisecond), med.Round(time.Millisecond), hi.Round(time.Millisecond))
	if hi > startupBound {
		t.Errorf("slowest run took %s, over the %s bound", hi.Round(time.Millisecond), startupBound)
	}

	if path := os.Getenv("CONTAINER_TIMINGS"); path != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "image=%s\nimage_bytes=%d\nruns=%d\nmin_ms=%d\nmedian_ms=%d\nmax_ms=%d\n",
			*image, size, len(took), lo.Milliseconds(), med.Milliseconds(), hi.Milliseconds())
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Errorf("write CONTAINER_TIMINGS: %v", err)
		}
	}
}

// imageSize is the image's size as docker image ls shows it.
func imageSize(ctx context.Context) (int64, error) {
	out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "-f", "{{.Size}}", *image).Output()
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
}

func with(base map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(base)+len(kv)/2)
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}
