#!/usr/bin/env bash
# The agent's part of `make bench`: time from a labelled container's start to its
# registration by the agent, p50/p99, with 300 labelled containers running (tiny
# FROM-scratch stand-ins, removed afterwards). Target: p99 <= 500 ms.
# AGENT_BENCH_SAMPLES sets the number of measured starts (default 100).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -tags 'nosystemd integration' -count=1 -run '^$' -bench '^BenchmarkAgentRegistration$' -benchtime 1x \
  -timeout 20m ./integration/ >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
grep -E '^(agent registration|BenchmarkAgentRegistration)' "$out"
