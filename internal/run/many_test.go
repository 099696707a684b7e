package run

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-envconfig"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/matrix"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
)

const testAppID = 4242

var t0 = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)

// testKey is one App key for the package's tests, made at run time.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// testLog records what a run logs.
type testLog struct {
	mu    sync.Mutex
	lines []string
	masks []string
}

func (l *testLog) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}
func (l *testLog) Infof(f string, a ...any)    { l.add(fmt.Sprintf(f, a...)) }
func (l *testLog) Warningf(f string, a ...any) { l.add("warning: " + fmt.Sprintf(f, a...)) }
func (l *testLog) Group(t string)              { l.add("== " + t) }
func (l *testLog) EndGroup()                   { l.add("==") }
func (l *testLog) AddMask(s string) {
	l.mu.Lock()
	l.masks = append(l.masks, s)
	l.mu.Unlock()
}

func (l *testLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Every line ends with a newline, the last one too: a group written
	// last ends "\n==\n" as any other does.
	return strings.Join(l.lines, "\n") + "\n"
}

// fleetWorld is a fake GitHub with an App installed on three
// organizations and a user: acme (two webhooks, and the workflow's
// repository acme/ops), widgets (one webhook), parts (one webhook, but
// the installation lacks the Webhooks permission), and the user alice.
// Each webhook has failed GUIDs named after it and a recent success.
type fleetWorld struct {
	fake  *fakegithub.Server
	clock *clock.Virtual
	hooks []fakegithub.HookRef
}

func newFleetWorld(t *testing.T) *fleetWorld {
	t.Helper()
	vc := clock.NewVirtual(t0)
	fake := fakegithub.New(fakegithub.Options{Clock: vc, PathPrefix: "/api/v3", Seed: 1})
	t.Cleanup(func() {
		fake.Close()
		if err := fake.Err(); err != nil {
			t.Error(err)
		}
	})
	fake.AddApp(testAppID, "", &testKey().PublicKey)
	all := map[string]string{"organization_hooks": "write", "organization_actions_variables": "write", "metadata": "read"}
	fake.AddInstallation(fakegithub.Installation{ID: 11, AppID: testAppID, Account: "acme",
		Permissions: map[string]string{"organization_hooks": "write", "organization_actions_variables": "write", "actions_variables": "write", "metadata": "read"}})
	fake.AddInstallation(fakegithub.Installation{ID: 12, AppID: testAppID, Account: "widgets", Permissions: all})
	fake.AddInstallation(fakegithub.Installation{ID: 13, AppID: testAppID, Account: "parts", Permissions: map[string]string{"metadata": "read"}})
	fake.AddInstallation(fakegithub.Installation{ID: 14, AppID: testAppID, Account: "alice", AccountType: "User", Permissions: map[string]string{"repository_hooks": "write"}})
	w := &fleetWorld{fake: fake, clock: vc, hooks: []fakegithub.HookRef{
		fakegithub.OrgHook("acme", 101), fakegithub.OrgHook("acme", 102), fakegithub.OrgHook("widgets", 201), fakegithub.OrgHook("parts", 301),
	}}
	for _, h := range w.hooks {
		for i := range 3 {
			fake.AddDelivery(h, fakegithub.Delivery{GUID: fmt.Sprintf("%d-failed-%d", h.ID, i), DeliveredAt: t0.Add(-time.Duration(90-i) * time.Minute), StatusCode: 502})
		}
		fake.AddDelivery(h, fakegithub.Delivery{GUID: fmt.Sprintf("%d-ok", h.ID), DeliveredAt: t0.Add(-10 * time.Minute), StatusCode: 200})
	}
	return w
}

