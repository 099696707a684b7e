package fakegithub

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-github/v62/github"
)

func TestJWT(t *testing.T) {
	t.Parallel()
	k, other := key(t, testKey), key(t, otherKey)
	now := start
	rs256 := func(claims jwt.MapClaims) func(t *testing.T) string {
		return func(t *testing.T) string { return signJWT(t, k, jwt.SigningMethodRS256, claims) }
	}
	tests := []struct {
		name       string
		offset     time.Duration // Faults.ClockOffset
		token      func(t *testing.T) string
		wantStatus int
		wantMsg    string
	}{
		{name: "app id", token: func(t *testing.T) string { return appJWT(t, k, "1234", now) }, wantStatus: 200},
		{name: "client id", token: func(t *testing.T) string { return appJWT(t, k, "Iv23liTEST", now) }, wantStatus: 200},
		{name: "numeric iss", token: rs256(jwt.MapClaims{"iss": 1234, "iat": now.Unix() - 60, "exp": now.Unix() + 540}), wantStatus: 200},
		{name: "exp exactly 10 minutes", token: rs256(jwt.MapClaims{"iss": "1234", "iat": now.Unix(), "exp": now.Unix() + 600}), wantStatus: 200},
		{name: "unknown iss", token: func(t *testing.T) string { return appJWT(t, k, "999", now) }, wantStatus: 401, wantMsg: msgJWTIntegration},
		{name: "unknown client id", token: func(t *testing.T) string { return appJWT(t, k, "Iv23liNOPE", now) }, wantStatus: 401, wantMsg: msgJWTIntegration},
		{name: "iss neither id nor client id", token: func(t *testing.T) string { return appJWT(t, k, "1234\u200b", now) }, wantStatus: 401, wantMsg: msgJWTIssuer},
		{name: "no iss", token: rs256(jwt.MapClaims{"iat": now.Unix() - 60, "exp": now.Unix() + 540}), wantStatus: 401, wantMsg: msgJWTIssuer},
		{name: "wrong key", token: func(t *testing.T) string { return appJWT(t, other, "1234", now) }, wantStatus: 401, wantMsg: msgJWTDecode},
		{name: "HS256", token: func(t *testing.T) string {
			return signJWT(t, []byte("secret"), jwt.SigningMethodHS256, jwt.MapClaims{"iss": "1234", "iat": now.Unix() - 60, "exp": now.Unix() + 540})
		}, wantStatus: 401, wantMsg: msgJWTDecode},
		{name: "garbage", token: func(*testing.T) string { return "a.b.c" }, wantStatus: 401, wantMsg: msgJWTDecode},
		{name: "a token", token: func(*testing.T) string { return "ghs_notajwt" }, wantStatus: 401, wantMsg: msgJWTDecode},
		{name: "no exp", token: rs256(jwt.MapClaims{"iss": "1234", "iat": now.Unix() - 60}), wantStatus: 401, wantMsg: msgJWTExp},
		{name: "expired", token: rs256(jwt.MapClaims{"iss": "1234", "iat": now.Unix() - 700, "exp": now.Unix() - 1}), wantStatus: 401, wantMsg: msgJWTExp},
		{name: "exp too far", token: rs256(jwt.MapClaims{"iss": "1234", "iat": now.Unix() - 60, "exp": now.Unix() + 601}), wantStatus: 401, wantMsg: msgJWTExpTooFar},
		{name: "exp a string", token: rs256(jwt.MapClaims{"iss": "1234", "iat": now.Unix() - 60, "exp": "soon"}), wantStatus: 401, wantMsg: msgJWTExp},
		{name: "no iat", token: rs256(jwt.MapClaims{"iss": "1234", "exp": now.Unix() + 540}), wantStatus: 401, wantMsg: msgJWTIat},
		{name: "iat in the future", token: rs256(jwt.MapClaims{"iss": "1234", "iat": now.Unix() + 5, "exp": now.Unix() + 540}), wantStatus: 401, wantMsg: msgJWTIat},
		// GitHub's clock runs 2 minutes behind: a JWT minted on the local
		// clock without backdating iat is from GitHub's future.
		{name: "GitHub behind, iat now", offset: -2 * time.Minute, token: rs256(jwt.MapClaims{"iss": "1234", "iat": now.Unix(), "exp": now.Unix() + 300}), wantStatus: 401, wantMsg: msgJWTIat},
		// GitHub's clock runs 5 minutes ahead: the usual 9-minute JWT is
		// still in GitHub's future.
		{name: "GitHub ahead", offset: 5 * time.Minute, token: func(t *testing.T) string { return appJWT(t, k, "1234", now) }, wantStatus: 200},
		// GitHub's clock runs 2 minutes behind: the usual 9-minute JWT
		// minted on the local clock ends too far in GitHub's future.
		{name: "GitHub behind", offset: -2 * time.Minute, token: func(t *testing.T) string { return appJWT(t, k, "1234", now) }, wantStatus: 401, wantMsg: msgJWTExpTooFar},
		{name: "GitHub far ahead", offset: 10 * time.Minute, token: func(t *testing.T) string { return appJWT(t, k, "1234", now) }, wantStatus: 401, wantMsg: msgJWTExp},
		{name: "anonymous", token: func(*testing.T) string { return "" }, wantStatus: 401, wantMsg: msgJWTDecode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newServer(t, Options{Faults: Faults{ClockOffset: tc.offset}})
			s.AddApp(1234, "Iv23liTEST", &k.PublicKey)
			resp, body := do(t, s, "GET", "app/hook/deliveries", tc.token(t), "")
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantMsg != "" && !strings.Contains(body, strconv.Quote(tc.wantMsg)) {
				t.Errorf("body = %s, want message %q", body, tc.wantMsg)
			}
			if tc.wantStatus != 200 && !strings.Contains(body, `"documentation_url":`) {
				t.Errorf("body = %s, want a documentation_url", body)
			}
			want := "app:1234"
			if tc.wantStatus != 200 {
				want = "jwt:invalid"
				if tc.name == "anonymous" {
					want = "none"
				}
			}
			if got := s.Requests()[0].Credential; got != want {
				t.Errorf("recorded credential %q, want %q", got, want)
			}
		})
	}
}

