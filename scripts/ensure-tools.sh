#!/usr/bin/env bash
# Installs the stock tools the tests compare baktainer against (zstd, age, gzip,
# sha256sum; openssl for the Ruby-era archives) and the rig's own needs, from
# Debian's packages. Idempotent.
set -euo pipefail
missing=()
for pair in zstd:zstd age:age age-keygen:age gzip:gzip sha256sum:coreutils debootstrap:debootstrap curl:curl script:bsdutils openssl:openssl; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-tools: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
