package fakegithub

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"
)

// hookCase runs a test against each kind of hook, each with the credential
// it needs.
type hookCase struct {
	name   string
	prefix string
	hook   HookRef
}

var hookCases = []hookCase{
	{name: "app/root", hook: AppHook()},
	{name: "app/ghes", prefix: "/api/v3", hook: AppHook()},
	{name: "org/root", hook: OrgHook("acme", 11)},
	{name: "org/ghes", prefix: "/api/v3", hook: OrgHook("acme", 11)},
	{name: "repo/root", hook: RepoHook("acme", "api", 12)},
	{name: "repo/ghes", prefix: "/api/v3", hook: RepoHook("acme", "api", 12)},
}

// setupHook registers what tc's hook needs and returns a client allowed to
// list and redeliver.
func setupHook(t *testing.T, s *Server, h HookRef) *github.Client {
	t.Helper()
	if h.isApp() {
		k := key(t, testKey)
		s.AddApp(1234, "Iv23liTEST", &k.PublicKey)
		return newClient(t, s, appJWT(t, k, "1234", s.Now()))
	}
	s.AddHook(h)
	return newClient(t, s, addToken(s, "ghp_admin", Credential{Kind: "classic", Scopes: []string{"repo", "admin:org_hook"}}))
}

func list(ctx context.Context, c *github.Client, h HookRef, opts *github.ListCursorOptions) ([]*github.HookDelivery, *github.Response, error) {
	switch {
	case h.Org != "":
		return c.Organizations.ListHookDeliveries(ctx, h.Org, h.ID, opts)
	case h.Owner != "":
		return c.Repositories.ListHookDeliveries(ctx, h.Owner, h.Repo, h.ID, opts)
	default:
		return c.Apps.ListHookDeliveries(ctx, opts)
	}
}

func redeliver(ctx context.Context, c *github.Client, h HookRef, id int64) (*github.Response, error) {
	var resp *github.Response
	var err error
	switch {
	case h.Org != "":
		_, resp, err = c.Organizations.RedeliverHookDelivery(ctx, h.Org, h.ID, id)
	case h.Owner != "":
		_, resp, err = c.Repositories.RedeliverHookDelivery(ctx, h.Owner, h.Repo, h.ID, id)
	default:
		_, resp, err = c.Apps.RedeliverHookDelivery(ctx, id)
	}
	return resp, err
}

func TestListDeliveriesCursorPagination(t *testing.T) {
	t.Parallel()
	for _, tc := range hookCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newServer(t, Options{PathPrefix: tc.prefix})
			c := setupHook(t, s, tc.hook)
			for i := range 250 {
				s.AddDelivery(tc.hook, Delivery{DeliveredAt: start.Add(-time.Duration(250-i) * time.Minute), Event: "issues", Action: "opened"})
			}
			want := s.Deliveries(tc.hook)

			var got []int64
			var sizes []int
			opts := &github.ListCursorOptions{PerPage: 100}
			for page := 0; ; page++ {
				if page > 5 {
					t.Fatal("pagination did not end")
				}
				ds, resp, err := list(t.Context(), c, tc.hook, opts)
				if err != nil {
					t.Fatalf("listing page %d: %v", page, err)
				}
				sizes = append(sizes, len(ds))
				for _, d := range ds {
					got = append(got, d.GetID())
				}
				if resp.Cursor == "" {
					if link := resp.Header.Get("Link"); link != "" {
						t.Errorf("last page has Link %q", link)
					}
					break
				}
				if link := resp.Header.Get("Link"); !strings.HasPrefix(link, "<"+s.URL()) {
					t.Errorf("Link %q is not an absolute URL under %s", link, s.URL())
				}
				opts.Cursor = resp.Cursor
			}
			if diff := cmp.Diff([]int{100, 100, 50}, sizes); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
			wantIDs := make([]int64, len(want))
			for i, d := range want {
				wantIDs[i] = d.ID
			}
			// Ids above 2^53 must survive exactly, newest first.
			if diff := cmp.Diff(wantIDs, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if got[len(got)-1] != firstDeliveryID || firstDeliveryID <= 1<<53 {
				t.Errorf("oldest id = %d, want %d (> 2^53)", got[len(got)-1], firstDeliveryID)
			}
		})
	}
}

