#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds BioX Bridge and runs it on the
# built-in synthetic demo night. Extra arguments go to the application.
set -euo pipefail
cd "$(dirname "$0")/.."

bash build-aux/setup-debian.sh
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
meson compile -C build

if [ -x build/ui/bioxbridge ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
  exec build/ui/bioxbridge --demo "$@"
fi

# No display (or no GUI built): the same demo, headless.
echo "run-demo: no display available; running the headless demo with bioxbridge-cli" >&2
exec bash build-aux/cli-demo.sh "$@"
