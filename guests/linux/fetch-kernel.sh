#!/usr/bin/env bash
# Copies the vmlinuz of a Debian amd64 kernel package to OUT: the package that
# META depends on is fetched with apt-get download and cached under
# ~/.cache/minix-analysis (the network is needed the first time only).
# usage: fetch-kernel.sh META OUT   (META: linux-image-cloud-amd64, linux-image-amd64)
set -euo pipefail
meta=$1
out=$2
cache=${MA_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minix-analysis}
mkdir -p "$cache" "$(dirname "$out")"

pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
  echo "fetch-kernel: apt-cache knows no $meta; run apt-get update" >&2
  exit 1
fi
deb=$(ls "$cache"/"${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
  (cd "$cache" && apt-get download "$pkg" >&2)
  deb=$(ls "$cache"/"${pkg}"_*.deb | head -n 1)
fi
unpack=$(mktemp -d)
trap 'rm -rf "$unpack"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$unpack" --wildcards './boot/vmlinuz-*'
cp "$unpack"/boot/vmlinuz-* "$out"
echo "fetch-kernel: $(basename "$deb") -> $out" >&2