func TestRejectJWTsAsExpired(t *testing.T) {
	t.Parallel()
	for _, jump := range []bool{false, true} {
		t.Run(fmt.Sprint("jump=", jump), func(t *testing.T) {
			t.Parallel()
			s, vc := newServer(t, Options{Faults: Faults{ClockOffset: 90 * time.Second}})
			k := key(t, testKey)
			s.AddApp(77, "", &k.PublicKey)
			s.RejectJWTsAsExpired(ExpiredJWTs{After: 1, N: 2, Jump: jump})

			// A client that mints on GitHub's clock as the last Date showed it.
			ghNow := s.Now()
			var got []string
			for i := range 5 {
				vc.Advance(time.Second)
				ghNow = ghNow.Add(time.Second)
				exp := ghNow.Add(9 * time.Minute).Truncate(time.Second)
				before := s.Now()
				_, resp, err := newClient(t, s, appJWT(t, k, "77", ghNow)).Apps.ListHookDeliveries(t.Context(), nil)
				var er *github.ErrorResponse
				switch {
				case err == nil:
					got = append(got, "200")
				case errors.As(err, &er) && er.Response.StatusCode == 401:
					got = append(got, "401 "+er.Message)
				default:
					t.Fatalf("request %d: %v", i, err)
				}
				date, err := http.ParseTime(resp.Header.Get("Date"))
				if err != nil {
					t.Fatalf("request %d: Date %q: %v", i, resp.Header.Get("Date"), err)
				}
				// The Date is GitHub's clock, which the server keeps to.
				if want := s.Now().Truncate(time.Second); !date.Equal(want) {
					t.Errorf("request %d: Date = %v, want GitHub's now %v", i, date, want)
				}
				refused := got[len(got)-1] != "200"
				switch {
				case refused && jump && date.Before(exp):
					t.Errorf("request %d: refused with Date %v, before the JWT's exp %v", i, date, exp)
				case !jump && !s.Now().Equal(before):
					t.Errorf("request %d: GitHub's clock moved from %v to %v without Jump", i, before, s.Now())
				}
				ghNow = date
			}
			want := []string{"200", "401 " + msgJWTExp, "401 " + msgJWTExp, "200", "200"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("answers = %q, want %q", got, want)
			}
			var creds []string
			for _, r := range s.Requests() {
				creds = append(creds, r.Credential)
			}
			if want := "app:77 jwt:invalid jwt:invalid app:77 app:77"; strings.Join(creds, " ") != want {
				t.Errorf("recorded credentials %q, want %q", creds, want)
			}
		})
	}
}

