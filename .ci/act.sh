#!/usr/bin/env bash
# Run the action under a second, independent runner: nektos/act drives a
# workflow that uses the action from the repository checkout (uses: ./)
# against the fake GitHub on 127.0.0.1, and internal/acttest checks what the
# fake received and what a later step read of the action's outputs.
#
# Like container.sh it runs on a fresh Debian machine with only Go, git, the
# Go module proxy and Debian's archive, and no image registry. So the script
#   1. starts a Docker engine if none answers (lib.sh);
#   2. installs act from the Go module proxy into a cache directory, once;
#   3. makes the job image act runs `run:` steps in: an empty image with a
#      static busybox from Debian (busybox-static), imported with docker
#      import, reused while busybox and the recipe are unchanged;
#   4. builds the action's image with `container.sh --build-only` (act's own
#      docker build has no network, so the test points a copy of action.yml
#      at the built image as docker://IMAGE, the release's own form);
#   5. runs the test in internal/acttest.
#
# Exit codes: 0 passed, 1 failed, 3 skipped because no Docker engine could be
# started (see lib.sh).
#
# Environment (all optional):
#   ACT                   act binary to use instead of the cached v0.2.89
#   HOOK_REDELIVER_IMAGE  tag of the action's image (default hook-redeliver:ci)
#   GO_IMAGE              passed on to container.sh
#   KEEP_DOCKERD=1        leave a dockerd that this script started running
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
image=${HOOK_REDELIVER_IMAGE:-hook-redeliver:ci}

CHECK="act check"
# shellcheck source=lib.sh
source "$root/.ci/lib.sh"

main() {
  cd "$root"
  command -v go >/dev/null 2>&1 || fail "go is not on PATH"
  # Docker first: when it cannot start, the check is skipped before
  # minutes go into installing act.
  ensure_docker
  log "docker engine $(docker version -f '{{.Server.Version}}')"

  local t=$SECONDS
  ensure_act
  log "act ready in $((SECONDS - t)) s"

  t=$SECONDS
  build_job_image
  log "job image ready in $((SECONDS - t)) s"

  build_action_image "$image"

  t=$SECONDS
  log "running the act test: $act, action image $image, job image $JOB_TAG"
  go test -count=1 -tags act -run TestAct ./internal/acttest/ -v \
    -act "$act" -image "$image" -job-image "$JOB_TAG" ||
    fail "act test failed"
  log "act test ran in $((SECONDS - t)) s"
  log "act check took $SECONDS s in all"
}

main "$@"
