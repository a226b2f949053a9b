#!/usr/bin/env bash
# Builds the images of the multi-node Swarm tests from Debian packages only (no
# registry is reachable on the test machines), from a debootstrapped bookworm
# rootfs with Debian's docker.io, iptables and ca-certificates, imported once as
# a base image:
#   baktainer-test/dind        a Docker-in-Docker Swarm node (scripts/swarm-nodes.sh):
#                              the base plus its entrypoint (scripts/images/dind/)
#   baktainer-test/docker-cli  the rollout job's image (scripts/swarm-rollout.sh), what
#                              docker:cli is to users: FROM scratch with the base's
#                              docker CLI, dash as sh and the C library (~48 MB, so
#                              loading it into every node is quick)
#
# Idempotent and quick the second time: the images are rebuilt only when the package
# list or a file under scripts/images/dind changes, and the rootfs tarball is kept
# in $BAKTAINER_CACHE (outside the repository). Talks to the daemon DOCKER_HOST names.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${BAKTAINER_CACHE:-/var/cache/baktainer}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=docker.io,iptables,ca-certificates,tini,procps

# The base tag changes whenever the package list changes, so a stale cache is never used.
base_version=$(echo "$packages" | sha256sum | cut -c1-12)
base_tag=baktainer-test/dindbase:$base_version
tarball=$cache/bookworm-dind-$base_version.tar

log() { echo "build-dind-image: $*" >&2; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

build_rootfs() {
  command -v debootstrap >/dev/null || {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
  }
  mkdir -p "$cache"
  local root
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  log "debootstrap bookworm with $packages into $root (a few minutes, once)"
  debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >"$cache/debootstrap-dind.log" 2>&1 || {
    tail -n 30 "$cache/debootstrap-dind.log" >&2
    rm -rf "$root"
    return 1
  }
  # Nothing of the build host's daemon or package caches belongs in a node.
  rm -rf "$root"/var/lib/docker/* "$root"/var/lib/containerd/* \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  tar -C "$root" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  rm -rf "$root"
}

if ! image_exists "$base_tag"; then
  [ -f "$tarball" ] || build_rootfs
  log "importing $tarball as $base_tag"
  docker import "$tarball" "$base_tag" >/dev/null
fi

files_hash=$( (echo "$base_tag"; find "$here/images/dind" -type f | sort | xargs cat) | sha256sum | cut -c1-12)
# tag, then its Dockerfile under scripts/images/dind
for spec in dind:latest=Dockerfile docker-cli:latest=cli.Dockerfile; do
  tag=baktainer-test/${spec%%=*}
  dockerfile=$here/images/dind/${spec#*=}
  if image_exists "$tag" && [ "$(docker image inspect -f '{{index .Config.Labels "baktainer-test.hash"}}' "$tag")" = "$files_hash" ]; then
    continue
  fi
  log "building $tag"
  DOCKER_BUILDKIT=0 docker build -q --network none --build-arg BASE="$base_tag" --label baktainer-test.hash="$files_hash" \
    -t "$tag" -f "$dockerfile" "$here/images/dind" >/dev/null 2>"$cache/build-dind.log" || {
    cat "$cache/build-dind.log" >&2; exit 1; }
  log "$tag ready"
done
