package releasetest

import (
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The test commands the README gives: with the race detector, as CI runs
// it, and without, for a machine with no C compiler.
const (
	raceTests = "go test -race -count=1 -shuffle=on ./..."
	noCgo     = "CGO_ENABLED=0 go test -count=1 -shuffle=on ./..."
)

// readmeSection is the README's section under the given "## " heading.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	s := string(readRepo(t, "README.md"))
	i := strings.Index(s, "\n## "+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no section %q", heading)
	}
	s = s[i+1:]
	if j := strings.Index(s[3:], "\n## "); j >= 0 {
		s = s[:j+3]
	}
	return s
}

// TestReadmeTestCommands: the README's Development section gives the test
// command CI runs, says what -race needs and what to run without a C
// compiler, and names the scripts that run the tests behind build tags.
func TestReadmeTestCommands(t *testing.T) {
	t.Parallel()
	dev := readmeSection(t, "Development")
	for _, want := range []string{
		raceTests, noCgo, "cgo", "C compiler", "-race requires cgo",
		"bash .ci/container.sh", "bash .ci/act.sh", "bash .ci/release-rehearsal.sh",
	} {
		if !strings.Contains(dev, want) {
			t.Errorf("the README's Development section does not say %q", want)
		}
	}
	// CI runs the README's command, as it stands.
	var inRun bool
	for line := range strings.Lines(string(readRepo(t, ".ci/run"))) {
		inRun = inRun || strings.TrimSpace(line) == raceTests
	}
	if !inRun {
		t.Errorf(".ci/run has no line %q", raceTests)
	}
	var inCI bool
	for _, j := range readWorkflow(t, "ci.yml").Jobs {
		for _, s := range j.Steps {
			inCI = inCI || strings.TrimSpace(s.Run) == raceTests
		}
	}
	if !inCI {
		t.Errorf("no step of ci.yml runs %q", raceTests)
	}
}

// TestTaggedTestsSayHowToRun: a package whose tests need a build tag also
// has a test without it, which says how to run the real ones, so that
// go test ./... does not list it with no test files.
func TestTaggedTestsSayHowToRun(t *testing.T) {
	t.Parallel()
	for dir, script := range map[string]string{
		"internal/acttest":       "bash .ci/act.sh",
		"internal/containertest": "bash .ci/container.sh",
	} {
		pkg, err := build.Default.ImportDir(repoPath(dir), 0)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		if len(pkg.TestGoFiles) == 0 {
			t.Errorf("%s has no test file without a build tag; go test ./... shows it with no test files", dir)
			continue
		}
		var says bool
		for _, f := range pkg.TestGoFiles {
			b, err := os.ReadFile(filepath.Join(pkg.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			says = says || (strings.Contains(string(b), "t.Skip(") && strings.Contains(string(b), script))
		}
		if !says {
			t.Errorf("%s: no untagged test skips with the command to run its tests, %s", dir, script)
		}
	}
}
