package fakegithub

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"
)

func TestVariablesLifecycle(t *testing.T) {
	t.Parallel()
	s, vc := newServer(t, Options{PathPrefix: "/api/v3"})
	c := newClient(t, s, addToken(s, "ghs_vars", Credential{Kind: "installation", Permissions: map[string]string{"actions_variables": "write"}}))
	ctx := t.Context()

	_, resp, err := c.Actions.GetRepoVariable(ctx, "acme", "api", "HOOK_REDELIVER_CHECKPOINT")
	var er *github.ErrorResponse
	if !errors.As(err, &er) || resp.StatusCode != 404 || er.Message != "Not Found" {
		t.Fatalf("missing variable: err = %v, want 404", err)
	}
	_, err = c.Actions.UpdateRepoVariable(ctx, "acme", "api", &github.ActionsVariable{Name: "HOOK_REDELIVER_CHECKPOINT", Value: "x"})
	if !errors.As(err, &er) || er.Response.StatusCode != 404 {
		t.Errorf("updating a missing variable: err = %v, want 404", err)
	}

	resp, err = c.Actions.CreateRepoVariable(ctx, "acme", "api", &github.ActionsVariable{Name: "hook_redeliver_checkpoint", Value: `{"v":1}`})
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("creating: %v", err)
	}
	resp, err = c.Actions.CreateRepoVariable(ctx, "acme", "api", &github.ActionsVariable{Name: "HOOK_REDELIVER_CHECKPOINT", Value: "again"})
	if !errors.As(err, &er) || resp.StatusCode != 409 || er.Message != "Already exists - Variable already exists" {
		t.Errorf("creating twice: err = %v, want 409", err)
	}

	vc.Advance(time.Minute)
	resp, err = c.Actions.UpdateRepoVariable(ctx, "ACME", "API", &github.ActionsVariable{Name: "HOOK_REDELIVER_CHECKPOINT", Value: `{"v":2}`})
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("updating: %v", err)
	}
	v, _, err := c.Actions.GetRepoVariable(ctx, "acme", "api", "Hook_Redeliver_Checkpoint")
	if err != nil {
		t.Fatalf("getting: %v", err)
	}
	if v.Name != "HOOK_REDELIVER_CHECKPOINT" || v.Value != `{"v":2}` || !v.GetCreatedAt().Time.Equal(start) || !v.GetUpdatedAt().Time.Equal(start.Add(time.Minute)) {
		t.Errorf("variable = %+v", v)
	}
	if got, ok := s.Variable("acme", "api", "hook_redeliver_checkpoint"); !ok || got != `{"v":2}` {
		t.Errorf("Variable() = %q, %v", got, ok)
	}
	if _, ok := s.Variable("acme", "web", "HOOK_REDELIVER_CHECKPOINT"); ok {
		t.Errorf("variables leak between repositories")
	}
}

func TestDeleteVariable(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	c := newClient(t, s, addToken(s, "ghp_repo", Credential{Kind: "classic", Scopes: []string{"repo"}}))
	s.SetVariable("acme", "api", "CP_STATE", "x")
	if !s.DeleteVariable("ACME", "api", "cp_state") {
		t.Error("DeleteVariable of an existing variable = false")
	}
	if s.DeleteVariable("acme", "api", "CP_STATE") || s.DeleteVariable("acme", "nothing", "CP_STATE") {
		t.Error("DeleteVariable of a missing variable = true")
	}
	if _, resp, err := c.Actions.GetRepoVariable(t.Context(), "acme", "api", "CP_STATE"); err == nil || resp.StatusCode != 404 {
		t.Errorf("GET of a deleted variable: %v, want 404", err)
	}
}

func TestVariableValidation(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	tok := addToken(s, "ghp_repo", Credential{Kind: "classic", Scopes: []string{"repo"}})
	s.SetVariable("acme", "api", "TAKEN", "1")
	s.SetVariable("acme", "api", "MINE", "1")
	big := strings.Repeat("x", 48<<10)
	tests := []struct {
		name, method, path, body string
		wantStatus               int
	}{
		{name: "ok", method: "POST", path: "variables", body: `{"name":"A_1","value":"v"}`, wantStatus: 201},
		{name: "largest value", method: "POST", path: "variables", body: `{"name":"BIG","value":"` + big + `"}`, wantStatus: 201},
		{name: "value too large", method: "POST", path: "variables", body: `{"name":"BIGGER","value":"` + big + `x"}`, wantStatus: 422},
		{name: "empty value", method: "POST", path: "variables", body: `{"name":"EMPTY","value":""}`, wantStatus: 422},
		{name: "no name", method: "POST", path: "variables", body: `{"value":"v"}`, wantStatus: 422},
		{name: "leading digit", method: "POST", path: "variables", body: `{"name":"1A","value":"v"}`, wantStatus: 422},
		{name: "GITHUB_ prefix", method: "POST", path: "variables", body: `{"name":"github_token","value":"v"}`, wantStatus: 422},
		{name: "hyphen", method: "POST", path: "variables", body: `{"name":"A-B","value":"v"}`, wantStatus: 422},
		{name: "bad JSON", method: "POST", path: "variables", body: `{`, wantStatus: 400},
		{name: "case-insensitive conflict", method: "POST", path: "variables", body: `{"name":"taken","value":"v"}`, wantStatus: 409},
		{name: "rename onto existing", method: "PATCH", path: "variables/MINE", body: `{"name":"TAKEN","value":"v"}`, wantStatus: 409},
		{name: "patch too large", method: "PATCH", path: "variables/TAKEN", body: `{"value":"` + big + `x"}`, wantStatus: 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, s, tc.method, "repos/acme/api/actions/"+tc.path, tok, tc.body)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d: %.200s", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantStatus == 201 && body != "{}" {
				t.Errorf("201 body = %q, want {}", body)
			}
			if tc.wantStatus >= 400 && !strings.Contains(body, `"message":`) {
				t.Errorf("error body %q has no message", body)
			}
		})
	}
}