func TestDeliveryJSON(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	h := RepoHook("acme", "api", 5)
	tok := addToken(s, "ghp_x", Credential{Kind: "classic", Scopes: []string{"repo"}})
	s.AddDelivery(h, Delivery{
		GUID: "0b989ba4-242f-11e5-81e1-c7b6966d2516", DeliveredAt: start.Add(-1500 * time.Millisecond),
		Duration: 0.27, Status: "OK", StatusCode: 200, Event: "issues", Action: "opened", InstallationID: 7,
	})
	s.AddDelivery(h, Delivery{
		GUID: "1c989ba4-242f-11e5-81e1-c7b6966d2516", DeliveredAt: start.Add(-time.Second),
		Duration: 10, Status: "timed out", Event: "push", Redelivery: true, RepositoryID: 99,
	})
	resp, body := do(t, s, "GET", "repos/acme/api/hooks/5/deliveries", tok, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	want := `[` +
		`{"id":3804004623172239367,"guid":"1c989ba4-242f-11e5-81e1-c7b6966d2516","delivered_at":"2026-11-21T05:59:59Z","redelivery":true,"duration":10,"status":"timed out","status_code":0,"event":"push","action":null,"installation_id":null,"repository_id":99,"throttled_at":null},` +
		`{"id":3804004623172239366,"guid":"0b989ba4-242f-11e5-81e1-c7b6966d2516","delivered_at":"2026-11-21T05:59:58Z","redelivery":false,"duration":0.27,"status":"OK","status_code":200,"event":"issues","action":"opened","installation_id":7,"repository_id":null,"throttled_at":null}` +
		`]`
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if !json.Valid([]byte(body)) {
		t.Errorf("body is not valid JSON")
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "plain", `quote " and \ back`, "tab\tnl\ncr\r", "ctl\x01\x1f", "ünïcødé ✓", "bad\xffutf8", "<html>&"} {
		got := string(appendJSONString(nil, in))
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("appendJSONString(%q) = %s: invalid JSON: %v", in, got, err)
			continue
		}
		want := strings.ToValidUTF8(in, "\uFFFD")
		if back != want {
			t.Errorf("appendJSONString(%q) decodes to %q, want %q", in, back, want)
		}
	}
}

func TestListDeliveriesQuery(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	h := OrgHook("acme", 3)
	tok := addToken(s, "ghp_org", Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}})
	for i := range 150 {
		d := Delivery{DeliveredAt: start.Add(-time.Duration(i) * time.Second)}
		if i%3 == 0 {
			d.Status, d.StatusCode = "Invalid HTTP Response: 503", 503
		}
		s.AddDelivery(h, d)
	}
	count := func(body string) int {
		var ds []map[string]any
		if err := json.Unmarshal([]byte(body), &ds); err != nil {
			t.Fatalf("decoding %q: %v", body, err)
		}
		return len(ds)
	}
	tests := []struct {
		name       string
		query      string
		wantStatus int
		wantN      int
		wantLink   string
	}{
		{name: "default per_page", query: "", wantStatus: 200, wantN: 30, wantLink: `per_page=30&cursor=v1_`},
		{name: "per_page capped", query: "?per_page=500", wantStatus: 200, wantN: 100, wantLink: `per_page=100&cursor=v1_`},
		{name: "per_page garbage", query: "?per_page=x", wantStatus: 200, wantN: 30},
		{name: "garbled cursor", query: "?cursor=abc", wantStatus: 422},
		{name: "unknown cursor", query: "?cursor=v1_17", wantStatus: 422},
		{name: "failure filter", query: "?status=failure&per_page=100", wantStatus: 200, wantN: 50},
		{name: "success filter", query: "?status=success&per_page=60", wantStatus: 200, wantN: 60, wantLink: "per_page=60&cursor=v1_"},
		{name: "success filter last page", query: "?status=success&per_page=100", wantStatus: 200, wantN: 100},
		{name: "bad filter", query: "?status=maybe", wantStatus: 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, s, "GET", "orgs/acme/hooks/3/deliveries"+tc.query, tok, "")
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantStatus != 200 {
				if tc.name != "bad filter" && !strings.Contains(body, `"message":"Invalid cursor"`) {
					t.Errorf("body %s lacks Invalid cursor", body)
				}
				return
			}
			if n := count(body); n != tc.wantN {
				t.Errorf("got %d deliveries, want %d", n, tc.wantN)
			}
			if link := resp.Header.Get("Link"); !strings.Contains(link, tc.wantLink) {
				t.Errorf("Link = %q, want it to contain %q", link, tc.wantLink)
			}
		})
	}
}

