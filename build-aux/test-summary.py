#!/usr/bin/env python3
"""Adds up meson test logs and prints one closing line:
    tests: N passed, N failed, N skipped
Exit status 1 if any test failed or no test ran."""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except OSError as e:
        print(f"test-summary: cannot read {path}: {e}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line)
        result = r.get("result", "")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
            print(f"skipped: {r.get('name')} ({path})")
        else:
            failed += 1
            print(f"FAILED: {r.get('name')} [{result}] ({path})")

print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