func TestJWTWithGoGitHub(t *testing.T) {
	t.Parallel()
	s, vc := newServer(t, Options{})
	k := key(t, testKey)
	s.AddApp(77, "Iv1.abc", &k.PublicKey)
	c := newClient(t, s, appJWT(t, k, "77", vc.Now()))
	app, _, err := c.Apps.Get(t.Context(), "")
	if err != nil || app.GetID() != 77 {
		t.Fatalf("GET /app = %v, %v", app, err)
	}
	// The JWT runs out with the virtual clock.
	vc.Advance(10 * time.Minute)
	_, _, err = c.Apps.ListHookDeliveries(t.Context(), nil)
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != 401 || er.Message != msgJWTExp {
		t.Errorf("expired JWT: err = %v, want 401 %q", err, msgJWTExp)
	}
	// A JWT on a token route is the App itself, which owns nothing.
	_, _, err = newClient(t, s, appJWT(t, k, "77", vc.Now())).Organizations.ListHooks(t.Context(), "acme", nil)
	if !errors.As(err, &er) || er.Response.StatusCode != 403 || er.Message != "Resource not accessible by integration" {
		t.Errorf("JWT on token route: err = %v, want 403", err)
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		cred         Credential
		method, path string
		body         string
		wantStatus   int
		wantMsg      string
		wantAccepted string // X-Accepted-GitHub-Permissions
	}{
		{name: "classic org hooks ok", cred: Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}}, method: "GET", path: "orgs/acme/hooks/1/deliveries", wantStatus: 200},
		{name: "classic org hooks redeliver ok", cred: Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}}, method: "POST", path: "orgs/acme/hooks/1/deliveries/{id}/attempts", wantStatus: 202},
		{name: "classic repo scope cannot see org hooks", cred: Credential{Kind: "classic", Scopes: []string{"repo"}}, method: "GET", path: "orgs/acme/hooks", wantStatus: 404, wantMsg: "Not Found"},
		{name: "classic repo hooks with repo", cred: Credential{Kind: "classic", Scopes: []string{"repo"}}, method: "GET", path: "repos/acme/api/hooks/2/deliveries", wantStatus: 200},
		{name: "classic read:repo_hook lists", cred: Credential{Kind: "classic", Scopes: []string{"read:repo_hook"}}, method: "GET", path: "repos/acme/api/hooks", wantStatus: 200},
		{name: "classic read:repo_hook cannot redeliver", cred: Credential{Kind: "classic", Scopes: []string{"read:repo_hook"}}, method: "POST", path: "repos/acme/api/hooks/2/deliveries/{id}/attempts", wantStatus: 404},
		{name: "classic write:repo_hook redelivers", cred: Credential{Kind: "classic", Scopes: []string{"write:repo_hook"}}, method: "POST", path: "repos/acme/api/hooks/2/deliveries/{id}/attempts", wantStatus: 202},
		{name: "classic no scope for variables", cred: Credential{Kind: "classic", Scopes: []string{"admin:repo_hook"}}, method: "GET", path: "repos/acme/api/actions/variables/X", wantStatus: 404},
		{name: "fine-grained org hooks read", cred: Credential{Kind: "fine-grained", Permissions: map[string]string{"organization_hooks": "read"}}, method: "GET", path: "orgs/acme/hooks/1/deliveries", wantStatus: 200},
		{name: "fine-grained org hooks read cannot redeliver", cred: Credential{Kind: "fine-grained", Permissions: map[string]string{"organization_hooks": "read"}}, method: "POST", path: "orgs/acme/hooks/1/deliveries/{id}/attempts",
			wantStatus: 403, wantMsg: "Resource not accessible by personal access token", wantAccepted: "organization_hooks=write"},
		{name: "fine-grained without org hooks", cred: Credential{Kind: "fine-grained", Permissions: map[string]string{"repository_hooks": "write"}}, method: "GET", path: "orgs/acme/hooks",
			wantStatus: 403, wantMsg: "Resource not accessible by personal access token", wantAccepted: "organization_hooks=read"},
		{name: "fine-grained write implies read", cred: Credential{Kind: "fine-grained", Permissions: map[string]string{"repository_hooks": "write"}}, method: "GET", path: "repos/acme/api/hooks/2/deliveries", wantStatus: 200},
		{name: "installation without variables", cred: Credential{Kind: "installation", Permissions: map[string]string{"actions_variables": "read"}}, method: "PATCH", path: "repos/acme/api/actions/variables/X", body: `{"value":"1"}`,
			wantStatus: 403, wantMsg: "Resource not accessible by integration", wantAccepted: "actions_variables=write"},
		{name: "installation variables read", cred: Credential{Kind: "installation", Permissions: map[string]string{"actions_variables": "read"}}, method: "GET", path: "repos/acme/api/actions/variables/X", wantStatus: 200},
		{name: "other owner hidden", cred: Credential{Kind: "fine-grained", Owners: []string{"elsewhere"}, Permissions: map[string]string{"organization_hooks": "write"}}, method: "GET", path: "orgs/acme/hooks/1/deliveries", wantStatus: 404},
		{name: "owner case-insensitive", cred: Credential{Kind: "fine-grained", Owners: []string{"ACME"}, Permissions: map[string]string{"organization_hooks": "write"}}, method: "GET", path: "orgs/acme/hooks/1/deliveries", wantStatus: 200},
		{name: "other repo hidden", cred: Credential{Kind: "installation", Owners: []string{"acme"}, Repos: []string{"acme/web"}, Permissions: map[string]string{"repository_hooks": "write"}}, method: "GET", path: "repos/acme/api/hooks/2/deliveries", wantStatus: 404},
		{name: "selected repo", cred: Credential{Kind: "installation", Owners: []string{"acme"}, Repos: []string{"Acme/API"}, Permissions: map[string]string{"repository_hooks": "write"}}, method: "GET", path: "repos/acme/api/hooks/2/deliveries", wantStatus: 200},
		{name: "expired", cred: Credential{Kind: "classic", Scopes: []string{"repo"}, ExpiresAt: start}, method: "GET", path: "repos/acme/api/hooks", wantStatus: 401, wantMsg: msgBadCreds},
		{name: "not expired", cred: Credential{Kind: "classic", Scopes: []string{"repo"}, ExpiresAt: start.Add(time.Second)}, method: "GET", path: "repos/acme/api/hooks", wantStatus: 200},
		{name: "token on JWT route", cred: Credential{Kind: "classic", Scopes: []string{"repo"}}, method: "GET", path: "app/hook/deliveries", wantStatus: 401, wantMsg: msgJWTDecode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newServer(t, Options{})
			d := s.AddDelivery(OrgHook("acme", 1), Delivery{})
			s.AddDelivery(RepoHook("acme", "api", 2), Delivery{ID: d.ID})
			s.SetVariable("acme", "api", "X", "1")
			tok := addToken(s, "tok_"+strconv.Itoa(len(tc.name)), tc.cred)
			path := strings.ReplaceAll(tc.path, "{id}", strconv.FormatInt(d.ID, 10))
			resp, body := do(t, s, tc.method, path, tok, tc.body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantMsg != "" && !strings.Contains(body, strconv.Quote(tc.wantMsg)) {
				t.Errorf("body = %s, want message %q", body, tc.wantMsg)
			}
			if resp.StatusCode >= 400 && !strings.Contains(body, `"documentation_url":`) {
				t.Errorf("body = %s, want a documentation_url", body)
			}
			if got := resp.Header.Get("X-Accepted-GitHub-Permissions"); got != tc.wantAccepted {
				t.Errorf("X-Accepted-GitHub-Permissions = %q, want %q", got, tc.wantAccepted)
			}
		})
	}
}

