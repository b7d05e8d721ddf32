#!/bin/bash
# meson setup -Dtests=disabled must configure: tests/meson.build once used a guest defined only when clang
# was found (issue 16), so a build without the test tools failed before compiling anything.
# Usage: check_configure.sh MESON SOURCE_ROOT
set -euo pipefail
meson=$1 src=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/ma-configure-XXXXXX")
trap 'rm -rf "$dir"' EXIT
if ! "$meson" setup "$dir/build" "$src" -Dtests=disabled >"$dir/log" 2>&1; then
  cat "$dir/log"
  echo "meson setup -Dtests=disabled failed"
  exit 1
fi
grep -E '^\s*tests\s*:\s*False' "$dir/log" || { cat "$dir/log"; echo "the summary does not say tests: False"; exit 1; }
