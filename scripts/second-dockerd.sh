#!/usr/bin/env bash
# A second Docker daemon for the plugin tests, so that they can restart "the daemon"
# without touching the machine's main one (which other tests use at the same time).
#
#   scripts/second-dockerd.sh start              start it (idempotent), wait until it answers
#   scripts/second-dockerd.sh stop               stop it (containers and plugins with it)
#   scripts/second-dockerd.sh restart            stop, then start
#   scripts/second-dockerd.sh load IMAGE...      copy images from the main daemon (skipped when present)
#   scripts/second-dockerd.sh host               print its DOCKER_HOST
#
# It has its own data root, exec root, pid file, socket, containerd (started by
# dockerd under its exec root) and default bridge (bt-test0; not --bridge=none,
# with which dockerd deletes the main daemon's docker0), and no iptables rules.
#
# Another such daemon runs beside it when the BT_TEST_DOCKERD_* variables give it
# its own places (RUN, ROOT, LOG, BRIDGE, BRIDGE_CIDR, NAMESPACE). With
# BT_TEST_DOCKERD_TLS (a directory holding ca.pem, server.pem, server-key.pem) and
# BT_TEST_DOCKERD_TCP (HOST:PORT) it also listens there with --tlsverify: clients
# must show a certificate the CA signed (integration/ruby_tls_test.go).
# One thing it cannot
# have of its own: on Linux, dockerd 20.10 keeps managed plugins' sockets under the
# fixed /run/docker/plugins/<plugin-id>/ whatever --exec-root says. Plugin IDs are
# random, so the two daemons' plugins sit side by side there without colliding.
set -euo pipefail
# shellcheck source=scripts/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

base=${BT_TEST_DOCKERD_RUN:-/run/baktainer-test}
data=${BT_TEST_DOCKERD_ROOT:-/var/lib/baktainer-test-docker}
sock=$base/docker.sock
pidfile=$base/docker.pid
logfile=${BT_TEST_DOCKERD_LOG:-/var/log/baktainer-test-dockerd.log}
host=unix://$sock
bridge=${BT_TEST_DOCKERD_BRIDGE:-bt-test0}
bridge_cidr=${BT_TEST_DOCKERD_BRIDGE_CIDR:-10.231.0.1/24}
namespace=${BT_TEST_DOCKERD_NAMESPACE:-baktainer-test}
tls_dir=${BT_TEST_DOCKERD_TLS:-}
tcp=${BT_TEST_DOCKERD_TCP:-}

log() { echo "second-dockerd: $*" >&2; }
# main is the machine's own daemon, whatever DOCKER_HOST says.
main_docker() { env -u DOCKER_HOST docker "$@"; }
answers() { docker -H "$host" version >/dev/null 2>&1; }
running_pid() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && cat "$pidfile"
}

start() {
  if answers; then
    return 0
  fi
  mkdir -p "$base" "$data"
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$bridge_cidr" dev "$bridge"
  fi
  ip link set "$bridge" up
  if ! running_pid >/dev/null; then
    rm -f "$pidfile"
    echo '{}' >"$base/daemon.json" # never pick up /etc/docker/daemon.json
    local listen=(-H "$host")
    if [ -n "$tls_dir" ] && [ -n "$tcp" ]; then
      listen+=(-H "tcp://$tcp" --tlsverify --tlscacert "$tls_dir/ca.pem"
        --tlscert "$tls_dir/server.pem" --tlskey "$tls_dir/server-key.pem")
    fi
    log "starting dockerd on $sock${tcp:+ and tcp://$tcp with --tlsverify} (data $data, log $logfile)"
    (
      close_inherited_fds
      exec setsid nohup dockerd \
        --config-file "$base/daemon.json" \
        --data-root "$data" \
        --exec-root "$base/exec" \
        --pidfile "$pidfile" \
        "${listen[@]}" \
        --bridge="$bridge" --iptables=false --ip6tables=false --ip-masq=false \
        --containerd-namespace "$namespace" \
        --containerd-plugins-namespace "$namespace-plugins" \
        >>"$logfile" 2>&1 </dev/null
    ) &
  fi
  for _ in $(seq 1 120); do
    if answers; then
      return 0
    fi
    sleep 0.5
  done
  log "dockerd did not answer within 60s; last log lines:"
  tail -n 30 "$logfile" >&2 || true
  return 1
}

stop() {
  local pid
  pid=$(running_pid) || return 0
  log "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  log "dockerd $pid did not stop within 60s"
  return 1
}

# load copies images from the main daemon unless the second one has the same image ID.
load() {
  local image want have loaded=
  for image in "$@"; do
    want=$(main_docker image inspect -f '{{.Id}}' "$image")
    have=$(docker -H "$host" image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
    if [ "$want" != "$have" ]; then
      log "loading $image"
      main_docker save "$image" | docker -H "$host" load -q >/dev/null
      loaded=1
    fi
  done
  # This daemon is the tests' own: drop the images a reload left untagged.
  if [ -n "${loaded:-}" ]; then
    docker -H "$host" image prune -f >/dev/null
  fi
}

# One caller at a time: the tests of two packages may start it concurrently.
mkdir -p "$base"
exec 9>"$base/lock"
flock 9

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  load) shift; start; load "$@" ;;
  host) echo "$host" ;;
  *) echo "usage: $0 start | stop | restart | load IMAGE... | host" >&2; exit 2 ;;
esac
