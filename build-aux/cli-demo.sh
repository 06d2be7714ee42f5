#!/usr/bin/env bash
# The headless demo: simulate a synthetic PSG night, inspect it, and run
# BioX-Bridge EEG→ECG on two synthetic nights (bioxbridge-cli demo).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${BIOX_DEMO_DIR:-build/demo}"
mkdir -p "$out"
cli=build/cli/bioxbridge-cli
"$cli" simulate --hours 8 --seed 1 -o "$out/demo-night.edf"
"$cli" info "$out/demo-night.edf"
# EEG→ECG transfer with the built-in compact encoders on two synthetic nights.
"$cli" demo --hours 3 --out-dir "$out/transfer"
