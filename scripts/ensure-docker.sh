#!/usr/bin/env bash
# Ensures a Docker daemon answers on this machine: installs Debian's docker.io when
# dockerd is missing and starts it in the background, then waits until `docker info`
# answers. Idempotent: a running daemon is left alone.
set -euo pipefail

log() { echo "ensure-docker: $*" >&2; }

if docker info >/dev/null 2>&1; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

# A daemon started by an earlier session may have left its pid file behind.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi

if ! pgrep -x dockerd >/dev/null; then
  log "starting dockerd (log: /var/log/baktainer-dockerd.log)"
  # dockerd gets none of this script's other open files: run as documented,
  # under `flock /tmp/baktainer-docker.lock`, it would otherwise inherit the
  # lock's descriptor and hold the lock for as long as it runs.
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec setsid nohup dockerd >>/var/log/baktainer-dockerd.log 2>&1 </dev/null
  ) &
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "docker is up ($(docker version --format '{{.Server.Version}}, API {{.Server.APIVersion}}'))"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60s; last log lines:"
tail -n 20 /var/log/baktainer-dockerd.log >&2 || true
exit 1
