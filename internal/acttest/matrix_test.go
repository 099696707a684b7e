//go:build act

package acttest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

// matrixWorkflow is the README's two-job workflow: a plan, then a matrix
// over it with a concurrency group per leg. Each leg writes what it read of
// its own outputs to act-leg-NAME.txt in the workspace.
const matrixWorkflow = `name: hook-redeliver act matrix check %[1]s
on: workflow_dispatch
permissions: {}
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      matrix: ${{ steps.plan.outputs.matrix }}
      count: ${{ steps.plan.outputs.count }}
    steps:
      - id: plan
        uses: ./
        with:
          app-id: ${{ vars.HOOK_APP_ID }}
          private-key: ${{ secrets.HOOK_PRIVATE_KEY }}
          api-url: ${{ vars.HOOK_API_URL }}
          org: all
          plan: true
          checkpoint-store: organization
  redeliver:
    needs: plan
    if: needs.plan.outputs.count > 0
    name: redeliver ${{ matrix.name }}
    runs-on: ubuntu-latest
    strategy:
      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
      fail-fast: false
      max-parallel: 4
    concurrency:
      group: redeliver-webhooks-${{ matrix.name }}
      cancel-in-progress: false
    steps:
      - id: redeliver
        uses: ./
        with:
          app-id: ${{ vars.HOOK_APP_ID }}
          private-key: ${{ secrets.HOOK_PRIVATE_KEY }}
          api-url: ${{ vars.HOOK_API_URL }}
          leg: ${{ matrix.leg }}
          redelivery-interval: 0s
      - name: record the leg
        if: always()
        shell: sh
        env:
          NAME: ${{ matrix.name }}
          OUTCOME: ${{ steps.redeliver.outcome }}
          FAILED: ${{ steps.redeliver.outputs.failed }}
          REDELIVERED: ${{ steps.redeliver.outputs.redelivered }}
        run: printf 'outcome=%%s\nfailed=%%s\nredelivered=%%s\n' "$OUTCOME" "$FAILED" "$REDELIVERED" > "$GITHUB_WORKSPACE/act-leg-$NAME.txt"
`

