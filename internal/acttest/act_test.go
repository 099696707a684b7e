//go:build act

package acttest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

var (
	actBin   = flag.String("act", envOr("HOOK_REDELIVER_ACT", "act"), "act binary (default $HOOK_REDELIVER_ACT, else act on PATH)")
	image    = flag.String("image", envOr("HOOK_REDELIVER_IMAGE", "hook-redeliver:ci"), "the action's image (default $HOOK_REDELIVER_IMAGE, else hook-redeliver:ci)")
	jobImage = flag.String("job-image", envOr("HOOK_REDELIVER_JOB_IMAGE", "hook-redeliver-ci/job:busybox"), "image act runs the job in; needs sh (default $HOOK_REDELIVER_JOB_IMAGE, else hook-redeliver-ci/job:busybox)")

	// The release rehearsal's (.ci/release-rehearsal.sh).
	pinnedAction = flag.String("pinned-action", "", "TestReleaseRehearsal: action.yml as the release makes it, pinned by .github/release/pin-image.sh to an image on a local registry")
	registryLog  = flag.String("registry-log", "", "TestReleaseRehearsal: the local registry's log, with its access log")
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

const (
	// actTimeout bounds one act run; a healthy one takes about ten seconds.
	actTimeout = 3 * time.Minute
	appID      = 123456
	// outputsFile is where the workflow's second step writes what it read
	// of the action's outputs, relative to the workspace (bound to the
	// host's copy of the repository by --bind).
	outputsFile = "act-outputs.txt"
)

var hook = fakegithub.OrgHook("acme", 77)

// requireTools fails the test when act, Docker or one of the images is
// missing: the script only runs it after setting all of them up.
func requireTools(t *testing.T, images ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var problems []string
	if out, err := exec.CommandContext(ctx, *actBin, "--version").CombinedOutput(); err != nil {
		problems = append(problems, fmt.Sprintf("act (%s) does not run (%v): %s", *actBin, err, bytes.TrimSpace(out)))
	} else {
		t.Logf("%s", bytes.TrimSpace(out))
	}
	if out, err := exec.CommandContext(ctx, "docker", "version", "-f", "{{.Server.Version}}").CombinedOutput(); err != nil {
		problems = append(problems, fmt.Sprintf("docker does not answer (%v): %s", err, bytes.TrimSpace(out)))
	} else {
		for _, img := range images {
			if out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "-f", "{{.Id}}", img).CombinedOutput(); err != nil {
				problems = append(problems, fmt.Sprintf("image %s is not there (%v): %s", img, err, bytes.TrimSpace(out)))
			}
		}
	}
	if len(problems) > 0 {
		t.Fatalf("\n%[1]s\nACT TEST CANNOT RUN:\n%[2]s\nRun it through .ci/act.sh (or .ci/release-rehearsal.sh for TestReleaseRehearsal), which install act, start Docker and build the images first.\n%[1]s",
			strings.Repeat("#", 74), strings.Join(problems, "\n"))
	}
}

// newKey returns a fresh App private key and its PKCS#1 PEM, the form
// GitHub hands out.
func newKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// repoAction is the repository's action.yml.
func repoAction(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseAction parses an action.yml and returns its output names.
func parseAction(t *testing.T, b []byte) (*yaml.Node, []string) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse action.yml: %v", err)
	}
	var a struct {
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := doc.Decode(&a); err != nil {
		t.Fatalf("parse action.yml: %v", err)
	}
	names := make([]string, 0, len(a.Outputs))
	for name := range a.Outputs {
		names = append(names, name)
	}
	slices.Sort(names)
	return &doc, names
}

// mapValue returns the value of key in a YAML mapping node.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// envName is the variable the reading step keeps an output in.
func envName(output string) string {
	return "OUT_" + strings.ToUpper(strings.ReplaceAll(output, "-", "_"))
}

// pointAt returns the repository's action.yml pointed at the image ref as
// docker://IMAGE, the form a release uses.
func pointAt(t *testing.T, ref string) []byte {
	t.Helper()
	doc, _ := parseAction(t, repoAction(t))
	runs := mapValue(doc, "runs")
	if runs == nil || mapValue(runs, "using") == nil || mapValue(runs, "using").Value != "docker" {
		t.Fatal("action.yml: want runs.using: docker")
	}
	img := mapValue(runs, "image")
	if img == nil {
		t.Fatal("action.yml has no runs.image")
	}
	img.Value, img.Style = "docker://"+ref, 0
	var action bytes.Buffer
	enc := yaml.NewEncoder(&action)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return action.Bytes()
}

