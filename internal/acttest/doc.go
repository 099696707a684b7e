// Package acttest runs the action under a second, independent implementation
// of the Actions runner, nektos/act: a workflow that uses the action from the
// repository checkout (uses: ./) runs against the fake GitHub API, and the
// test checks the redeliveries the fake received and the step outputs a
// later step of the workflow read.
//
// internal/containertest plays the runner by hand; this package asks another
// runner, so that a misreading of the runner's contract shared by the action
// and that test (how inputs are named and passed, how outputs are written
// and read back, how secrets and variables arrive) shows up here.
//
// The test needs act, a Docker engine, the action's image and a job image
// with a shell, so it only builds with the act tag; without it the package
// has one test, which skips and says how to run the real one. .ci/act.sh
// installs and builds all of that and then runs
//
//	go test -count=1 -tags act -run TestAct ./internal/acttest/ -v -act ACT -image hook-redeliver:ci -job-image hook-redeliver-ci/job:busybox
//
// act's own docker build has no network, so the test points a copy of
// action.yml at the built image as docker://IMAGE, the form a release uses.
// The job and step containers use the host's network and reach the fake on
// 127.0.0.1. If act, Docker or an image is missing the test fails loudly:
// skipping is the script's decision, not the test's.
//
// TestReleaseRehearsal runs the same workflow from an action.yml as a release
// makes it: pinned by .github/release/pin-image.sh to an image by digest on a
// registry, with no local copy of the image, so that act must pull it.
// .ci/release-rehearsal.sh starts that registry on 127.0.0.1, pushes the
// image, pins a copy of action.yml and runs
//
//	go test -count=1 -tags act -run '^TestReleaseRehearsal$' ./internal/acttest/ -v -act ACT -job-image hook-redeliver-ci/job:busybox -pinned-action PINNED/action.yml -registry-log REGISTRY.log
package acttest
