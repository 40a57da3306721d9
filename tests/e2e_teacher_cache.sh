#!/usr/bin/env bash
# The teacher cache (runtime/train/jobrun.c): a student's teacher outputs
# (train logits and features, test features for the diagnostics) are kept
# for the next student of the same teacher. tests/grids/tcache.lua's
# students of three teachers alternate; the results with the cache (1 rank,
# and 2 groups of 1) must be the same bits as with DETT_TEACHER_CACHE=0,
# which recomputes them for every job.
#   e2e_teacher_cache.sh DETT MPIEXEC GRIDS_DIR
set -u
DETT=$1; MPIEXEC=$2; GRIDS=$3
fail() { echo "FAILED: $*"; exit 1; }
export HDF5_USE_FILE_LOCKING=FALSE
rm -f tcache.h5 c*.h5
"$DETT" data synth -o tcache.h5 --n-train 1500 > /dev/null || fail "data"
cp "$GRIDS/tcache.lua" tcache.lua
$MPIEXEC -n 1 "$DETT" run tcache.lua -o c1.h5 > c1.out || { cat c1.out; fail "cached, 1 rank"; }
DETT_TEACHER_CACHE=0 $MPIEXEC -n 1 "$DETT" run tcache.lua -o c0.h5 > c0.out \
  || { cat c0.out; fail "uncached, 1 rank"; }
$MPIEXEC -n 2 "$DETT" run tcache.lua -o c2.h5 > c2.out || { cat c2.out; fail "cached, 2 groups"; }
grep -q "jobs: \([0-9]*\) done, 0 failed" c1.out || { cat c1.out; fail "not all jobs done"; }
for f in c1.h5 c2.h5; do
  for g in $(h5ls c0.h5/jobs | awk '$2 == "Group" { print $1 }'); do
    for ds in train_loss acc worst avg mean selected params; do
      h5diff -c c0.h5 "$f" "/jobs/$g/$ds" "/jobs/$g/$ds" > diff.txt 2>&1 \
        || { head -20 diff.txt; fail "c0.h5 and $f differ in /jobs/$g/$ds"; }
    done
    if h5ls "c0.h5/jobs/$g/diagnostics" > /dev/null 2>&1; then
      h5diff -p 1e-9 c0.h5 "$f" "/jobs/$g/diagnostics" "/jobs/$g/diagnostics" > diff.txt 2>&1 \
        || { head -20 diff.txt; fail "c0.h5 and $f diagnostics differ for $g"; }
    fi
  done
done
echo "teacher cache: the same bits as recomputing the teacher's outputs for every student"
