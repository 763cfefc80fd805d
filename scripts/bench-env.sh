#!/usr/bin/env bash
# Makes the benchmarks' reference environment: a virtual environment at .bench-venv (or $EARSHOT_BENCH_VENV)
# with the tools the benchmarks compare against, from PyPI:
#   snakemake      — `earshot-bench stress` runs the same DAG of shell steps with it;
#   librosa, soxr  — `data-bench decode`, `phase1-bench acoustic` (decode_reference.py, acoustic_reference.py);
#   scikit-learn   — `phase1-bench learn` (learn_reference.py).
# The benchmarks find it as $EARSHOT_PYTHON (their default is .bench-venv/bin/python of the checkout).
# Idempotent: an existing environment is only completed. Usage: bash scripts/bench-env.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${EARSHOT_BENCH_VENV:-.bench-venv}"
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet \
  'snakemake>=8,<10' \
  'librosa>=0.10,<0.12' 'soxr>=0.3' 'soundfile>=0.12' 'numpy>=1.24' \
  'scikit-learn>=1.3,<1.8'
"$VENV/bin/python" - <<'PY'
import importlib.metadata as m
for name in ("snakemake", "librosa", "soxr", "scikit-learn", "numpy"):
    print(f"{name} {m.version(name)}")
PY
echo "bench env ready: $VENV (benchmarks use it by default; or export EARSHOT_PYTHON=$VENV/bin/python)"
