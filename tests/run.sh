#!/usr/bin/env bash
# The whole test suite: unit and integration tests (real QEMU under TCG, the
# MINIX console fixture, Debian's kernel) in a -Werror build, then again in an
# ASan+UBSan build whose LeakSanitizer checks the daemon at every exit.
set -uo pipefail
cd "$(dirname "$0")/.."
tests/bootstrap.sh build || exit 1
tests/bootstrap.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug || exit 1

status=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1
# The fuzz suite builds its own ASan+UBSan harnesses: once is enough. The real MINIX boots run
# once, in the plain build (tests/meson.build says why).
echo "== meson test (build)"
meson test -C build --print-errorlogs || status=1
echo "== meson test (build-asan)"
meson test -C build-asan --print-errorlogs --no-suite fuzz --no-suite real-minix || status=1

# One closing line for people and CI: every cmocka and unittest case counted.
python3 - <<'PY'
import json, re
passed = failed = skipped = 0
for d in ('build', 'build-asan'):
    try:
        lines = open(f'{d}/meson-logs/testlog.json').read().splitlines()
    except OSError:
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get('stdout', '') + t.get('stderr', '')
        if t['result'] == 'SKIP':  # exit 77: the host lacks what it needs; the test printed why
            skipped += 1
            continue
        m = re.search(r'^Ran (\d+) tests?', out, re.M)
        node_pass = re.search(r'^# pass (\d+)', out, re.M)
        node_fail = re.search(r'^# fail (\d+)', out, re.M)
        if node_pass:
            n = int(node_pass.group(1)) + int(node_fail.group(1) if node_fail else 0)
        else:
            n = int(m.group(1)) if m else sum(1 for _ in re.finditer(r'^\[ RUN      \]', out, re.M))
        bad = len(re.findall(r'^\[  FAILED  \] (?!\d)', out, re.M)) + len(re.findall(r'^(?:FAIL|ERROR): ', out, re.M))
        bad += int(node_fail.group(1)) if node_fail else 0
        n = max(n, 1)  # a test that prints no count is one test
        skip = re.search(r'^(?:OK|FAILED) \(.*skipped=(\d+)', out, re.M)  # unittest cases skipped, with reasons
        if skip:
            skipped += int(skip.group(1))
            n -= int(skip.group(1))
        if t["result"] != "OK" and bad == 0:
            bad = 1
        passed += max(n - bad, 0)
        failed += bad
print(f'{passed} passed, {failed} failed' + (f', {skipped} skipped' if skipped else ''))
PY
exit $status