func TestUnknownHook(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	s.AddHook(OrgHook("acme", 1))
	c := newClient(t, s, addToken(s, "ghp_org", Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}}))
	_, resp, err := c.Organizations.ListHookDeliveries(t.Context(), "acme", 2, nil)
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("listing unknown hook: err = %v, want 404", err)
	}
	// Logins are case-insensitive.
	if _, _, err := c.Organizations.ListHookDeliveries(t.Context(), "ACME", 1, nil); err != nil {
		t.Errorf("listing ACME: %v", err)
	}
	// An App's hook does not exist until the App does.
	k := key(t, testKey)
	_, resp, err = newClient(t, s, appJWT(t, k, "1", s.Now())).Apps.ListHookDeliveries(t.Context(), nil)
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("app hook without app: err = %v, want 401", err)
	}
}

func TestRedeliver(t *testing.T) {
	t.Parallel()
	for _, tc := range hookCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newServer(t, Options{PathPrefix: tc.prefix})
			c := setupHook(t, s, tc.hook)
			failed := s.AddDelivery(tc.hook, Delivery{
				DeliveredAt: start.Add(-time.Hour), Status: "Invalid HTTP Response: 503", StatusCode: 503,
				Event: "pull_request", Action: "opened", InstallationID: 5, RepositoryID: 6,
			})
			var gotAttempt []int
			s.SetReceiver(func(d Delivery, attempt int) (string, int) {
				gotAttempt = append(gotAttempt, attempt)
				if attempt < 3 {
					return "Invalid HTTP Response: 502", 502
				}
				return "OK", 200
			})

			for range 2 {
				_, err := redeliver(t.Context(), c, tc.hook, failed.ID)
				if ae := (*github.AcceptedError)(nil); !errors.As(err, &ae) {
					t.Fatalf("redeliver: err = %v, want *github.AcceptedError", err)
				}
			}
			if diff := cmp.Diff([]int{2, 3}, gotAttempt); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			ds, _, err := list(t.Context(), c, tc.hook, nil)
			if err != nil {
				t.Fatalf("listing: %v", err)
			}
			if len(ds) != 3 {
				t.Fatalf("got %d deliveries, want 3", len(ds))
			}
			newest := ds[0]
			if !newest.GetRedelivery() || newest.GetGUID() != failed.GUID || newest.GetID() <= failed.ID ||
				newest.GetStatus() != "OK" || newest.GetStatusCode() != 200 || newest.GetEvent() != "pull_request" ||
				newest.GetAction() != "opened" || newest.GetInstallationID() != 5 || newest.GetRepositoryID() != 6 ||
				!newest.GetDeliveredAt().Time.Equal(s.Now().Truncate(time.Second)) {
				t.Errorf("new attempt = %v, want a redelivery of %+v now", newest, failed)
			}
			if ds[1].GetStatus() != "Invalid HTTP Response: 502" {
				t.Errorf("second attempt status = %q", ds[1].GetStatus())
			}
			rs := s.Redeliveries()
			if len(rs) != 2 || rs[1].RequestedID != failed.ID || rs[1].NewID != newest.GetID() || rs[1].Answered != 202 ||
				rs[1].GUID != failed.GUID || rs[1].Status != "OK" || keyOf(rs[1].Hook) != keyOf(tc.hook) {
				t.Errorf("Redeliveries() = %+v", rs)
			}

			_, err = redeliver(t.Context(), c, tc.hook, failed.ID+1000)
			var er *github.ErrorResponse
			if !errors.As(err, &er) || er.Response.StatusCode != http.StatusNotFound {
				t.Errorf("redelivering unknown id: err = %v, want 404", err)
			}
		})
	}
}

