#!/usr/bin/env bash
# Builds baktainer-test/tiny: FROM scratch plus the static integration/testhelper
# binary, for tests that need plain containers. Skipped when the helper is unchanged.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
tag=baktainer-test/tiny:latest
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$ctx/testhelper" ./integration/testhelper)
cp "$here/images/tiny/Dockerfile" "$ctx/"
hash=$(cat "$ctx/testhelper" "$ctx/Dockerfile" | sha256sum | cut -c1-12)
if [ "$(docker image inspect -f '{{index .Config.Labels "baktainer-test.hash"}}' "$tag" 2>/dev/null)" = "$hash" ]; then
  exit 0
fi
echo "build-tiny-image: building $tag" >&2
DOCKER_BUILDKIT=0 docker build -q --label baktainer-test.hash="$hash" -t "$tag" "$ctx" >/dev/null 2>"$ctx/build.log" || {
  cat "$ctx/build.log" >&2; exit 1; }
