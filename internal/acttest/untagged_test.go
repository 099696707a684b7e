//go:build !act

package acttest

import "testing"

// TestAct stands in for the tests of this package, which build only with the
// act tag: without it, go test ./... would list the package with no test
// files and nothing to say how to run them.
func TestAct(t *testing.T) {
	t.Skip("the act tests build only with -tags act and need Docker, act and the images they run; " +
		"run them with: bash .ci/act.sh (the release rehearsal: bash .ci/release-rehearsal.sh)")
}
