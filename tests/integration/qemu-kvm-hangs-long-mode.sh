#!/bin/bash
# A QEMU that behaves like the nested, paravirtual KVM of issue 14, for hosts
# that have no such KVM: linked into a --qemu-dir as qemu-system-i386 and
# qemu-system-x86_64, it runs the real QEMU (from MA_REAL_QEMU_DIR, default
# /usr/bin), and when KVM is asked for:
#   - i386: TCG stands in for KVM, and the guest runs as it would;
#   - x86_64: TCG with a CPU that has no long mode, and -no-shutdown: a guest
#     that enables long mode faults, the VM stops, QEMU stays up and its QMP
#     still answers, and the console is silent from then on (a 64-bit kernel
#     "hangs" after its last line, as under that KVM).
# Without -accel kvm it runs the real QEMU unchanged.
real="${MA_REAL_QEMU_DIR:-/usr/bin}/$(basename "$0")"
args=()
kvm=0
while [ $# -gt 0 ]; do
  if [ "$1" = -accel ] && [ "${2:-}" = kvm ]; then
    kvm=1
    args+=(-accel tcg)
    shift 2
  elif [ "$1" = -cpu ] && [ "${2:-}" = host ]; then
    shift 2 # -cpu host needs a real KVM
  else
    args+=("$1")
    shift
  fi
done
if [ $kvm = 1 ] && [ "$(basename "$0")" = qemu-system-x86_64 ]; then
  args+=(-cpu qemu64,-lm -no-shutdown)
fi
exec "$real" "${args[@]}"