// writeRepo lays out a copy of the repository as a workflow run checks it
// out: the given action.yml, and a workflow that runs the action with
// uses: ./ and then reads every output the action declares in a run: step
// and writes it to outputsFile. The workflow's name carries runID, which act
// puts in its container and volume names.
func writeRepo(t *testing.T, runID string, action []byte) (dir string, outputs []string) {
	t.Helper()
	_, outputs = parseAction(t, action)
	var env, lines strings.Builder
	for _, o := range outputs {
		fmt.Fprintf(&env, "          %s: ${{ steps.redeliver.outputs.%s }}\n", envName(o), o)
		fmt.Fprintf(&lines, "            printf '%%s\\n' \"%s=$%s\"\n", o, envName(o))
	}
	workflow := fmt.Sprintf(`name: hook-redeliver act check %[1]s
on: workflow_dispatch
permissions: {}
jobs:
  redeliver:
    runs-on: ubuntu-latest
    steps:
      - id: redeliver
        uses: ./
        with:
          app-id: ${{ vars.HOOK_APP_ID }}
          private-key: ${{ secrets.HOOK_PRIVATE_KEY }}
          org: acme
          hook-id: "77"
          api-url: ${{ vars.HOOK_API_URL }}
          redelivery-interval: 0s
      - name: read the outputs
        if: always()
        shell: sh
        env:
          OUTCOME: ${{ steps.redeliver.outcome }}
%[2]s        run: |
          {
            printf 'outcome=%%s\n' "$OUTCOME"
%[3]s          } > "$GITHUB_WORKSPACE/%[4]s"
          cat "$GITHUB_WORKSPACE/%[4]s"
`, runID, env.String(), lines.String(), outputsFile)

	return checkout(t, action, workflow), outputs
}

