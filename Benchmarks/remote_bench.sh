#!/usr/bin/env bash
# Remote-cache throughput: `earshot cache push|pull` against plain curl moving the same objects to and from the same
# nginx (WebDAV) server on loopback, with the same parallelism (8 transfers at once). Prints MB/s and the ratio.
#   bash Benchmarks/remote_bench.sh [OBJECTS] [MB_EACH]      default 32 objects of 8 MB
# Uses $EARSHOT (default .build/release/earshot; build it with `swift build -c release --product earshot`).
# Both move the bytes with libcurl; earshot does more per object, which is what the ratio measures: a HEAD before each
# upload and a PUT of each node's action record; on pull, a GET of each node's action record, a SHA-256 of every object
# computed as it streams to disk, and an fsync and rename of the object and of the record into the store (curl leaves
# its files unflushed). Target: earshot within 1.5x of curl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${1:-32}
MB=${2:-8}
EARSHOT=${EARSHOT:-$ROOT/.build/release/earshot}
[[ -x "$EARSHOT" ]] || { echo "remote_bench: no earshot at $EARSHOT (swift build -c release --product earshot, or set EARSHOT)" >&2; exit 1; }
command -v curl >/dev/null || { echo "remote_bench: needs curl" >&2; exit 1; }

WORK=$(mktemp -d /tmp/earshot-remote-bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash scripts/remote-cache-nginx.sh "$PORT" "$WORK/nginx" > "$WORK/nginx.log" 2>&1 &
NGINX_PID=$!
cleanup() { kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.05; done
URL="http://127.0.0.1:$PORT/earshot"
DATA="$WORK/nginx/data/earshot"

# N independent nodes, each writing MB megabytes of seeded random bytes.
cd "$WORK"
cat > blob.py <<'EOF'
import random, sys, pathlib
random.seed(int(sys.argv[1]))
pathlib.Path(sys.argv[3], "blob.bin").write_bytes(random.randbytes(int(sys.argv[2]) * 1_000_000))
EOF
{
  echo "experiment: remote-bench"
  echo "nodes:"
  echo "  blob_\${item.i}:"
  echo "    foreach: {i: [$(seq -s, 1 "$N")]}"
  echo "    kind: command"
  echo "    params: {run: [python3, blob.py, \"\${item.i}\", \"$MB\", \"{out}\"], outputs: [blob.bin]}"
} > bench.yaml
"$EARSHOT" run bench.yaml --store a -q --jobs 2
OBJECTS=$(find a/objects -type f | sort)
TOTAL_MB=$(du -cb $OBJECTS | tail -1 | awk '{printf "%.1f", $1 / 1e6}')
echo "remote_bench: $N objects, $TOTAL_MB MB in all, nginx on 127.0.0.1:$PORT, 8 transfers at once"

now() { date +%s.%N; }
rate() { awk -v mb="$1" -v t0="$2" -v t1="$3" 'BEGIN { printf "%.1f", mb / (t1 - t0) }'; }

# curl upload: the same files to the same names, 8 at a time, one process (connection reuse).
: > up.cfg
for f in $OBJECTS; do n=$(basename "$f"); printf 'upload-file = "%s"\nurl = "%s/cas/%s"\n' "$f" "$URL" "${n%%.*}" >> up.cfg; done
t0=$(now); curl --no-progress-meter --fail -Z --parallel-max 8 -K up.cfg -o /dev/null; t1=$(now)
CURL_PUSH=$(rate "$TOTAL_MB" "$t0" "$t1")
rm -rf "$DATA"

t0=$(now); "$EARSHOT" cache push --store a --remote "$URL" > push.txt; t1=$(now)
EARSHOT_PUSH=$(rate "$TOTAL_MB" "$t0" "$t1")

# curl download of the same objects, 8 at a time.
mkdir -p down
: > down.cfg
for f in $OBJECTS; do n=$(basename "$f"); printf 'url = "%s/cas/%s"\noutput = "down/%s"\n' "$URL" "${n%%.*}" "$n" >> down.cfg; done
t0=$(now); curl --no-progress-meter --fail -Z --parallel-max 8 -K down.cfg; t1=$(now)
CURL_PULL=$(rate "$TOTAL_MB" "$t0" "$t1")

t0=$(now); "$EARSHOT" cache pull bench.yaml --store b --remote "$URL" > pull.txt; t1=$(now)
EARSHOT_PULL=$(rate "$TOTAL_MB" "$t0" "$t1")
[[ $(find b/objects -type f | wc -l) -eq $N ]] || { echo "remote_bench: pull fetched $(find b/objects -type f | wc -l) of $N objects" >&2; exit 1; }

awk -v ep="$EARSHOT_PUSH" -v cp="$CURL_PUSH" -v el="$EARSHOT_PULL" -v cl="$CURL_PULL" 'BEGIN {
  printf "push  earshot %8.1f MB/s   curl %8.1f MB/s   curl/earshot %.2fx\n", ep, cp, cp / ep
  printf "pull  earshot %8.1f MB/s   curl %8.1f MB/s   curl/earshot %.2fx\n", el, cl, cl / el
}'