func TestVisibilityLag(t *testing.T) {
	t.Parallel()
	s, vc := newServer(t, Options{Faults: Faults{VisibilityLag: 30 * time.Second}})
	h := RepoHook("acme", "api", 1)
	c := setupHook(t, s, h)
	d := s.AddDelivery(h, Delivery{DeliveredAt: start.Add(-time.Minute), Status: "timed out"})
	if _, err := redeliver(t.Context(), c, h, d.ID); !isAccepted(err) {
		t.Fatalf("redeliver: %v", err)
	}
	n := func() int {
		ds, _, err := list(t.Context(), c, h, nil)
		if err != nil {
			t.Fatalf("listing: %v", err)
		}
		return len(ds)
	}
	if got := n(); got != 1 {
		t.Errorf("right after the redelivery %d deliveries are listed, want 1", got)
	}
	if got := len(s.Deliveries(h)); got != 2 {
		t.Errorf("Deliveries() has %d, want 2 (including invisible)", got)
	}
	vc.Advance(29 * time.Second)
	if got := n(); got != 1 {
		t.Errorf("after 29s %d deliveries are listed, want 1", got)
	}
	vc.Advance(time.Second)
	if got := n(); got != 2 {
		t.Errorf("after 30s %d deliveries are listed, want 2", got)
	}
}

func isAccepted(err error) bool {
	var ae *github.AcceptedError
	return errors.As(err, &ae)
}

func TestAddDeliveryDefaultsAndOrder(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	h := RepoHook("o", "r", 1)
	a := s.AddDelivery(h, Delivery{})
	if a.ID != firstDeliveryID || a.GUID == "" || !a.DeliveredAt.Equal(start) || a.Status != "OK" || a.StatusCode != 200 || a.Event != "push" {
		t.Errorf("defaults: %+v", a)
	}
	b := s.AddDelivery(h, Delivery{StatusCode: 500})
	if b.Status != "Invalid HTTP Response: 500" || b.ID != a.ID+1 {
		t.Errorf("derived status: %+v", b)
	}
	// An explicit id lower than existing ones is inserted in order; the
	// same id replaces.
	s.AddDelivery(h, Delivery{ID: 7, GUID: "g7"})
	s.AddDelivery(h, Delivery{ID: 7, GUID: "g7-replaced"})
	got := s.Deliveries(h)
	var ids []int64
	for _, d := range got {
		ids = append(ids, d.ID)
	}
	if diff := cmp.Diff([]int64{b.ID, a.ID, 7}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if got[2].GUID != "g7-replaced" {
		t.Errorf("replaced delivery GUID = %q", got[2].GUID)
	}
	if n := s.AddDelivery(h, Delivery{}); n.ID != b.ID+1 {
		t.Errorf("next id = %d, want %d", n.ID, b.ID+1)
	}
}

func TestHooksList(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{PathPrefix: "/api/v3"})
	for i := range 35 {
		s.AddHook(OrgHook("acme", int64(100+i)))
	}
	s.AddHook(OrgHook("other", 1))
	s.AddHook(RepoHook("acme", "api", 7))
	s.SetHookActive(RepoHook("acme", "api", 7), false)
	c := newClient(t, s, addToken(s, "ghp_admin", Credential{Kind: "classic", Scopes: []string{"admin:org_hook", "repo"}}))

	hooks, resp, err := c.Organizations.ListHooks(t.Context(), "acme", nil)
	if err != nil {
		t.Fatalf("listing org hooks: %v", err)
	}
	if len(hooks) != 30 || resp.NextPage != 2 || resp.LastPage != 2 {
		t.Errorf("page 1: %d hooks, next %d, last %d; want 30, 2, 2", len(hooks), resp.NextPage, resp.LastPage)
	}
	h := hooks[0]
	if h.GetID() != 100 || h.GetType() != "Organization" || h.GetName() != "web" || !h.GetActive() ||
		h.GetURL() != s.URL()+"orgs/acme/hooks/100" || h.Config.GetContentType() != "json" || len(h.Events) == 0 {
		t.Errorf("hook JSON = %v", h)
	}
	hooks, resp, err = c.Organizations.ListHooks(t.Context(), "acme", &github.ListOptions{Page: 2})
	if err != nil {
		t.Fatalf("listing page 2: %v", err)
	}
	if len(hooks) != 5 || resp.NextPage != 0 || resp.PrevPage != 1 || resp.FirstPage != 1 {
		t.Errorf("page 2: %d hooks, next %d, prev %d, first %d", len(hooks), resp.NextPage, resp.PrevPage, resp.FirstPage)
	}

	rh, _, err := c.Repositories.ListHooks(t.Context(), "acme", "api", nil)
	if err != nil {
		t.Fatalf("listing repo hooks: %v", err)
	}
	if len(rh) != 1 || rh[0].GetID() != 7 || rh[0].GetActive() || rh[0].GetType() != "Repository" {
		t.Errorf("repo hooks = %v", rh)
	}
	if rh, _, err := c.Repositories.ListHooks(t.Context(), "acme", "none", nil); err != nil || len(rh) != 0 {
		t.Errorf("repo without hooks: %v, %v", rh, err)
	}
}