// checkout lays out a checkout of a repository holding action and the
// workflow, as a git repository: act reads the ref and the commit from it
// for GITHUB_REF and GITHUB_SHA (and complains at every step when it
// cannot).
func checkout(t *testing.T, action []byte, workflow string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string][]byte{
		"action.yml":                      action,
		".github/workflows/act-check.yml": []byte(workflow),
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "."},
		{"-c", "user.name=hook-redeliver CI", "-c", "user.email=ci@hook-redeliver.invalid", "-c", "commit.gpgsign=false",
			"commit", "-q", "-m", "act check"},
	} {
		cmd := exec.CommandContext(t.Context(), "git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return dir
}

// actRun is what act reported of one workflow run.
type actRun struct {
	code    int
	entries []logEntry
	took    time.Duration
}

// logEntry is one line of act's --json log: a message, and for the
// runner's commands what act made of them.
type logEntry struct {
	Msg        string   `json:"msg"`
	StepID     []string `json:"stepID"`
	RawOutput  bool     `json:"raw_output"` // a line the step printed
	Command    string   `json:"command"`    // set-output, add-mask, summary, group, ...
	Name       string   `json:"name"`       // set-output: the output
	Arg        string   `json:"arg"`        // set-output: the value; add-mask: the secret
	Content    string   `json:"content"`    // summary: the step's job summary
	StepResult string   `json:"stepResult"`
	JobResult  string   `json:"jobResult"`
	// JobID is the job's id in the workflow, Matrix its leg's values.
	JobID  string         `json:"jobID"`
	Matrix map[string]any `json:"matrix"`
}

// step reports whether the entry belongs to the step with the given id.
func (e logEntry) step(id string) bool { return slices.Equal(e.StepID, []string{id}) }

// parseLog reads act's --json log. A line that is not JSON (act prints a
// few before its logger starts) is kept as a message.
func parseLog(b []byte) []logEntry {
	var entries []logEntry
	for line := range bytes.Lines(b) {
		var e logEntry
		if err := json.Unmarshal(line, &e); err != nil {
			e = logEntry{Msg: string(line)}
		}
		entries = append(entries, e)
	}
	return entries
}

// text renders the log as act prints it without --json: the messages,
// which act has masked. (The add-mask entries' arg and raw fields carry the
// secret itself, so the JSON is never printed.)
func (r actRun) text() string {
	var b strings.Builder
	for _, e := range r.entries {
		b.WriteString(strings.TrimRight(e.Msg, "\n"))
		b.WriteByte('\n')
	}
	return b.String()
}

// runAct runs the workflow in dir with act as CI can: no registry (local
// images only, --pull=false), the host's network so that the containers
// reach the fake on 127.0.0.1, and the checkout bound into the job rather
// than copied, so that the reading step's file lands in dir. act reads
// configuration from $HOME and the XDG directories, so they point into the
// test's own directory: a developer's ~/.actrc cannot change the run. The
// private key goes to act through its environment, not its command line.
func runAct(t *testing.T, dir, runID string, fake *fakegithub.Server, keyPEM string) actRun {
	t.Helper()
	home := t.TempDir()
	args := []string{
		"workflow_dispatch",
		"--directory", dir,
		"--workflows", filepath.Join(dir, ".github", "workflows", "act-check.yml"),
		"--platform", "ubuntu-latest=" + *jobImage,
		"--pull=false",
		"--network", "host",
		"--bind",
		"--rm",
		"--json",
		"--no-cache-server",
		"--container-daemon-socket", "-",
		"--secret", "HOOK_PRIVATE_KEY",
		"--var", "HOOK_APP_ID=" + strconv.Itoa(appID),
		"--var", "HOOK_API_URL=" + strings.TrimSuffix(fake.URL(), "/"),
		// The repository the workflow runs in, which holds the checkpoint
		// variable. Without it act guesses from the git remote.
		"--env", "GITHUB_REPOSITORY=acme/ops",
		"--env", "GITHUB_REPOSITORY_OWNER=acme",
	}
	ctx, cancel := context.WithTimeout(t.Context(), actTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, *actBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"HOOK_PRIVATE_KEY="+keyPEM,
	)
	// On time-out, interrupt act so that it removes its containers; kill
	// it if it does not stop.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second
	t.Cleanup(func() { removeLeftovers(t, runID) })

	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	began := time.Now()
	err := cmd.Run()
	r := actRun{entries: parseLog(log.Bytes()), took: time.Since(began)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("act: %v\n%s", err, r.text())
	}
	if ctx.Err() != nil {
		t.Fatalf("act did not finish within %s; log:\n%s", actTimeout, r.text())
	}
	return r
}

// removeLeftovers removes containers and volumes of this run that act left
// behind (it removes them itself unless it was killed).
func removeLeftovers(t *testing.T, runID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list := func(args ...string) []string {
		out, err := exec.CommandContext(ctx, "docker", args...).Output()
		if err != nil {
			return nil
		}
		return strings.Fields(string(out))
	}
	if ids := list("ps", "-aq", "--filter", "name="+runID); len(ids) > 0 {
		t.Logf("removing %d containers act left behind", len(ids))
		_ = exec.CommandContext(ctx, "docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
	if names := list("volume", "ls", "-q", "--filter", "name="+runID); len(names) > 0 {
		t.Logf("removing %d volumes act left behind", len(names))
		_ = exec.CommandContext(ctx, "docker", append([]string{"volume", "rm", "-f"}, names...)...).Run()
	}
}

// readOutputs parses the name=value lines the reading step wrote.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the reading step wrote no outputs: %v", err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			t.Fatalf("%s: line %q is not name=value", path, sc.Text())
		}
		out[name] = val
	}
	return out
}

// at is a time on GitHub's clock, whole seconds as delivered_at has.
func at(ago time.Duration) time.Time { return time.Now().Add(-ago).Truncate(time.Second) }

func addDelivery(fake *fakegithub.Server, guid string, ago time.Duration, redelivery bool, code int) fakegithub.Delivery {
	return addTo(fake, hook, guid, ago, redelivery, code)
}

// addTo puts a delivery on h, ago before now.
func addTo(fake *fakegithub.Server, h fakegithub.HookRef, guid string, ago time.Duration, redelivery bool, code int) fakegithub.Delivery {
	d := fakegithub.Delivery{GUID: guid, DeliveredAt: at(ago), Redelivery: redelivery, Event: "push", Status: "OK", StatusCode: code}
	if code != 200 {
		d.Status = "Invalid HTTP Response: " + strconv.Itoa(code)
	}
	return fake.AddDelivery(h, d)
}

// newFake starts the fake GitHub, on 127.0.0.1 under /api/v3 as Enterprise
// Server serves the API, with the App of key pub, and fails the test on a
// request it does not serve.
func newFake(t *testing.T, pub *rsa.PublicKey) *fakegithub.Server {
	t.Helper()
	fake := fakegithub.New(fakegithub.Options{PathPrefix: "/api/v3"})
	t.Cleanup(func() {
		fake.Close()
		if err := fake.Err(); err != nil {
			t.Errorf("the fake GitHub saw requests it does not serve: %v", err)
		}
	})
	fake.AddApp(appID, "", pub)
	return fake
}

