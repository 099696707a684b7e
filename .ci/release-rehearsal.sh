#!/usr/bin/env bash
# Rehearse a release offline: the image on a registry, action.yml pinned to
# it by digest with the release's own script, and that action.yml run under
# nektos/act, which must pull the image by digest.
#
# A release (.github/workflows/release.yml) pushes a multi-platform image to
# GHCR, pins the release commit's action.yml to the image index's digest with
# .github/release/pin-image.sh, and users' runners pull that digest. This
# script does the same on one machine with no registry reachable:
#   1. starts a Docker engine if none answers (lib.sh);
#   2. installs act and a registry (the `registry` command of
#      github.com/distribution/distribution/v3) from the Go module proxy into
#      a cache directory, once each, and makes act's job image (lib.sh);
#   3. builds the action's image with `container.sh --build-only`;
#   4. starts the registry on 127.0.0.1 on a port the kernel picks, with its
#      storage in a temporary directory;
#   5. pushes the image there, and an image index (a manifest list) over it,
#      as the release's multi-platform push makes one; the digest docker
#      reports must be the one the registry serves;
#   6. removes every local copy of the image (hook-redeliver:ci too, when it
#      is the same image), so that nothing but a pull can bring it back;
#   7. pins a copy of action.yml to REGISTRY/NAME@INDEX_DIGEST with
#      .github/release/pin-image.sh;
#   8. runs TestReleaseRehearsal in internal/acttest: the pinned action.yml
#      under act against the fake GitHub, checking the redeliveries, the
#      checkpoint and the outputs, and that the image was pulled by digest
#      from the registry.
# On exit it removes the pulled image and stops the registry; nothing it
# started stays up, and a second run picks a new port.
#
# Docker pushes to and pulls from registries on 127.0.0.0/8 over plain HTTP
# without configuration (its default insecure-registries); the script checks
# that the engine says so.
#
# Exit codes: 0 passed, 1 failed, 3 skipped because no Docker engine could
# be started (see lib.sh).
#
# Environment (all optional):
#   ACT                   act binary to use instead of the cached v0.2.89
#   REGISTRY              registry binary to use instead of the cached one
#   HOOK_REDELIVER_IMAGE  tag to build the action's image as (default
#                         hook-redeliver:ci)
#   GO_IMAGE              passed on to container.sh
#   KEEP_DOCKERD=1        leave a dockerd that this script started running
set -euo pipefail

readonly REGISTRY_MODULE=github.com/distribution/distribution/v3
readonly REGISTRY_VERSION=v3.1.2
# The image's name on the registry: GHCR's owner/repository, as in a release.
readonly NAME=hook-redeliver/hook-redeliver

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
image=${HOOK_REDELIVER_IMAGE:-hook-redeliver:ci}

CHECK="release rehearsal"
# shellcheck source=lib.sh
source "$root/.ci/lib.sh"

registry_pid=
pinned=

# ensure_registry sets registry to a binary of REGISTRY_VERSION, installing
# it with go install into a cache directory the first time.
ensure_registry() {
  if [[ -n ${REGISTRY:-} ]]; then
    registry=$REGISTRY
    log "using the registry from the environment: $registry"
    return 0
  fi
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/hook-redeliver-ci/registry-$REGISTRY_VERSION"
  registry=$dir/registry
  if [[ -x $registry ]] && [[ $(registry_version "$registry") == "$REGISTRY_VERSION" ]]; then
    log "reusing $registry"
    return 0
  fi
  log "installing $REGISTRY_MODULE/cmd/registry@$REGISTRY_VERSION into $dir"
  mkdir -p "$dir"
  GOBIN=$dir go install "$REGISTRY_MODULE/cmd/registry@$REGISTRY_VERSION" ||
    fail "go install $REGISTRY_MODULE/cmd/registry@$REGISTRY_VERSION failed"
  [[ $(registry_version "$registry") == "$REGISTRY_VERSION" ]] ||
    fail "$registry was built from $(registry_version "$registry"), want $REGISTRY_VERSION"
}

# registry_version is the module version a registry binary was built from,
# as the Go toolchain recorded it.
registry_version() {
  go version -m "$1" 2>/dev/null | awk -v m="$REGISTRY_MODULE" '$1 == "mod" && $2 == m { print $3 }'
}

# start_registry starts the registry on 127.0.0.1 with a port the kernel
# picks, and sets registry_addr (127.0.0.1:PORT) and registry_log.
start_registry() {
  local dir
  dir=$(mktemp -d -t hook-redeliver-registry.XXXXXX)
  cleanup_dirs+=("$dir")
  registry_log=$dir/registry.log
  # Access log on (the test reads it); no upload purging, tracing exporters
  # or debug server; a fixed secret so that it does not warn of a random one.
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $dir/storage
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: hook-redeliver-release-rehearsal
EOF
  # The log exists before the registry starts, for the reads below.
  : >"$registry_log"
  OTEL_TRACES_EXPORTER=none setsid "$registry" serve "$dir/config.yml" </dev/null >>"$registry_log" 2>&1 &
  registry_pid=$!
  cleanup_funcs+=(stop_registry)

  local i
  for ((i = 0; i < 100; i++)); do
    registry_addr=$(sed -n 's/.*msg="listening on \(127\.0\.0\.1:[0-9]*\)".*/\1/p' "$registry_log" | head -n 1) || true
    [[ -n $registry_addr ]] && break
    kill -0 "$registry_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $registry_addr ]]; then
    sed 's/^/    | /' "$registry_log" >&2
    fail "the registry did not start listening within 10 s (log above)"
  fi
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$registry_addr/v2/") == 200 ]] ||
    fail "the registry on $registry_addr does not answer GET /v2/"
  log "registry $REGISTRY_VERSION listening on $registry_addr (pid $registry_pid, log $registry_log)"
}

