#!/usr/bin/env bash
# Runs the whole test suite (installs missing system packages and the workers' venv first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --deps-only --lalm
export PATH="/opt/swift/usr/bin:$PATH"
# The Whisper end-to-end test must run (not skip) here: the install step above made its venv.
export EARSHOT_REQUIRE_WHISPER=1
# The LALM worker tests (tiny random models of every architecture) must run too: torch + transformers are installed above.
export EARSHOT_REQUIRE_LALM=1
# The report's headless-browser test must run too (chromium comes from the install step).
export EARSHOT_REQUIRE_BROWSER=1
# Remote-cache tests start nginx (installed above) on loopback; they must run, not skip.
export EARSHOT_NGINX=1
# Slurm executor tests run against a real single-node cluster started here (as root; idempotent).
if bash scripts/slurm-up.sh; then export EARSHOT_SLURM=1; else echo "earshot: single-node Slurm did not start; Slurm tests skipped" >&2; fi
swift test
