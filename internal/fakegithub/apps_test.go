package fakegithub

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

// appServer has App 10 installed on org acme (all repositories) and on user
// alice (one repository), and App 20 on org other.
func appServer(t *testing.T) (*Server, *github.Client, *clock.Virtual) {
	t.Helper()
	s, vc := newServer(t, Options{PathPrefix: "/api/v3"})
	k := key(t, testKey)
	s.AddApp(10, "Iv23liTEN", &k.PublicKey)
	s.AddApp(20, "Iv23liTWENTY", &k.PublicKey)
	s.AddInstallation(Installation{ID: 100, AppID: 10, Account: "acme", Permissions: map[string]string{
		"organization_hooks": "write", "repository_hooks": "read", "actions_variables": "write", "contents": "write", "metadata": "read",
	}})
	s.AddInstallation(Installation{ID: 101, AppID: 10, Account: "alice", AccountType: "User", Repositories: []string{"alice/site"},
		Permissions: map[string]string{"repository_hooks": "write", "metadata": "read"}})
	s.AddInstallation(Installation{ID: 200, AppID: 20, Account: "other", Permissions: map[string]string{"organization_hooks": "write"}})
	return s, newClient(t, s, appJWT(t, k, "10", vc.Now())), vc
}

func TestFindInstallation(t *testing.T) {
	t.Parallel()
	s, c, _ := appServer(t)
	tests := []struct {
		name    string
		find    func() (*github.Installation, *github.Response, error)
		wantID  int64
		wantSel string
	}{
		{name: "org", find: func() (*github.Installation, *github.Response, error) {
			return c.Apps.FindOrganizationInstallation(t.Context(), "ACME")
		}, wantID: 100, wantSel: "all"},
		{name: "repo of all-repos installation", find: func() (*github.Installation, *github.Response, error) {
			return c.Apps.FindRepositoryInstallation(t.Context(), "acme", "anything")
		}, wantID: 100, wantSel: "all"},
		{name: "selected repo", find: func() (*github.Installation, *github.Response, error) {
			return c.Apps.FindRepositoryInstallation(t.Context(), "alice", "site")
		}, wantID: 101, wantSel: "selected"},
		{name: "repo not selected", find: func() (*github.Installation, *github.Response, error) {
			return c.Apps.FindRepositoryInstallation(t.Context(), "alice", "secret")
		}},
		{name: "user is not an org", find: func() (*github.Installation, *github.Response, error) {
			return c.Apps.FindOrganizationInstallation(t.Context(), "alice")
		}},
		{name: "another app's installation", find: func() (*github.Installation, *github.Response, error) {
			return c.Apps.FindOrganizationInstallation(t.Context(), "other")
		}},
		{name: "not installed", find: func() (*github.Installation, *github.Response, error) {
			return c.Apps.FindOrganizationInstallation(t.Context(), "nobody")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, resp, err := tc.find()
			if tc.wantID == 0 {
				var er *github.ErrorResponse
				if !errors.As(err, &er) || resp.StatusCode != http.StatusNotFound || er.Message != "Not Found" || er.DocumentationURL == "" {
					t.Errorf("err = %v, want 404 Not Found", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("finding installation: %v", err)
			}
			if in.GetID() != tc.wantID || in.GetAppID() != 10 || in.GetRepositorySelection() != tc.wantSel ||
				in.GetAccount().GetID() == 0 || in.GetAccessTokensURL() != s.URL()+"app/installations/"+itoa64(tc.wantID)+"/access_tokens" {
				t.Errorf("installation = %v", in)
			}
		})
	}
}

func TestCreateInstallationToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		id         int64
		opts       *github.InstallationTokenOptions
		wantStatus int
		wantMsg    string
		wantSel    string
		wantPerms  map[string]string
	}{
		{name: "all", id: 100, wantStatus: 201, wantSel: "all", wantPerms: map[string]string{
			"organization_hooks": "write", "repository_hooks": "read", "actions_variables": "write", "contents": "write", "metadata": "read",
		}},
		{name: "narrowed", id: 100, opts: &github.InstallationTokenOptions{
			Repositories: []string{"api"},
			Permissions:  &github.InstallationPermissions{OrganizationHooks: github.String("read")},
		}, wantStatus: 201, wantSel: "selected", wantPerms: map[string]string{"organization_hooks": "read"}},
		{name: "by repository id", id: 101, opts: &github.InstallationTokenOptions{RepositoryIDs: []int64{RepoID("alice/site")}}, wantStatus: 201, wantSel: "selected",
			wantPerms: map[string]string{"repository_hooks": "write", "metadata": "read"}},
		{name: "permission not granted", id: 100, opts: &github.InstallationTokenOptions{
			Permissions: &github.InstallationPermissions{Administration: github.String("read")},
		}, wantStatus: 422, wantMsg: "The permissions requested are not granted to this installation."},
		{name: "level not granted", id: 100, opts: &github.InstallationTokenOptions{
			Permissions: &github.InstallationPermissions{RepositoryHooks: github.String("write")},
		}, wantStatus: 422, wantMsg: "The permissions requested are not granted to this installation."},
		{name: "repository outside installation", id: 101, opts: &github.InstallationTokenOptions{Repositories: []string{"secret"}}, wantStatus: 422},
		{name: "unknown repository id", id: 101, opts: &github.InstallationTokenOptions{RepositoryIDs: []int64{12345}}, wantStatus: 422},
		{name: "another app's installation", id: 200, wantStatus: 404},
		{name: "no such installation", id: 999, wantStatus: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c, _ := appServer(t)
			tok, resp, err := c.Apps.CreateInstallationToken(t.Context(), tc.id, tc.opts)
			if resp == nil || resp.StatusCode != tc.wantStatus {
				t.Fatalf("err = %v, want status %d", err, tc.wantStatus)
			}
			if tc.wantStatus != 201 {
				var er *github.ErrorResponse
				if !errors.As(err, &er) || (tc.wantMsg != "" && er.Message != tc.wantMsg) {
					t.Errorf("err = %v, want message %q", err, tc.wantMsg)
				}
				return
			}
			if !strings.HasPrefix(tok.GetToken(), "ghs_") || len(tok.GetToken()) != 40 || !tok.GetExpiresAt().Time.Equal(start.Add(time.Hour)) ||
				(len(tok.Repositories) > 0) != (tc.wantSel == "selected") {
				t.Errorf("token = %v", tok)
			}
			got := map[string]string{}
			p := tok.GetPermissions()
			for k, v := range map[string]*string{
				"organization_hooks": p.OrganizationHooks, "repository_hooks": p.RepositoryHooks, "contents": p.Contents, "metadata": p.Metadata,
			} {
				if v != nil {
					got[k] = *v
				}
			}
			want := map[string]string{}
			for k, v := range tc.wantPerms {
				if k != "actions_variables" { // go-github v62 has no field for it
					want[k] = v
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("permissions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstallationTokenWorks(t *testing.T) {
	t.Parallel()
	s, c, vc := appServer(t)
	s.AddHook(OrgHook("acme", 1))
	s.AddHook(RepoHook("acme", "api", 2))
	s.AddHook(RepoHook("acme", "web", 3))
	tok, _, err := c.Apps.CreateInstallationToken(t.Context(), 100, &github.InstallationTokenOptions{Repositories: []string{"api"}})
	if err != nil {
		t.Fatalf("minting token: %v", err)
	}
	ic := newClient(t, s, tok.GetToken())
	if _, _, err := ic.Organizations.ListHookDeliveries(t.Context(), "acme", 1, nil); err != nil {
		t.Errorf("org hook deliveries: %v", err)
	}
	if _, _, err := ic.Repositories.ListHookDeliveries(t.Context(), "acme", "api", 2, nil); err != nil {
		t.Errorf("selected repo: %v", err)
	}
	_, resp, _ := ic.Repositories.ListHookDeliveries(t.Context(), "acme", "web", 3, nil)
	if resp == nil || resp.StatusCode != 404 {
		t.Errorf("repo outside the token: want 404")
	}
	_, resp, _ = ic.Organizations.ListHookDeliveries(t.Context(), "other", 1, nil)
	if resp == nil || resp.StatusCode != 404 {
		t.Errorf("other account: want 404")
	}
	if got := s.Requests()[len(s.Requests())-1]; got.Credential != "token:ghs_…" || got.Installation != 100 {
		t.Errorf("credential label = %q, installation %d; want token:ghs_… of installation 100", got.Credential, got.Installation)
	}
	// Tokens live an hour of GitHub time.
	vc.Advance(time.Hour)
	_, resp, _ = ic.Organizations.ListHookDeliveries(t.Context(), "acme", 1, nil)
	if resp == nil || resp.StatusCode != 401 {
		t.Errorf("expired token: want 401")
	}
}

// GET /app/installations lists the calling App's installations only, paged
// by number with GitHub's Link header, with their permissions as granted.
func TestListInstallations(t *testing.T) {
	t.Parallel()
	s, c, _ := appServer(t)
	for i := range int64(3) {
		s.AddInstallation(Installation{ID: 110 + i, AppID: 10, Account: "org" + itoa64(i), Permissions: map[string]string{"metadata": "read"}, Suspended: i == 2})
	}
	var got []int64
	var pages int
	opts := &github.ListOptions{PerPage: 2}
	for {
		ins, resp, err := c.Apps.ListInstallations(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, in := range ins {
			got = append(got, in.GetID())
			if in.GetAppID() != 10 || in.GetAccount().GetLogin() == "" || in.GetTargetType() == "" || in.GetRepositorySelection() == "" {
				t.Errorf("installation %d lacks fields: %v", in.GetID(), in)
			}
			if (in.GetID() == 112) != (in.SuspendedAt != nil) {
				t.Errorf("installation %d: suspended_at %v", in.GetID(), in.SuspendedAt)
			}
		}
		if pages == 1 && !strings.Contains(resp.Header.Get("Link"), `rel="last"`) {
			t.Errorf("first page's Link = %q, want next and last", resp.Header.Get("Link"))
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if diff := cmp.Diff([]int64{100, 101, 110, 111, 112}, got); diff != "" {
		t.Errorf("installations (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("%d pages of 2, want 3", pages)
	}
	// per_page is capped at 100, and the permissions are the installation's.
	ins, _, err := c.Apps.ListInstallations(t.Context(), &github.ListOptions{PerPage: 500})
	if err != nil || len(ins) != 5 {
		t.Fatalf("per_page 500: %d installations, %v", len(ins), err)
	}
	if p := ins[0].GetPermissions(); p.GetOrganizationHooks() != "write" || p.GetContents() != "write" {
		t.Errorf("installation 100's permissions = %v", p)
	}
	// A suspended installation gets no token.
	_, resp, err := c.Apps.CreateInstallationToken(t.Context(), 112, nil)
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("token for a suspended installation: %v, want 403", err)
	}
	// An installation token cannot list installations.
	tok, _, err := c.Apps.CreateInstallationToken(t.Context(), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, resp, _ = newClient(t, s, tok.GetToken()).Apps.ListInstallations(t.Context(), nil)
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("listing with an installation token: want 401")
	}
}