// config is the validated Config of inputs besides the App's, in a
// workflow run of acme/ops.
func (w *fleetWorld) config(t *testing.T, inputs map[string]string) *config.Config {
	t.Helper()
	env := map[string]string{"APP_ID": strconv.Itoa(testAppID), "API_URL": w.fake.URL(), "REDELIVERY_INTERVAL": "1s",
		"PRIVATE_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey())}))}
	for k, v := range inputs {
		env[k] = v
	}
	cfg, err := config.Load(t.Context(), envconfig.MapLookuper(env))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(config.Runner{Repository: "acme/ops"}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// run runs Execute with inputs (besides the App's) as the action would.
func (w *fleetWorld) run(t *testing.T, inputs map[string]string) (*report.Run, *testLog, error) {
	t.Helper()
	log := &testLog{}
	rep, err := Execute(t.Context(), w.config(t, inputs), Deps{Clock: w.clock, Log: log, Version: "test"})
	return rep, log, err
}

// redelivered is the GUIDs GitHub redelivered, by hook, each once.
func (w *fleetWorld) redelivered(t *testing.T) map[int64][]string {
	t.Helper()
	out := map[int64][]string{}
	seen := map[string]bool{}
	for _, r := range w.fake.Redeliveries() {
		if seen[r.GUID] {
			t.Errorf("%s redelivered twice", r.GUID)
		}
		seen[r.GUID] = true
		out[r.Hook.ID] = append(out[r.Hook.ID], r.GUID)
	}
	return out
}

var wantFleetRedeliveries = map[int64][]string{
	101: {"101-failed-0", "101-failed-1", "101-failed-2"},
	102: {"102-failed-0", "102-failed-1", "102-failed-2"},
	201: {"201-failed-0", "201-failed-1", "201-failed-2"},
}

// org: all in one job: every organization's webhooks, each identity on its
// own, the installation without the Webhooks permission reported while the
// others go on, the user's installation left out with a note.
func TestAllOrgsInOneJob(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t)
	rep, log, err := w.run(t, map[string]string{"ORG": "all", "SINCE": "3h"})
	if err == nil || !strings.Contains(err.Error(), "org parts: installation 13 on parts was not granted the organization permission Webhooks: read and write") {
		t.Errorf("err = %v, want the one about parts' permission", err)
	}
	if diff := cmp.Diff(wantFleetRedeliveries, w.redelivered(t)); diff != "" {
		t.Errorf("redeliveries by hook (-want +got):\n%s", diff)
	}
	if len(rep.Hooks) != 4 {
		t.Fatalf("%d hooks reported, want acme's two, widgets' and parts' problem", len(rep.Hooks))
	}
	for _, h := range []fakegithub.HookRef{w.hooks[0], w.hooks[1], w.hooks[2]} {
		name := checkpoint.DefaultName("", h.Org, "", "", h.ID)
		if _, ok := w.fake.Variable("acme", "ops", name); !ok {
			t.Errorf("no checkpoint %s in acme/ops", name)
		}
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "user account alice") {
		t.Errorf("notes %q, want alice left out", rep.Notes)
	}
	if out := rep.Outputs(); out["redelivered"] != "9" || out["failed"] != "9" {
		t.Errorf("outputs %v, want 9 failed and redelivered in all", out)
	}
	md := rep.Markdown()
	for _, want := range []string{"## Webhook redelivery: 4 webhooks", "| organization widgets webhook 201 | ✅ | 3 | 3 | 0 |", "| org parts | ❌ installation 13"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	// The log of each webhook is one group, whole.
	text := log.text()
	for _, h := range []string{"organization acme webhook 101", "organization widgets webhook 201"} {
		i := strings.Index(text, "== Webhook redelivery: "+h)
		if i < 0 {
			t.Fatalf("no group for %s in:\n%s", h, text)
		}
		end := strings.Index(text[i:], "\n==\n")
		if strings.Contains(text[i+1:i+end], "== ") {
			t.Errorf("the group of %s holds another's lines:\n%s", h, text[i:i+end])
		}
	}
}

// The plan lists a leg per installation, reports what it left out, and each
// leg then redelivers exactly its webhooks' failures into its own
// checkpoints, in its organization's variables.
func TestPlanThenLegs(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t)
	rep, _, err := w.run(t, map[string]string{"ORG": "all", "PLAN": "true", "CHECKPOINT_STORE": "organization"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(w.fake.Redeliveries()); got != 0 {
		t.Fatalf("the plan redelivered %d", got)
	}
	out := rep.Outputs()
	if out["count"] != "2" {
		t.Fatalf("count = %q, want 2 (acme, widgets); plan %+v", out["count"], rep.Plan)
	}
	if len(rep.Plan.Problems) != 1 || !strings.Contains(rep.Plan.Problems[0], "parts") {
		t.Errorf("problems %q, want parts' permission", rep.Plan.Problems)
	}
	var m matrix.Matrix
	if err := jsonUnmarshal(out["matrix"], &m); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out["matrix"], "ghs_") || strings.Contains(out["matrix"], "PRIVATE") {
		t.Fatal("the matrix holds a secret")
	}
	for _, e := range m.Include {
		before := len(w.fake.Redeliveries())
		if _, _, err := w.run(t, map[string]string{"LEG": e.Leg}); err != nil {
			t.Fatalf("leg %s: %v", e.Name, err)
		}
		leg, _ := matrix.ParseLeg(e.Leg)
		for _, r := range w.fake.Redeliveries()[before:] {
			if r.Hook.Org != e.Name {
				t.Errorf("leg %s redelivered %s of %s", e.Name, r.GUID, r.Hook)
			}
		}
		for _, tg := range leg.Groups[0].Targets {
			if _, vis, ok := w.fake.OrgVariable(tg.Org, tg.Var); !ok || vis != "selected" {
				t.Errorf("leg %s: checkpoint %s not in organization %s's variables", e.Name, tg.Var, tg.Org)
			}
		}
	}
	if diff := cmp.Diff(wantFleetRedeliveries, w.redelivered(t)); diff != "" {
		t.Errorf("redeliveries by hook (-want +got):\n%s", diff)
	}
	// Each organization's writes came from its own installation's token.
	own := map[string]int64{"acme": 11, "widgets": 12}
	for _, r := range w.fake.Requests() {
		if seg := strings.Split(r.Path, "/"); r.Method != "GET" && len(seg) > 2 && seg[1] == "orgs" && r.Installation != own[seg[2]] {
			t.Errorf("%s %s sent by installation %d, want %d", r.Method, r.Path, r.Installation, own[seg[2]])
		}
	}
	if _, ok := w.fake.Variable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_101"); ok {
		t.Error("a checkpoint landed in the workflow's repository")
	}
}

// An organization the App is not installed in, or named twice in case, is
// reported; the others go on.
func TestListedOrgs(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t)
	rep, _, err := w.run(t, map[string]string{"ORG": "widgets, nowhere", "SINCE": "3h"})
	if err == nil || !strings.Contains(err.Error(), "not installed on organization nowhere") {
		t.Errorf("err = %v", err)
	}
	if diff := cmp.Diff(map[int64][]string{201: wantFleetRedeliveries[201]}, w.redelivered(t)); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s", diff)
	}
	if len(rep.Hooks) != 2 {
		t.Errorf("%d hooks reported, want widgets' and nowhere's problem", len(rep.Hooks))
	}
}

