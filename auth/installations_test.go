package auth

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

const testAppID = "123"

// fakeGitHub serves the App endpoints the Installations use, mounted under
// /api/v3/ as on Enterprise Server, so a hard-coded absolute URL fails the
// test. Any request it does not expect fails the test too.
type fakeGitHub struct {
	t   *testing.T
	vc  *clock.Virtual
	pub *rsa.PublicKey
	// installs maps "orgs/{org}" and "repos/{owner}/{repo}" (lower case)
	// to installation ids; ids lists every installation that exists.
	installs map[string]int64
	ids      map[int64]bool
	// deny answers token creation with 422, as GitHub does for
	// permissions the installation was not granted.
	deny bool
	// suspended answers token creation with 403, as GitHub does for a
	// suspended installation.
	suspended bool
	// expire is how many of the next App-JWT requests are refused as
	// expired, whatever the JWT says, as GitHub does when its clock has
	// passed exp.
	expire int

	mu      sync.Mutex
	lookups map[string]int
	mints   []mintCall
	issued  map[string]time.Time // token → expiry
	masked  map[string]bool      // tokens onMint has seen
	minted  []string             // onMint's calls, in order
	revoked map[string]bool
	used    []string // tokens presented to the hooks endpoints, in order
}

// mintCall is what the Installations asked for in one token request.
type mintCall struct {
	Installation int64
	Repositories []string
	Permissions  map[string]string
}

func newFakeGitHub(t *testing.T, vc *clock.Virtual, pub *rsa.PublicKey) (*fakeGitHub, *httptest.Server) {
	t.Helper()
	f := &fakeGitHub{
		t:   t,
		vc:  vc,
		pub: pub,
		installs: map[string]int64{
			"orgs/acme":        11,
			"repos/octo/hooks": 22,
		},
		ids:     map[int64]bool{11: true, 22: true, 99: true},
		lookups: make(map[string]int),
		issued:  make(map[string]time.Time),
		masked:  make(map[string]bool),
		revoked: make(map[string]bool),
	}
	api := http.NewServeMux()
	api.HandleFunc("GET /orgs/{org}/installation", f.installation)
	api.HandleFunc("GET /repos/{owner}/{repo}/installation", f.installation)
	api.HandleFunc("POST /app/installations/{id}/access_tokens", f.accessToken)
	api.HandleFunc("GET /orgs/{org}/hooks", f.hooks)
	api.HandleFunc("GET /repos/{owner}/{repo}/hooks", f.hooks)
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		writeJSON(w, http.StatusNotFound, githubError("Not Found"))
	})
	root := http.NewServeMux()
	root.Handle("/api/v3/", http.StripPrefix("/api/v3", api))
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside /api/v3/: %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	ts := httptest.NewServer(root)
	t.Cleanup(ts.Close)
	return f, ts
}

// appAuthorized checks the App JWT on GitHub's (the virtual) clock and answers
// 401 as GitHub does when it is wrong.
func (f *fakeGitHub) appAuthorized(w http.ResponseWriter, r *http.Request) bool {
	setDate(w, f.vc.Now())
	tok, ok := bearer(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, githubError("Requires authentication"))
		return false
	}
	if _, err := verifyJWT(tok, f.pub, testAppID, f.vc.Now()); err != nil {
		writeJSON(w, http.StatusUnauthorized, githubError(msgDecode))
		return false
	}
	f.mu.Lock()
	expire := f.expire > 0
	if expire {
		f.expire--
	}
	f.mu.Unlock()
	if expire {
		writeJSON(w, http.StatusUnauthorized, githubError(msgExpired))
		return false
	}
	return true
}

