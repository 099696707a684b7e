package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/matrix"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
)

// manyHarness has the App installed on acme (webhook 77, and the workflow's
// repository acme/ops) and widgets (webhook 78), each with a failed GUID.
func manyHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	perms := map[string]string{"organization_hooks": "write", "actions_variables": "write", "metadata": "read"}
	h.fake.AddInstallation(fakegithub.Installation{ID: 501, AppID: appID, Account: "acme", Permissions: perms})
	h.fake.AddInstallation(fakegithub.Installation{ID: 502, AppID: appID, Account: "widgets", Permissions: perms})
	for _, hook := range []fakegithub.HookRef{fakegithub.OrgHook("acme", 77), fakegithub.OrgHook("widgets", 78)} {
		h.add(hook, "ok-"+hook.Org, 50, false, true)
		h.add(hook, "failed-"+hook.Org, 40, false, false)
		h.add(hook, "recent-"+hook.Org, 5, false, true)
	}
	return h
}

// The action's plan writes the matrix and count outputs as the runner
// reads them, and a job summary; a leg from it runs as its own step.
func TestActionPlanAndLeg(t *testing.T) {
	t.Parallel()
	h := manyHarness(t)
	app := map[string]string{"app-id": strconv.Itoa(appID), "private-key": keyPEM(testKey())}
	r := h.run(with(app, "org", "all", "plan", "true"))
	if r.code != 0 {
		t.Fatalf("plan: exit %d:\n%s", r.code, r.log)
	}
	if r.outputs["count"] != "2" || !strings.Contains(r.summary, "## Webhook redelivery plan: 2 webhooks in 2 legs") {
		t.Fatalf("plan: count %q, summary:\n%s", r.outputs["count"], r.summary)
	}
	var m matrix.Matrix
	if err := json.Unmarshal([]byte(r.outputs["matrix"]), &m); err != nil || len(m.Include) != 2 {
		t.Fatalf("matrix output %q: %v", r.outputs["matrix"], err)
	}
	if len(h.fake.Redeliveries()) != 0 {
		t.Fatal("the plan redelivered")
	}
	for _, e := range m.Include {
		r := h.run(with(app, "leg", e.Leg))
		if r.code != 0 {
			t.Fatalf("leg %s: exit %d:\n%s", e.Name, r.code, r.log)
		}
		if r.outputs["redelivered"] != "1" || r.outputs["matrix"] != "" {
			t.Errorf("leg %s: outputs %v", e.Name, r.outputs)
		}
	}
	if diff := cmp.Diff(map[string]int{"failed-acme": 1, "failed-widgets": 1}, h.redelivered()); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s", diff)
	}
	// Every token minted was masked, and none printed.
	if strings.Contains(strings.ReplaceAll(r.log, "::add-mask::ghs_", ""), "ghs_") {
		t.Error("a token appears in the log")
	}
}

// The command line plans too: the report names each leg and prints the
// matrix.
func TestCLIPlan(t *testing.T) {
	t.Parallel()
	h := manyHarness(t)
	env := map[string]string{"APP_ID": strconv.Itoa(appID), "PRIVATE_KEY": keyPEM(testKey()), "API_URL": h.fake.URL(),
		"CHECKPOINT_REPOSITORY": "acme/ops"}
	var stdout, stderr bytes.Buffer
	err := runCLIWith(t.Context(), []string{"--org", "all", "--plan"}, func(k string) string { return env[k] }, &stdout, &stderr, false, run.Deps{Clock: h.clock})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, want := range []string{"plan: 2 webhooks in 2 legs", "leg acme", "leg widgets", `matrix: {"include":[`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "a plan for every organization the App is installed in") {
		t.Errorf("first log line:\n%s", stderr.String())
	}
}
