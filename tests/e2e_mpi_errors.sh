#!/usr/bin/env bash
# Errors under mpiexec are the one "dett:" line: failures every rank reaches
# in the same collective path are agreed (runtime/dist/agree.h) and end with
# MPI_Finalize and an exit status, not MPI_Abort.
#   e2e_mpi_errors.sh DETT MPIEXEC
# Each case runs on 2 ranks and must give: a non-zero exit (the status
# named), exactly one stderr line starting "dett:", no "MPI_ABORT" anywhere.
# Open MPI's mpiexec adds its own banner to any non-zero exit ("Primary job
# terminated normally, but 1 process returned a non-zero exit code"); with
# its -q the one dett: line is all of stderr, which is checked too.
set -u
DETT=$1; MPIEXEC=$2
fail() { echo "FAILED: $*"; exit 1; }
rm -rf mpierr_work && mkdir mpierr_work && cd mpierr_work || fail "work dir"
QUIET=""
$MPIEXEC --version 2>&1 | grep -q "Open MPI" && QUIET="-q"

"$DETT" data synth -o ok.h5 --n-train 400 --n-val 100 --n-test 100 > /dev/null || fail "data"
echo "not an hdf5 file" > bad.h5
printf 'local d = dataset "nope.h5"\nreturn grid { data = d, epochs = 1, student = mlp{8}, method = erm{} }\n' > missing.lua
printf 'local d = dataset "bad.h5"\nreturn grid { data = d, epochs = 1, student = mlp{8}, method = erm{} }\n' > refused.lua
printf 'local d = dataset "ok.h5"\nreturn grid { data = d, epochs = 1, student = mlp{8}, method = erm{} }\n' > ok.lua
printf 'local d = dataset "ok.h5"\nreturn grid { data = d, epochs = 1, student = mlp{8}, method = erm{}, \n' > syntax.lua

n=0
case_() {   # case_ STATUS FRAGMENT ARGS...
  local want=$1 frag=$2; shift 2
  $MPIEXEC -n 2 "$DETT" "$@" > out.txt 2> err.txt; local rc=$?
  [ $rc = "$want" ] || fail "dett $*: exit $rc, want $want: $(cat err.txt)"
  [ "$(grep -c '^dett:' err.txt)" = 1 ] || fail "dett $*: want one dett: line: $(cat err.txt)"
  grep -q -- "$frag" err.txt || fail "dett $*: '$(grep '^dett:' err.txt)' lacks '$frag'"
  ! grep -qi "MPI_ABORT" err.txt out.txt || fail "dett $*: MPI_Abort: $(cat err.txt)"
  if [ -n "$QUIET" ]; then
    $MPIEXEC $QUIET -n 2 "$DETT" "$@" > out.txt 2> err.txt
    [ "$(grep -c . err.txt)" = 1 ] && grep -q '^dett:' err.txt \
      || fail "dett $* under mpiexec -q: stderr is not the one dett: line: $(cat err.txt)"
  fi
  n=$((n + 1))
}
case_ 1 "dataset 'nope.h5': file not found" run missing.lua -o r.h5
case_ 1 "bad.h5" run refused.lua -o r.h5
case_ 1 "syntax.lua" run syntax.lua -o r.h5
case_ 2 "unknown option '--bogus'" run ok.lua -o r.h5 --bogus
case_ 2 "power of two dividing the 2 ranks" run ok.lua -o r.h5 --ranks-per-job 3
case_ 2 "--data FILE.h5 is required" train --epochs 1
case_ 1 "nope.h5" train --data nope.h5
case_ 1 "bad.h5" train --data bad.h5
case_ 2 "does not divide" train --data ok.h5 --ranks-per-job 4
case_ 1 "cannot build mlp" train --data ok.h5 --arch mlp:1048576,1048576
[ ! -e r.h5 ] || fail "a refused run left r.h5"
echo "$n failures under mpiexec -n 2: one dett: line each, no MPI_Abort${QUIET:+ (and nothing else with mpiexec -q)}"
echo "1 passed, 0 failed"