func (f *fakeGitHub) installation(w http.ResponseWriter, r *http.Request) {
	if !f.appAuthorized(w, r) {
		return
	}
	key := "orgs/" + r.PathValue("org")
	account, kind := r.PathValue("org"), "Organization"
	if r.PathValue("repo") != "" {
		key = "repos/" + r.PathValue("owner") + "/" + r.PathValue("repo")
		account = r.PathValue("owner")
	}
	key = strings.ToLower(key)
	f.mu.Lock()
	f.lookups[key]++
	id, ok := f.installs[key]
	f.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, githubError("Not Found"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":                   id,
		"account":              map[string]any{"login": account, "id": 1000 + id, "type": kind},
		"app_id":               123,
		"app_slug":             "hook-redeliver",
		"target_id":            1000 + id,
		"target_type":          kind,
		"repository_selection": "selected",
		"permissions":          map[string]string{"metadata": "read", "organization_hooks": "write", "repository_hooks": "write"},
		"events":               []string{},
		"created_at":           "2025-01-02T03:04:05Z",
		"updated_at":           "2025-01-02T03:04:05Z",
	})
}

func (f *fakeGitHub) accessToken(w http.ResponseWriter, r *http.Request) {
	if !f.appAuthorized(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		f.t.Errorf("installation id %q: %v", r.PathValue("id"), err)
	}
	var body struct {
		Repositories []string          `json:"repositories"`
		Permissions  map[string]string `json:"permissions"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		f.t.Errorf("token request body: %v", err)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.mints = append(f.mints, mintCall{Installation: id, Repositories: body.Repositories, Permissions: body.Permissions})
	switch {
	case !f.ids[id]:
		writeJSON(w, http.StatusNotFound, githubError("Not Found"))
		return
	case f.deny:
		writeJSON(w, http.StatusUnprocessableEntity, githubError("The permissions requested are not granted to this installation."))
		return
	case f.suspended:
		writeJSON(w, http.StatusForbidden, githubError("This installation has been suspended"))
		return
	}
	tok := fmt.Sprintf("ghs_%036d", len(f.mints))
	expires := f.vc.Now().Add(time.Hour).UTC().Truncate(time.Second)
	f.issued[tok] = expires
	selection := "all"
	if len(body.Repositories) > 0 {
		selection = "selected"
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":                tok,
		"expires_at":           expires.Format(time.RFC3339),
		"permissions":          body.Permissions,
		"repository_selection": selection,
	})
}

// hooks stands for any API the installation token is used on. It checks
// that the token was handed to onMint (masked) before it was first used.
func (f *fakeGitHub) hooks(w http.ResponseWriter, r *http.Request) {
	setDate(w, f.vc.Now())
	tok, _ := bearer(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.used = append(f.used, tok)
	expires, ok := f.issued[tok]
	switch {
	case !ok, f.revoked[tok], !f.vc.Now().Before(expires):
		writeJSON(w, http.StatusUnauthorized, githubError("Bad credentials"))
		return
	case !f.masked[tok]:
		f.t.Errorf("token %d used before onMint saw it", len(f.minted)+1)
	}
	writeJSON(w, http.StatusOK, []any{})
}

// onMint is the Installations' callback: it records the token as masked.
func (f *fakeGitHub) onMint(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.masked[tok] = true
	f.minted = append(f.minted, tok)
}

// newInstallations wires an App signing with key to an Installations that
// talks to ts, as main does.
func newInstallations(t *testing.T, f *fakeGitHub, ts *httptest.Server, key *rsa.PrivateKey) *Installations {
	t.Helper()
	srv := clock.NewServer(f.vc)
	app, err := NewApp(testAppID, key, srv)
	if err != nil {
		t.Fatal(err)
	}
	client, err := github.NewClient(&http.Client{Transport: app.RoundTripper(ts.Client().Transport)}).
		WithEnterpriseURLs(ts.URL+"/api/v3/", ts.URL+"/api/v3/")
	if err != nil {
		t.Fatal(err)
	}
	return NewInstallations(client, srv, f.onMint, WithAppID(app.id))
}

// hooksPath is the fake endpoint a scope's token is used on.
func hooksPath(s Scope) string {
	if s.Repo != "" {
		return "/api/v3/repos/" + s.Owner + "/" + s.Repo + "/hooks"
	}
	if s.Org != "" {
		return "/api/v3/orgs/" + s.Org + "/hooks"
	}
	return "/api/v3/orgs/acme/hooks"
}

// get sends one GET through rt and returns the status.
func get(t *testing.T, rt http.RoundTripper, url string) (int, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func TestInstallations(t *testing.T) {
	t.Parallel()
	key := newKey(t)

	cases := []struct {
		name        string
		scope       Scope
		wantLookups map[string]int
		wantMints   []mintCall
	}{
		{
			name:        "organization",
			scope:       Scope{Org: "acme", Permissions: Permissions{"organization_hooks": "write"}},
			wantLookups: map[string]int{"orgs/acme": 1},
			wantMints:   []mintCall{{Installation: 11, Permissions: map[string]string{"organization_hooks": "write"}}},
		},
		{
			name:        "repository is restricted to itself",
			scope:       Scope{Owner: "octo", Repo: "hooks", Permissions: Permissions{"repository_hooks": "write"}},
			wantLookups: map[string]int{"repos/octo/hooks": 1},
			wantMints: []mintCall{{Installation: 22, Repositories: []string{"hooks"},
				Permissions: map[string]string{"repository_hooks": "write"}}},
		},
		{
			name: "installation id skips the lookup",
			scope: Scope{Org: "acme", InstallationID: 99,
				Permissions: Permissions{"organization_hooks": "read"}},
			wantLookups: map[string]int{},
			wantMints:   []mintCall{{Installation: 99, Permissions: map[string]string{"organization_hooks": "read"}}},
		},
		{
			name: "installation id with a repository",
			scope: Scope{Owner: "octo", Repo: "hooks", InstallationID: 99,
				Permissions: Permissions{"actions_variables": "write", "contents": "write"}},
			wantLookups: map[string]int{},
			wantMints: []mintCall{{Installation: 99, Repositories: []string{"hooks"},
				Permissions: map[string]string{"actions_variables": "write", "contents": "write"}}},
		},
		{
			name:        "no permissions asks for the installation's",
			scope:       Scope{Org: "acme"},
			wantLookups: map[string]int{"orgs/acme": 1},
			wantMints:   []mintCall{{Installation: 11}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, ts := newFakeGitHub(t, clock.NewVirtual(start), &key.PublicKey)
			inst := newInstallations(t, f, ts, key)
			rt := inst.RoundTripper(tc.scope, ts.Client().Transport)

			for i := range 3 {
				status, err := get(t, rt, ts.URL+hooksPath(tc.scope))
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if status != http.StatusOK {
					t.Fatalf("request %d: status %d", i, status)
				}
			}

			f.mu.Lock()
			defer f.mu.Unlock()
			if diff := cmp.Diff(tc.wantLookups, f.lookups); diff != "" {
				t.Errorf("installation lookups (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantMints, f.mints); diff != "" {
				t.Errorf("token requests (-want +got):\n%s", diff)
			}
			if len(f.minted) != 1 {
				t.Fatalf("onMint called %d times, want 1", len(f.minted))
			}
			want := []string{f.minted[0], f.minted[0], f.minted[0]}
			if diff := cmp.Diff(want, f.used); diff != "" {
				t.Errorf("tokens used (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstallationsErrors(t *testing.T) {
	t.Parallel()
	key, other := newKey(t), newKey(t)

	cases := []struct {
		name     string
		scope    Scope
		deny     bool
		suspend  bool
		wrongKey bool
		expire   int
		want     []string
		dontWant []string
		notAPI   bool // the error is found before any request
		// reason is the *JWTRejectedError's, for a rejected JWT.
		reason *JWTReason
	}{
		{
			name:  "organization not installed",
			scope: Scope{Org: "nobody", Permissions: Permissions{"organization_hooks": "write"}},
			want: []string{`the GitHub App (app-id 123) is not installed on organization "nobody": ` +
				`install it on that account, or set installation-id`},
		},
		{
			name:  "repository not installed",
			scope: Scope{Owner: "octo", Repo: "private", Permissions: Permissions{"repository_hooks": "write"}},
			want: []string{`the GitHub App (app-id 123) is not installed on repository "octo/private"`,
				"make sure the installation includes that repository", "or set installation-id"},
		},
		{
			name:  "permissions not granted",
			deny:  true,
			scope: Scope{Owner: "octo", Repo: "hooks", Permissions: Permissions{"repository_hooks": "write", "actions_variables": "write"}},
			want: []string{`installation token for repository "octo/hooks"`,
				"with permissions actions_variables: write, repository_hooks: write",
				"grant them in the App's settings", "accept them on the installation",
				"The permissions requested are not granted to this installation."},
		},
		{
			name:    "installation suspended",
			suspend: true,
			scope:   Scope{Org: "acme", Permissions: Permissions{"organization_hooks": "write"}},
			want: []string{`GitHub refused an installation token for organization "acme": installation 11 of the GitHub App (app-id 123) is suspended`,
				"can unsuspend it on the installation's Configure page", "403 This installation has been suspended"},
		},
		{
			name:     "JWT signature rejected",
			wrongKey: true,
			scope:    Scope{Org: "acme"},
			want: []string{`finding the GitHub App installation for organization "acme"`,
				"GitHub could not verify the App JWT: wrong key or app id",
				"check that private-key is a current key of the App that app-id (123) names",
				msgDecode},
			reason: ptr(JWTSignature),
		},
		{
			name:   "JWT expired on the lookup, retry too",
			expire: 2,
			scope:  Scope{Org: "acme"},
			want: []string{`finding the GitHub App installation for organization "acme"`,
				"GitHub judged the App JWT expired even after the action re-minted it on GitHub's clock",
				"the retry did not help", "app-id and private-key are not at fault", msgExpired},
			dontWant: []string{"wrong key or app id"},
			reason:   ptr(JWTExpired),
		},
		{
			name:   "JWT expired on the token request, retry too",
			expire: 2,
			scope:  Scope{Org: "acme", InstallationID: 11},
			want: []string{`creating an installation token for organization "acme"`,
				"GitHub judged the App JWT expired", "the retry did not help", msgExpired},
			dontWant: []string{"wrong key or app id"},
			reason:   ptr(JWTExpired),
		},
		{
			name:  "unknown installation id",
			scope: Scope{Org: "acme", InstallationID: 5},
			want:  []string{"installation 5 of the GitHub App (app-id 123) was not found: check installation-id"},
		},
		{
			name:   "scope with organization and repository",
			scope:  Scope{Org: "acme", Owner: "octo", Repo: "hooks"},
			want:   []string{`scope names both organization "acme" and repository "octo/hooks"`},
			notAPI: true,
		},
		{
			name:   "empty scope",
			scope:  Scope{},
			want:   []string{"scope names no organization, repository or installation"},
			notAPI: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			verifyWith := &key.PublicKey
			if tc.wrongKey {
				verifyWith = &other.PublicKey
			}
			f, ts := newFakeGitHub(t, clock.NewVirtual(start), verifyWith)
			f.deny, f.suspended, f.expire = tc.deny, tc.suspend, tc.expire
			inst := newInstallations(t, f, ts, key)

			status, err := get(t, inst.RoundTripper(tc.scope, ts.Client().Transport), ts.URL+hooksPath(tc.scope))
			if err == nil {
				t.Fatalf("request succeeded with status %d, want an error", status)
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q\ndoes not contain %q", msg, want)
				}
			}
			for _, dont := range tc.dontWant {
				if strings.Contains(msg, dont) {
					t.Errorf("error %q\ncontains %q", msg, dont)
				}
			}
			var rej *JWTRejectedError
			switch got := errors.As(err, &rej); {
			case got != (tc.reason != nil):
				t.Errorf("errors.As(*JWTRejectedError) = %v, want %v", got, tc.reason != nil)
			case got && rej.Reason != *tc.reason:
				t.Errorf("rejection reason = %v, want %v", rej.Reason, *tc.reason)
			}
			noSecrets(t, msg)
			var er *github.ErrorResponse
			if got := errors.As(err, &er); got == tc.notAPI {
				t.Errorf("errors.As(*github.ErrorResponse) = %v, want %v", got, !tc.notAPI)
			}
			// Every answer here is a 4xx: a refusal that sending again
			// cannot change.
			var ref *RefusedError
			if got := errors.As(err, &ref); got == tc.notAPI || got && (ref.Status != er.Response.StatusCode || !ref.Permanent()) {
				t.Errorf("errors.As(*RefusedError) = %v (%+v), want %v with GitHub's status", got, ref, !tc.notAPI)
			}

			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.minted) != 0 || len(f.used) != 0 {
				t.Errorf("onMint called %d times and %d requests sent, want none", len(f.minted), len(f.used))
			}
		})
	}
}

// TestInstallationsJWTExpiredOnce: GitHub refuses the App JWT as expired
// once, on the lookup or on the token request (a POST with a body); the App's
// transport re-mints and retries, and the token is minted as asked.
func TestInstallationsJWTExpiredOnce(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	for _, scope := range []Scope{
		{Org: "acme", Permissions: Permissions{"organization_hooks": "write"}},
		{Owner: "octo", Repo: "hooks", InstallationID: 22, Permissions: Permissions{"repository_hooks": "write"}},
	} {
		t.Run(scope.String(), func(t *testing.T) {
			t.Parallel()
			f, ts := newFakeGitHub(t, clock.NewVirtual(start), &key.PublicKey)
			f.expire = 1
			inst := newInstallations(t, f, ts, key)
			if status, err := get(t, inst.RoundTripper(scope, ts.Client().Transport), ts.URL+hooksPath(scope)); err != nil || status != http.StatusOK {
				t.Fatalf("status %d, error %v", status, err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			id := int64(11)
			var repos []string
			if scope.Repo != "" {
				id, repos = 22, []string{"hooks"}
			}
			want := []mintCall{{Installation: id, Repositories: repos, Permissions: scope.Permissions}}
			if diff := cmp.Diff(want, f.mints); diff != "" {
				t.Errorf("token requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstallationsRemintNearExpiry(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	vc := clock.NewVirtual(start)
	f, ts := newFakeGitHub(t, vc, &key.PublicKey)
	inst := newInstallations(t, f, ts, key)
	scope := Scope{Org: "acme", Permissions: Permissions{"organization_hooks": "write"}}
	rt := inst.RoundTripper(scope, ts.Client().Transport)

	// Minted at 0; 6 minutes left at 54 (kept); 4 left at 56 (replaced).
	// The App JWT has long expired by then, so this also checks that it is
	// re-minted for the second token request.
	for _, step := range []time.Duration{0, 54 * time.Minute, 2 * time.Minute} {
		vc.Advance(step)
		status, err := get(t, rt, ts.URL+hooksPath(scope))
		if err != nil || status != http.StatusOK {
			t.Fatalf("after %v: status %d, error %v", step, status, err)
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.minted) != 2 {
		t.Fatalf("onMint called %d times, want 2", len(f.minted))
	}
	want := []string{f.minted[0], f.minted[0], f.minted[1]}
	if diff := cmp.Diff(want, f.used); diff != "" {
		t.Errorf("tokens used (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"orgs/acme": 1}, f.lookups); diff != "" {
		t.Errorf("installation looked up again (-want +got):\n%s", diff)
	}
}

func TestInstallationsSharing(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	f, ts := newFakeGitHub(t, clock.NewVirtual(start), &key.PublicKey)
	inst := newInstallations(t, f, ts, key)

	// The hook target and the checkpoint live in the same repository; a
	// second transport for the hook scope is built from an equal scope
	// (a different map, different case).
	hook := Scope{Owner: "octo", Repo: "hooks", Permissions: Permissions{"repository_hooks": "write"}}
	checkpoint := Scope{Owner: "octo", Repo: "hooks", Permissions: Permissions{"actions_variables": "write"}}
	hookAgain := Scope{Owner: "Octo", Repo: "Hooks", Permissions: Permissions{"repository_hooks": "write"}}

	for _, s := range []Scope{hook, checkpoint, hookAgain} {
		status, err := get(t, inst.RoundTripper(s, ts.Client().Transport), ts.URL+hooksPath(hook))
		if err != nil || status != http.StatusOK {
			t.Fatalf("%+v: status %d, error %v", s, status, err)
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if diff := cmp.Diff(map[string]int{"repos/octo/hooks": 1}, f.lookups); diff != "" {
		t.Errorf("installation lookups (-want +got):\n%s", diff)
	}
	wantMints := []mintCall{
		{Installation: 22, Repositories: []string{"hooks"}, Permissions: map[string]string{"repository_hooks": "write"}},
		{Installation: 22, Repositories: []string{"hooks"}, Permissions: map[string]string{"actions_variables": "write"}},
	}
	if diff := cmp.Diff(wantMints, f.mints); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
	if len(f.minted) != 2 {
		t.Fatalf("onMint called %d times, want 2", len(f.minted))
	}
	want := []string{f.minted[0], f.minted[1], f.minted[0]}
	if diff := cmp.Diff(want, f.used); diff != "" {
		t.Errorf("tokens used (-want +got):\n%s", diff)
	}
}

func TestInstallationsConcurrent(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	f, ts := newFakeGitHub(t, clock.NewVirtual(start), &key.PublicKey)
	inst := newInstallations(t, f, ts, key)
	scope := Scope{Org: "acme", Permissions: Permissions{"organization_hooks": "write"}}

	var wg sync.WaitGroup
	for range 16 {
		// A transport per goroutine, as separate clients would build them.
		rt := inst.RoundTripper(scope, ts.Client().Transport)
		wg.Go(func() {
			if status, err := get(t, rt, ts.URL+hooksPath(scope)); err != nil || status != http.StatusOK {
				t.Errorf("status %d, error %v", status, err)
			}
		})
	}
	wg.Wait()

	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.mints) != 1 || f.lookups["orgs/acme"] != 1 {
		t.Errorf("%d token requests and %d lookups, want 1 each", len(f.mints), f.lookups["orgs/acme"])
	}
}

func TestInstallationsRevokedToken(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	f, ts := newFakeGitHub(t, clock.NewVirtual(start), &key.PublicKey)
	inst := newInstallations(t, f, ts, key)
	scope := Scope{Owner: "octo", Repo: "hooks"}
	rt := inst.RoundTripper(scope, ts.Client().Transport)
	url := ts.URL + hooksPath(scope)

	if status, err := get(t, rt, url); err != nil || status != http.StatusOK {
		t.Fatalf("first request: status %d, error %v", status, err)
	}
	f.mu.Lock()
	f.revoked[f.minted[0]] = true
	f.mu.Unlock()

	// The 401 reaches the caller; the next request gets a new token.
	if status, err := get(t, rt, url); err != nil || status != http.StatusUnauthorized {
		t.Fatalf("request with the revoked token: status %d, error %v; want 401", status, err)
	}
	if status, err := get(t, rt, url); err != nil || status != http.StatusOK {
		t.Fatalf("request after the 401: status %d, error %v", status, err)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.minted) != 2 {
		t.Errorf("onMint called %d times, want 2", len(f.minted))
	}
}

func TestPermissionsString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   Permissions
		want string
	}{
		{nil, "all of the installation's permissions"},
		{Permissions{"repository_hooks": "write"}, "repository_hooks: write"},
		{Permissions{"repository_hooks": "write", "actions_variables": "write", "contents": "read"},
			"actions_variables: write, contents: read, repository_hooks: write"},
	}
	for _, tc := range cases {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}
