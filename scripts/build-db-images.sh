#!/usr/bin/env bash
# Builds the database test images locally (no registry is reachable on the test
# machines): a debootstrapped Debian bookworm rootfs with the database servers,
# imported once as a base image, then one thin image per engine whose entrypoint
# follows the official image's conventions (see scripts/images/db/).
#
# Idempotent and quick the second time: an image whose tag exists is skipped, and the
# rootfs tarball is kept in $BAKTAINER_CACHE (outside the repository).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${BAKTAINER_CACHE:-/var/cache/baktainer}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=postgresql,postgresql-contrib,mariadb-server,mariadb-client,redis-server,redis-tools,sqlite3,procps,ca-certificates

# The base tag changes whenever the package list changes, so a stale cache is never used.
base_version=$(echo "$packages" | sha256sum | cut -c1-12)
base_tag=baktainer-test/dbbase:$base_version
tarball=$cache/bookworm-db-$base_version.tar

log() { echo "build-db-images: $*" >&2; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

build_rootfs() {
  command -v debootstrap >/dev/null || {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
  }
  mkdir -p "$cache"
  local root
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  log "debootstrap bookworm into $root (a few minutes)"
  debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    tail -n 30 "$cache/debootstrap.log" >&2
    rm -rf "$root"
    return 1
  }
  # The packages' own post-install scripts create clusters and data we do not want in
  # the image: the entrypoints initialise data directories the way the official images do.
  rm -rf "$root"/var/lib/postgresql/15 "$root"/etc/postgresql/15 \
    "$root"/var/lib/mysql/* "$root"/var/lib/redis/* \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  rm -rf "$root"
}

if ! image_exists "$base_tag"; then
  [ -f "$tarball" ] || build_rootfs
  log "importing $tarball as $base_tag"
  docker import "$tarball" "$base_tag" >/dev/null
fi

# Rebuild the engine images when any of their files or the base change.
files_hash=$( (echo "$base_tag"; find "$here/images/db" -type f | sort | xargs cat) | sha256sum | cut -c1-12)
# tag, then the directory of its Dockerfile under scripts/images/db
for spec in postgres:15=postgres mariadb:10.11=mariadb mysql:10.11-mysqlclient=mysql redis:7=redis sqlite:3=sqlite; do
  tag=baktainer-test/${spec%%=*}
  dir=${spec#*=}
  if image_exists "$tag" && [ "$(docker image inspect -f '{{index .Config.Labels "baktainer-test.hash"}}' "$tag")" = "$files_hash" ]; then
    continue
  fi
  log "building $tag"
  DOCKER_BUILDKIT=0 docker build -q --network none --build-arg BASE="$base_tag" --label baktainer-test.hash="$files_hash" \
    -t "$tag" -f "$here/images/db/$dir/Dockerfile" "$here/images/db" >/dev/null 2>"$cache/build-$dir.log" || {
    cat "$cache/build-$dir.log" >&2; exit 1; }
done
log "images ready"
