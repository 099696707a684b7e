package checkpoint

import (
	"errors"
	"strings"
	"testing"
)

func TestPlaceRoundTrip(t *testing.T) {
	t.Parallel()
	for _, p := range []Place{{Org: "acme"}, {Owner: "acme", Repo: "ops"}} {
		got, err := ParsePlace(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePlace(%q) = %v, %v", p.String(), got, err)
		}
	}
	for _, bad := range []string{"", "org:", "repo:acme", "org:a/b", "team:x", "repo:/x"} {
		if _, err := ParsePlace(bad); err == nil {
			t.Errorf("ParsePlace(%q) accepted", bad)
		}
	}
}

func TestCheckRoom(t *testing.T) {
	t.Parallel()
	many := func(p Place, n int) []Place {
		out := make([]Place, n)
		for i := range out {
			out[i] = p
		}
		return out
	}
	ops := Place{Owner: "acme", Repo: "ops"}
	tests := []struct {
		name    string
		places  []Place
		wantErr string
	}{
		{"250 targets fit a repository", many(ops, 250), ""},
		{"251 do not", many(ops, 251), "251 webhooks keep up to 502 variables in repository acme/ops, which holds 500"},
		{"case folds", append(many(ops, 200), many(Place{Owner: "ACME", Repo: "Ops"}, 51)...), "251 webhooks"},
		{"1,000 targets over four organizations fit", func() []Place {
			var ps []Place
			for _, org := range []string{"a", "b", "c", "d"} {
				ps = append(ps, many(Place{Org: org}, 250)...)
			}
			return ps
		}(), ""},
		{"500 fit an organization, 501 do not", many(Place{Org: "big"}, 501), "501 webhooks keep up to 1002 variables in organization big, which holds 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckRoom(tt.places)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var re *RoomError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want a *RoomError saying %q", err, tt.wantErr)
			}
		})
	}
}
