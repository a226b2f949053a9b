#!/usr/bin/env bash
# Builds the managed plugin: the static binary, an image FROM scratch with the
# binary and CA certificates, its filesystem exported to rootfs/ (git-ignored),
# then `docker plugin create NAME` from config.json + rootfs/.
#
#   scripts/plugin-build.sh [NAME]      NAME defaults to baktainer:dev
#
# Talks to the daemon DOCKER_HOST names (the default one otherwise). The plugin is
# created disabled. Cached: when the daemon already has NAME built from the same
# binary and config.json, nothing is done. A plugin of the same NAME built from
# something else is replaced (`docker plugin rm -f`: volumes and archives stay on
# the data mount, and the new plugin serves them under the same name).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
name=${1:-baktainer:dev}
case "$name" in *:*) ;; *) name=$name:latest ;; esac
cache=${BAKTAINER_CACHE:-/var/cache/baktainer}/plugin-build
mkdir -p "$cache"
log() { echo "plugin-build: $*" >&2; }

ca=/etc/ssl/certs/ca-certificates.crt
if [ ! -s "$ca" ]; then
  log "installing Debian's ca-certificates"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates >/dev/null
fi

cd "$repo"
make -s build
ctx=$(mktemp -d "$cache/ctx.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/image/skel"/{data,mnt/volumes,run/docker/plugins,tmp,var/run,etc/ssl/certs}
cp bin/baktainer "$ctx/image/baktainer"
cp "$ca" "$ctx/image/skel/etc/ssl/certs/ca-certificates.crt"
cat >"$ctx/image/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY skel/ /
COPY baktainer /baktainer
ENTRYPOINT ["/baktainer", "plugin"]
DOCKERFILE
hash=$(cat "$ctx/image/baktainer" "$ctx/image/Dockerfile" "$ca" config.json | sha256sum | cut -c1-16)

# Skip when this daemon has NAME from this very build.
stamp=$cache/$(printf '%s %s' "${DOCKER_HOST:-default}" "$name" | sha256sum | cut -c1-16)
id=$(docker plugin inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
if [ -n "$id" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$id $hash" ]; then
  log "$name is up to date (build $hash)"
  exit 0
fi

image=baktainer-plugin-rootfs:$hash
if ! docker image inspect "$image" >/dev/null 2>&1; then
  DOCKER_BUILDKIT=0 docker build -q -t "$image" "$ctx/image" >/dev/null 2>"$ctx/build.log" || {
    cat "$ctx/build.log" >&2; exit 1; }
fi
# The same image runs the agent standalone: docker run --entrypoint /baktainer ... agent
docker tag "$image" baktainer/baktainer:local
rm -rf rootfs
mkdir rootfs
container=$(docker create "$image")
docker export "$container" | tar -x -C rootfs
docker rm -f "$container" >/dev/null
docker rmi "$image" >/dev/null # only needed for the export; the plugin is the cache

if [ -n "$id" ]; then
  log "replacing $name ($id)"
  docker plugin rm -f "$name" >/dev/null
fi
# `docker plugin create` sends its whole directory: give it config.json and
# rootfs/ only (hard links, no copy).
mkdir "$ctx/plugin"
cp config.json "$ctx/plugin/"
cp -al rootfs "$ctx/plugin/rootfs"
docker plugin create "$name" "$ctx/plugin" >/dev/null
echo "$(docker plugin inspect -f '{{.Id}}' "$name") $hash" >"$stamp"
log "created $name (build $hash, disabled; enable with: docker plugin enable $name)"
