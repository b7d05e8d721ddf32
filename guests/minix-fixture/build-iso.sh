#!/usr/bin/env bash
# Builds the MINIX *fixture* ISO: the layout of minix_R3.4.0rc6 (/boot.cfg,
# /boot/minix_default/kernel and 12 boot modules, volume MINIX) holding the
# minix-analysis fixture kernel and placeholder modules. It is not MINIX.
# usage: build-iso.sh OUT.iso FIXTURE_KERNEL
set -euo pipefail
out=$1
kernel=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/boot/minix_default" "$root/i386/binary/sets"
cp "$kernel" "$root/boot/minix_default/kernel"
mods=(ds rs pm sched vfs memory tty mib vm pfs mfs init)
{
  echo "banner=Welcome to the MINIX 3 installation CD (minix-analysis fixture image, not MINIX)"
  echo "default=1"
  echo "timeout=10"
  echo "menu=Regular MINIX 3:multiboot /boot/minix_default/kernel bootcd=1 cdproberoot=1"
  echo "menu=Regular MINIX 3 (with AHCI):multiboot /boot/minix_default/kernel bootcd=1 cdproberoot=1 ahci=yes"
  for i in "${!mods[@]}"; do
    printf 'load=/boot/minix_default/mod%02d_%s\n' $((i + 1)) "${mods[$i]}"
  done
} > "$root/boot.cfg"
for i in "${!mods[@]}"; do
  printf 'placeholder boot module %s of the minix-analysis fixture image\n' "${mods[$i]}" \
    > "$root/boot/minix_default/$(printf 'mod%02d_%s' $((i + 1)) "${mods[$i]}")"
done
echo "placeholder: the fixture image has no install sets" > "$root/i386/binary/sets/README"
xorriso -as mkisofs -quiet -R -J -V MINIX -o "$out" "$root"
