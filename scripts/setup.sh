#!/usr/bin/env bash
# Installs the Debian packages dett needs (only those missing), then
# configures and builds into ./build. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS="build-essential cmake pkg-config git openmpi-bin libopenmpi-dev
      libscalapack-openmpi-dev libhdf5-openmpi-dev hdf5-tools liblua5.4-dev
      lua5.4 libopenblas-dev libssl-dev zlib1g-dev libzip-dev python3-h5py python3-numpy"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing:$missing"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > build.log 2>&1 \
  || { cat build.log; exit 1; }
cmake --build build -j "$(nproc)" >> build.log 2>&1 || { tail -50 build.log; exit 1; }
echo "setup: built build/dett ($(build/dett --version))"
