#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang in
# ./build-fuzz and runs their ctest entries (label "fuzz"): each target
# fuzzes for 30 s from its seed corpus and regression inputs. Needs clang
# and libclang-rt-14-dev. Exit status: 0 if nothing was found; crashing
# inputs are left in build-fuzz/test-tmp/fuzz_*-crash-* (see
# docs/reliability.md for how to reproduce and minimise them).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v clang > /dev/null || { echo "fuzz: clang not found"; exit 2; }
# CI=true turns warnings into errors, which is for the gcc build: clang
# warns about other things.
env -u CI cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DDETT_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > build-fuzz.log 2>&1 || { tail -30 build-fuzz.log; exit 1; }
cmake --build build-fuzz -j "$(nproc)" --target fuzz_lua fuzz_dataset >> build-fuzz.log 2>&1 \
  || { tail -50 build-fuzz.log; exit 1; }
. scripts/mpienv.sh
cd build-fuzz
ctest -L fuzz --output-on-failure
