package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
)

// start is the virtual "now" every test begins at.
var start = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)

const (
	appID       = 123456
	fullToken   = "ghp_fullAccessTestToken000000000000000000"
	noPermToken = "github_pat_noPermissionsTestToken0000000"
	varsToken   = "github_pat_variablesOnlyTestToken000000"
)

// testKey is one RSA key for the whole package: generating one per test
// would cost seconds under -race. It is made at run time, never committed.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func keyPEM(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// actionInputs are the inputs declared in action.yml, which the runner
// always passes, empty when the workflow gave none.
var actionInputs = sync.OnceValue(func() []string {
	var a struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	b, err := os.ReadFile("action.yml")
	if err != nil {
		panic(err)
	}
	if err := yaml.Unmarshal(b, &a); err != nil {
		panic(err)
	}
	var names []string
	for n := range a.Inputs {
		names = append(names, n)
	}
	return names
})

// harness runs the action as the runner does, against a fake GitHub on a
// virtual clock.
type harness struct {
	t     *testing.T
	fake  *fakegithub.Server
	clock *clock.Virtual
	dir   string
	runs  int
}

func newHarness(t *testing.T, prefix string, faults fakegithub.Faults) *harness {
	t.Helper()
	vc := clock.NewVirtual(start)
	fake := fakegithub.New(fakegithub.Options{Clock: vc, PathPrefix: prefix, Seed: 1, Faults: faults})
	t.Cleanup(func() {
		fake.Close()
		if err := fake.Err(); err != nil {
			t.Errorf("the fake GitHub saw unexpected requests: %v", err)
		}
	})
	fake.AddApp(appID, "", &testKey().PublicKey)
	fake.AddHook(fakegithub.OrgHook("acme", 77))
	fake.AddHook(fakegithub.RepoHook("acme", "shop", 88))
	fake.AddToken(fullToken, fakegithub.Credential{Kind: "classic", Scopes: []string{"repo", "admin:org_hook"}})
	fake.AddToken(varsToken, fakegithub.Credential{Kind: "fine-grained", Permissions: map[string]string{"actions_variables": "write"}})
	fake.AddToken(noPermToken, fakegithub.Credential{Kind: "fine-grained", Permissions: map[string]string{"metadata": "read"}})
	return &harness{t: t, fake: fake, clock: vc, dir: t.TempDir()}
}

// result is what the runner sees of one run.
type result struct {
	code    int
	log     string
	outputs map[string]string
	summary string
}

// run runs the action once with the given inputs, like a step.
func (h *harness) run(inputs map[string]string) result {
	h.t.Helper()
	return h.runWith(h.t.Context(), inputs, run.Deps{})
}

// runWith runs the action with a context and deps of the test's choosing
// (the clock is always the harness's).
func (h *harness) runWith(ctx context.Context, inputs map[string]string, d run.Deps) result {
	h.t.Helper()
	h.runs++
	out := filepath.Join(h.dir, "output"+time.Duration(h.runs).String())
	sum := filepath.Join(h.dir, "summary"+time.Duration(h.runs).String())
	for _, f := range []string{out, sum} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			h.t.Fatal(err)
		}
	}
	env := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_REPOSITORY":   "acme/ops",
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_RUN_ID":       "4242",
		"GITHUB_API_URL":      h.fake.URL(),
		"GITHUB_OUTPUT":       out,
		"GITHUB_STEP_SUMMARY": sum,
	}
	for _, name := range actionInputs() {
		env["INPUT_"+strings.ToUpper(name)] = ""
	}
	for k, v := range inputs {
		if _, declared := env["INPUT_"+strings.ToUpper(k)]; !declared {
			h.t.Fatalf("input %q is not declared in action.yml", k)
		}
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	var log bytes.Buffer
	d.Clock = h.clock
	code := exitCode(runActionWith(ctx, func(k string) string { return env[k] }, &log, d))
	b, err := os.ReadFile(sum)
	if err != nil {
		h.t.Fatal(err)
	}
	return result{code: code, log: log.String(), outputs: parseOutputs(h.t, out), summary: string(b)}
}

// parseOutputs reads a GITHUB_OUTPUT file: name<<DELIMITER, value lines,
// DELIMITER.
func parseOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, delim, ok := strings.Cut(sc.Text(), "<<")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q is not name<<DELIMITER", sc.Text())
		}
		var val []string
		for sc.Scan() && sc.Text() != delim {
			val = append(val, sc.Text())
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

// add puts a delivery on hook, minutes before the start time.
func (h *harness) add(hook fakegithub.HookRef, guid string, minutesAgo int, redelivery, ok bool) fakegithub.Delivery {
	d := fakegithub.Delivery{
		GUID: guid, DeliveredAt: start.Add(-time.Duration(minutesAgo) * time.Minute), Redelivery: redelivery,
		Event: "push", Status: "OK", StatusCode: 200,
	}
	if !ok {
		d.Status, d.StatusCode = "Invalid HTTP Response: 503", 503
	}
	return h.fake.AddDelivery(hook, d)
}

// redelivered returns the redeliveries GitHub performed, by GUID.
func (h *harness) redelivered() map[string]int {
	out := map[string]int{}
	for _, r := range h.fake.Redeliveries() {
		out[r.GUID]++
	}
	return out
}

// count returns how many requests matched method and path prefix.
func (h *harness) count(method, pathPrefix string) int {
	n := 0
	for _, r := range h.fake.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}