// TestActMatrix runs the plan-then-matrix workflow under act against an App
// installed on three organizations: acme with two webhooks, widgets with
// one, and parts, whose installation lacks the Webhooks permission. The plan
// reports parts and plans a leg each for acme and widgets; every leg
// redelivers exactly its own webhooks' failures with its own installation's
// token and saves its own checkpoints in its organization's variables; the
// missing permission fails no leg.
func TestActMatrix(t *testing.T) {
	requireTools(t)
	key, keyPEM := newKey(t)
	runID := randomHex(t, 6)

	fake := newFake(t, &key.PublicKey)
	granted := map[string]string{"organization_hooks": "write", "organization_actions_variables": "write", "metadata": "read"}
	installations := map[string]int64{"acme": 601, "widgets": 602, "parts": 603}
	fake.AddInstallation(fakegithub.Installation{ID: 601, AppID: appID, Account: "acme", Permissions: granted})
	fake.AddInstallation(fakegithub.Installation{ID: 602, AppID: appID, Account: "widgets", Permissions: granted})
	fake.AddInstallation(fakegithub.Installation{ID: 603, AppID: appID, Account: "parts",
		Permissions: map[string]string{"organization_actions_variables": "write", "metadata": "read"}})

	hooks := []fakegithub.HookRef{
		fakegithub.OrgHook("acme", 71), fakegithub.OrgHook("acme", 72),
		fakegithub.OrgHook("widgets", 81), fakegithub.OrgHook("parts", 91),
	}
	wantByHook := map[int64][]string{}
	for _, h := range hooks {
		addTo(fake, h, fmt.Sprintf("%d-ok", h.ID), 3*time.Hour, false, 200)
		for i := range 2 {
			guid := fmt.Sprintf("%d-failed-%d", h.ID, i)
			addTo(fake, h, guid, time.Duration(120-i*10)*time.Minute, false, 503)
			if h.Org != "parts" {
				wantByHook[h.ID] = append(wantByHook[h.ID], guid)
			}
		}
		addTo(fake, h, fmt.Sprintf("%d-recent", h.ID), 5*time.Minute, false, 200)
	}

	dir := checkout(t, pointAt(t, *image), fmt.Sprintf(matrixWorkflow, runID))
	r := runAct(t, dir, runID, fake, keyPEM)
	t.Logf("act ran the plan and its matrix in %s, exit %d", r.took.Round(time.Millisecond), r.code)
	checkLog(t, r, keyPEM)

	// The plan: two legs, parts reported.
	var plan struct{ matrix, count, summary string }
	legs := map[string]string{} // leg name → job result
	for _, e := range r.entries {
		switch {
		case e.JobID == "plan" && e.Command == "set-output" && e.Name == "matrix":
			plan.matrix = e.Arg
		case e.JobID == "plan" && e.Command == "set-output" && e.Name == "count":
			plan.count = e.Arg
		case e.JobID == "plan" && e.Command == "summary":
			plan.summary += e.Content
		case e.JobID == "redeliver" && e.JobResult != "":
			legs[fmt.Sprint(e.Matrix["name"])] = e.JobResult
		}
	}
	if plan.count != "2" {
		t.Errorf("the plan's count = %q, want 2", plan.count)
	}
	for _, w := range []string{"| `acme` | acme (installation 601) | 2 |", "| `widgets` | widgets (installation 602) | 1 |",
		"org parts: installation 603 on parts was not granted the organization permission Webhooks: read and write"} {
		if !strings.Contains(plan.summary, w) {
			t.Errorf("the plan's summary lacks %q:\n%s", w, plan.summary)
		}
	}
	if strings.Contains(plan.matrix, "ghs_") || strings.Contains(plan.matrix, "PRIVATE KEY") {
		t.Error("the matrix output holds a secret")
	}
	if diff := cmp.Diff(map[string]string{"acme": "success", "widgets": "success"}, legs); diff != "" {
		t.Errorf("legs' job results (-want +got):\n%s", diff)
	}

	// Each leg: its own webhooks' failures, each once, with its own token.
	got := map[int64][]string{}
	for _, rd := range fake.Redeliveries() {
		got[rd.Hook.ID] = append(got[rd.Hook.ID], rd.GUID)
	}
	for id := range got {
		slices.Sort(got[id])
	}
	if diff := cmp.Diff(wantByHook, got); diff != "" {
		t.Errorf("redeliveries by webhook (-want +got):\n%s", diff)
	}
	for _, req := range fake.Requests() {
		seg := strings.Split(req.Path, "/")
		if req.Method != "GET" && len(seg) > 2 && seg[1] == "orgs" && req.Installation != installations[seg[2]] {
			t.Errorf("%s %s was sent with installation %d's token, want %s's own (%d)", req.Method, req.Path, req.Installation, seg[2], installations[seg[2]])
		}
	}
	for _, h := range hooks[:3] {
		name := checkpoint.DefaultName(strconv.Itoa(appID), h.Org, "", "", h.ID)
		v, vis, ok := fake.OrgVariable(h.Org, name)
		if !ok || vis != "selected" {
			t.Errorf("no checkpoint %s among %s's variables visible to no repository (found %t, visibility %q)", name, h.Org, ok, vis)
			continue
		}
		if _, err := checkpoint.Parse(v); err != nil {
			t.Errorf("checkpoint %s: %v", name, err)
		}
	}
	if names := fake.OrgVariables("parts"); len(names) != 0 {
		t.Errorf("parts has checkpoints %v, but no leg", names)
	}

	// What each leg read of its own outputs.
	for name, want := range map[string]string{"acme": "outcome=success\nfailed=4\nredelivered=4\n", "widgets": "outcome=success\nfailed=2\nredelivered=2\n"} {
		b, err := os.ReadFile(filepath.Join(dir, "act-leg-"+name+".txt"))
		if err != nil {
			t.Errorf("leg %s wrote no record: %v", name, err)
			continue
		}
		if string(b) != want {
			t.Errorf("leg %s read its outputs as %q, want %q", name, b, want)
		}
	}
	t.Logf("legs: %v; redeliveries by webhook: %v", legs, got)
}
