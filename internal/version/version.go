// Package version says which build of hook-redeliver is running.
package version

import (
	"runtime/debug"
)

// Resolve is the binary's version: the one stamped at build time
// (release builds, -ldflags "-X main.version=v1.2.3"), else what Go recorded
// of the build: the module's version (go install …@v1.2.3, or the
// pseudo-version go build derives from the commit), else the commit itself
// (dev-<revision>, -dirty with uncommitted changes), else "dev". The
// Dockerfile stamps "dev" when no VERSION is given, so "dev" counts as not
// stamped.
func Resolve(stamped string, read func() (*debug.BuildInfo, bool)) string {
	if stamped != "" && stamped != "dev" {
		return stamped
	}
	info, ok := read()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return "dev"
	}
	return "dev-" + rev[:min(12, len(rev))] + dirty
}
