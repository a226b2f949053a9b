#!/usr/bin/env bash
# The off-host copy's cost, measured against a real S3 server on 127.0.0.1
# (scripts/s3-server.sh), each case BENCH_RUNS times (default 2), under GNU time:
#   1. upload of a BENCH_SIZE_MB (default 2048) MiB archive (`archive pack
#      --compress none` of generated SQL, so the archive itself is that large):
#      wall time and the uploading process's peak RSS;
#   2. the backup as it is without a copy (`archive pack`, zstd fastest, of the
#      same SQL) and the upload of the archive it made: what a copy right after
#      the commit adds to that backup.
# The uploader is bench/offsiteupload (the offsite package and nothing else), so
# the peak RSS is the upload's own. BENCH_CONCURRENCY (default: the package's)
# sets the parts sent at once.
#   3. issue 16's benchmark: a whole Postgres backup by the agent binary, whose
#      pg_dump is BENCH_DUMP_MB (default 2048) MiB, local only against the same
#      backup with the off-host copy on, alternating BENCH_REPS (default 3) times
#      in one run (integration BenchmarkOffsitePostgresBackup). On a shared
#      machine run the script under the Docker lock, as every test that starts
#      containers: flock /tmp/baktainer-docker.lock scripts/bench-offsite.sh
# BENCH_OFFSITE_CASES (default "upload postgres") picks the cases. Every figure
# is printed with the machine's load average. docs/BENCHMARKS.md keeps them.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

cases=${BENCH_OFFSITE_CASES:-upload postgres}
size_mb=${BENCH_SIZE_MB:-2048}
runs=${BENCH_RUNS:-2}
concurrency=${BENCH_CONCURRENCY:-0}
cache=${BENCH_CACHE:-/var/cache/baktainer/bench}
bin=bin/baktainer

if [ ! -x /usr/bin/time ]; then
  echo "bench-offsite: installing GNU time" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
[ -x "$bin" ] || make build

work=$(mktemp -d /tmp/baktainer-bench-offsite.XXXXXX)
port=""
cleanup() {
  if [ -n "$port" ]; then scripts/s3-server.sh stop "$port" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$cache"

# input SIZE_MB: the path of SIZE_MB MiB of generated SQL, made once (as bench.sh).
input() {
  local path="$cache/sql-$1M.sql"
  if [ "$(stat -c %s "$path" 2>/dev/null || echo 0)" != "$(($1 << 20))" ]; then
    go run ./bench/gensql -size $(($1 << 20)) -seed 1 >"$path.tmp"
    mv "$path.tmp" "$path"
  fi
  echo "$path"
}

# timed NAME CMD...: runs CMD under GNU time, appends "NAME seconds peak-RSS-KiB"
# to $work/results, and prints CMD's standard output.
timed() {
  local name=$1
  shift
  /usr/bin/time -o "$work/time" -f "%e %M" "$@"
  echo "$name $(cat "$work/time")" >>"$work/results"
}

upload_bench() {
  go build -trimpath -o "$work/offsiteupload" ./bench/offsiteupload

  while :; do
    port=$((20000 + RANDOM % 12000))
    ss -Htln | awk '{print $4}' | grep -q ":$port\$" || break
  done
  S3_ACCESS_KEY=bench$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
  S3_SECRET_KEY=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
  export S3_ACCESS_KEY S3_SECRET_KEY
  scripts/s3-server.sh start "$port" "$work/s3"
  export BT_S3_ENDPOINT=127.0.0.1:$port BT_S3_ACCESS_KEY=$S3_ACCESS_KEY BT_S3_SECRET_KEY=$S3_SECRET_KEY BT_S3_INSECURE=true

  sql=$(input "$size_mb")
  cat "$sql" >/dev/null # from the page cache, as a dump would come from a pipe
  big=$("$bin" archive pack --dir "$work/plain" --name bench --ext sql --compress none <"$sql")
  echo "== $(du -h "$big" | cut -f1) archive: $big"

  for run in $(seq 1 "$runs"); do
    BT_S3_BUCKET=bench-plain-$run timed "upload-${size_mb}MiB" "$work/offsiteupload" -concurrency "$concurrency" -create-bucket "$big"
    packed=$(timed "pack-zstd-local-only" "$bin" archive pack --dir "$work/zstd-$run" --name bench --ext sql <"$sql")
    BT_S3_BUCKET=bench-zstd-$run timed "upload-zstd-archive" "$work/offsiteupload" -concurrency "$concurrency" -create-bucket "$packed"
    echo "   zstd archive: $(du -h "$packed" | cut -f1)"
    rm -rf "$work/zstd-$run"
  done

  echo
  echo "== results (seconds, peak RSS)"
  awk -v mb="$size_mb" '{
    printf "%-24s %7.2f s  %6.1f MiB", $1, $2, $3/1024
    if ($1 ~ /^upload-[0-9]/) printf "  %6.1f MiB/s", mb/$2
    printf "\n"
  }' "$work/results"

  # The upload's memory must not grow with the archive: 64 MiB at most.
  awk '$1 ~ /^upload-/ && $3 > 64 * 1024 { printf "bench-offsite: %s peaked at %.1f MiB, over 64 MiB\n", $1, $3 / 1024; bad = 1 }
    END { exit bad }' "$work/results"
}

# postgres_bench: issue 16's benchmark.
postgres_bench() {
  echo "== a whole Postgres backup (pg_dump ~${BENCH_DUMP_MB:-2048} MiB), local only vs with the off-host copy; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  go test -tags 'nosystemd integration' -run '^$' -bench BenchmarkOffsitePostgresBackup \
    -benchtime 1x -timeout 90m -v ./integration/
  echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

for c in $cases; do
  case $c in
  upload) upload_bench ;;
  postgres) postgres_bench ;;
  *) echo "bench-offsite: unknown case $c (upload, postgres)" >&2; exit 2 ;;
  esac
done
