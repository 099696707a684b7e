# shellcheck shell=bash
# What the checks under .ci share: logging, the exit-code convention, clean-up,
# root and apt, starting a Docker engine, the busybox root file system the
# stand-in images are made from, and act with its job image (act.sh and
# release-rehearsal.sh). Source it after setting CHECK (the check's name in
# messages, e.g. "container test") and `set -euo pipefail`.
#
# Exit codes of a script that sources this:
#   0  passed
#   1  something failed
#   3  skipped: no Docker engine could be started; a banner on stderr says
#      why. The caller decides whether that is fatal; a script never reports
#      it as a pass.
#
# Environment (optional):
#   KEEP_DOCKERD=1  leave a dockerd that the script started running

readonly EXIT_FAILED=1
readonly EXIT_SKIPPED=3

dockerd_pid=
dockerd_log=
cleanup_dirs=()
# Functions that cleanup calls first, in order, while Docker still runs.
cleanup_funcs=()
skipped=0
# Set by fail and skip, which say why they exit.
reported=0

log() { printf '==> %s\n' "$*" >&2; }
fail() {
  printf '%s FAILED: %s\n' "$CHECK" "$*" >&2
  reported=1
  exit "$EXIT_FAILED"
}

skip() {
  {
    echo
    echo '##########################################################################'
    echo "${CHECK^^} SKIPPED: could not start Docker: $*"
    echo '##########################################################################'
    echo
  } >&2
  skipped=1
  reported=1
  exit "$EXIT_SKIPPED"
}

cleanup() {
  local rc=$? d f
  for f in "${cleanup_funcs[@]}"; do "$f" || true; done
  for d in "${cleanup_dirs[@]}"; do rm -rf -- "$d"; done
  if [[ -n $dockerd_pid && ${KEEP_DOCKERD:-} != 1 ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
    log "stopping the dockerd this script started (pid $dockerd_pid)"
    kill -TERM "$dockerd_pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 30; i++)); do
      kill -0 "$dockerd_pid" 2>/dev/null || break
      sleep 0.5
    done
  fi
  # Exit code 3 means "skipped" only when skip said so; any other command
  # that happened to fail with 3 under set -e is a plain failure.
  if ((rc == EXIT_SKIPPED && !skipped)); then rc=$EXIT_FAILED; fi
  # The daemon's log is worth keeping only when something went wrong.
  if [[ -n $dockerd_log ]]; then
    if ((rc == 0)); then rm -f -- "$dockerd_log"; else log "dockerd's log: $dockerd_log"; fi
  fi
  # A command that failed under set -e, rather than fail or skip, says
  # nothing of its own: name it.
  if ((rc != 0 && !reported)); then
    printf '%s FAILED: %s exited %d\n' "$CHECK" "${failed_at:-a command}" "$rc" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
# Remember the last command that failed, in functions too (errtrace).
failed_at=
set -E
trap 'failed_at="${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR

# as_root runs a command as root: directly when we are root, through
# non-interactive sudo otherwise.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  log "installing $* from Debian's archive"
  as_root apt-get update -qq >/dev/null || return 1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

docker_up() { docker info >/dev/null 2>&1; }

# ensure_docker makes `docker info` answer, or skips the check with the reason.
ensure_docker() {
  if command -v docker >/dev/null 2>&1 && docker_up; then
    return 0
  fi
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    apt_install docker.io || skip "no Docker engine answers and docker.io could not be installed"
  fi
  command -v dockerd >/dev/null 2>&1 || skip "docker.io is installed but dockerd is not on PATH"
  [[ $(id -u) -eq 0 ]] || skip "no Docker engine answers and only root can start dockerd here"

  dockerd_log=$(mktemp -t hook-redeliver-dockerd.XXXXXX.log)
  log "starting dockerd (log: $dockerd_log)"
  # No bridge and no iptables: the build and the tests use the host's network
  # namespace or none at all, and this machine's firewall is left alone. setsid
  # keeps an interrupt of this script from reaching the daemon halfway through.
  setsid dockerd --bridge=none --iptables=false </dev/null >"$dockerd_log" 2>&1 &
  dockerd_pid=$!

  local i
  for ((i = 0; i < 60; i++)); do
    docker_up && return 0
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 1
  done
  local reason
  if kill -0 "$dockerd_pid" 2>/dev/null; then
    reason="dockerd did not answer within 60 s"
  else
    reason="dockerd exited"
    dockerd_pid=
  fi
  reason+="; last lines of $dockerd_log: $(grep -E 'level=(error|fatal)|failed' "$dockerd_log" | tail -n 3 | tr '\n' ' ')"
  skip "$reason"
}

is_static() { [[ -x $1 ]] && ! ldd "$1" >/dev/null 2>&1; }

# ensure_static_busybox makes /bin/busybox a static binary, installing
# Debian's busybox-static if it is not.
ensure_static_busybox() {
  local busybox=/bin/busybox
  if ! is_static "$busybox"; then
    apt_install busybox-static || fail "need a static busybox: install busybox-static"
    is_static "$busybox" || fail "$busybox is not a static binary"
  fi
}

# busybox_rootfs lays out the smallest root file system with a shell in dir:
# a static busybox with every applet under /bin, /tmp, /root, and a root user.
busybox_rootfs() {
  local dir=$1 applet
  ensure_static_busybox
  mkdir -p "$dir"/{bin,etc,root}
  install -d -m 1777 "$dir/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [[ -e $dir/bin/$applet ]] || ln -s busybox "$dir/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$dir/etc/passwd"
  printf 'root:x:0:\n' >"$dir/etc/group"
}

# busybox_version is the version of /bin/busybox, e.g. v1.37.0.
# (Read whole: a pipe that closes early would kill busybox with SIGPIPE.)
busybox_version() {
  local banner
  banner=$(/bin/busybox 2>&1 || true)
  awk 'NR == 1 { print $2; exit }' <<<"$banner"
}

# act: nektos/act from the Go module proxy, and the image it runs a job in.
readonly ACT_MODULE=github.com/nektos/act
readonly ACT_VERSION=v0.2.89
readonly JOB_TAG=hook-redeliver-ci/job:busybox
# Bump when the job image's recipe (build_job_image) changes, so cached copies are rebuilt.
readonly JOB_RECIPE=1
readonly JOB_LABEL=dev.hook-redeliver.ci.job

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

# build_action_image builds the action's image, tagged IMAGE, as
# container.sh does (act and the rehearsal run the image, not the
# Dockerfile), from the repository's root.
build_action_image() {
  local image=$1 t=$SECONDS
  log "building the action's image $image with container.sh --build-only"
  HOOK_REDELIVER_IMAGE=$image bash .ci/container.sh --build-only ||
    fail "container.sh --build-only failed"
  log "action image ready in $((SECONDS - t)) s"
}
