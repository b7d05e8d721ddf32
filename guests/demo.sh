#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and measures one boot of the
# MINIX console fixture (a test guest that imitates MINIX 3.4's console; not
# MINIX) in-process, printing the marker table.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/bootstrap.sh build
exec build/programs/minix-analysis --state-dir "${MA_STATE_DIR:-./minix-analysis-data}" boot \
  --profile minix-3.4 --arch i386 --cpus 2 \
  --kernel "$PWD/build/guests/minix-fixture.elf" --append console=tty00 --label quickstart "$@"
