package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

// TestActionWithOnlyAnApp: no personal token at all. The action mints
// installation tokens for the target and for the checkpoint repository
// (another installation here), each with the narrowest permission, masks
// every token it mints before use, and never prints one.
func TestActionWithOnlyAnApp(t *testing.T) {
	t.Parallel()
	app := map[string]string{"app-id": strconv.Itoa(appID), "private-key": keyPEM(testKey())}
	tests := []struct {
		name   string
		hook   fakegithub.HookRef
		inputs map[string]string
		// installation lookups expected, besides the checkpoint's
		lookups []string
	}{
		{"app webhook", fakegithub.AppHook(), app, nil},
		{"org webhook", fakegithub.OrgHook("acme", 77), with(app, "org", "acme", "hook-id", "77"), []string{"/orgs/acme/installation"}},
		{"repo webhook", fakegithub.RepoHook("acme", "shop", 88), with(app, "repository", "acme/shop", "hook-id", "88"), []string{"/repos/acme/shop/installation"}},
		{"org webhook, installation-id given", fakegithub.OrgHook("acme", 77), with(app, "org", "acme", "hook-id", "77", "installation-id", "501"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "/api/v3", fakegithub.Faults{})
			h.fake.AddInstallation(fakegithub.Installation{ID: 501, AppID: appID, Account: "acme",
				Permissions: map[string]string{"organization_hooks": "write", "repository_hooks": "write", "metadata": "read"}})
			// The checkpoint lives with another account's installation.
			h.fake.AddInstallation(fakegithub.Installation{ID: 502, AppID: appID, Account: "ops-team", Repositories: []string{"ops-team/state"},
				Permissions: map[string]string{"actions_variables": "write", "metadata": "read"}})
			h.add(tt.hook, "ok", 50, false, true)
			h.add(tt.hook, "failed", 40, false, false)

			r := h.run(with(tt.inputs, "checkpoint-repository", "ops-team/state"))
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.log)
			}
			if diff := cmp.Diff(map[string]int{"failed": 1}, h.redelivered()); diff != "" {
				t.Errorf("redeliveries (-want +got):\n%s", diff)
			}
			var lookups []string
			for _, req := range h.fake.Requests() {
				if strings.HasSuffix(req.Path, "/installation") {
					lookups = append(lookups, req.Path)
				}
				if req.Status == 401 || req.Status == 403 {
					t.Errorf("%s %s answered %d", req.Method, req.Path, req.Status)
				}
			}
			want := append(append([]string(nil), tt.lookups...), "/repos/ops-team/state/installation")
			if diff := cmp.Diff(want, lookups, sortStrings); diff != "" {
				t.Errorf("installation lookups (-want +got):\n%s", diff)
			}
			// One token per purpose (the hook, the checkpoint), cached for the
			// run; the App's own webhook needs none, it uses the JWT.
			mints := 2
			if tt.hook == fakegithub.AppHook() {
				mints = 1
			}
			if got := h.count("POST", "/app/installations/"); got != mints {
				t.Errorf("minted %d installation tokens, want %d", got, mints)
			}
			if _, ok := h.fake.Variable("ops-team", "state", map[string]string{
				"app webhook": "REDELIVER_APP_123456", "org webhook": "REDELIVER_ORG_ACME_HOOK_77",
				"repo webhook": "REDELIVER_REPO_ACME__SHOP_HOOK_88", "org webhook, installation-id given": "REDELIVER_ORG_ACME_HOOK_77"}[tt.name]); !ok {
				t.Error("checkpoint not saved with the installation token")
			}
			checkMasked(t, r.log)
		})
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

var (
	maskRE  = regexp.MustCompile(`(?m)^::add-mask::(.+)$`)
	tokenRE = regexp.MustCompile(`ghs_[A-Za-z0-9_]+|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
)

// checkMasked: every minted token and JWT was masked, and none appears in
// the log except in its own ::add-mask:: command, which comes first.
func checkMasked(t *testing.T, log string) {
	t.Helper()
	masks := maskRE.FindAllStringSubmatchIndex(log, -1)
	if len(masks) == 0 {
		t.Error("no ::add-mask:: command: minted tokens are not masked")
	}
	maskedAt := map[string]int{}
	for _, m := range masks {
		maskedAt[log[m[2]:m[3]]] = m[0]
	}
	for _, m := range tokenRE.FindAllStringIndex(log, -1) {
		tok := log[m[0]:m[1]]
		at, masked := maskedAt[tok]
		if !masked || at != m[0]-len("::add-mask::") {
			t.Errorf("a token (%.6s…) appears in the log outside its mask command", tok)
		}
	}
}

// TestRefusedInstallationToken: GitHub refuses the installation token a run
// asks for (the installation was granted Webhooks: read, the run needs
// write). The refusal is asked for once, not retried as a network error,
// and the error says what GitHub answered and what to grant.
func TestRefusedInstallationToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	h.fake.AddInstallation(fakegithub.Installation{ID: 501, AppID: appID, Account: "acme",
		Permissions: map[string]string{"organization_hooks": "read", "actions_variables": "write", "metadata": "read"}})
	h.add(fakegithub.OrgHook("acme", 77), "failed", 40, false, false)

	r := h.run(map[string]string{"app-id": strconv.Itoa(appID), "private-key": keyPEM(testKey()), "org": "acme", "hook-id": "77"})
	if r.code != exitFailure {
		t.Errorf("exit %d, want %d", r.code, exitFailure)
	}
	refused := 0
	for _, req := range h.fake.Requests() {
		if req.Method == "POST" && strings.HasPrefix(req.Path, "/app/installations/") && req.Status == 422 {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d token requests refused, want 1: a refusal is not retried", refused)
	}
	for _, want := range []string{
		`::error::organization acme webhook 77: `,
		`GitHub refused an installation token for organization "acme" with permissions organization_hooks: write: grant them in the App's settings (Permissions & events) and accept them on the installation`,
		`422 The permissions requested are not granted to this installation.`,
	} {
		if !strings.Contains(r.log, want) {
			t.Errorf("the log lacks %q:\n%s", want, r.log)
		}
	}
	if strings.Contains(r.log, "network error") {
		t.Errorf("the refusal was taken for a network error:\n%s", r.log)
	}
	if n := len(h.fake.Redeliveries()); n > 0 {
		t.Errorf("%d redeliveries", n)
	}
}
