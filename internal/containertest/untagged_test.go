//go:build !container

package containertest

import "testing"

// TestContainer stands in for the tests of this package, which build only
// with the container tag: without it, go test ./... would list the package
// with no test files and nothing to say how to run them.
func TestContainer(t *testing.T) {
	t.Skip("the container tests build only with -tags container and need Docker and the built image; " +
		"run them with: bash .ci/container.sh")
}
