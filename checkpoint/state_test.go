package checkpoint

import (
	"strings"
	"testing"
	"time"
)

func TestParseEncode(t *testing.T) {
	t.Parallel()
	cp := time.UnixMilli(1763618400000).UTC()
	tests := []struct {
		name, in, wantErr string
	}{
		{name: "GitHub's scripts write epoch milliseconds", in: "1763618400000"},
		{name: "surrounding space", in: " 1763618400000\n"},
		{name: "garbage", in: "yesterday", wantErr: "want epoch milliseconds"},
		{name: "negative", in: "-5", wantErr: "want epoch milliseconds"},
		{name: "json", in: `{"checkpoint":1763618400000}`, wantErr: "want epoch milliseconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !got.Checkpoint.Equal(cp) {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, got.Checkpoint, cp)
			}
			if enc := got.Encode(); enc != "1763618400000" {
				t.Errorf("Encode() = %q, want the plain number", enc)
			}
		})
	}
}

func TestDefaultNameIsValidAndDistinct(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ app, org, owner, repo string }{
		{app: "123"}, {app: "Iv1.abc"}, {org: "acme"}, {org: "my-org"},
		{owner: "a-b", repo: "c"}, {owner: "a", repo: "b-c"}, {owner: "a", repo: "b_c"}, {owner: "a", repo: "b.c"},
	} {
		n := DefaultName(c.app, c.org, c.owner, c.repo, 7)
		if err := ValidateName(n); err != nil {
			t.Errorf("DefaultName(%+v) = %q: %v", c, n, err)
		}
	}
	// a-b/c and a/b-c must not share a checkpoint. (Hook ids are unique
	// across GitHub, so two repositories never share one.)
	if DefaultName("", "", "a-b", "c", 1) == DefaultName("", "", "a", "b-c", 1) {
		t.Error("a-b/c and a/b-c share a variable name")
	}
}

func TestValidateName(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"", "1ABC", "GITHUB_X", "github_x", "A-B", "A B"} {
		if ValidateName(n) == nil {
			t.Errorf("ValidateName(%q) = nil, want an error", n)
		}
	}
	for _, n := range []string{"LAST_REDELIVERY", "_x", "a1"} {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v", n, err)
		}
	}
}
