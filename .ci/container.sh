#!/usr/bin/env bash
# Prove that the action's container image builds, stays small and runs.
#
# CI calls this on a fresh Debian machine where only Go and git exist and no
# image registry is reachable (only the Go module proxy and Debian's archive).
# So the script
#   1. starts a Docker engine if none answers, installing docker.io first if
#      the daemon is missing;
#   2. makes a local stand-in for the Dockerfile's Go builder image out of this
#      machine's own Go toolchain, instead of pulling golang:..., and passes it
#      as a build arg: the Dockerfile's own steps are the ones that ship;
#   3. builds the image, checks its size, runs it once, and then runs the
#      container contract test in internal/containertest if it exists.
#
# With --build-only it stops before the contract test: .ci/act.sh builds the
# image this way, so that both checks run the same image.
#
# Exit codes (see lib.sh):
#   0  the image built, is small enough, runs, and the contract test passed
#      (or does not exist yet)
#   1  something failed: build, size, smoke run or contract test
#   3  skipped: no Docker engine could be started; a banner on stderr says
#      why. The caller decides whether that is fatal; this script never
#      reports it as a pass.
#
# Environment (all optional):
#   GO_IMAGE              builder image to use instead of the local stand-in,
#                         where a registry is reachable: an image reference, or
#                         "default" for the Dockerfile's own GO_IMAGE
#   HOOK_REDELIVER_IMAGE  tag of the image to build (default hook-redeliver:ci);
#                         exported to the contract test
#   MAX_IMAGE_MB          size limit, MB of 10^6 bytes (default 20)
#   KEEP_DOCKERD=1        leave a dockerd that this script started running
set -euo pipefail

readonly STANDIN_TAG=hook-redeliver-ci/go:local
# Bump when the stand-in's recipe below changes, so cached copies are rebuilt.
readonly STANDIN_RECIPE=1
readonly STANDIN_LABEL=dev.hook-redeliver.ci.standin

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
image=${HOOK_REDELIVER_IMAGE:-hook-redeliver:ci}
max_mb=${MAX_IMAGE_MB:-20}

CHECK="container test"
# shellcheck source=lib.sh
source "$root/.ci/lib.sh"

# build_standin makes the Go builder stand-in from this machine's toolchain:
# GOROOT at /usr/local/go, a static busybox for the Dockerfile's RUN steps,
# the host's CA bundle, /tmp, and the environment the official golang image
# sets. It is reused while the Go version and the recipe are unchanged.
build_standin() {
  local goroot gover want have
  goroot=$(go env GOROOT)
  gover=$(go env GOVERSION)
  want="$gover/$(go env GOHOSTOS)-$(go env GOHOSTARCH)/r$STANDIN_RECIPE"
  have=$(docker image inspect -f "{{ index .Config.Labels \"$STANDIN_LABEL\" }}" "$STANDIN_TAG" 2>/dev/null || true)
  if [[ $have == "$want" ]]; then
    log "reusing builder stand-in $STANDIN_TAG ($want)"
    return 0
  fi

  [[ -r /etc/ssl/certs/ca-certificates.crt ]] ||
    fail "no /etc/ssl/certs/ca-certificates.crt on this machine (package ca-certificates)"

  log "building builder stand-in $STANDIN_TAG ($want) from $goroot"
  local rootfs
  rootfs=$(mktemp -d -t hook-redeliver-standin.XXXXXX)
  cleanup_dirs+=("$rootfs")
  busybox_rootfs "$rootfs"
  mkdir -p "$rootfs"/{etc/ssl/certs,go,usr/local/go}
  # The toolchain without its own tests and API lists, which no build reads.
  tar -C "$goroot" --exclude=./test --exclude=./api --exclude=./doc -cf - . |
    tar -C "$rootfs/usr/local/go" -xf -
  cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"

  tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf - . |
    docker import \
      --change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV GOPATH=/go' \
      --change 'ENV HOME=/root' \
      --change 'ENV GOCACHE=/root/.cache/go-build' \
      --change 'ENV GOTOOLCHAIN=local' \
      --change "LABEL $STANDIN_LABEL=$want" \
      --change 'WORKDIR /go' \
      - "$STANDIN_TAG" >/dev/null
}

main() {
  local build_only=0
  case ${1:-} in
  '') ;;
  --build-only) build_only=1 ;;
  *) fail "unknown argument $1 (usage: container.sh [--build-only])" ;;
  esac
  cd "$root"
  command -v go >/dev/null 2>&1 || fail "go is not on PATH"
  ensure_docker
  log "docker engine $(docker version -f '{{.Server.Version}}')"

  local build_args=(
    --build-arg "GOPROXY=$(go env GOPROXY)"
    --build-arg "VERSION=$(git describe --tags --always --dirty 2>/dev/null || echo ci)"
  )
  case ${GO_IMAGE:-} in
  '')
    build_standin
    build_args+=(--build-arg "GO_IMAGE=$STANDIN_TAG")
    ;;
  default)
    log "using the Dockerfile's own builder image"
    ;;
  *)
    log "using builder image $GO_IMAGE from the environment"
    build_args+=(--build-arg "GO_IMAGE=$GO_IMAGE")
    ;;
  esac
  if docker buildx version >/dev/null 2>&1; then
    log "building with BuildKit"
  else
    # No buildx plugin: use the classic builder, which the Dockerfile supports.
    log "building with the classic builder (no buildx plugin)"
    export DOCKER_BUILDKIT=0
  fi

  local start end
  start=$(date +%s)
  # Host network so that `go mod download` reaches the module proxy; nothing
  # else in the build uses the network.
  docker build --network host "${build_args[@]}" -t "$image" . ||
    fail "docker build failed"
  end=$(date +%s)
  log "built $image in $((end - start)) s"

  local size mb
  size=$(docker image inspect -f '{{.Size}}' "$image")
  mb=$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }')
  log "image size: $mb MB ($size bytes; limit $max_mb MB)"
  awk -v b="$size" -v m="$max_mb" 'BEGIN { exit !(b <= m * 1e6) }' ||
    fail "image is $mb MB, over the $max_mb MB limit"

  # Smoke run with no inputs and no network: the binary must start and say
  # something. A missing binary, a dynamic binary or a bad ENTRYPOINT shows up
  # as docker's own 125-127; a panic is a bug whatever the inputs.
  local out rc=0
  out=$(docker run --rm --network none "$image" 2>&1) || rc=$?
  printf '%s\n' "$out" | head -n 20 | sed 's/^/    | /' >&2
  log "smoke run exited $rc"
  if ((rc >= 125 && rc <= 127)); then fail "the image does not run (docker exit $rc)"; fi
  [[ -n $out ]] || fail "the image ran but printed nothing"
  if grep -q '^panic: ' <<<"$out"; then fail "the binary panicked with no inputs"; fi
  if ((build_only)); then return 0; fi

  if [[ ! -d internal/containertest ]]; then
    echo "no container contract test yet"
    return 0
  fi
  log "running the container contract test against $image"
  export HOOK_REDELIVER_IMAGE=$image
  go test -count=1 -tags container -run TestContainer ./internal/containertest/ -image "$image" -v ||
    fail "container contract test failed"
}

main "$@"