func TestAuthenticationFailures(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	s.AddHook(OrgHook("acme", 1))
	tests := []struct {
		name, header string
		wantMsg      string
	}{
		{name: "unknown token", header: "Bearer ghp_unknown", wantMsg: msgBadCreds},
		{name: "token scheme", header: "token ghp_unknown", wantMsg: msgBadCreds},
		{name: "basic", header: "Basic dXNlcjpwYXNz", wantMsg: msgBadCreds},
		{name: "anonymous", header: "", wantMsg: "Requires authentication"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL()+"orgs/acme/hooks", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			er := github.CheckResponse(resp)
			resp.Body.Close()
			var e *github.ErrorResponse
			if !errors.As(er, &e) || resp.StatusCode != 401 || e.Message != tc.wantMsg || e.DocumentationURL == "" {
				t.Errorf("got %d %v, want 401 %q", resp.StatusCode, er, tc.wantMsg)
			}
		})
	}
}

func TestCommonHeaders(t *testing.T) {
	t.Parallel()
	s, vc := newServer(t, Options{Faults: Faults{ClockOffset: 42 * time.Second}})
	vc.Advance(1500 * time.Millisecond)
	tok := addToken(s, "ghp_headers", Credential{Kind: "classic", Scopes: []string{"repo", "admin:org_hook"}})
	s.AddHook(OrgHook("acme", 1))
	ids := map[string]bool{}
	for i, path := range []string{"orgs/acme/hooks", "orgs/acme/hooks/1/deliveries", "orgs/acme/hooks/9/deliveries", "repos/acme/api/actions/variables/NOPE"} {
		resp, body := do(t, s, "GET", path, tok, "")
		h := resp.Header
		if got := h.Get("Content-Type"); got != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q", path, got)
		}
		date, err := http.ParseTime(h.Get("Date"))
		if want := start.Add(1500*time.Millisecond + 42*time.Second).Truncate(time.Second); err != nil || !date.Equal(want) {
			t.Errorf("%s: Date = %q, want %v", path, h.Get("Date"), want)
		}
		id := h.Get("X-GitHub-Request-Id")
		if id == "" || ids[id] {
			t.Errorf("%s: X-GitHub-Request-Id %q missing or repeated", path, id)
		}
		ids[id] = true
		wantRate := map[string]string{
			"X-RateLimit-Limit":     "5000",
			"X-RateLimit-Remaining": strconv.Itoa(5000 - i - 1),
			"X-RateLimit-Used":      strconv.Itoa(i + 1),
			"X-RateLimit-Reset":     strconv.FormatInt(start.Add(1500*time.Millisecond+42*time.Second+time.Hour).Unix(), 10),
			"X-RateLimit-Resource":  "core",
			"X-OAuth-Scopes":        "repo, admin:org_hook",
		}
		for k, v := range wantRate {
			if got := h.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
		if resp.StatusCode == 404 && (!strings.Contains(body, `"message":"Not Found"`) || !strings.Contains(body, `"documentation_url":"https://docs.github.com/rest"`)) {
			t.Errorf("%s: 404 body = %s", path, body)
		}
	}
}

