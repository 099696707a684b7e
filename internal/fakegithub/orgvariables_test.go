package fakegithub

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

func TestOrgVariablesLifecycle(t *testing.T) {
	t.Parallel()
	s, vc := newServer(t, Options{PathPrefix: "/api/v3"})
	c := newClient(t, s, addToken(s, "ghs_orgvars", Credential{Kind: "installation", Owners: []string{"acme"},
		Permissions: map[string]string{"organization_actions_variables": "write"}}))
	ctx := t.Context()
	var er *github.ErrorResponse

	if _, resp, err := c.Actions.GetOrgVariable(ctx, "acme", "CP"); !errors.As(err, &er) || resp.StatusCode != 404 {
		t.Fatalf("missing variable: %v, want 404", err)
	}
	// visibility is required on create.
	if resp, err := c.Actions.CreateOrgVariable(ctx, "acme", &github.ActionsVariable{Name: "CP", Value: "1"}); !errors.As(err, &er) || resp.StatusCode != 422 {
		t.Errorf("create without visibility: %v, want 422", err)
	}
	sel := github.String("selected")
	if _, err := c.Actions.CreateOrgVariable(ctx, "acme", &github.ActionsVariable{Name: "cp", Value: "1", Visibility: sel, SelectedRepositoryIDs: &github.SelectedRepoIDs{}}); err != nil {
		t.Fatalf("create: %v", err)
	}
	if resp, err := c.Actions.CreateOrgVariable(ctx, "ACME", &github.ActionsVariable{Name: "CP", Value: "2", Visibility: sel}); !errors.As(err, &er) || resp.StatusCode != 409 {
		t.Errorf("create twice: %v, want 409", err)
	}
	vc.Advance(time.Minute)
	if _, err := c.Actions.UpdateOrgVariable(ctx, "acme", &github.ActionsVariable{Name: "CP", Value: "3"}); err != nil {
		t.Fatalf("update: %v", err)
	}
	v, _, err := c.Actions.GetOrgVariable(ctx, "acme", "Cp")
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "CP" || v.Value != "3" || v.GetVisibility() != "selected" || !v.GetUpdatedAt().Time.Equal(start.Add(time.Minute)) {
		t.Errorf("variable = %+v", v)
	}
	if val, vis, ok := s.OrgVariable("ACME", "cp"); !ok || val != "3" || vis != "selected" {
		t.Errorf("OrgVariable = %q, %q, %t", val, vis, ok)
	}
	// A repository variable of the same name is another variable.
	if _, ok := s.Variable("acme", "ops", "CP"); ok {
		t.Error("an organization variable shows as a repository variable")
	}
	if _, err := c.Actions.DeleteOrgVariable(ctx, "acme", "CP"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if names := s.OrgVariables("acme"); len(names) != 0 {
		t.Errorf("left %v", names)
	}
}

func TestOrgVariablesNeedTheirPermission(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	tests := []struct {
		name string
		cred Credential
		want int
	}{
		{"installation with read only", Credential{Kind: "installation", Owners: []string{"acme"}, Permissions: map[string]string{"organization_actions_variables": "read"}}, 403},
		{"repository variables are another permission", Credential{Kind: "installation", Owners: []string{"acme"}, Permissions: map[string]string{"actions_variables": "write"}}, 403},
		{"another organization's installation", Credential{Kind: "installation", Owners: []string{"other"}, Permissions: map[string]string{"organization_actions_variables": "write"}}, 404},
		{"classic without admin:org", Credential{Kind: "classic", Scopes: []string{"repo"}}, 404},
		{"classic with admin:org", Credential{Kind: "classic", Scopes: []string{"admin:org"}}, 201},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, s, addToken(s, "tok"+itoa64(int64(i)), tt.cred))
			resp, _ := c.Actions.CreateOrgVariable(t.Context(), "acme", &github.ActionsVariable{Name: "V" + itoa64(int64(i)), Value: "1", Visibility: github.String("private")})
			if resp == nil || resp.StatusCode != tt.want {
				t.Errorf("status %v, want %d", resp, tt.want)
			}
		})
	}
}
