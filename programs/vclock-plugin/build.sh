#!/usr/bin/env bash
# Builds the virtual-clock TCG plugin against the plugin header of the QEMU installed here. The
# header is not in any Debian binary package: it is taken from Debian's source tarball of that
# QEMU version (deb.debian.org, the network is needed the first time only) and cached under
# ~/.cache/minix-analysis. It is never copied into the repository.
# usage: build.sh SOURCE.c OUT.so [QEMU_PACKAGE]
set -euo pipefail
src=$1
out=$2
pkg=${3:-qemu-system-x86}
cache=${MA_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minix-analysis}
mkdir -p "$cache"

version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
if [ -z "$version" ]; then
  echo "vclock-plugin: $pkg is not installed: no QEMU to build the plugin for" >&2
  exit 1
fi
upstream=${version#*:}    # 1:7.2+dfsg-7+deb12u18+b3 -> 7.2+dfsg-7+deb12u18+b3
upstream=${upstream%%-*}  # -> 7.2+dfsg
header="$cache/qemu-plugin-$upstream.h"
if [ ! -s "$header" ]; then
  url="http://deb.debian.org/debian/pool/main/q/qemu/qemu_${upstream}.orig.tar.xz"
  echo "vclock-plugin: fetching qemu-plugin.h from $url" >&2
  tmp=$(mktemp "$cache/qemu-plugin.XXXXXX")
  trap 'rm -f "$tmp"' EXIT
  curl -fsS --retry 3 "$url" | tar -xJO --wildcards '*/include/qemu/qemu-plugin.h' > "$tmp"
  grep -q 'QEMU_PLUGIN_VERSION' "$tmp" || { echo "vclock-plugin: no plugin header in $url" >&2; exit 1; }
  mv "$tmp" "$header"
fi
inc=$(mktemp -d)
trap 'rm -rf "$inc"' EXIT
cp "$header" "$inc/qemu-plugin.h"
cc -std=gnu17 -O2 -Wall -Wextra -Werror -shared -fPIC -I"$inc" -o "$out" "$src"
echo "vclock-plugin: built $out against QEMU $upstream's plugin header" >&2