func TestVariableRename(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{})
	tok := addToken(s, "ghp_repo", Credential{Kind: "classic", Scopes: []string{"repo"}})
	s.SetVariable("acme", "api", "OLD", "1")
	if resp, body := do(t, s, "PATCH", "repos/acme/api/actions/variables/old", tok, `{"name":"new"}`); resp.StatusCode != 204 || body != "" {
		t.Fatalf("rename: %d %q", resp.StatusCode, body)
	}
	if _, ok := s.Variable("acme", "api", "OLD"); ok {
		t.Errorf("OLD still exists")
	}
	if v, ok := s.Variable("acme", "api", "NEW"); !ok || v != "1" {
		t.Errorf("NEW = %q, %v", v, ok)
	}
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	payload := func(n int) *json.RawMessage {
		m := map[string]int{}
		for i := range n {
			m["k"+strconv.Itoa(i)] = i
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		raw := json.RawMessage(b)
		return &raw
	}
	tests := []struct {
		name       string
		cred       Credential
		opts       github.DispatchRequestOptions
		wantStatus int
	}{
		{name: "ok", cred: Credential{Kind: "installation", Permissions: map[string]string{"contents": "write"}}, opts: github.DispatchRequestOptions{EventType: "hook-redeliver", ClientPayload: payload(10)}, wantStatus: 204},
		{name: "no payload", cred: Credential{Kind: "classic", Scopes: []string{"repo"}}, opts: github.DispatchRequestOptions{EventType: "x"}, wantStatus: 204},
		{name: "empty event type", cred: Credential{Kind: "classic", Scopes: []string{"repo"}}, opts: github.DispatchRequestOptions{}, wantStatus: 422},
		{name: "long event type", cred: Credential{Kind: "classic", Scopes: []string{"repo"}}, opts: github.DispatchRequestOptions{EventType: strings.Repeat("e", 101)}, wantStatus: 422},
		{name: "11 properties", cred: Credential{Kind: "classic", Scopes: []string{"repo"}}, opts: github.DispatchRequestOptions{EventType: "x", ClientPayload: payload(11)}, wantStatus: 422},
		{name: "contents read", cred: Credential{Kind: "fine-grained", Permissions: map[string]string{"contents": "read"}}, opts: github.DispatchRequestOptions{EventType: "x"}, wantStatus: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newServer(t, Options{})
			c := newClient(t, s, addToken(s, "tok", tc.cred))
			_, resp, err := c.Repositories.Dispatch(t.Context(), "acme", "api", tc.opts)
			if resp == nil || resp.StatusCode != tc.wantStatus {
				t.Fatalf("err = %v, want %d", err, tc.wantStatus)
			}
			got := s.Dispatches()
			if tc.wantStatus != 204 {
				if len(got) != 0 {
					t.Errorf("a refused dispatch was recorded: %+v", got)
				}
				if tc.wantStatus == 403 && resp.Header.Get("X-Accepted-GitHub-Permissions") != "contents=write" {
					t.Errorf("X-Accepted-GitHub-Permissions = %q", resp.Header.Get("X-Accepted-GitHub-Permissions"))
				}
				return
			}
			want := []Dispatch{{Owner: "acme", Repo: "api", EventType: tc.opts.EventType}}
			if tc.opts.ClientPayload != nil {
				want[0].ClientPayload = *tc.opts.ClientPayload
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Dispatches() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, Options{Faults: Faults{ServerErrorRate: 0.1, LostResponseRate: 0.2, VisibilityLag: time.Second}})
	h := OrgHook("acme", 1)
	c := newClient(t, s, addToken(s, "ghp_org", Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}}))
	s.Seed(h, SeedOptions{N: 500, From: start.Add(-time.Hour), To: start, FailedFraction: 0.5})
	ds := s.Deliveries(h)
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			var err error
			for i := range 20 {
				if i%2 == 0 {
					_, _, err = c.Organizations.ListHookDeliveries(t.Context(), "acme", 1, &github.ListCursorOptions{PerPage: 50})
				} else {
					_, _, err = c.Organizations.RedeliverHookDelivery(t.Context(), "acme", 1, ds[w*20+i].ID)
				}
				var er *github.ErrorResponse
				if err != nil && !isAccepted(err) && !(errors.As(err, &er) && er.Response.StatusCode >= 500) {
					break
				}
				err = nil
				s.Requests()
				s.Deliveries(h)
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(s.Requests()); got != 160 {
		t.Errorf("%d requests recorded, want 160", got)
	}
	if len(s.Redeliveries()) == 0 || len(s.Redeliveries()) > 80 {
		t.Errorf("%d redeliveries", len(s.Redeliveries()))
	}
}
