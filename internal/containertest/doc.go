// Package containertest runs the action's container image the way the GitHub
// Actions runner runs a Docker container action, against the fake GitHub API,
// and checks what a workflow would see: the exit status, the log, the
// GITHUB_OUTPUT and job summary files, and the requests GitHub received.
//
// The tests need a Docker engine and a built image, so they only build with
// the container tag; without it the package has one test, which skips and
// says how to run the real ones. .ci/container.sh builds the image and then
// runs
//
//	go test -count=1 -tags container -run TestContainer ./internal/containertest/ -image hook-redeliver:ci -v
//
// The containers use the host's network (the CI daemon has no bridge) and
// reach the fake on 127.0.0.1. If Docker or the image is missing, the tests
// fail loudly: skipping is the script's decision, not theirs.
package containertest