stop_registry() {
  [[ -n $registry_pid ]] || return 0
  kill -TERM "$registry_pid" 2>/dev/null || return 0
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$registry_pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$registry_pid" 2>/dev/null || true
}

# served_digest is the digest the registry serves for NAME:TAG, of a
# manifest of the media types given.
served_digest() {
  local tag=$1 accept=$2
  curl -fsS -o /dev/null -D - -H "Accept: $accept" -I "http://$registry_addr/v2/$NAME/manifests/$tag" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}

# push_image pushes the built image and an index over it, and sets pinned to
# REGISTRY/NAME@INDEX_DIGEST.
push_image() {
  local repo=$registry_addr/$NAME manifest pushed index out
  docker tag "$image" "$repo:rehearsal"
  out=$(docker push "$repo:rehearsal" 2>&1) || {
    printf '%s\n' "$out" | sed 's/^/    | /' >&2
    docker info 2>/dev/null | grep -A 3 'Insecure Registries' >&2 || true
    fail "docker push to $registry_addr failed; plain HTTP to a registry on 127.0.0.1 needs 127.0.0.0/8 among the engine's insecure registries, its default"
  }
  manifest=$(served_digest rehearsal 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json')
  [[ $manifest =~ ^sha256:[0-9a-f]{64}$ ]] || fail "the registry serves no digest for $repo:rehearsal"
  # docker push names the digest it pushed; it must be the one served.
  pushed=$(sed -n 's/.*digest: \(sha256:[0-9a-f]\{64\}\).*/\1/p' <<<"$out" | head -n 1)
  [[ -n $pushed ]] || fail "docker push named no digest, so it cannot be checked against the registry's; it said:
$out"
  [[ $pushed == "$manifest" ]] ||
    fail "docker pushed $pushed, but the registry serves $manifest for $repo:rehearsal"
  log "pushed $repo:rehearsal, manifest $manifest"

  # The release pushes an image index (one manifest per platform) and pins
  # its digest; so does the rehearsal, with the one platform built here.
  # docker manifest keeps its lists under DOCKER_CONFIG: a directory of the
  # script's own.
  local config
  config=$(mktemp -d -t hook-redeliver-docker-config.XXXXXX)
  cleanup_dirs+=("$config")
  DOCKER_CONFIG=$config docker manifest create --insecure "$repo:rehearsal-index" "$repo@$manifest" >/dev/null ||
    fail "docker manifest create failed"
  index=$(DOCKER_CONFIG=$config docker manifest push --insecure --purge "$repo:rehearsal-index") ||
    fail "docker manifest push failed"
  [[ $index =~ ^sha256:[0-9a-f]{64}$ ]] || fail "docker manifest push printed '$index', not a digest"
  [[ $(served_digest rehearsal-index 'application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json') == "$index" ]] ||
    fail "the registry serves another digest for $repo:rehearsal-index than docker pushed ($index)"
  log "pushed the index $repo:rehearsal-index, $index"
  pinned=$repo@$index
  cleanup_funcs+=(remove_pulled)
}

# remove_local_copies removes every image that is the built one, whatever
# its tags, and leftovers of an interrupted earlier rehearsal, then checks
# that docker has nothing for the pinned reference.
remove_local_copies() {
  local id leftovers
  id=$(docker image inspect -f '{{.Id}}' "$image")
  leftovers=$(docker image ls -q --no-trunc --filter "reference=127.0.0.1:*/$NAME" | grep -vxF "$id" | sort -u || true)
  # shellcheck disable=SC2086 # the ids are words
  docker image rm -f "$id" $leftovers >/dev/null || fail "could not remove the local copies of $image ($id)"
  if docker image inspect "$id" >/dev/null 2>&1 || docker image inspect "$pinned" >/dev/null 2>&1; then
    fail "docker still has $image ($id) after removing it"
  fi
  log "removed every local copy of $image ($id)"
}

remove_pulled() {
  [[ -n $pinned ]] || return 0
  docker image rm -f "$pinned" >/dev/null 2>&1 || true
}

main() {
  cd "$root"
  command -v go >/dev/null 2>&1 || fail "go is not on PATH"
  ensure_docker
  log "docker engine $(docker version -f '{{.Server.Version}}')"
  command -v curl >/dev/null 2>&1 || apt_install curl || fail "curl is not on PATH and could not be installed"

  local t=$SECONDS
  ensure_act
  ensure_registry
  build_job_image
  log "act, registry and job image ready in $((SECONDS - t)) s"

  build_action_image "$image"

  t=$SECONDS
  start_registry
  push_image
  remove_local_copies
  local dir
  dir=$(mktemp -d -t hook-redeliver-rehearsal.XXXXXX)
  cleanup_dirs+=("$dir")
  cp action.yml "$dir/action.yml"
  bash .github/release/pin-image.sh "$pinned" "$dir/action.yml" ||
    fail ".github/release/pin-image.sh refused $pinned"
  log "registry, push and pin took $((SECONDS - t)) s"

  t=$SECONDS
  log "running the rehearsal test: $act, $dir/action.yml, job image $JOB_TAG"
  go test -count=1 -tags act -run '^TestReleaseRehearsal$' ./internal/acttest/ -v \
    -act "$act" -job-image "$JOB_TAG" -pinned-action "$dir/action.yml" -registry-log "$registry_log" ||
    fail "the rehearsal test failed"
  log "rehearsal test ran in $((SECONDS - t)) s"
  log "release rehearsal took $SECONDS s in all"
}

main "$@"