func TestUnexpected(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "/api/v3"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			t.Parallel()
			s := New(Options{PathPrefix: prefix})
			defer s.Close()
			tok := addToken(s, "ghp_x", Credential{Kind: "classic", Scopes: []string{"repo"}})
			resp, body := do(t, s, "GET", "foo?bar", tok, "")
			if resp.StatusCode != 404 || body != `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}` {
				t.Errorf("unknown route: %d %s", resp.StatusCode, body)
			}
			if resp.Header.Get("X-RateLimit-Remaining") != "4999" || resp.Header.Get("X-GitHub-Request-Id") == "" {
				t.Errorf("unknown route headers: %v", resp.Header)
			}
			do(t, s, "DELETE", "repos/acme/api/hooks/1", tok, "")
			want := []string{"GET " + prefix + "/foo?bar", "DELETE " + prefix + "/repos/acme/api/hooks/1"}
			got := s.Unexpected()
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("Unexpected() = %q, want %q", got, want)
			}
			if err := s.Err(); err == nil || !strings.Contains(err.Error(), "GET "+prefix+"/foo?bar") {
				t.Errorf("Err() = %v", err)
			}
			if prefix != "" {
				// Without the prefix nothing matches: a client that ignores
				// Enterprise Server's /api/v3 is caught.
				root := strings.TrimSuffix(s.URL(), "api/v3/")
				resp, err := http.Get(root + "repos/acme/api/hooks")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 404 || len(s.Unexpected()) != 3 {
					t.Errorf("request without prefix: %d, unexpected %q", resp.StatusCode, s.Unexpected())
				}
			}
			reqs := s.Requests()
			if len(reqs) < 2 || reqs[0].Path != "/foo" || reqs[0].Query.Get("bar") != "" || !reqs[0].Query.Has("bar") || reqs[0].Status != 404 {
				t.Errorf("Requests()[0] = %+v", reqs[0])
			}
		})
	}
}
