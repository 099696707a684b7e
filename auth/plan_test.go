package auth

import (
	"fmt"
	"net/http"
	"testing"
)

// TestPlan: which credential serves each purpose, and what an installation
// token is asked for.
func TestPlan(t *testing.T) {
	t.Parallel()
	app, err := NewApp(testAppID, newKey(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	inst := NewInstallations(nil, nil, nil)
	orgHooks := func(access string, id int64) Scope {
		return Scope{Org: "acme", InstallationID: id, Permissions: Permissions{"organization_hooks": access}}
	}
	tests := []struct {
		name                        string
		plan                        Plan
		appHook                     bool
		mints                       bool
		hooks, checkpoint, dispatch string
	}{
		{
			name: "the App's webhook, App only", plan: Plan{App: app, Installations: inst}, appHook: true, mints: true,
			hooks:      "App JWT",
			checkpoint: `installation token for repository "acme/ops" (0): actions_variables: write`,
			dispatch:   `installation token for repository "acme/alerts" (0): contents: write`,
		},
		{
			name: "the App's webhook, App and token", plan: Plan{App: app, Token: "t"}, appHook: true,
			hooks: "App JWT", checkpoint: "token", dispatch: "token",
		},
		{
			name: "an org's webhook, token", plan: Plan{Token: "t", InstallationID: 7},
			hooks: "token", checkpoint: "token", dispatch: "token",
		},
		{
			name: "an org's webhook, App only, installation given", plan: Plan{App: app, Installations: inst, InstallationID: 7}, mints: true,
			hooks:      `installation token for organization "acme" (7): organization_hooks: write`,
			checkpoint: `installation token for repository "acme/ops" (0): actions_variables: write`,
			dispatch:   `installation token for repository "acme/alerts" (0): contents: write`,
		},
		{
			name: "a dry run reads", plan: Plan{App: app, Installations: inst, DryRun: true}, mints: true,
			hooks:      `installation token for organization "acme" (0): organization_hooks: read`,
			checkpoint: `installation token for repository "acme/ops" (0): actions_variables: read`,
			dispatch:   `installation token for repository "acme/alerts" (0): contents: write`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.plan.MintsInstallationTokens(); got != tt.mints {
				t.Errorf("MintsInstallationTokens = %t, want %t", got, tt.mints)
			}
			for _, c := range []struct{ purpose, got, want string }{
				{"hooks", credential(tt.plan.Hooks(tt.appHook, orgHooks, nil)), tt.hooks},
				{"checkpoint", credential(tt.plan.Checkpoint("acme", "ops", nil)), tt.checkpoint},
				{"dispatch", credential(tt.plan.Dispatch("acme", "alerts", nil)), tt.dispatch},
			} {
				if c.got != c.want {
					t.Errorf("%s: %s, want %s", c.purpose, c.got, c.want)
				}
			}
		})
	}
}

// credential says which credential a transport adds.
func credential(rt http.RoundTripper) string {
	switch rt := rt.(type) {
	case *tokenTransport:
		return "token"
	case *appTransport:
		return "App JWT"
	case *installTransport:
		return fmt.Sprintf("installation token for %s (%d): %s", rt.scope, rt.scope.InstallationID, rt.scope.Permissions)
	}
	return fmt.Sprintf("%T", rt)
}

// TestPlanOrgCheckpoint: checkpoints kept in an organization's variables
// take that organization's installation, with the organization permission
// Variables.
func TestPlanOrgCheckpoint(t *testing.T) {
	t.Parallel()
	app, err := NewApp(testAppID, newKey(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	inst := NewInstallations(nil, nil, nil)
	for _, tt := range []struct {
		name string
		plan Plan
		want string
	}{
		{"token", Plan{Token: "t"}, "token"},
		{"installation known", Plan{App: app, Installations: inst, InstallationID: 7}, `installation token for organization "acme" (7): organization_actions_variables: write`},
		{"dry run", Plan{App: app, Installations: inst, DryRun: true}, `installation token for organization "acme" (0): organization_actions_variables: read`},
	} {
		if got := credential(tt.plan.OrgCheckpoint("acme", nil)); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
