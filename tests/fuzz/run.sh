#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz with clang (ASan + UBSan) from
# the library's sources and runs each for SECONDS on its seed corpus (new
# inputs go to a temporary dir, never into the tree). A crash fails the run
# and leaves the input under $BUILD/fuzz/artifacts/: make it a regression test.
# With SECONDS each harness runs that long from a random seed (for hunting);
# without, it runs a fixed number of inputs from seed 1, so that CI gives the
# same verdict for the same code.
# usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
seconds=${2:-}
declare -A ci_runs=([bootspec]=1000000 [qmp]=300000 [detector]=20000 [jsonrpc]=1000000 [traces]=5000 [report]=20000)
out=$build/fuzz
mkdir -p "$out/artifacts"
libs=$(pkg-config --libs jansson libpcre2-8 sqlite3 libarchive nettle)
cflags=$(pkg-config --cflags jansson libpcre2-8 sqlite3 libarchive nettle)
sources=("$root"/lib/*.c "$build"/schema/embedded_*.c "$build"/guests/accel-probe/embedded_*.c)
for h in bootspec qmp detector jsonrpc traces report; do
  # shellcheck disable=SC2086
  clang -std=c17 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root" -I"$build" $cflags "$root/tests/fuzz/fuzz_$h.c" "${sources[@]}" $libs -lm -o "$out/fuzz_$h"
done
fail=0
for h in bootspec qmp detector jsonrpc traces report; do
  work=$(mktemp -d)
  seeds=("$root/tests/fuzz/corpus/$h")
  case $h in
    detector) seeds+=("$root/tests/fuzz/corpus/serial") ;;
    traces) seeds+=("$root/tests/fuzz/corpus/serial") ;;
  esac
  if [ -n "$seconds" ]; then limit=(-max_total_time="$seconds"); else limit=(-seed=1 -runs="${ci_runs[$h]}"); fi
  if ! "$out/fuzz_$h" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$out/artifacts/$h-" "$work" "${seeds[@]}" > "$out/$h.log" 2>&1; then
    echo "fuzz: $h found a crash; see $out/$h.log and $out/artifacts/" >&2
    tail -40 "$out/$h.log" >&2
    fail=1
  else
    echo "fuzz: $h: $(grep -E 'stat::number_of_executed_units' "$out/$h.log" | awk '{print $2}') inputs, no crash"
  fi
  rm -rf "$work"
done
exit $fail
