package config

import (
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

const goodLeg = `{"v":1,"groups":[{"account":"acme","installation":7,"targets":[{"org":"acme","hook":5,"var":"REDELIVER_ORG_ACME_HOOK_5","state":"org:acme"}]}]}`

// TestValidateMany: plan, leg, parallel, checkpoint-store and the lists of
// organizations, each bad value named by its input.
func TestValidateMany(t *testing.T) {
	t.Parallel()
	app := map[string]string{"APP_ID": "1", "PRIVATE_KEY": testKeyPEM()}
	with := func(extra map[string]string, base ...map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range append(base, extra) {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	tests := []struct {
		name     string
		inputs   map[string]string
		wantErr  string // "" for valid
		wantMany bool
	}{
		{name: "org: all with an App", inputs: with(map[string]string{"ORG": "all"}, app), wantMany: true},
		{name: "a plan of every organization, checkpoints in each", inputs: with(map[string]string{"ORG": "all", "PLAN": "true", "CHECKPOINT_STORE": "organization"}, app), wantMany: true},
		{name: "a leg", inputs: with(map[string]string{"LEG": goodLeg}, app), wantMany: true},
		{name: "one organization is not many", inputs: map[string]string{"TOKEN": "t", "ORG": "acme", "HOOK_ID": "1"}},
		{name: "one organization, checkpoint in it", inputs: map[string]string{"TOKEN": "t", "ORG": "acme", "HOOK_ID": "1", "CHECKPOINT_STORE": "Organization"}},

		{name: "org: all needs an App", inputs: map[string]string{"TOKEN": "t", "ORG": "all"}, wantErr: "input app-id: required with org: all"},
		{name: "org: all with a token too", inputs: with(map[string]string{"TOKEN": "t", "ORG": "all"}, app), wantErr: "input token: with org: all"},
		{name: "installation-id with several", inputs: with(map[string]string{"ORG": "a,b", "INSTALLATION_ID": "5"}, app), wantErr: "input installation-id: several organizations"},
		{name: "a bad store", inputs: map[string]string{"TOKEN": "t", "ORG": "acme", "HOOK_ID": "1", "CHECKPOINT_STORE": "enterprise"}, wantErr: `input checkpoint-store: want repository`},
		{name: "organization store and a repository", inputs: map[string]string{"TOKEN": "t", "ORG": "acme", "HOOK_ID": "1", "CHECKPOINT_STORE": "organization", "CHECKPOINT_REPOSITORY": "acme/ops"},
			wantErr: "input checkpoint-repository and checkpoint-store:"},
		{name: "the App's webhook has no organization", inputs: with(map[string]string{"CHECKPOINT_STORE": "organization"}, app), wantErr: "input checkpoint-store: the GitHub App's own webhook"},
		{name: "parallel 0", inputs: with(map[string]string{"ORG": "all", "PARALLEL": "0"}, app), wantErr: "input parallel: want from 1 to 100"},
		{name: "plan and leg", inputs: with(map[string]string{"LEG": goodLeg, "PLAN": "true"}, app), wantErr: "input plan and leg: both set"},
		{name: "a leg and org", inputs: with(map[string]string{"LEG": goodLeg, "ORG": "acme"}, app), wantErr: "input org: the leg says which webhooks"},
		{name: "a leg that is not one", inputs: with(map[string]string{"LEG": "acme"}, app), wantErr: "input leg: not a leg of the plan's matrix"},
		{name: "a leg's repository without an owner", inputs: with(map[string]string{"LEG": strings.Replace(goodLeg, `"org":"acme"`, `"repo":"acme"`, 1)}, app), wantErr: `input leg: webhook 5: want owner/name, got "acme"`},
		{name: "a leg's organization that is no login", inputs: with(map[string]string{"LEG": strings.Replace(goodLeg, `"org":"acme"`, `"org":"-bad/x"`, 1)}, app), wantErr: `input leg: webhook 5: "-bad/x" is not an organization login`},
		{name: "a leg's checkpoint place that is no login", inputs: with(map[string]string{"LEG": strings.Replace(goodLeg, `"state":"org:acme"`, `"state":"org:-bad"`, 1)}, app), wantErr: `input leg: webhook 5: checkpoint place "org:-bad" names no organization or repository`},
		{name: "a leg's checkpoint place with two slashes", inputs: with(map[string]string{"LEG": strings.Replace(goodLeg, `"state":"org:acme"`, `"state":"repo:a/b/c"`, 1)}, app), wantErr: `input leg: webhook 5: checkpoint place "repo:a/b/c" names no organization or repository`},
		{name: "a leg's installation needs the App", inputs: map[string]string{"TOKEN": "t", "LEG": goodLeg}, wantErr: "input app-id: required: the leg's installation 7"},
		{name: "a plan of the App's webhook", inputs: with(map[string]string{"PLAN": "true"}, app), wantErr: "input plan: the GitHub App's own webhook is one target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(t.Context(), envconfig.MapLookuper(tt.inputs))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate(Runner{Repository: "acme/ops"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Many() != tt.wantMany {
				t.Errorf("Many() = %t, want %t", cfg.Many(), tt.wantMany)
			}
		})
	}
}

// PlaceFor: the checkpoint repository, or the organization that holds the
// webhook.
func TestPlaceFor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		store string
		t     redeliver.Target
		want  checkpoint.Place
	}{
		{"", redeliver.Target{Org: "acme", HookID: 1}, checkpoint.Place{Owner: "acme", Repo: "ops"}},
		{"organization", redeliver.Target{Org: "widgets", HookID: 1}, checkpoint.Place{Org: "widgets"}},
		{"organization", redeliver.Target{Owner: "parts", Repo: "api", HookID: 1}, checkpoint.Place{Org: "parts"}},
	} {
		cfg, err := Load(t.Context(), envconfig.MapLookuper(map[string]string{"TOKEN": "t", "ORG": "a,b", "CHECKPOINT_STORE": tt.store}))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(Runner{Repository: "acme/ops"}); err != nil {
			t.Fatal(err)
		}
		if got := cfg.PlaceFor(tt.t); got != tt.want {
			t.Errorf("store %q, %s: %v, want %v", tt.store, tt.t, got, tt.want)
		}
	}
}