// The App's installations come from one listing, whatever their number.
func TestInstallationsListedOnce(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t)
	if _, _, err := w.run(t, map[string]string{"ORG": "all", "PLAN": "true"}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range w.fake.Requests() {
		if r.Path == "/app/installations" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d listings of the installations, want 1", n)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// A leg that holds several installations (past 256 of them, they share
// legs) runs them at once, each with its own token, as one job does.
func TestLegOfSeveralInstallations(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t)
	leg := matrix.Leg{Version: matrix.Version}
	for _, g := range []struct {
		org   string
		id    int64
		hooks []int64
	}{{"acme", 11, []int64{101, 102}}, {"widgets", 12, []int64{201}}} {
		group := matrix.Group{Account: g.org, Installation: g.id}
		for _, h := range g.hooks {
			group.Targets = append(group.Targets, matrix.Target{Org: g.org, Hook: h, Var: checkpoint.DefaultName("", g.org, "", "", h), State: "org:" + g.org})
		}
		leg.Groups = append(leg.Groups, group)
	}
	b, err := json.Marshal(leg)
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := w.run(t, map[string]string{"LEG": string(b), "SINCE": "3h"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantFleetRedeliveries, w.redelivered(t)); diff != "" {
		t.Errorf("redeliveries by hook (-want +got):\n%s", diff)
	}
	if len(rep.Hooks) != 3 {
		t.Errorf("%d hooks reported, want 3", len(rep.Hooks))
	}
	if n := len(w.fake.OrgVariables("acme")) + len(w.fake.OrgVariables("widgets")); n != 3 {
		t.Errorf("%d checkpoints in the organizations, want 3", n)
	}
}
