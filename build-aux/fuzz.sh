#!/usr/bin/env bash
# Fuzzes the readers of untrusted model files (core/io) with libFuzzer.
#
#   build-aux/fuzz.sh SECONDS [TARGET...]     TARGET: torch pickle safetensors npy (default: all)
#
# Configures a clang build with -Dfuzzing=true and ASan+UBSan (in $BIOX_FUZZ_BUILD,
# default build-fuzz), builds only the fuzz executables, runs each target for
# SECONDS on a corpus seeded from tests/fixtures/io and the committed
# regression inputs, and copies every new crash/leak/timeout/oom input into
# tests/fuzz/regressions/<target>/ so that `meson test` replays it from then on.
# Prints runs and execs/s per target; exits non-zero if anything was found.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:?usage: build-aux/fuzz.sh SECONDS [torch|pickle|safetensors|npy ...]}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(torch pickle safetensors npy)
build="${BIOX_FUZZ_BUILD:-build-fuzz}"
jobs="${BIOX_FUZZ_JOBS:-2}"

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized
fi
ninja -C "$build" -j "$jobs" $(printf 'tests/fuzz/fuzz-%s ' "${targets[@]}")

seed() {
  local target="$1" corpus="$2"
  local fx=tests/fixtures/io
  case "$target" in
    torch) cp $fx/*.pt $fx/*.npz "$corpus"/ ;;
    safetensors) cp $fx/*.safetensors "$corpus"/ ;;
    npy) cp $fx/*.npy "$corpus"/ ;;
    pickle)
      python3 - "$corpus" $fx/*.pt <<'PY'
import sys, zipfile
out = sys.argv[1]
for path in sys.argv[2:]:
    if not zipfile.is_zipfile(path):
        continue
    z = zipfile.ZipFile(path)
    for n in z.namelist():
        if n.endswith('/data.pkl'):
            open(f"{out}/{n.split('/')[0]}.pkl", 'wb').write(z.read(n))
PY
      ;;
  esac
}

found=0
summary=()
for target in "${targets[@]}"; do
  work="$build/fuzz-work/$target"
  mkdir -p "$work/corpus" "$work/artifacts"
  seed "$target" "$work/corpus"
  regress="tests/fuzz/regressions/$target"
  mkdir -p "$regress"
  dict="tests/fuzz/$target.dict"
  echo "== fuzz-$target for ${secs}s"
  set +e
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$build/tests/fuzz/fuzz-$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" ${dict:+-dict="$dict"} \
    "$work/corpus" "$regress" > "$work/log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo '?')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo '?')
  new=0
  for f in "$work"/artifacts/crash-* "$work"/artifacts/leak-* "$work"/artifacts/timeout-* "$work"/artifacts/oom-*; do
    [ -e "$f" ] || continue
    cp "$f" "$regress/"
    new=$((new + 1))
    rm "$f"
  done
  if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
    found=1
    echo "fuzz-$target: exit $rc, $new new input(s) saved to $regress (log: $work/log)"
    grep -m1 -A12 'ERROR: \|==ERROR\|runtime error' "$work/log" || true
  fi
  summary+=("fuzz-$target: ${secs}s, $runs runs, $rate exec/s, $new new finding(s)")
done
printf '%s\n' "${summary[@]}"
exit "$found"