func TestFaultsServerErrorAndLostResponse(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{Seed: 7, Faults: Faults{ServerErrorRate: 1}})
	h := RepoHook("acme", "api", 1)
	c := setupHook(t, s, h)
	d := s.AddDelivery(h, Delivery{})
	seen := map[int]bool{}
	for range 30 {
		_, resp, err := list(t.Context(), c, h, nil)
		if err == nil || resp == nil || resp.StatusCode < 500 {
			t.Fatalf("want a 5xx, got %v", err)
		}
		seen[resp.StatusCode] = true
	}
	if !seen[500] || !seen[502] || !seen[503] {
		t.Errorf("5xx codes seen = %v, want 500, 502 and 503", seen)
	}

	s.SetFaults(Faults{LostResponseRate: 1})
	_, err := redeliver(t.Context(), c, h, d.ID)
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusBadGateway {
		t.Fatalf("lost response: err = %v, want 502", err)
	}
	rs := s.Redeliveries()
	if len(rs) != 1 || rs[0].Answered != http.StatusBadGateway {
		t.Errorf("Redeliveries() = %+v, want one answered 502", rs)
	}
	if got := len(s.Deliveries(h)); got != 2 {
		t.Errorf("deliveries = %d, want 2: the redelivery was performed", got)
	}
}

func TestLatencyAdvancesVirtualClock(t *testing.T) {
	t.Parallel()
	s, vc := newServer(t, Options{Faults: Faults{Latency: 250 * time.Millisecond, ClockOffset: 90 * time.Second}})
	h := RepoHook("acme", "api", 1)
	c := setupHook(t, s, h)
	for range 4 {
		if _, _, err := list(t.Context(), c, h, nil); err != nil {
			t.Fatalf("listing: %v", err)
		}
	}
	if got := vc.Now().Sub(start); got != time.Second {
		t.Errorf("virtual clock advanced %v, want 1s", got)
	}
	if got, want := s.Now(), vc.Now().Add(90*time.Second); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v", got, want)
	}
}

func TestMalformedIDsAre404(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	k := key(t, testKey)
	s.AddApp(1, "", &k.PublicKey)
	s.AddHook(RepoHook("acme", "api", 1))
	tok := addToken(s, "ghp", Credential{Kind: "classic", Scopes: []string{"repo"}})
	jwtTok := appJWT(t, k, "1", start)
	for _, tc := range []struct{ method, path, token string }{
		{"GET", "repos/acme/api/hooks/abc/deliveries", tok},
		{"POST", "repos/acme/api/hooks/1/deliveries/abc/attempts", tok},
		{"POST", "app/hook/deliveries/abc/attempts", jwtTok},
		{"POST", "app/hook/deliveries/123/attempts", jwtTok},
		{"POST", "app/installations/abc/access_tokens", jwtTok},
	} {
		if resp, body := do(t, s, tc.method, tc.path, tc.token, ""); resp.StatusCode != 404 || !strings.Contains(body, `"documentation_url"`) {
			t.Errorf("%s %s: %d %s, want 404", tc.method, tc.path, resp.StatusCode, body)
		}
	}
}
