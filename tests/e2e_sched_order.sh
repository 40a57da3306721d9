#!/usr/bin/env bash
# The scheduler hands out the ready job with the longest critical path (its
# work plus the longest chain of work that waits for it), not the lowest id
# (runtime/train/scheduler.c pick). tests/grids/order.lua has a teacher
# mlp{64,64} that is job j002 (two small ERM students come first by id),
# ERM, KD and DeTT students mlp{4} and mlp{64}, and the DeTT students'
# 1-epoch identification jobs. In one group of one rank
# (DETT_TEST_SCHED_TRACE):
#   - the teacher starts first;
#   - every mlp[64] identification job starts before every ERM student:
#     its own work (1 epoch) is less than an ERM student's (2 epochs), so
#     only the DeTT student waiting for it puts it first;
#   - every ERM mlp[64] student starts before every ERM mlp[4] one (same
#     epochs, more work per row);
#   - each job starts after its dependencies ended.
# Then the same grid in two groups of one rank ends with the same results
# (the order changes which group trains a job, never its bits).
#   e2e_sched_order.sh DETT MPIEXEC GRIDS_DIR
set -u
DETT=$1; MPIEXEC=$2; GRIDS=$3
. "$(dirname "$0")/e2e_lib.sh"
export HDF5_USE_FILE_LOCKING=FALSE
rm -f ./*.h5 ./*.out ./*.txt ./*.lock
"$DETT" data synth -o order_d.h5 --n-train 1000 > /dev/null || fail "data"
cp "$GRIDS/order.lua" order.lua
"$DETT" check order.lua \
  | awk '/^j[0-9]/ { sub(/^deps=/, "", $4); m = $5; sub(/\(.*/, "", m); print $1, $2, $4, $6, m }' \
  > jobs.txt \
  || fail "dett check"
teacher=$(awk '$2 == "train" { print $1 }' jobs.txt)
[ -n "$teacher" ] && [ "$teacher" != j000 ] || { cat jobs.txt; fail "want a teacher that is not j000"; }
DETT_TEST_SCHED_TRACE=$PWD/trace.txt $MPIEXEC -n 1 "$DETT" run order.lua -o o1.h5 > o1.out 2>&1 \
  || { cat o1.out; fail "1 rank"; }
sed -n 's/^start //p' trace.txt > starts.txt
[ "$(wc -l < starts.txt)" = "$(wc -l < jobs.txt)" ] || { cat trace.txt; fail "not every job started once"; }
[ "$(head -1 starts.txt)" = "$teacher" ] || { cat trace.txt; fail "the teacher $teacher did not start first"; }
pos() { grep -nx "$1" starts.txt | cut -d: -f1; }
first_erm=1000; last_ident64=0; last_erm64=0; first_erm4=1000
while read -r id kind deps arch method; do
  p=$(pos "$id")
  case $kind/$method/$arch in
  ident/*/'arch=mlp[64]') [ "$p" -gt "$last_ident64" ] && last_ident64=$p ;;
  student/method=erm/'arch=mlp[64]') [ "$p" -gt "$last_erm64" ] && last_erm64=$p ;;
  student/method=erm/'arch=mlp[4]') [ "$p" -lt "$first_erm4" ] && first_erm4=$p ;;
  esac
  [ "$kind/$method" = student/method=erm ] && [ "$p" -lt "$first_erm" ] && first_erm=$p
  [ "$deps" = - ] && continue
  s=$(grep -n "^start $id\$" trace.txt | cut -d: -f1)
  for dep in ${deps//,/ }; do
    e=$(grep -n "^end $dep\$" trace.txt | cut -d: -f1)
    [ "$e" -lt "$s" ] || { cat trace.txt; fail "$id started before its dependency $dep ended"; }
  done
done < jobs.txt
[ "$last_ident64" -gt 0 ] && [ "$last_ident64" -lt "$first_erm" ] \
  || { cat jobs.txt trace.txt; fail "an mlp[64] identification job started after an ERM student"; }
[ "$last_erm64" -gt 0 ] && [ "$last_erm64" -lt "$first_erm4" ] \
  || { cat jobs.txt trace.txt; fail "an ERM mlp[4] student started before an ERM mlp[64] one"; }
echo "start order (1 rank): $(tr '\n' ' ' < starts.txt)"
$MPIEXEC -n 2 "$DETT" run order.lua -o o2.h5 --ranks-per-job 1 > o2.out 2>&1 \
  || { cat o2.out; fail "2 groups of 1"; }
same o1.h5 o2.h5
echo "1 passed, 0 failed"
