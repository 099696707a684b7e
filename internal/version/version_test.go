package version

import (
	"runtime/debug"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	t.Parallel()
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "50e688eb445092e0cbdbcf3e733ede63c083c80b"
	for _, tt := range []struct {
		name    string
		stamped string
		info    *debug.BuildInfo // nil: none
		want    string
	}{
		{"a release build", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261208013348-50e688eb4450"}}, "v1.2.3"},
		{"go install …@v1.2.3", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"go build in a clone", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261208013348-50e688eb4450+dirty"}, Settings: vcs(rev, "true")}, "v0.0.0-20261208013348-50e688eb4450+dirty"},
		{"the commit only", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "dev-50e688eb4450"},
		{"the commit, changed", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "dev-50e688eb4450-dirty"},
		{"nothing recorded", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"no build info", "dev", nil, "dev"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Resolve(tt.stamped, func() (*debug.BuildInfo, bool) { return tt.info, tt.info != nil })
			if got != tt.want {
				t.Errorf("Resolve = %q, want %q", got, tt.want)
			}
		})
	}
}
