#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs the whole test suite twice:
# a normal build, then an ASan+UBSan build. UI tests run under Xvfb.
# Prints one closing line "tests: N passed, N failed, N skipped" and exits
# non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash build-aux/setup-debian.sh

jobs="${BIOX_TEST_JOBS:-$(nproc)}"
status=0

# run_suite DIR TIMEOUT_MULTIPLIER [meson setup options...]
run_suite() {
  local dir="$1"; shift
  local multiplier="$1"; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
  fi
  meson compile -C "$dir"
  # One X server for the whole run; GTK tests pick it up from $DISPLAY.
  xvfb-run -a -s "-screen 0 1600x1000x24" \
    env GDK_BACKEND=x11 GSK_RENDERER=cairo LIBGL_ALWAYS_SOFTWARE=1 \
    meson test -C "$dir" --print-errorlogs --num-processes "$jobs" \
    --timeout-multiplier "$multiplier" --no-rebuild || status=1
}

echo "== build + tests =="
run_suite build-test 1
echo "== ASan + UBSan build + tests =="
# Sanitized debug code runs several times slower, and LeakSanitizer's slow
# malloc unwinder (tests/ui/meson.build) slows the GUI tests further.
run_suite build-asan 4 -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

python3 build-aux/test-summary.py build-test/meson-logs/testlog.json build-asan/meson-logs/testlog.json || status=1
exit "$status"
