package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-envconfig"

	"github.com/hook-redeliver/hook-redeliver/internal/input"
)

// testKeyPEM is one App key for the package's tests: generating one per test
// would cost seconds under -race. It is made at run time, never committed.
var testKeyPEM = sync.OnceValue(func() string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
})

// TestHookIDTakesAPastedURL: hook-id accepts a webhook's settings page or
// REST API URL, on github.com and Enterprise Server, and takes its id;
// anything else gets the error it always got, and a URL that names another
// organization or repository than the inputs is an error naming both.
func TestHookIDTakesAPastedURL(t *testing.T) {
	t.Parallel()
	const (
		notAnID  = `want a webhook id such as 12345678, a list such as 123,456, or all; got `
		notAHook = `want a webhook id such as 12345678, or the URL of its settings page or REST API such as`
	)
	tests := []struct {
		name    string
		inputs  map[string]string // besides token
		want    []int64
		note    string // the log line's text, for a URL
		wantErr string
	}{
		{name: "org settings page", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://github.com/organizations/acme/settings/hooks/123456"},
			want: []int64{123456}, note: "took webhook id 123456 (organization acme) from https://github.com/organizations/acme/settings/hooks/123456"},
		{name: "org settings page, deliveries tab", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://github.com/organizations/acme/settings/hooks/123456?tab=deliveries"}, want: []int64{123456}},
		{name: "org settings page under /orgs/", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://github.com/orgs/acme/settings/hooks/123456"}, want: []int64{123456}},
		{name: "org API", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://api.github.com/orgs/acme/hooks/123"}, want: []int64{123}},
		{name: "org API, deliveries, other case", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://api.github.com/orgs/ACME/hooks/123/deliveries"}, want: []int64{123},
			note: "took webhook id 123 (organization ACME) from https://api.github.com/orgs/ACME/hooks/123/deliveries"},
		{name: "repo settings page", inputs: map[string]string{"REPOSITORY": "octo-org/octo-repo", "HOOK_ID": "https://github.com/octo-org/octo-repo/settings/hooks/123"}, want: []int64{123},
			note: "took webhook id 123 (repository octo-org/octo-repo) from https://github.com/octo-org/octo-repo/settings/hooks/123"},
		{name: "repo API", inputs: map[string]string{"REPOSITORY": "o/r", "HOOK_ID": "https://api.github.com/repos/o/r/hooks/123456"}, want: []int64{123456}},
		{name: "repo API, one delivery's attempts", inputs: map[string]string{"REPOSITORY": "o/r", "HOOK_ID": "https://api.github.com/repos/o/r/hooks/5/deliveries/3804004623172239366/attempts"}, want: []int64{5}},
		{name: "Enterprise Server API", inputs: map[string]string{"REPOSITORY": "o/r", "HOOK_ID": "https://ghes.example.com/api/v3/repos/o/r/hooks/1"}, want: []int64{1}},
		{name: "Enterprise Server settings page, fragment", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://ghes.example.com/organizations/acme/settings/hooks/9#deliveries"}, want: []int64{9}},
		{name: "GHE.com API", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://api.acme.ghe.com/orgs/acme/hooks/42/"}, want: []int64{42}},
		{name: "a list of an id and a URL", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "77, https://api.github.com/orgs/acme/hooks/78\n"}, want: []int64{77, 78}},
		{name: "a plain id", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "77"}, want: []int64{77}},

		{name: "garbage", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "abc"}, wantErr: `input hook-id: ` + notAnID + `"abc"`},
		{name: "no scheme", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "github.com/orgs/acme/hooks/1"}, wantErr: notAnID + `"github.com/orgs/acme/hooks/1"`},
		{name: "not http", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "ftp://github.com/orgs/acme/hooks/1"}, wantErr: notAnID},
		{name: "settings page without an id", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://github.com/organizations/acme/settings/hooks"}, wantErr: notAHook},
		{name: "id not a number", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://github.com/organizations/acme/settings/hooks/new"}, wantErr: notAHook},
		{name: "id zero", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://api.github.com/orgs/acme/hooks/0"}, wantErr: notAHook},
		{name: "a repository page", inputs: map[string]string{"REPOSITORY": "acme/shop", "HOOK_ID": "https://github.com/acme/shop"}, wantErr: notAHook},
		{name: "the App's hook", inputs: map[string]string{"REPOSITORY": "acme/shop", "HOOK_ID": "https://api.github.com/app/hook/deliveries"}, wantErr: notAHook},
		{name: "a bad login", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://api.github.com/orgs/-acme-/hooks/1"}, wantErr: notAHook},
		{name: "a URL with a token in it", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://x:ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/orgs/acme/hooks/1"},
			wantErr: "input hook-id: got a value of 79 characters holding what looks like a GitHub token (not shown)"},
		{name: "a URL with a user in it", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://me@github.com/organizations/acme/settings/hooks/1"}, wantErr: notAHook},

		{name: "another org", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://github.com/organizations/other/settings/hooks/1"},
			wantErr: `input hook-id: "https://github.com/organizations/other/settings/hooks/1" is a webhook of organization other, but org is acme`},
		{name: "a repo's hook with org", inputs: map[string]string{"ORG": "acme", "HOOK_ID": "https://api.github.com/repos/acme/shop/hooks/1"},
			wantErr: `is a webhook of repository acme/shop, but org is acme`},
		{name: "an org's hook with repository", inputs: map[string]string{"REPOSITORY": "acme/shop", "HOOK_ID": "https://api.github.com/orgs/acme/hooks/1"},
			wantErr: `is a webhook of organization acme, but repository is acme/shop`},
		{name: "another repo", inputs: map[string]string{"REPOSITORY": "acme/shop", "HOOK_ID": "https://github.com/acme/web/settings/hooks/1"},
			wantErr: `is a webhook of repository acme/web, but repository is acme/shop`},
		{name: "a URL but neither org nor repository", inputs: map[string]string{"HOOK_ID": "https://github.com/organizations/acme/settings/hooks/1"},
			wantErr: `is a webhook of organization acme: set org to acme as well`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"TOKEN": "t", "APP_ID": "1", "PRIVATE_KEY": testKeyPEM()}
			for k, v := range tt.inputs {
				env[k] = v
			}
			cfg, err := Load(t.Context(), envconfig.MapLookuper(env))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate(Runner{Repository: "acme/ops"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Count(err.Error(), "\n") > 0 {
					t.Errorf("more than the hook-id error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, cfg.Target().Hooks.IDs); diff != "" {
				t.Errorf("hook ids (-want +got):\n%s", diff)
			}
			urls := 0
			for _, f := range strings.Fields(strings.ReplaceAll(tt.inputs["HOOK_ID"], ",", " ")) {
				if strings.HasPrefix(f, "https://") {
					urls++
				}
			}
			if len(cfg.Notes()) != urls {
				t.Errorf("%d notes for %d URLs: %v", len(cfg.Notes()), urls, cfg.Notes())
			}
			if tt.note != "" && (len(cfg.Notes()) != 1 || cfg.Notes()[0] != (input.Note{Input: "hook-id", Text: tt.note})) {
				t.Errorf("notes %q, want hook-id: %q", cfg.Notes(), tt.note)
			}
		})
	}
}

// TestWhatTheAPISays: how long deliveries can be redelivered, and how long
// GitHub waits for a receiver, depend on which GitHub the API is.
func TestWhatTheAPISays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		api               string
		retention, answer time.Duration
	}{
		{"https://api.github.com", 72 * time.Hour, 10 * time.Second},
		{"https://api.acme.ghe.com", 72 * time.Hour, 10 * time.Second},
		{"https://ghes.example.com/api/v3", 7 * 24 * time.Hour, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.api, func(t *testing.T) {
			t.Parallel()
			cfg := &Config{Token: "ghp_token", Org: "acme", HookID: "1", APIURL: tt.api, Timeout: time.Minute, RedeliveryInterval: time.Second}
			if err := cfg.Validate(Runner{Repository: "acme/ops"}); err != nil {
				t.Fatal(err)
			}
			if got := cfg.Retention(); got != tt.retention {
				t.Errorf("retention %s, want %s", got, tt.retention)
			}
			if got := cfg.ReceiverTimeout(); got != tt.answer {
				t.Errorf("receiver timeout %s, want %s", got, tt.answer)
			}
		})
	}
}

// TestCredentialInAnotherInput: a key or token in an input that holds none
// is bad input, described and never shown, even in an input whose own rules
// would take it (a token is a valid variable name and event type); one
// error per input.
func TestCredentialInAnotherInput(t *testing.T) {
	t.Parallel()
	const token = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
	tests := []struct {
		key, v, want string
	}{
		{"CHECKPOINT_VARIABLE", token, "input checkpoint-variable: got a value that looks like a GitHub token (40 characters, not shown); a credential belongs in private-key or token, never here"},
		{"EVENTS", "push, " + token, "input events: got a value of 46 characters holding what looks like a GitHub token (not shown); a credential belongs"},
		{"DISPATCH_EVENT_TYPE", token, "input dispatch-event-type: got a value that looks like a GitHub token"},
		{"API_URL", "https://" + token + "@ghes.example.com/api/v3", "input api-url: got a value of 73 characters holding what looks like a GitHub token"},
		{"APP_ID", testKeyPEM(), "input app-id: want the App's numeric id (such as 123456) or its client id (Iv1.…), got a value that looks like a PEM private key ("},
		{"ORG", token, "input org: a value that looks like a GitHub token (40 characters, not shown) is not an organization login"},
		{"MAX_ATTEMPTS", token, "input max-attempts: want a whole number, got a value that looks like a GitHub token (40 characters, not shown)"},
		{"SINCE", token, "(36h, 3d), got a value that looks like a GitHub token (40 characters, not shown)"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"TOKEN": "t", "ORG": "acme", "HOOK_ID": "1", tt.key: tt.v}
			if tt.key == "APP_ID" {
				env["PRIVATE_KEY"] = testKeyPEM()
			}
			cfg, err := Load(t.Context(), envconfig.MapLookuper(env))
			if err == nil {
				err = cfg.Validate(Runner{Repository: "acme/ops"})
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if n := strings.Count(err.Error(), "\n"); n > 0 {
				t.Errorf("%d errors, want one: %v", n+1, err)
			}
			for line := range strings.SplitSeq(tt.v, "\n") {
				if len(line) > 5 && strings.Contains(err.Error(), line) {
					t.Errorf("the error shows %q", line)
				}
			}
		})
	}
}

// TestTokenThatCannotBeSent: a token with a character that cannot be in a
// request header is bad input naming token, described, never shown.
func TestTokenThatCannotBeSent(t *testing.T) {
	t.Parallel()
	const half = "ghp_0123456789abcdefgh"
	for _, tt := range []struct{ name, token, want string }{
		{"a line break", half + "\nijABCDEFGHIJ012345", "input token: a value of 41 characters (not shown) holds a line break at character 23, and a token is visible ASCII only: it cannot be sent in a request header; check that the secret holds the token alone, on one line (leading and trailing whitespace is trimmed already)"},
		{"a space", half + " ijABCDEFGHIJ012345", "holds a space at character 23"},
		{"a tab", half + "\tijABCDEFGHIJ012345", "holds a control character at character 23"},
		{"outside ASCII", half + "é", "holds a character outside ASCII at character 23"},
		{"a key", testKeyPEM(), "input token: a value that looks like a PEM private key ("},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(t.Context(), envconfig.MapLookuper(map[string]string{"TOKEN": tt.token, "ORG": "acme", "HOOK_ID": "1"}))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate(Runner{Repository: "acme/ops"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			for _, part := range append(strings.Fields(tt.token), half) {
				if len(part) > 5 && strings.Contains(err.Error(), part) {
					t.Errorf("the error shows %q", part)
				}
			}
		})
	}
}

// TestSinceInTheFuture: a since time more than a few minutes ahead of the
// runner's clock is bad input naming since; a little ahead is clock skew,
// and a duration is always back from now.
func TestSinceInTheFuture(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		since   string
		want    time.Time // the window's start, for now
		wantErr string
	}{
		{since: "2099-01-01T00:00:00Z", wantErr: `input since: "2099-01-01T00:00:00Z" is in the future: the runner's clock reads 2026-11-21T06:00:00Z; give a past time, or a duration back from now such as 36h or 3d`},
		{since: "4070908800000", wantErr: `input since: "4070908800000" (2099-01-01T00:00:00Z) is in the future`},
		{since: "2026-11-21T06:06:00Z", wantErr: "is in the future"},
		{since: "2026-11-21T06:04:00Z", want: time.Date(2026, 11, 21, 6, 4, 0, 0, time.UTC)},
		{since: "2026-11-20T06:00:00+01:00", want: time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC)},
		{since: "36h", want: now.Add(-36 * time.Hour)},
		{since: "3d", want: now.Add(-72 * time.Hour)},
	} {
		t.Run(tt.since, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(t.Context(), envconfig.MapLookuper(map[string]string{"TOKEN": "t", "ORG": "acme", "HOOK_ID": "1", "SINCE": tt.since}))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate(Runner{Repository: "acme/ops", Now: now})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.ReadFrom()(now); !got.Equal(tt.want) {
				t.Errorf("reads from %s, want %s", got, tt.want)
			}
		})
	}
}