// checkLog checks act's log, secrets first, so that a leak fails the test
// before anything prints the log: the action masked the installation
// tokens it minted (and the App's JWTs), and neither they nor the private key
// appear in the log act prints. Then act must have exited 0. The log is
// printed if the test fails.
func checkLog(t *testing.T, r actRun, keyPEM string) {
	t.Helper()
	var masked []string
	for _, e := range r.entries {
		if e.Command == "add-mask" {
			masked = append(masked, e.Arg)
		}
	}
	if !slices.ContainsFunc(masked, func(m string) bool { return strings.HasPrefix(m, "ghs_") }) {
		t.Errorf("the action masked no installation token; it masked %d values", len(masked))
	}
	secrets := slices.Clone(masked)
	for line := range strings.Lines(keyPEM) {
		if line = strings.TrimSpace(line); !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	text := r.text()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Fatal("a secret (a masked value or a line of the App's private key) appears in act's log; not printing it")
		}
	}
	if r.code != 0 {
		t.Fatalf("act exited %d, want 0; log:\n%s", r.code, text)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("act's log:\n%s", text)
		}
	})
}

// TestActWorkflow runs a workflow's first run of the action, built from
// this checkout, under act; see firstRun for what it checks.
func TestActWorkflow(t *testing.T) {
	requireTools(t, *image, *jobImage)
	firstRun(t, pointAt(t, *image), *image)
}

// scenario is the fake GitHub of firstRun: a GitHub App, an organization
// hook and a day of deliveries.
type scenario struct {
	fake     *fakegithub.Server
	keyPEM   string
	inWindow int                 // deliveries in the first run's window
	newest   fakegithub.Delivery // failed-twice's newest attempt
}

func newScenario(t *testing.T) scenario {
	t.Helper()
	key, keyPEM := newKey(t)
	fake := newFake(t, &key.PublicKey)
	fake.AddHook(hook)
	fake.AddInstallation(fakegithub.Installation{ID: 501, AppID: appID, Account: "acme", Repositories: []string{"acme/ops"},
		Permissions: map[string]string{"organization_hooks": "write", "actions_variables": "write", "metadata": "read"}})

	// Before the first run's window (it looks back a day): not read.
	addDelivery(fake, "before-window", 30*time.Hour, false, 503)
	addDelivery(fake, "ok-1", 3*time.Hour, false, 200)
	addDelivery(fake, "failed-once", 2*time.Hour, false, 503)
	addDelivery(fake, "recovered", 100*time.Minute, false, 502)
	addDelivery(fake, "recovered", 95*time.Minute, true, 200)
	addDelivery(fake, "failed-twice", 60*time.Minute, false, 500)
	newest := addDelivery(fake, "failed-twice", 50*time.Minute, true, 504)
	addDelivery(fake, "ok-2", 10*time.Minute, false, 200)
	return scenario{fake: fake, keyPEM: keyPEM, inWindow: 7, newest: newest}
}

