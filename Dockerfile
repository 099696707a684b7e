# The image of the hook-redeliver container action: one static Go binary and
# the CA certificates it needs to talk to GitHub over TLS, on an empty base.
#
# There is no "# syntax=" line on purpose: it makes BuildKit fetch a frontend
# image from a registry, and .ci/container.sh builds this file where no
# registry is reachable, sometimes with the classic builder. Every
# instruction below works with both builders.

# The Go toolchain of the build stage. Go 1.25 is the oldest that go.mod
# accepts; the official image sets GOTOOLCHAIN=local, so a go.mod that asks for
# a newer Go fails the build instead of downloading a toolchain.
# .ci/container.sh passes a stand-in made from the CI machine's own Go.
ARG GO_IMAGE=golang:1.25-bookworm

# The base of the shipped image. scratch holds only what we copy in: no shell,
# no package manager, nothing to patch, and a pull of a few megabytes on every
# workflow run that uses the action.
ARG RUNTIME_IMAGE=scratch

# The build stage runs on the machine's own platform: BuildKit sets
# BUILDPLATFORM to it, so the release compiles linux/arm64 with GOARCH instead
# of running the compiler under emulation. The classic builder does not set
# BUILDPLATFORM; the fallback keeps the line valid there, and for a local
# image (such as CI's stand-in) the classic builder ignores the platform.
# (No "ARG BUILDPLATFORM=..." default: under BuildKit it would replace the
# automatic value.)
FROM --platform=${BUILDPLATFORM:-linux/amd64} ${GO_IMAGE} AS builder

WORKDIR /src

# Passed through so CI can point at the module proxy it can reach; empty means
# the toolchain's default.
ARG GOPROXY

# The dependencies in a layer of their own: it is rebuilt only when go.mod or
# go.sum change, not on every source edit. (A RUN --mount=type=cache would be
# faster still, but the classic builder rejects it.)
COPY go.mod go.sum ./
RUN go mod download

COPY . .

# Static (no cgo), reproducible paths (-trimpath), no symbol tables or DWARF
# (-s -w), and the release version stamped into main.version. TARGETOS and
# TARGETARCH come from BuildKit for each --platform; under the classic builder
# they are empty and Go builds for the machine it runs on. The build cache is
# dropped in the same step so the layer holds only the binary.
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
      go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/hook-redeliver . \
    && go clean -cache \
    && mkdir /out/tmp

FROM ${RUNTIME_IMAGE}

ARG VERSION=dev
LABEL org.opencontainers.image.title="hook-redeliver" \
      org.opencontainers.image.description="Redelivers failed GitHub webhook deliveries" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"

# Go reads this bundle on Linux for TLS to api.github.com or an Enterprise
# Server; scratch has none of its own.
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# scratch has no /tmp either; os.TempDir and os.CreateTemp expect one. (COPY
# creates it 0755; the action runs as root, so that is enough.)
COPY --from=builder /out/tmp /tmp
COPY --from=builder /out/hook-redeliver /hook-redeliver

# No USER: GitHub's documentation requires Docker container actions to run as
# the default (root) user, so that the action can write to the files the
# runner mounts under /github (GITHUB_OUTPUT and GITHUB_STEP_SUMMARY live in
# /github/file_commands, owned by the runner's user).
#
# No WORKDIR: the runner starts the container with --workdir
# /github/workspace, and GitHub's documentation asks actions not to set one.

# Exec form with an absolute path: the runner passes inputs as INPUT_APP-ID
# and the like, names that /bin/sh would drop, and scratch has no shell anyway.
ENTRYPOINT ["/hook-redeliver"]
