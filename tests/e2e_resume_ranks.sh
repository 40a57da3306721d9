#!/usr/bin/env bash
# A checkpoint holds the whole optimiser state, whatever the group size that
# wrote it (runtime/train/optshard.h: each rank of a group steps only its
# chunk, the state is gathered for a checkpoint): a grid stopped by SIGTERM
# in a group of 2 resumes in a group of 1 and in a group of 4, one stopped
# in a group of 4 resumes in a group of 2, each ending bit-identical to an
# uninterrupted run; the unsharded step (DETT_SHARDED_OPT=0) gives the
# same bits too.
#   e2e_resume_ranks.sh DETT MPIEXEC GRIDS
set -u
DETT=$1; MPIEXEC=$2; GRIDS=$3
. "$(dirname "$0")/e2e_lib.sh"
export HDF5_USE_FILE_LOCKING=FALSE
"$DETT" data synth -o run_small.h5 --n-train 2000 > /dev/null || fail "data"
cp "$GRIDS/small.lua" rk.lua
$MPIEXEC -n 2 "$DETT" run rk.lua -o full.h5 --ranks-per-job 2 > full.out || fail "uninterrupted run"
DETT_SHARDED_OPT=0 $MPIEXEC -n 2 "$DETT" run rk.lua -o flat.h5 --ranks-per-job 2 > flat.out \
  || fail "run with DETT_SHARDED_OPT=0"
same full.h5 flat.h5
# stop_resume K1 K2: SIGTERM after global step 45 (epoch 2, step 13 of the
# first job) in one group of K1, then the rest in one group of K2
stop_resume() {
  rm -f t.h5 t.h5.lock
  DETT_TEST_TERM_AT_STEP=45 $MPIEXEC -n "$1" "$DETT" run rk.lua -o t.h5 --ranks-per-job "$1" \
    > t1.out 2>&1
  [ $? = 4 ] || { cat t1.out; fail "SIGTERM in a group of $1: not stopped"; }
  $MPIEXEC -n "$2" "$DETT" run rk.lua -o t.h5 --ranks-per-job "$2" > t2.out 2>&1 \
    || { cat t2.out; fail "resume in a group of $2"; }
  grep -q "resumed from its checkpoint (epoch 2 step 13)" t2.out \
    || { cat t2.out; fail "a group of $2 did not resume the checkpoint of a group of $1"; }
  same full.h5 t.h5
}
stop_resume 2 1
stop_resume 2 4
stop_resume 4 2
echo "stopped in a group of 2 or 4, resumed in a group of 1, 4 or 2: bit-identical"
