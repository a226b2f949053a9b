#!/usr/bin/env bash
# A local image registry on 127.0.0.1 for the plugin tests (`docker plugin push` and
# `docker plugin install` against a real registry; the engine allows 127.0.0.0/8
# registries without TLS).
#
#   scripts/registry.sh build          build the registry from its Go module (cached)
#   scripts/registry.sh start PORT     build if needed, start it on 127.0.0.1:PORT (idempotent)
#   scripts/registry.sh stop PORT      stop the one started on PORT
#
# The binary is cached outside the repository ($BAKTAINER_CACHE/registry, default
# /var/cache/baktainer/registry), one file per version: the first build takes a few
# minutes on 2 cores, later runs none. Storage lives under the cache too.
set -euo pipefail
# shellcheck source=scripts/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

version=${REGISTRY_VERSION:-v3.1.2}
cache=${BAKTAINER_CACHE:-/var/cache/baktainer}/registry
bin=$cache/registry-$version

log() { echo "registry: $*" >&2; }

build() {
  if [ -x "$bin" ]; then
    return 0
  fi
  mkdir -p "$cache"
  log "building github.com/distribution/distribution/v3/cmd/registry@$version (a few minutes, once)"
  local gobin
  gobin=$(mktemp -d "$cache/build.XXXXXX")
  # Outside any module: `go install pkg@version` resolves the registry's own go.mod.
  (cd "$cache" && CGO_ENABLED=0 GOBIN="$gobin" GOFLAGS=-trimpath \
    go install "github.com/distribution/distribution/v3/cmd/registry@$version")
  mv "$gobin/registry" "$bin"
  rm -rf "$gobin"
  log "built $bin"
}

start() {
  local port=$1 dir=$cache/run-$1
  build
  if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
    return 0
  fi
  # A fresh registry each time: tests push new tags, nothing of value is kept.
  rm -rf "$dir/storage"
  mkdir -p "$dir/storage"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
  # OTEL_TRACES_EXPORTER=none: the registry would otherwise try to export traces.
  (close_inherited_fds; OTEL_TRACES_EXPORTER=none exec setsid nohup "$bin" serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null) &
  echo $! >"$dir/pid"
  for _ in $(seq 1 50); do
    if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
      log "listening on 127.0.0.1:$port (pid $(cat "$dir/pid"), log $dir/registry.log)"
      return 0
    fi
    sleep 0.2
  done
  log "registry did not answer on 127.0.0.1:$port; log:"
  tail -n 20 "$dir/registry.log" >&2 || true
  return 1
}

stop() {
  local pidfile=$cache/run-$1/pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  build) build ;;
  start) start "${2:?usage: registry.sh start PORT}" ;;
  stop) stop "${2:?usage: registry.sh stop PORT}" ;;
  *) echo "usage: $0 build | start PORT | stop PORT" >&2; exit 2 ;;
esac
