#!/usr/bin/env bash
# Scaling of a sharded `score` node on Slurm job arrays, with a fake worker that sleeps a fixed time per item
# (Tests/EarshotPhase2Tests/Fixtures/fake_worker.py --delay): ITEMS items in 8 shards, submitted as 1, 2, 4 and 8
# array tasks (resources.shards_per_task 8, 4, 2, 1), each run on a fresh store. Prints, per task count, the node's
# wall time, the ideal wall time on the cluster's CPUs (ceil(tasks / cpus) × items per task × delay), and the engine's
# overhead per shard: sbatch submission and assembly in the submitting process (from the array ledger and the
# action record), plus each task's time beyond its items' sleeping and its worker's start (graph and key resolution,
# reading the split, writing and recording the shard), averaged per shard. The worker's start (a Python interpreter
# up to its hello, measured on its own here) is the scorer's cost, not the engine's, and is printed apart.
#   bash scripts/slurm-up.sh && bash Benchmarks/slurm_scaling.sh [ITEMS] [DELAY_S]    default 64 items, 0.25 s
# Uses $EARSHOT (default .build/release/earshot, else .build/debug/earshot). Needs a Slurm cluster (scripts/slurm-up.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ITEMS=${1:-64}
DELAY=${2:-0.25}
EARSHOT=${EARSHOT:-$ROOT/.build/release/earshot}
[[ -x "$EARSHOT" ]] || EARSHOT=$ROOT/.build/debug/earshot
[[ -x "$EARSHOT" ]] || { echo "slurm_scaling: no earshot binary (swift build -c release --product earshot, or set EARSHOT)" >&2; exit 1; }
command -v sinfo >/dev/null && sinfo -h >/dev/null 2>&1 || { echo "slurm_scaling: no Slurm cluster; run scripts/slurm-up.sh as root" >&2; exit 1; }
(( ITEMS % 16 == 0 )) || { echo "slurm_scaling: ITEMS must be a multiple of 16 (8 shards of equal size, two classes)" >&2; exit 1; }
CPUS=$(sinfo -h -o %C | awk -F/ '{print $4}')
WORKER=$ROOT/Tests/EarshotPhase2Tests/Fixtures/fake_worker.py
WORK=$(mktemp -d /tmp/earshot-slurm-scaling.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

echo "slurm_scaling: $ITEMS items × $DELAY s in 8 shards; cluster of $CPUS CPUs; $EARSHOT"
# The worker's start: the fake worker run to its hello and exit (stdin closed), mean of 5.
START=$(python3 - "$WORKER" <<'EOF'
import subprocess, sys, time
t = []
for _ in range(5):
    t0 = time.perf_counter()
    subprocess.run(["python3", sys.argv[1]], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
    t.append(time.perf_counter() - t0)
print(f"{sum(t) / len(t):.3f}")
EOF
)
echo "worker start (python3 to hello): $START s"
printf "%-6s %-10s %-10s %-8s %s\n" tasks "wall (s)" "ideal (s)" speedup "engine overhead per shard (s)"
BASE=""
for TASKS in 1 2 4 8; do
  PER_TASK=$(( 8 / TASKS ))
  cat > exp.yaml <<EOF
experiment: scaling
nodes:
  corpus: {kind: synth_corpus, params: {per_class: $(( ITEMS / 2 )), dataset: k, speakers: 2, max_words: 5}}
  scores:
    kind: score
    inputs: {split: corpus}
    resources: {cpus: 1, shards_per_task: $PER_TASK}
    params:
      scorer: {command: [python3, "$WORKER", --delay, "$DELAY"]}
      shard_size: $(( ITEMS / 8 ))
EOF
  "$EARSHOT" exec-node exp.yaml corpus --store "s$TASKS" > /dev/null
  "$EARSHOT" run exp.yaml --store "s$TASKS" --executor slurm --json -q > "run$TASKS.json"
  python3 - "$TASKS" "$PER_TASK" "$ITEMS" "$DELAY" "$CPUS" "s$TASKS" "${BASE:-0}" "$START" > "line$TASKS.txt" <<'EOF'
import glob, json, math, sys
tasks, per_task, items, delay, cpus, store, base = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6], float(sys.argv[7])
start = float(sys.argv[8])
run = json.load(open(f"run{tasks}.json"))
node = next(n for n in run["nodes"] if n["id"] == "scores")
assert node["status"] == "ran", node
wall = node["seconds"]
ledger = json.load(open(glob.glob(f"{store}/slurm/scaling/scores-*.arrays.json")[0]))
submit = sum(s["submitSeconds"] for s in ledger)
record = json.load(open(glob.glob(f"{store}/actions/**/{node['key']}*", recursive=True)[0]))
assemble = record["seconds"]
task_extra = 0.0
for log in glob.glob(f"{store}/slurm/scaling/slurm-*_*.out"):
    report = json.loads([l for l in open(log) if l.startswith("{")][-1])
    task_extra += report["seconds"] - per_task * (items // 8) * delay - start
per_shard = (submit + assemble + task_extra) / 8
ideal = math.ceil(tasks / cpus) * per_task * (items // 8) * delay
speedup = (base / wall) if base else 1.0
print(f"{tasks:<6} {wall:<10.2f} {ideal:<10.2f} {speedup:<8.2f} {per_shard:.3f} (submit {submit / 8:.3f}, assemble {assemble / 8:.3f}, in tasks {task_extra / 8:.3f})")
EOF
  cat "line$TASKS.txt"
  [[ -n "$BASE" ]] || BASE=$(python3 -c "import json; print(next(n['seconds'] for n in json.load(open('run1.json'))['nodes'] if n['id']=='scores'))")
done