// firstRun runs a workflow's first run of the action under act, with only a
// GitHub App for credentials, the action's metadata being action (whose
// runs.image is docker://ref): five GUIDs in the last day, two of them
// failed with no later success. Exactly those two are redelivered, once
// each; the action saves the checkpoint in the workflow's repository; act
// runs ref for the action's step and records the outputs and the job
// summary; and the next step reads every output.
//
// Failures are 5xx only, which every setting of exclude-status-codes
// redelivers: the test does not depend on that input's default.
func firstRun(t *testing.T, action []byte, ref string) {
	t.Helper()
	s := newScenario(t)
	fake, keyPEM, newest, inWindow := s.fake, s.keyPEM, s.newest, s.inWindow
	runID := randomHex(t, 6)

	dir, outputs := writeRepo(t, runID, action)
	r := runAct(t, dir, runID, fake, keyPEM)
	t.Logf("act ran the workflow in %s, exit %d", r.took.Round(time.Millisecond), r.code)

	checkLog(t, r, keyPEM)

	// GitHub's side: one redelivery per failed GUID, of its newest attempt.
	got := map[string]int{}
	for _, rd := range fake.Redeliveries() {
		got[rd.GUID]++
		if rd.GUID == "failed-twice" && rd.RequestedID != newest.ID {
			t.Errorf("failed-twice: redelivered delivery %d, want its newest attempt %d", rd.RequestedID, newest.ID)
		}
	}
	if diff := cmp.Diff(map[string]int{"failed-once": 1, "failed-twice": 1}, got); diff != "" {
		t.Errorf("redeliveries by GUID (-want +got):\n%s", diff)
	}
	// The checkpoint is saved in the repository act said the workflow runs
	// in. Where it lands is the checkpoint rule's business, tested
	// elsewhere; here it must be what the checkpoint output reports.
	const variable = "REDELIVER_ORG_ACME_HOOK_77"
	var stored time.Time
	if v, ok := fake.Variable("acme", "ops", variable); !ok {
		t.Errorf("no checkpoint variable %s in acme/ops, the repository act said the workflow runs in", variable)
	} else if st, err := checkpoint.Parse(v); err != nil {
		t.Errorf("checkpoint variable %s: %v", variable, err)
	} else {
		stored = st.Checkpoint
	}

	// The workflow's side. First what act recorded of the action's step.
	var (
		ranImage  bool
		result    string
		set       = map[string]string{}
		summaries []string
	)
	for _, e := range r.entries {
		if e.JobResult != "" && e.JobResult != "success" {
			t.Errorf("job result %q, want success", e.JobResult)
		}
		if !e.step("redeliver") {
			continue
		}
		switch e.Command {
		case "set-output":
			set[e.Name] = e.Arg
		case "summary":
			summaries = append(summaries, e.Content)
		}
		if strings.Contains(e.Msg, "docker run image="+ref+" ") {
			ranImage = true
		}
		if e.StepResult != "" {
			result = e.StepResult
		}
	}
	if !ranImage {
		t.Errorf("act never ran the image %s for the action's step", ref)
	}
	if result != "success" {
		t.Errorf("the action's step: result %q, want success", result)
	}

	// Then the outputs. The counts are the run's; since and checkpoint are
	// times that depend on when it ran.
	want := map[string]string{
		"scanned":     strconv.Itoa(inWindow),
		"failed":      "2",
		"redelivered": "2",
		"skipped":     "0",
		"gave-up":     "0",
		"remaining":   "0",
	}
	for name, w := range want {
		if set[name] != w {
			t.Errorf("output %s = %q, want %q", name, set[name], w)
		}
	}
	// since is the start of the first run's window, a day before GitHub's
	// time at the run.
	if s, err := time.Parse(time.RFC3339, set["since"]); err != nil {
		t.Errorf("output since = %q: %v", set["since"], err)
	} else if ago := time.Since(s); ago < 24*time.Hour || ago > 24*time.Hour+actTimeout {
		t.Errorf("output since = %s, %s ago; want about a day ago", set["since"], ago.Round(time.Second))
	}
	if w := stored.UTC().Format(time.RFC3339); !stored.IsZero() && set["checkpoint"] != w {
		t.Errorf("output checkpoint = %q, want %q, the checkpoint saved", set["checkpoint"], w)
	}
	// The runner's contract: the action set every output action.yml
	// declares, and the next step read each as act recorded it.
	for _, o := range outputs {
		if _, ok := set[o]; !ok {
			t.Errorf("the action never set output %q, which action.yml declares", o)
		}
	}
	read := readOutputs(t, filepath.Join(dir, outputsFile))
	wantRead := map[string]string{"outcome": "success"}
	for _, o := range outputs {
		wantRead[o] = set[o]
	}
	if diff := cmp.Diff(wantRead, read); diff != "" {
		t.Errorf("outputs as the next step read them, against what act recorded (-want +got):\n%s", diff)
	}

	// The job summary, as act read it back from the step's summary file.
	if len(summaries) != 1 {
		t.Errorf("act read %d job summaries from the action's step, want 1", len(summaries))
	}
	sum := strings.Join(summaries, "")
	for _, w := range []string{"## Webhook redelivery", "| GUID |", "`failed-once`", "`failed-twice`", "Redelivered 2"} {
		if !strings.Contains(sum, w) {
			t.Errorf("job summary lacks %q:\n%s", w, sum)
		}
	}
	for _, guid := range []string{"recovered", "before-window", "ok-1", "ok-2"} {
		if strings.Contains(sum, guid) {
			t.Errorf("job summary lists %s, which needs no redelivery:\n%s", guid, sum)
		}
	}
}
