#!/usr/bin/env bash
# Point action.yml's runs.image at a prebuilt image, named by digest.
#
#   pin-image.sh REGISTRY/NAME@sha256:DIGEST [ACTION_YML]
#
# On the default branch action.yml says `image: Dockerfile`, so that CI and
# `uses: ./` build the action from source. A release commit must name the
# image it was built into instead, by digest: a tag on a registry can be moved
# by anyone who may push there, a digest cannot, and an immutable release
# locks the git tag, not the image tag. The release workflow and the offline
# rehearsal in CI (.ci/release-rehearsal.sh) both call this script, so what CI
# rehearses is what a release does.
#
# The script refuses a reference that is not fully qualified (a registry host
# first) or not pinned by a sha256 digest, or that also carries a tag. It
# changes exactly one line, the `image: Dockerfile` line under `runs:`, to
# `image: 'docker://REF'`, and then checks that the file is the original with
# that one line changed and, where yq is installed (GitHub's runners have
# it), that runs.image reads back as docker://REF. It writes the file only
# when every check passed.
#
# Exit codes: 0 pinned; 1 the file cannot be pinned or did not come out as
# expected; 2 usage (a bad reference or a missing file).
set -euo pipefail

usage() {
  printf 'usage: %s REGISTRY/NAME@sha256:DIGEST [ACTION_YML]\n' "${0##*/}" >&2
  exit 2
}
# die reports why the file cannot be pinned; refuse, why the arguments
# cannot be used.
die() { printf 'pin-image: %s\n' "$*" >&2; exit 1; }
refuse() { printf 'pin-image: %s\n' "$*" >&2; exit 2; }

[[ $# -eq 1 || $# -eq 2 ]] || usage
ref=$1
file=${2:-action.yml}

# A registry host (a name with a dot, localhost, or an IPv4 address, with an
# optional port), one or more lowercase path components as the OCI
# distribution spec allows, and a sha256 digest; no tag.
host='([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+|localhost)(:[0-9]{1,5})?'
component='[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*'
ref_re="^${host}(/${component})+@sha256:[0-9a-f]{64}\$"
case $ref in
docker://*) refuse "give the image reference without docker:// (got $ref)" ;;
esac
if [[ ! $ref =~ $ref_re ]]; then
  refuse "not a fully qualified image reference pinned by digest, REGISTRY/NAME@sha256:<64 hex digits>: $ref"
fi
[[ -f $file ]] || refuse "no such file: $file"

value="docker://$ref"
# The line to replace: indented, image: Dockerfile, quoted or not.
image_line_re="^([[:space:]]+)image:[[:space:]]*['\"]?Dockerfile['\"]?[[:space:]]*\$"

# Find the line, and check that it is the only one and that it belongs to
# the top-level runs: mapping (the nearest top-level key above it).
lineno=0 found=0 indent='' top=''
while IFS= read -r line || [[ -n $line ]]; do
  lineno=$((lineno + 1))
  if [[ $line =~ ^[A-Za-z_][A-Za-z0-9_-]*: ]]; then
    top=${line%%:*}
  fi
  if [[ $line =~ $image_line_re ]]; then
    [[ $top == runs ]] || die "$file:$lineno: an image: Dockerfile line outside runs: (under $top:)"
    ((found == 0)) || die "$file:$lineno: a second image: Dockerfile line (the first is on line $found)"
    found=$lineno
    indent=${BASH_REMATCH[1]}
  fi
done <"$file"
if ((found == 0)); then
  if grep -qE '^[[:space:]]+image:[[:space:]]*.?docker://' "$file"; then
    die "$file is pinned already: $(grep -E '^[[:space:]]+image:' "$file" | sed 's/^[[:space:]]*//')"
  fi
  die "$file has no 'image: Dockerfile' line under runs: to replace"
fi

new_line="${indent}image: '$value'"
tmp=$(mktemp "$file.pin.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
# awk copies every line as it is but the one found.
awk -v n="$found" -v repl="$new_line" 'NR == n { print repl; next } { print }' "$file" >"$tmp"

# The checks. First the text: exactly one line differs, from the old line to
# the new (so the number of lines is the same too).
old_line=$(sed -n "${found}p" "$file")
want=$(printf -- '-%s\n+%s' "$old_line" "$new_line")
got=$(diff --unchanged-line-format= --old-line-format='-%L' --new-line-format='+%L' "$file" "$tmp" || true)
[[ $got == "$want" ]] || die "$file did not come out as expected; the change would be:
$got"
# Then the YAML, where a YAML reader is at hand: runs.image is the value.
if command -v yq >/dev/null 2>&1; then
  read_back=$(yq -r '.runs.image' "$tmp") || die "yq cannot read the pinned $file"
  [[ $read_back == "$value" ]] || die "runs.image in the pinned $file reads back as '$read_back', want '$value'"
fi

# Keep the file's mode; replace it in one step.
chmod --reference="$file" "$tmp"
mv -f -- "$tmp" "$file"
trap - EXIT
printf 'pin-image: %s: runs.image is %s\n' "$file" "$value"
