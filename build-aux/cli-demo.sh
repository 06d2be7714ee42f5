#!/usr/bin/env bash
# The headless demo: simulate a synthetic PSG night and inspect it.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${BIOX_DEMO_DIR:-build/demo}"
mkdir -p "$out"
cli=build/cli/bioxbridge-cli
"$cli" simulate --hours 8 --seed 1 -o "$out/demo-night.edf"
"$cli" info "$out/demo-night.edf"
