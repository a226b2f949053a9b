#!/usr/bin/env bash
# A real S3-compatible server on 127.0.0.1 for the off-host copy tests: SeaweedFS
# (`weed server -s3`: master, volume server, filer and S3 gateway in one process),
# built from its Go module. It supports what offsite/ needs: multipart uploads,
# x-amz-checksum-sha256 and x-amz-content-sha256 checks, ListObjectsV2.
#
#   scripts/s3-server.sh build                         build weed (cached)
#   scripts/s3-server.sh start PORT DATA_DIR [ACCESS SECRET]
#                                                      S3 on 127.0.0.1:PORT (idempotent)
#   scripts/s3-server.sh stop PORT                     stop the one on PORT (idempotent)
#   scripts/s3-server.sh kill PORT                     SIGKILL it, as a crash would
#
# Credentials: ACCESS and SECRET, else $S3_ACCESS_KEY and $S3_SECRET_KEY (the tests
# pass them so, out of the process list), else random ones; they are written to
# DATA_DIR/credentials (mode 600, ACCESS and SECRET on two lines) and to the
# server's identity file. DATA_DIR keeps the data across stop/start, so a test can
# kill the server mid-upload and start it again; remove it for a fresh server.
# The other ports the server needs are picked free on first start and kept in
# DATA_DIR/ports. Everything listens on 127.0.0.1 only; telemetry is off.
#
# The binary is cached outside the repository ($BAKTAINER_CACHE/s3, default
# /var/cache/baktainer/s3), one file per version: the first build takes about
# 5 minutes on 2 cores, later runs none. Logs: DATA_DIR/weed.log.
set -euo pipefail
# shellcheck source=scripts/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

# SeaweedFS publishes no semantic-version tags the module proxy lists; this is
# its 4.53 release's commit, the newest the proxy served (2026-11).
version=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
module=github.com/seaweedfs/seaweedfs
cache=${BAKTAINER_CACHE:-/var/cache/baktainer}/s3
bin=$cache/weed-$version
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

log() { echo "s3-server: $*" >&2; }

