package target

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// The hook-id input's many forms (ids, lists, pasted URLs) are tested through
// the whole configuration in internal/config; these test the spec itself.
func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		org, repository, hooks string
		want                   Spec
		wantErr                string // in the first error
	}{
		{name: "the App's webhook", want: Spec{Hooks: Hooks{IDs: []int64{0}}}},
		{name: "an org's hooks", org: "acme", hooks: "1, 2", want: Spec{Base: redeliver.Target{Org: "acme"}, Hooks: Hooks{IDs: []int64{1, 2}}}},
		{name: "every hook of a repository", repository: "acme/shop", hooks: "ALL", want: Spec{Base: redeliver.Target{Owner: "acme", Repo: "shop"}, Hooks: Hooks{All: true}}},
		{name: "both", org: "acme", repository: "acme/shop", hooks: "1", wantErr: "input org: set org or repository, not both"},
		{name: "a bad login", org: "-acme", hooks: "1", wantErr: `input org: "-acme" is not an organization login`},
		{name: "no owner", repository: "shop", hooks: "1", wantErr: `input repository: want owner/name such as octo-org/octo-repo, got "shop"`},
		{name: "no hook id", org: "acme", wantErr: "input hook-id: required with org or repository"},
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
		})
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	org := redeliver.Target{Org: "acme"}
	listed := func(_ context.Context, base redeliver.Target) ([]int64, error) {
		if base != org {
			return nil, errors.New("listed the wrong holder")
		}
		return []int64{7, 8}, nil
	}
	failing := func(context.Context, redeliver.Target) ([]int64, error) { return nil, errors.New("403") }
	tests := []struct {
		name    string
		spec    Spec
		list    Lister
		want    []redeliver.Target
		wantErr string
	}{
		{"the App's webhook", Spec{Hooks: Hooks{IDs: []int64{0}}}, failing, []redeliver.Target{{}}, ""},
		{"ids as given", Spec{Base: org, Hooks: Hooks{IDs: []int64{3, 1}}}, failing, []redeliver.Target{{Org: "acme", HookID: 3}, {Org: "acme", HookID: 1}}, ""},
		{"all, listed", Spec{Base: org, Hooks: Hooks{All: true}}, listed, []redeliver.Target{{Org: "acme", HookID: 7}, {Org: "acme", HookID: 8}}, ""},
		{"all, the listing fails", Spec{Base: org, Hooks: Hooks{All: true}}, failing, nil, "403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.spec.Targets(t.Context(), tt.list)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitRepository(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"acme/shop": true, "acme/.github": true, "acme": false, "acme/": false, "/shop": false, "-acme/shop": false, "acme/sh op": false} {
		if _, _, ok := SplitRepository(s); ok != want {
			t.Errorf("SplitRepository(%q) ok = %t, want %t", s, ok, want)
		}
	}
}
