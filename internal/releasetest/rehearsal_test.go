package releasetest

import (
	"strings"
	"testing"
)

// TestOneScriptPins: CI's rehearsal pins with the script the release uses,
// and CI lints it.
func TestOneScriptPins(t *testing.T) {
	t.Parallel()
	rehearsal := string(readRepo(t, ".ci/release-rehearsal.sh"))
	if !strings.Contains(rehearsal, "bash "+pinScript+" ") {
		t.Errorf(".ci/release-rehearsal.sh does not run %s", pinScript)
	}
	if !strings.Contains(string(readRepo(t, ".ci/run")), `docker_check "RELEASE REHEARSAL" .ci/release-rehearsal.sh`) {
		t.Error(".ci/run does not run .ci/release-rehearsal.sh")
	}
	ci := readWorkflow(t, "ci.yml")
	var linted, rehearsed bool
	for _, j := range ci.Jobs {
		for _, s := range j.Steps {
			linted = linted || (strings.Contains(s.Run, "shellcheck") && strings.Contains(s.Run, ".github/release/"))
			rehearsed = rehearsed || strings.Contains(s.Run, "bash .ci/release-rehearsal.sh")
		}
	}
	if !linted {
		t.Errorf("ci.yml does not shellcheck %s", pinScript)
	}
	if !rehearsed {
		t.Error("ci.yml does not run .ci/release-rehearsal.sh")
	}
}
