#!/usr/bin/env bash
# A run against a dead remote cache vs the same run without a remote: a DAG of N tiny command nodes run into a fresh
# store, once with `--remote` pointing at a loopback port where nothing listens (connections refused) and once
# without, alternating, R rounds. Prints the median wall time of each and their ratio. Target: at most 1.2x.
# After 3 failed requests in a row the remote is marked down for the rest of the run (one warning, no more
# requests), so the dead remote costs its first few refused connections and their backoff (about 0.75 s), not a
# retry per node.
#   bash Benchmarks/dead_remote_bench.sh [NODES] [ROUNDS] [JOBS]      default 300 nodes, 3 rounds, 4 jobs
# Uses $EARSHOT (default .build/release/earshot; build it with `swift build -c release --product earshot`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${1:-300}
ROUNDS=${2:-3}
JOBS=${3:-4}
EARSHOT=${EARSHOT:-$ROOT/.build/release/earshot}
[[ -x "$EARSHOT" ]] || { echo "dead_remote_bench: no earshot at $EARSHOT (swift build -c release --product earshot, or set EARSHOT)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/earshot-dead-remote.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DEAD="http://127.0.0.1:$PORT/earshot"
{
  echo "experiment: dead-remote-bench"
  echo "nodes:"
  echo "  step_\${item.i}:"
  echo "    foreach: {i: [$(seq -s, 1 "$N")]}"
  echo "    kind: command"
  echo "    params: {run: [sh, -c, 'echo \$0 > \$1/out.txt', \"\${item.i}\", \"{out}\"], outputs: [out.txt]}"
} > bench.yaml

now() { date +%s.%N; }
timed() {  # timed STORE [ARGS...] -> seconds
  local store=$1; shift
  rm -rf "$store"
  local t0 t1
  t0=$(now)
  "$EARSHOT" run bench.yaml --store "$store" -q --jobs "$JOBS" "$@" 2> "$store.err" || { cat "$store.err" >&2; exit 1; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

LOCAL=() DEADT=()
for r in $(seq 1 "$ROUNDS"); do
  LOCAL+=("$(timed local)")
  DEADT+=("$(timed dead --remote "$DEAD")")
done
WARNINGS=$(grep -c "warning" dead.err || true)
L=$(echo "${LOCAL[*]}" | median)
D=$(echo "${DEADT[*]}" | median)
echo "dead_remote_bench: $N command nodes, --jobs $JOBS, $ROUNDS rounds; remote $DEAD refuses connections"
echo "  without a remote:  ${LOCAL[*]} s (median $L s)"
echo "  dead remote:       ${DEADT[*]} s (median $D s); warnings in the last run: $WARNINGS"
awk -v d="$D" -v l="$L" 'BEGIN { printf "  ratio dead/none: %.2fx (target <= 1.2x)\n", d / l }'
