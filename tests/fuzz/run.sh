#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang in
# ./build-fuzz and runs their ctest entries (label "fuzz"): each target
# fuzzes for 30 s from its seed corpus and regression inputs. Needs clang
# and libclang-rt-14-dev. Exit status: 0 if nothing was found in dett's
# code. Findings stay in build-fuzz/test-tmp/fuzz_*/ (crash-*, leak-*,
# timeout-*, each with a .txt report); docs/reliability.md says how to
# reproduce and minimise them.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v clang > /dev/null || { echo "fuzz: clang not found"; exit 2; }
# CI=true turns warnings into errors, which is for the gcc build: clang
# warns about other things.
mkdir -p build-fuzz
log=build-fuzz/build.log
env -u CI cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DDETT_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > $log 2>&1 || { tail -30 $log; exit 1; }
cmake --build build-fuzz -j "$(nproc)" --target fuzz_lua fuzz_dataset fuzz_csv fuzz_npz \
  fuzz_results >> $log 2>&1 \
  || { tail -50 $log; exit 1; }
. scripts/mpienv.sh
cd build-fuzz
rc=0
ctest -L fuzz --output-on-failure || rc=$?
for t in lua dataset csv npz results; do   # what each target ran and found
  echo "== fuzz_$t"
  cat "test-tmp/fuzz_$t/summary.txt" 2> /dev/null || echo "(no summary)"
done
exit $rc
