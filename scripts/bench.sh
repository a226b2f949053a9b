#!/usr/bin/env bash
# make bench: the store's speed and memory, side by side with the stock tools, in one
# run on the same input (docs/BENCHMARKS.md explains the figures):
#   1. Go benchmarks of the store (pipeline, deep verify, checksum verify);
#   2. `baktainer archive pack` (zstd + age + SHA-256 + fsync) against the shell chain
#      `zstd -3 | age -r R | tee >(sha256sum) > file`, on BENCH_SIZE_MB (default 2048)
#      of generated SQL, BENCH_RUNS times each, alternating;
#   3. the peak RSS of `archive pack` at 100 MiB and at BENCH_SIZE_MB of input;
#   4. a whole Postgres backup (pgbench scale PGBENCH_SCALE, default 30) against the
#      dump tool run through the same exec API with its output discarded.
# The inputs are generated deterministically (bench/gensql) and cached in
# BENCH_CACHE (default /var/cache/baktainer/bench). Expects `make build images`.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=${BENCH_SIZE_MB:-2048}
runs=${BENCH_RUNS:-2}
cache=${BENCH_CACHE:-/var/cache/baktainer/bench}
bin=bin/baktainer

scripts/ensure-tools.sh
if [ ! -x /usr/bin/time ]; then
  echo "bench: installing GNU time" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
[ -x "$bin" ] || make build

work=$(mktemp -d /tmp/baktainer-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"

# input SIZE_MB: prints the path of SIZE_MB MiB of generated SQL, made once.
input() {
  local path="$cache/sql-$1M.sql"
  if [ "$(stat -c %s "$path" 2>/dev/null || echo 0)" != "$(($1 << 20))" ]; then
    go run ./bench/gensql -size $(($1 << 20)) -seed 1 >"$path.tmp"
    mv "$path.tmp" "$path"
  fi
  echo "$path"
}

# timed NAME INPUT CMD...: runs CMD with INPUT on stdin under GNU time; appends
# "NAME seconds peak-RSS-KiB" to $work/results.
timed() {
  local name=$1 in=$2
  shift 2
  /usr/bin/time -o "$work/time" -f "%e %M" "$@" <"$in" >/dev/null
  echo "$name $(cat "$work/time")" >>"$work/results"
}

echo "== Go benchmarks (store)"
go test -tags nosystemd -run '^$' -bench . -benchtime 5x ./store/

age-keygen -o "$work/key.txt" 2>/dev/null
recipient=$(age-keygen -y "$work/key.txt")
small=$(input 100)
big=$(input "$size_mb")
cat "$big" >/dev/null # both sides start from the page cache

# pack runs at baktainer's default level (fastest, zstd -1); pack3 at zstd -3's level,
# the chain's, for a like-for-like ratio.
pack=("$bin" archive pack --dir "$work/store" --name bench --ext sql --recipient "$recipient")
pack3=("${pack[@]}" --level default)
# The stock chain of the issue, verbatim (it does not fsync; pack does).
chain=(bash -c 'zstd -3 -q -c | age -r "$1" | tee >(sha256sum >"$2.sha256") >"$2"; wait' chain "$recipient" "$work/chain.sql.zst.age")

echo "== $size_mb MiB of SQL: archive pack (fastest, and --level default) vs zstd -3 | age | tee >(sha256sum), $runs runs each"
for i in $(seq 1 "$runs"); do
  timed "pack-$size_mb" "$big" "${pack[@]}"
  ls -l "$work"/store/bench/*/*.age | awk '{print $5}' >"$work/size.pack"
  rm -rf "$work/store"
  timed "pack3-$size_mb" "$big" "${pack3[@]}"
  ls -l "$work"/store/bench/*/*.age | awk '{print $5}' >"$work/size.pack3"
  rm -rf "$work/store"
  timed "chain-$size_mb" "$big" "${chain[@]}"
  wc -c <"$work/chain.sql.zst.age" >"$work/size.chain"
  rm -f "$work"/chain.*
done
echo "== peak memory of archive pack at 100 MiB"
timed "pack-100" "$small" "${pack[@]}"
rm -rf "$work/store"
timed "chain-100" "$small" "${chain[@]}"
rm -f "$work"/chain.*

ratio=$(zstd -3 -q -c "$small" | wc -c)
echo
echo "== results (seconds, peak RSS in KiB; MB/s of SQL in)"
awk -v mb="$size_mb" -v small_ratio="$ratio" '
  { size = ($1 ~ /-100$/) ? 100 : mb; mbps = size * 1.048576 / $2
    printf "%-12s %8.2f s  %8.0f MB/s  peak RSS %7.1f MiB\n", $1, $2, mbps, $3 / 1024
    if ($1 ~ /-100$/) next
    if ($1 ~ /^pack-/) { ps += $2; pn++ } else if ($1 ~ /^pack3-/) { p3 += $2; p3n++ } else if ($1 ~ /^chain-/) { cs += $2; cn++ } }
  END { if (pn && cn) printf "pack (fastest) is %.2fx the shell chain'"'"'s throughput (mean of %d runs each)\n", (cs / cn) / (ps / pn), pn
        if (p3n && cn) printf "pack --level default is %.2fx the shell chain'"'"'s throughput\n", (cs / cn) / (p3 / p3n) }
' "$work/results"
for f in pack pack3 chain; do
  echo "$f: archive $(cat "$work/size.$f") bytes, ratio $(awk -v s="$(cat "$work/size.$f")" -v mb="$size_mb" 'BEGIN { printf "%.3f", mb * 1048576 / s }')"
done
echo "zstd -3 ratio on the 100 MiB input: $(awk -v r="$ratio" 'BEGIN { printf "%.2f", 104857600 / r }')"

echo
echo "== whole Postgres backup vs the dump tool, output discarded (pgbench scale ${PGBENCH_SCALE:-30})"
PGBENCH_SCALE=${PGBENCH_SCALE:-30} go test -tags 'nosystemd integration' -run '^$' -bench BenchmarkStorePostgresBackup \
  -benchtime 1x -timeout 30m ./integration/
