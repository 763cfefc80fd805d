#!/usr/bin/env bash
# Runs the whole test suite (installs missing system packages and the workers' venv first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --deps-only
export PATH="/opt/swift/usr/bin:$PATH"
# The Whisper end-to-end test must run (not skip) here: the install step above made its venv.
export EARSHOT_REQUIRE_WHISPER=1
swift test
