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

readonly ACT_MODULE=github.com/nektos/act
readonly ACT_VERSION=v0.2.89
readonly JOB_TAG=hook-redeliver-ci/job:busybox
# Bump when the job image's recipe below changes, so cached copies are rebuilt.
readonly JOB_RECIPE=1
readonly JOB_LABEL=dev.hook-redeliver.ci.job

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
image=${HOOK_REDELIVER_IMAGE:-hook-redeliver:ci}

CHECK="act check"
# shellcheck source=lib.sh
source "$root/.ci/lib.sh"

# ensure_act sets act to a binary of ACT_VERSION, installing it with
# go install into a cache directory the first time.
ensure_act() {
  if [[ -n ${ACT:-} ]]; then
    act=$ACT
    log "using act from the environment: $act ($("$act" --version 2>&1))"
    return 0
  fi
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/hook-redeliver-ci/act-$ACT_VERSION"
  act=$dir/act
  if [[ -x $act ]] && [[ $("$act" --version 2>/dev/null) == "act version ${ACT_VERSION#v}" ]]; then
    log "reusing $act"
    return 0
  fi
  log "installing $ACT_MODULE@$ACT_VERSION into $dir"
  mkdir -p "$dir"
  GOBIN=$dir go install "$ACT_MODULE@$ACT_VERSION" || fail "go install $ACT_MODULE@$ACT_VERSION failed"
  [[ $("$act" --version 2>&1) == "act version ${ACT_VERSION#v}" ]] ||
    fail "$act says \"$("$act" --version 2>&1)\", want act version ${ACT_VERSION#v}"
}

# build_job_image makes the image act starts for the job: busybox's sh and
# applets (act keeps the container up with tail, runs steps with sh and lays
# out files with the Docker API), nothing else.
build_job_image() {
  ensure_static_busybox
  local want have
  want="busybox-$(busybox_version)/r$JOB_RECIPE"
  have=$(docker image inspect -f "{{ index .Config.Labels \"$JOB_LABEL\" }}" "$JOB_TAG" 2>/dev/null || true)
  if [[ $have == "$want" ]]; then
    log "reusing job image $JOB_TAG ($want)"
    return 0
  fi
  log "building job image $JOB_TAG ($want)"
  local rootfs
  rootfs=$(mktemp -d -t hook-redeliver-job.XXXXXX)
  cleanup_dirs+=("$rootfs")
  busybox_rootfs "$rootfs"
  tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf - . |
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV HOME=/root' \
      --change "LABEL $JOB_LABEL=$want" \
      - "$JOB_TAG" >/dev/null
}

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

  t=$SECONDS
  log "building the action's image $image with container.sh --build-only"
  HOOK_REDELIVER_IMAGE=$image bash .ci/container.sh --build-only ||
    fail "container.sh --build-only failed"
  log "action image ready in $((SECONDS - t)) s"

  t=$SECONDS
  log "running the act test: $act, action image $image, job image $JOB_TAG"
  go test -count=1 -tags act -run TestAct ./internal/acttest/ -v \
    -act "$act" -image "$image" -job-image "$JOB_TAG" ||
    fail "act test failed"
  log "act test ran in $((SECONDS - t)) s"
  log "act check took $SECONDS s in all"
}

main "$@"
