#!/usr/bin/env bash
# Portability check: builds dett against MPICH instead of Open MPI, in
# ./build-mpich, and runs the test suite there with MPICH's mpiexec.
#
#   scripts/build-mpich.sh [ctest -R regex]     (default: every test)
#
# Debian packages (installed when missing): mpich libmpich-dev
# libhdf5-mpich-dev libscalapack-mpich-dev. Installing them must not switch
# the machine's default MPI (the mpi and mpirun alternatives) or its hdf5
# pkg-config module away from what they were: the script checks, and puts
# them back if the installation moved them. The build names MPICH's
# programs explicitly (the cache variables of README "Building on a
# cluster"), so the defaults are never used.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="mpich libmpich-dev libhdf5-mpich-dev libscalapack-mpich-dev"
ALTS="mpi mpirun hdf5.pc h5pcc"

selections() {
  for a in $ALTS; do update-alternatives --query "$a" 2>/dev/null | awk -v a="$a" '/^Value:/ { print a, $2 }'; done
}
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  before=$(selections)
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "build-mpich: installing:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
  after=$(selections)
  if [ "$before" != "$after" ]; then
    echo "build-mpich: the installation changed the default MPI or HDF5; setting them back:" >&2
    echo "$before" | while read -r a v; do $SUDO update-alternatives --set "$a" "$v"; done
  fi
fi

mkdir -p build-mpich
cmake -S . -B build-mpich -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMPI_C_COMPILER=/usr/bin/mpicc.mpich \
  -DMPIEXEC_EXECUTABLE=/usr/bin/mpiexec.mpich \
  -DHDF5_C_COMPILER_EXECUTABLE=/usr/bin/h5pcc.mpich \
  -DDETT_WITH_SCALAPACK=ON > build-mpich/build.log 2>&1 || { cat build-mpich/build.log; exit 1; }
grep "^-- dett:" build-mpich/build.log
cmake --build build-mpich -j "$(nproc)" >> build-mpich/build.log 2>&1 || { tail -40 build-mpich/build.log; exit 1; }
build-mpich/dett --version
# the binary must use MPICH's libraries only
if ldd build-mpich/dett | grep -qi "openmpi\|libmpi.so"; then
  ldd build-mpich/dett | grep -i "mpi\|hdf5\|scalapack" >&2
  echo "build-mpich: build-mpich/dett links Open MPI" >&2
  exit 1
fi
ldd build-mpich/dett | grep -i "mpich\|hdf5\|scalapack" | sed 's/ (0x.*//'
export OPENBLAS_NUM_THREADS=1
# MPICH (ch4:ucx) ranks busy-poll: the 4-rank tests on 2 cores are several
# times slower than under Open MPI (test_dfr_mpi_4: 237 s on a loaded VM)
cd build-mpich
if [ $# -gt 0 ]; then
  ctest --output-on-failure -j 2 --timeout 900 -R "$1"
else
  ctest --output-on-failure -j 2 --timeout 900
fi
