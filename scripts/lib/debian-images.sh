# shellcheck shell=bash
# Sourced by the image builders (scripts/build-db-images.sh, scripts/build-dind-image.sh):
# no registry is reachable on the test machines, so every test image starts from a
# debootstrapped Debian bookworm rootfs imported as a base image, and thin images are
# built on it with `docker build --network none`.
#
# Both steps are idempotent: the rootfs tarball is kept in $BAKTAINER_CACHE (outside
# the repository) and an image whose hash label matches is not rebuilt.

cache=${BAKTAINER_CACHE:-/var/cache/baktainer}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The builder's own name, for logs and file names.
name=$(basename "$0" .sh)
log() { echo "$name: $*" >&2; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# debian_base PACKAGES TARBALL_STEM TAG_STEM [PATH...]: imports (once) a bookworm rootfs
# with PACKAGES as the image TAG_STEM:<hash of PACKAGES> and prints that tag. The PATHs
# (globs, relative to the rootfs) are removed before the tarball is made. The tag
# changes whenever the package list does, so a stale cache is never used.
debian_base() {
  local packages=$1 stem=$2 tag_stem=$3
  shift 3
  local version tag tarball
  version=$(echo "$packages" | sha256sum | cut -c1-12)
  tag=$tag_stem:$version
  tarball=$cache/$stem-$version.tar
  if ! image_exists "$tag"; then
    [ -f "$tarball" ] || debootstrap_tarball "$packages" "$tarball" "$@"
    log "importing $tarball as $tag"
    docker import "$tarball" "$tag" >/dev/null
  fi
  echo "$tag"
}

debootstrap_tarball() {
  local packages=$1 tarball=$2
  shift 2
  command -v debootstrap >/dev/null || {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq debootstrap >/dev/null
  }
  mkdir -p "$cache"
  local root path
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  log "debootstrap bookworm with $packages into $root (a few minutes, once)"
  debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >"$cache/debootstrap-$name.log" 2>&1 || {
    tail -n 30 "$cache/debootstrap-$name.log" >&2
    rm -rf "$root"
    return 1
  }
  # Package caches never belong in an image; the caller names what else does not.
  for path in var/cache/apt/archives/*.deb var/lib/apt/lists/* "$@"; do
    # Unquoted on purpose: each PATH is a glob inside the new rootfs.
    # shellcheck disable=SC2086
    rm -rf "${root:?}"/$path
  done
  tar -C "$root" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  rm -rf "$root"
}

# thin_image TAG DOCKERFILE CONTEXT BASE HASH: builds TAG on BASE unless it exists with
# the label baktainer-test.hash=HASH (the hash of its files and base).
thin_image() {
  local tag=$1 dockerfile=$2 context=$3 base=$4 hash=$5
  if image_exists "$tag" && [ "$(docker image inspect -f '{{index .Config.Labels "baktainer-test.hash"}}' "$tag")" = "$hash" ]; then
    return 0
  fi
  log "building $tag"
  local build_log=$cache/build-$name-${tag//[:\/]/_}.log
  DOCKER_BUILDKIT=0 docker build -q --network none --build-arg BASE="$base" --label baktainer-test.hash="$hash" \
    -t "$tag" -f "$dockerfile" "$context" >/dev/null 2>"$build_log" || {
    cat "$build_log" >&2
    return 1
  }
}

# files_hash BASE DIR: a hash of BASE's tag and every file under DIR.
files_hash() {
  (echo "$1"; find "$2" -type f | sort | xargs cat) | sha256sum | cut -c1-12
}
