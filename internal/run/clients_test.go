package run

import (
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/hook-redeliver/hook-redeliver/internal/config"
)

// TestNewGitHubClientBaseURL: the API's flavour decides where requests go.
func TestNewGitHubClientBaseURL(t *testing.T) {
	t.Parallel()
	for api, want := range map[string]string{
		"https://api.github.com":            "https://api.github.com/",
		"https://api.acme.ghe.com":          "https://api.acme.ghe.com/",
		"http://127.0.0.1:8080":             "http://127.0.0.1:8080/",
		"http://localhost:8080/api/v3":      "http://localhost:8080/api/v3/",
		"https://ghes.example.com":          "https://ghes.example.com/api/v3/",
		"https://ghes.example.com/api/v3":   "https://ghes.example.com/api/v3/",
		"https://ghes.example.com/api/v3/":  "https://ghes.example.com/api/v3/",
		"https://proxy.example.com/github/": "https://proxy.example.com/github/api/v3/",
	} {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Load(t.Context(), envconfig.MapLookuper(map[string]string{
				"TOKEN": "t", "ORG": "acme", "HOOK_ID": "1", "API_URL": api, "CHECKPOINT_REPOSITORY": "acme/ops",
			}))
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.Validate(config.Runner{}); err != nil {
				t.Fatal(err)
			}
			c, err := newGitHubClient(cfg, nil, "test")
			if err != nil {
				t.Fatal(err)
			}
			if got := c.BaseURL.String(); got != want {
				t.Errorf("base URL %s, want %s", got, want)
			}
			if c.UserAgent != "hook-redeliver/test" {
				t.Errorf("User-Agent %q", c.UserAgent)
			}
		})
	}
}
