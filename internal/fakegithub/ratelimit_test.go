package fakegithub

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

func TestSecondaryLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		wantStatus int
	}{
		{name: "default 403", wantStatus: 403},
		{name: "429", status: 429, wantStatus: 429},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, vc := newServer(t, Options{Faults: Faults{SecondaryLimitRate: 1, SecondaryLimitStatus: tc.status, RetryAfter: 90 * time.Second}})
			h := OrgHook("acme", 1)
			c := setupHook(t, s, h)
			d := s.AddDelivery(h, Delivery{})

			_, resp, err := c.Organizations.RedeliverHookDelivery(t.Context(), "acme", 1, d.ID)
			if resp == nil || resp.StatusCode != tc.wantStatus {
				t.Fatalf("err = %v, want status %d", err, tc.wantStatus)
			}
			if got := resp.Header.Get("Retry-After"); got != "90" {
				t.Errorf("Retry-After = %q, want 90", got)
			}
			var abuse *github.AbuseRateLimitError
			var er *github.ErrorResponse
			switch tc.wantStatus {
			case 403:
				if !errors.As(err, &abuse) || abuse.GetRetryAfter() != 90*time.Second || !strings.Contains(abuse.Message, "secondary rate limit") {
					t.Errorf("err = %#v, want *AbuseRateLimitError with RetryAfter 90s", err)
				}
			case 429:
				// go-github only recognises 403s; a 429 is a plain error
				// whose Retry-After the caller must read.
				if errors.As(err, &abuse) || !errors.As(err, &er) || er.DocumentationURL != secondaryDocsURL {
					t.Errorf("err = %#v, want a plain *ErrorResponse", err)
				}
			}
			if len(s.Redeliveries()) != 0 {
				t.Errorf("a limited redelivery was performed")
			}

			// The limit outlasts the fault: every request from that
			// credential gets the same answer until it ends.
			s.SetFaults(Faults{})
			vc.Advance(30 * time.Second)
			raw, body := do(t, s, "GET", "orgs/acme/hooks/1/deliveries", "ghp_admin", "")
			if raw.StatusCode != tc.wantStatus || raw.Header.Get("Retry-After") != "60" || !strings.Contains(body, "secondary rate limit") {
				t.Errorf("30s later: %d Retry-After %q %s, want %d Retry-After 60", raw.StatusCode, raw.Header.Get("Retry-After"), body, tc.wantStatus)
			}
			// Another credential is not limited.
			other := addToken(s, "ghp_other", Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}})
			if resp, body := do(t, s, "GET", "orgs/acme/hooks/1/deliveries", other, ""); resp.StatusCode != 200 {
				t.Errorf("other credential: %d %s", resp.StatusCode, body)
			}
			vc.Advance(60 * time.Second)
			if resp, body := do(t, s, "GET", "orgs/acme/hooks/1/deliveries", "ghp_admin", ""); resp.StatusCode != 200 {
				t.Errorf("after the limit: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestPrimaryLimit(t *testing.T) {
	t.Parallel()
	s, vc := newServer(t, Options{Faults: Faults{PrimaryLimit: 3}})
	h := OrgHook("acme", 1)
	tok := addToken(s, "ghs_inst", Credential{Kind: "installation", Permissions: map[string]string{"organization_hooks": "write"}, InstallationID: 99})
	s.AddHook(h)
	c := newClient(t, s, tok)
	for i := range 3 {
		_, resp, err := c.Organizations.ListHookDeliveries(t.Context(), "acme", 1, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if resp.Rate.Limit != 3 || resp.Rate.Remaining != 2-i || !resp.Rate.Reset.Time.Equal(start.Add(time.Hour)) {
			t.Errorf("request %d: rate %+v", i, resp.Rate)
		}
	}
	// A fresh client, because go-github refuses locally once it has seen
	// Remaining 0: this checks what the server answers.
	_, _, err := newClient(t, s, tok).Organizations.ListHookDeliveries(t.Context(), "acme", 1, nil)
	var rle *github.RateLimitError
	if !errors.As(err, &rle) || rle.Message != "API rate limit exceeded for installation ID 99." || rle.Rate.Remaining != 0 {
		t.Fatalf("err = %#v, want *github.RateLimitError", err)
	}
	if got := s.Requests()[3]; got.Status != 403 {
		t.Errorf("the server answered %d, want 403", got.Status)
	}
	resp, body := do(t, s, "GET", "orgs/acme/hooks/1/deliveries", tok, "")
	if resp.StatusCode != 403 || !strings.Contains(body, rateDocsURL) || resp.Header.Get("X-RateLimit-Used") != "3" {
		t.Errorf("still limited: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// Other credentials have their own window.
	other := addToken(s, "ghp_other", Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}})
	if resp, _ := do(t, s, "GET", "orgs/acme/hooks", other, ""); resp.StatusCode != 200 {
		t.Errorf("other credential: %d", resp.StatusCode)
	}
	// An hour after the window started, it resets.
	vc.Advance(time.Hour)
	resp, body = do(t, s, "GET", "orgs/acme/hooks/1/deliveries", tok, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-RateLimit-Remaining") != "2" ||
		resp.Header.Get("X-RateLimit-Reset") != itoa64(start.Add(2*time.Hour).Unix()) {
		t.Errorf("after reset: %d %v %s", resp.StatusCode, resp.Header, body)
	}
}

func TestUnlimitedNeverReportsZeroRemaining(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	tok := addToken(s, "ghp_many", Credential{Kind: "classic", Scopes: []string{"repo"}})
	s.mu.Lock()
	s.window("token:"+tok, start).used = 5003
	s.mu.Unlock()
	resp, _ := do(t, s, "GET", "repos/a/b/hooks", tok, "")
	if resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Remaining") != "1" || resp.Header.Get("X-RateLimit-Used") != "5004" {
		t.Errorf("unlimited: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestPrimaryLimitMessages(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{Faults: Faults{PrimaryLimit: 1}})
	k := key(t, testKey)
	s.AddApp(5, "", &k.PublicKey)
	pat := addToken(s, "github_pat_x", Credential{Kind: "fine-grained", Permissions: map[string]string{"repository_hooks": "read"}})
	inst := addToken(s, "ghs_default", Credential{Kind: "installation", Permissions: map[string]string{"repository_hooks": "read"}})
	tests := []struct {
		name, path, token, want string
	}{
		{name: "app", path: "app/hook/deliveries", token: appJWT(t, k, "5", start), want: "API rate limit exceeded for app ID 5."},
		{name: "user", path: "repos/a/b/hooks", token: pat, want: "API rate limit exceeded for user ID " + itoa64(AccountID(pat)) + "."},
		{name: "installation default id", path: "repos/a/b/hooks", token: inst, want: "API rate limit exceeded for installation ID 1."},
		{name: "anonymous", path: "repos/a/b/hooks", want: "API rate limit exceeded for 127.0.0.1."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Two requests each: the first uses the window up.
			var resp *http.Response
			var body string
			for range 2 {
				resp, body = do(t, s, "GET", tc.path, tc.token, "")
			}
			if resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want 403 with %q", resp.StatusCode, body, tc.want)
			}
		})
	}
}
