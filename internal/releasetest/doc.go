// Package releasetest checks what a release and a newcomer rely on outside
// the Go code: the script that pins action.yml to an image digest, the
// release workflow that calls it and records provenance, the changelog, and
// the commands the README gives for running the tests.
//
// The tests read the repository's files and run the pin script with bash;
// they need nothing else, so they run with every `go test ./...`. The release
// itself is rehearsed end to end, under nektos/act with the image pulled by
// digest from a local registry, by .ci/release-rehearsal.sh.
package releasetest
