#!/usr/bin/env bash
# Installs what minix-analysis needs on Debian 12 (only what is missing) and
# builds it into build/ (or the dir given as $1, with extra meson options after).
# usage: tests/bootstrap.sh [BUILD_DIR [MESON_OPTION...]]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true

packages=(gcc gcc-multilib meson ninja-build pkg-config python3 curl cpio
  libuv1-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev libpcre2-dev libcmocka-dev libcurl4-openssl-dev
  libarchive-dev nettle-dev xorriso
  qemu-system-x86 qemu-system-arm qemu-utils busybox-static
  clang lld  # the ARM fixture
  strace  # its libraries go into the Linux test guest
  wrk  # bench: the API under load
  grabserial  # bench: the timestamp fidelity rows' anchor
  libsystemd-dev systemd systemd-container  # sd_notify; verify of the unit; the unit run under systemd-nspawn
  chromium python3-jsonschema  # tests only: SVG rendering, JSON Schema validation
  slurmctld slurmd slurm-client munge)  # tests only: the one-node Slurm cluster of test_slurm.py
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
# The Linux test guest is fetched with apt-get download: the package lists must know it.
if [ ${#missing[@]} -gt 0 ] || ! apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; then
  echo "bootstrap: installing ${missing[*]:-nothing}; refreshing package lists" >&2
  $sudo apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The MCP end-to-end test's client: the official TypeScript SDK, pinned by the lock file.
command -v node >/dev/null || { $sudo apt-get update -qq; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null; }
# The dashboard's browser test: playwright-core (it drives Debian's chromium; no browser download).
for dir in tests/mcp tests/browser; do
  if [ ! -d $dir/node_modules ] || [ $dir/package-lock.json -nt $dir/node_modules ]; then
    (cd $dir && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

if [ ! -d "$build" ]; then
  meson setup "$build" -Dwerror=true "$@"
fi
ninja -C "$build"
echo "bootstrap: built $build" >&2