build() {
  if [ -x "$bin" ]; then
    return 0
  fi
  mkdir -p "$cache"
  exec 9>"$cache/build.lock"
  flock 9 # two tests starting at once build once
  if [ -x "$bin" ]; then
    return 0
  fi
  log "building $module/weed@$version (about 5 minutes, once)"
  local dir
  dir=$(mktemp -d "$cache/build.XXXXXX")
  # weed's go.mod has replace directives, so `go install weed@version` refuses
  # it: build it from a throwaway module that requires it and repeats them.
  (
    cd "$dir"
    go mod init baktainer-s3-build >/dev/null 2>&1
    local gomod
    gomod=$(go mod download -json "$module@$version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
    # Single-line `replace A => B VERSION` directives only (no local paths).
    grep -E '^replace [^ ]+ => [^ ./][^ ]* v[^ ]+$' "$gomod" | while read -r _ from _ to ver; do
      go mod edit -replace="$from=$to@$ver"
    done
    go get "$module/weed@$version"
    CGO_ENABLED=0 go build -trimpath -o weed "$module/weed"
  ) >"$cache/build.log" 2>&1 || { tail -n 30 "$cache/build.log" >&2; rm -rf "$dir"; return 1; }
  mv "$dir/weed" "$bin"
  rm -rf "$dir"
  log "built $bin"
}

run_dir() { echo "$cache/run-$1"; }

# answers PORT: something accepts connections on 127.0.0.1:PORT.
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_ports N: N ports nothing listens on, from the ephemeral range's neighbour.
free_ports() {
  local want=$1 got=() port used
  used=$(ss -Htln | awk '{print $4}' | sed 's/.*://' | sort -u)
  while [ "${#got[@]}" -lt "$want" ]; do
    port=$((20000 + RANDOM % 12000))
    if ! grep -qx "$port" <<<"$used" && [[ " ${got[*]} " != *" $port "* ]]; then
      got+=("$port")
    fi
  done
  echo "${got[@]}"
}

write_identity() {
  local data=$1 access=$2 secret=$3
  (
    umask 077
    printf '%s\n%s\n' "$access" "$secret" >"$data/credentials"
    # One identity allowed everything on every bucket.
    cat >"$data/s3.json" <<JSON
{"identities": [{"name": "baktainer-test",
  "credentials": [{"accessKey": "$access", "secretKey": "$secret"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
  )
}

start() {
  local port=$1 data=$2 access=${3:-${S3_ACCESS_KEY:-}} secret=${4:-${S3_SECRET_KEY:-}}
  local run
  run=$(run_dir "$port")
  build
  mkdir -p "$run" "$data"
  data=$(cd "$data" && pwd)
  if [ -f "$run/pid" ] && alive "$(cat "$run/pid")" && answers "$port"; then
    return 0
  fi
  if [ -z "$access" ] || [ -z "$secret" ]; then
    if [ -f "$data/credentials" ]; then
      { read -r access; read -r secret; } <"$data/credentials"
    else
      access=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
      secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    fi
  fi
  write_identity "$data" "$access" "$secret"
  if [ ! -f "$data/ports" ]; then
    free_ports 7 >"$data/ports"
  fi
  local mport mgrpc vport vgrpc fport fgrpc s3grpc
  read -r mport mgrpc vport vgrpc fport fgrpc s3grpc <"$data/ports"
  mkdir -p "$data/master" "$data/volume" "$data/filer"
  local log_from
  log_from=$(($(stat -c %s "$data/weed.log" 2>/dev/null || echo 0) + 1))
  # Flags, not defaults: every listener on 127.0.0.1 and a port of ours; no
  # telemetry; no bucket created on upload (baktainer must find its bucket); small
  # volumes so a test needs little disk; the extra gateways (Iceberg, Lance) off.
  # The working directory is the data directory, so no stray filer.toml or
  # security.toml from elsewhere is read.
  (
    cd "$data"
    close_inherited_fds
    exec setsid "$bin" server \
      -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -dir="$data/volume" -master.dir="$data/master" \
      -master.port="$mport" -master.port.grpc="$mgrpc" -master.telemetry=false \
      -master.volumeSizeLimitMB=256 -volume.max=200 -volume.preStopSeconds=0 \
      -volume.port="$vport" -volume.port.grpc="$vgrpc" \
      -filer -filer.port="$fport" -filer.port.grpc="$fgrpc" \
      -filer.localSocket="$run/filer.sock" \
      -s3 -s3.port="$port" -s3.port.grpc="$s3grpc" -s3.config="$data/s3.json" \
      -s3.localSocket="$run/s3.sock" \
      -s3.autoCreateBucket=false -s3.port.iceberg=0 -s3.port.lance=0 -s3.iam=false
  ) >>"$data/weed.log" 2>&1 </dev/null &
  echo $! >"$run/pid"
  echo "$data" >"$run/data"
  echo "$mgrpc $vgrpc $fgrpc $s3grpc" >"$run/grpc-ports"
  wait_ready "$port" "$run" "$data" "$log_from" "$s3grpc" "$mport"
}

# wait_ready: the S3 port answers; then, for up to 30 s, until writes would not
# wait: the gateway has joined the filer's lock ring, and a restarted master is
# past its warm-up (about 15 s in which it assigns no space, while it waits for
# the volume servers to report; a lookup of a missing volume answers 503 then).
wait_ready() {
  local port=$1 run=$2 data=$3 log_from=$4 s3grpc=$5 mport=$6 ok=""
  for _ in $(seq 1 300); do
    if ! alive "$(cat "$run/pid")"; then
      break
    fi
    if answers "$port" && curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
      ok=1
      break
    fi
    sleep 0.2
  done
  if [ -n "$ok" ]; then
    for _ in $(seq 1 150); do
      if tail -c +"$log_from" "$data/weed.log" | grep -q "LockRing: s3@127.0.0.1:$s3grpc received ring update" &&
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/dir/lookup?volumeId=4294967295")" = 404 ]; then
        break
      fi
      sleep 0.2
    done
    log "listening on 127.0.0.1:$port (pid $(cat "$run/pid"), data $data, log $data/weed.log)"
    return 0
  fi
  log "weed did not answer on 127.0.0.1:$port; log:"
  tail -n 30 "$data/weed.log" >&2 || true
  return 1
}

# alive PID: the process runs (a zombie, dead but not yet reaped by an init
# that is slow to, does not count).
alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ]
}

stop() {
  local run pid
  run=$(run_dir "$1")
  if [ -f "$run/pid" ]; then
    pid=$(cat "$run/pid")
    if alive "$pid"; then
      kill "$pid"
      for _ in $(seq 1 50); do
        alive "$pid" || break
        sleep 0.2
      done
      if alive "$pid"; then kill -9 "$pid"; fi
    fi
  fi
  # weed leaves its gRPC unix sockets in /tmp, named by port.
  if [ -f "$run/grpc-ports" ]; then
    local ports
    read -r -a ports <"$run/grpc-ports"
    for p in "${ports[@]}"; do
      rm -f /tmp/seaweedfs-*-grpc-"$p".sock
    done
  fi
  rm -rf "$run"
}

# kill_now: SIGKILL, no shutdown: what a crash or an OOM kill does to the server.
kill_now() {
  local run
  run=$(run_dir "$1")
  if [ -f "$run/pid" ]; then
    kill -9 "$(cat "$run/pid")" 2>/dev/null || true
  fi
  stop "$1"
}

case "${1:-}" in
  build) build ;;
  start) start "${2:?usage: s3-server.sh start PORT DATA_DIR [ACCESS SECRET]}" "${3:?usage: s3-server.sh start PORT DATA_DIR [ACCESS SECRET]}" "${4:-}" "${5:-}" ;;
  stop) stop "${2:?usage: s3-server.sh stop PORT}" ;;
  kill) kill_now "${2:?usage: s3-server.sh kill PORT}" ;;
  *) echo "usage: $0 build | start PORT DATA_DIR [ACCESS SECRET] | stop PORT | kill PORT" >&2; exit 2 ;;
esac
