#!/usr/bin/env bash
# Provides promtool (from Debian's prometheus package) for the metrics tests:
# `promtool check metrics` on the agent's live /metrics and `promtool check rules`
# on docs/prometheus-alerts.yml.
#
# Only the promtool binary is taken: the package is downloaded and extracted, not
# installed, so no Prometheus server is configured or started on this machine. The
# binary is cached ($BAKTAINER_CACHE/promtool, default /var/cache/baktainer) and
# linked into /usr/local/bin. Idempotent.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
cache=${BAKTAINER_CACHE:-/var/cache/baktainer}/promtool
bin=$cache/promtool
if [ ! -x "$bin" ]; then
  echo "ensure-promtool: extracting promtool from Debian's prometheus package (once)" >&2
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/deb.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
  if ! (cd "$work" && apt_get download prometheus >/dev/null 2>&1); then
    apt_get update -qq
    (cd "$work" && apt_get download prometheus >/dev/null)
  fi
  dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
  install -m 0755 "$work/root/usr/bin/promtool" "$bin"
fi
ln -sf "$bin" /usr/local/bin/promtool
"$bin" --version >&2
