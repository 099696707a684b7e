package target

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

func TestParseMany(t *testing.T) {
	t.Parallel()
	all := Hooks{All: true}
	tests := []struct {
		name                   string
		org, repository, hooks string
		want                   Spec
		wantName               string
		wantErr                string // in the first error
	}{
		{name: "every organization of the App", org: "all", want: Spec{AllOrgs: true, Hooks: all}, wantName: "every organization the App is installed in"},
		{name: "ALL, with hook-id all", org: "ALL", hooks: "all", want: Spec{AllOrgs: true, Hooks: all}},
		{name: "a list of organizations", org: "acme, widgets\nparts", want: Spec{Holders: []redeliver.Target{{Org: "acme"}, {Org: "widgets"}, {Org: "parts"}}, Hooks: all},
			wantName: "organizations acme, widgets, parts, every webhook of each"},
		{name: "a list of repositories", repository: "acme/shop,acme/api", want: Spec{Holders: []redeliver.Target{{Owner: "acme", Repo: "shop"}, {Owner: "acme", Repo: "api"}}, Hooks: all},
			wantName: "repositories acme/shop, acme/api, every webhook of each"},
		{name: "hook ids do not go with several", org: "a,b", hooks: "12", wantErr: "input hook-id: with several organizations or repositories, or org: all, leave hook-id empty or set it to all"},
		{name: "all in a list", org: "all,acme", wantErr: "input org: all stands alone"},
		{name: "twice", org: "acme,ACME", wantErr: "input org: \"ACME\" is listed twice"},
		{name: "a bad login", org: "acme,-x", wantErr: `input org: "-x" is not an organization login`},
		{name: "a bad repository", repository: "acme/shop,shop", wantErr: `input repository: want owner/name`},
		{name: "both", org: "a,b", repository: "a/x", wantErr: "input org: set org or repository, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, errs := Parse(tt.org, tt.repository, tt.hooks)
			if tt.wantErr != "" {
				if len(errs) == 0 || !strings.HasPrefix(errs[0].Error(), tt.wantErr) {
					t.Fatalf("errors %v, want the first starting %q", errs, tt.wantErr)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatal(errors.Join(errs...))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
			if !got.Many() {
				t.Error("Many() = false")
			}
			if tt.wantName != "" && got.Name() != tt.wantName {
				t.Errorf("Name() = %q, want %q", got.Name(), tt.wantName)
			}
		})
	}
	// One organization is not many, whatever the hooks.
	for _, c := range [][3]string{{"acme", "", "1,2"}, {"acme", "", "all"}, {"", "acme/shop", "3"}, {"", "", ""}} {
		if s, _, _ := Parse(c[0], c[1], c[2]); s.Many() {
			t.Errorf("Parse(%q, %q, %q) is many", c[0], c[1], c[2])
		}
	}
}
