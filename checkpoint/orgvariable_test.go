package checkpoint

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

// orgClient is a client of fake with an installation token of acme granted
// perms.
func orgClient(t *testing.T, fake *fakegithub.Server, token string, perms map[string]string) *github.Client {
	t.Helper()
	fake.AddToken(token, fakegithub.Credential{Kind: "installation", Owners: []string{"acme"}, Permissions: perms})
	c, err := github.NewClient(&http.Client{Timeout: 10 * time.Second}).WithAuthToken(token).WithEnterpriseURLs(fake.URL(), fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An organization's variables hold a checkpoint and its ledger as a
// repository's do: the same values, the same requests, created visible to
// no repository.
func TestOrgVariableRoundTrip(t *testing.T) {
	t.Parallel()
	fake, vc, _ := newVariableFake(t, nil)
	c := orgClient(t, fake, "ghs_orgVariablesTestToken000000000000000", map[string]string{"organization_actions_variables": "write"})
	v := NewOrgVariable(c, "acme", varName)
	if got, want := v.String(), "variable "+varName+" in organization acme"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	ctx := t.Context()
	if _, found, err := v.Load(ctx); err != nil || found {
		t.Fatalf("Load of nothing: found %t, %v", found, err)
	}
	st := State{Checkpoint: testCP, Ledger: fullLedger()}
	if err := v.Save(ctx, st); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{varName, varState} {
		if _, vis, ok := fake.OrgVariable("acme", name); !ok || vis != "selected" {
			t.Errorf("%s: stored %t, visibility %q; want it stored, visible to no repository", name, ok, vis)
		}
	}
	if val, _, _ := fake.OrgVariable("acme", varName); val != st.Encode() {
		t.Errorf("checkpoint %q, want %q as a repository variable holds it", val, st.Encode())
	}
	vc.Advance(time.Minute)
	again := NewOrgVariable(c, "acme", varName)
	got, found, err := again.Load(ctx)
	if err != nil || !found {
		t.Fatalf("Load: found %t, %v", found, err)
	}
	if !got.Checkpoint.Equal(testCP) || got.Ledger == nil || got.Note != "" {
		t.Errorf("loaded %v with ledger %v, note %q", got.Checkpoint, got.Ledger != nil, got.Note)
	}
	// Nothing left in play: the ledger variable is deleted, the checkpoint
	// updated in place.
	if err := again.Save(ctx, State{Checkpoint: testCP.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{varName}, fake.OrgVariables("acme")); diff != "" {
		t.Errorf("variables left (-want +got):\n%s", diff)
	}
	if _, ok := fake.Variable("acme", "ops", varName); ok {
		t.Error("the checkpoint landed in a repository")
	}
}

// Without the organization permission Variables, the error names it.
func TestOrgVariableNeedsItsPermission(t *testing.T) {
	t.Parallel()
	fake, _, _ := newVariableFake(t, nil)
	c := orgClient(t, fake, "ghs_hooksOnlyTestToken000000000000000000", map[string]string{"organization_hooks": "write"})
	_, _, err := NewOrgVariable(c, "acme", varName).Load(t.Context())
	if err == nil || !strings.Contains(err.Error(), "organization permission Variables: read") {
		t.Errorf("err = %v, want it to name the organization permission Variables: read", err)
	}
}
