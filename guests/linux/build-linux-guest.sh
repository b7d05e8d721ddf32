#!/usr/bin/env bash
# Builds the Linux test guest: Debian's cloud kernel (fetch-kernel.sh) and a
# busybox-static initramfs with guests/linux/init.
# usage: build-linux-guest.sh OUTDIR INIT_SCRIPT
set -euo pipefail
out=$1
init=$2
cache=${MA_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minix-analysis}
mkdir -p "$cache" "$out"

bash "$(dirname "$0")/fetch-kernel.sh" linux-image-cloud-amd64 "$out/vmlinuz"
unpack=$(mktemp -d)
trap 'rm -rf "$unpack"' EXIT

busybox=/bin/busybox
# Its whole banner first, then the check: with pipefail, grep -q quitting early gave busybox a SIGPIPE
# and the check failed now and then.
banner=$("$busybox" 2>/dev/null || true)
if [[ $banner != *BusyBox* ]]; then
  echo "build-linux-guest: $busybox missing; install busybox-static" >&2
  exit 1
fi
if ldd "$busybox" >/dev/null 2>&1; then
  echo "build-linux-guest: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi
root=$unpack/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc}
cp "$busybox" "$root/bin/busybox"
for applet in sh mount cat echo ls uname nproc poweroff true false; do
  ln -s busybox "$root/bin/$applet"
done
# Debian's strace for the syscall tracer, with the libraries ldd finds for it
# (the host is Debian 12 too, so its copies are the ones strace was built for).
strace_deb=$(ls "$cache"/strace_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$strace_deb" ]; then
  (cd "$cache" && apt-get download strace >&2)
  strace_deb=$(ls "$cache"/strace_*.deb | head -n 1)
fi
dpkg-deb -x "$strace_deb" "$unpack/strace"
mkdir -p "$root/usr/bin"
cp "$unpack/strace/usr/bin/strace" "$root/usr/bin/strace"
libs=$(ldd "$unpack/strace/usr/bin/strace" | awk '/=>/ {print $3} /^[ \t]*\/lib/ {print $1}')
for lib in $libs; do
  [ -f "$lib" ] || { echo "build-linux-guest: strace needs $lib, which is not installed" >&2; exit 1; }
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
install -m 0755 "$init" "$root/init"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) > "$out/initramfs.cpio.gz"
echo "build-linux-guest: $(basename "$deb") -> $out/vmlinuz, $out/initramfs.cpio.gz" >&2
