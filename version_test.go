package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestVersionOfABuild builds the binary as a user does, from a git
// checkout with go build, and as a release does, with -X main.version, and
// asks each for --version: the first names the commit, the second the
// stamped version.
func TestVersionOfABuild(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goTool, err1 := exec.LookPath("go")
	gitTool, err2 := exec.LookPath("git")
	if err1 != nil || err2 != nil {
		t.Skip("needs the go and git commands")
	}
	// A checkout of the sources as they are now, committed.
	src := t.TempDir()
	files, err := exec.Command(gitTool, "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.go", "go.mod", "go.sum").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	for _, f := range strings.Fields(string(files)) {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) || strings.HasSuffix(f, "_test.go") {
			continue // deleted, or not needed to build
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), name, args...)
		cmd.Dir, cmd.Env = src, append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	git := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null"}
	run(git, gitTool, "init", "-q")
	run(git, gitTool, "add", ".")
	run(git, gitTool, "commit", "-q", "-m", "sources")
	rev := strings.TrimSpace(run(git, gitTool, "rev-parse", "HEAD"))

	// -buildvcs=true: a machine may turn it off in its go env.
	build := []string{"GOFLAGS=-buildvcs=true"}
	run(build, goTool, "build", "-o", "plain", ".")
	run(build, goTool, "build", "-ldflags", "-X main.version=v9.8.7", "-o", "stamped", ".")

	want := regexp.MustCompile(`^hook-redeliver v0\.0\.0-[0-9]{14}-` + rev[:12] + "\n$")
	if got := run(nil, filepath.Join(src, "plain"), "--version"); !want.MatchString(got) {
		t.Errorf("go build: --version printed %q, want the version Go derives from commit %s", got, rev[:12])
	}
	if got := run(nil, filepath.Join(src, "stamped"), "--version"); got != "hook-redeliver v9.8.7\n" {
		t.Errorf("-X main.version=v9.8.7: --version printed %q", got)
	}
}
