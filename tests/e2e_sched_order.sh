#!/usr/bin/env bash
# The scheduler hands out the ready job with the longest critical path (its
# work plus the longest chain of work that waits for it), not the lowest id
# (runtime/train/scheduler.c pick). tests/grids/order.lua has a teacher
# mlp{64,64} that is job j002 (two small ERM students come first by id) and
# ERM and KD students mlp{4} and mlp{64}. In one group of one rank
# (DETT_TEST_SCHED_TRACE):
#   - the teacher starts first;
#   - every mlp[64] student starts before every mlp[4] student (same epochs,
#     more work per row);
#   - each job starts after its teacher ended.
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
"$DETT" check order.lua | awk '/^j[0-9]/ { sub(/^deps=/, "", $4); print $1, $2, $4, $6 }' > jobs.txt \
  || fail "dett check"
teacher=$(awk '$2 == "train" { print $1 }' jobs.txt)
[ -n "$teacher" ] && [ "$teacher" != j000 ] || { cat jobs.txt; fail "want a teacher that is not j000"; }
DETT_TEST_SCHED_TRACE=$PWD/trace.txt $MPIEXEC -n 1 "$DETT" run order.lua -o o1.h5 > o1.out 2>&1 \
  || { cat o1.out; fail "1 rank"; }
sed -n 's/^start //p' trace.txt > starts.txt
[ "$(wc -l < starts.txt)" = "$(wc -l < jobs.txt)" ] || { cat trace.txt; fail "not every job started once"; }
[ "$(head -1 starts.txt)" = "$teacher" ] || { cat trace.txt; fail "the teacher $teacher did not start first"; }
pos() { grep -nx "$1" starts.txt | cut -d: -f1; }
last_big=0; first_small=1000
while read -r id kind deps arch; do
  p=$(pos "$id")
  case $arch in
  arch=mlp[64]) [ "$p" -gt "$last_big" ] && last_big=$p ;;
  arch=mlp[4]) [ "$p" -lt "$first_small" ] && first_small=$p ;;
  esac
  [ "$deps" = - ] && continue
  e=$(grep -n "^end $deps\$" trace.txt | cut -d: -f1)
  s=$(grep -n "^start $id\$" trace.txt | cut -d: -f1)
  [ "$e" -lt "$s" ] || { cat trace.txt; fail "$id started before its teacher $deps ended"; }
done < jobs.txt
[ "$last_big" -lt "$first_small" ] \
  || { cat jobs.txt trace.txt; fail "an mlp[4] student started before an mlp[64] one"; }
echo "start order (1 rank): $(tr '\n' ' ' < starts.txt)"
$MPIEXEC -n 2 "$DETT" run order.lua -o o2.h5 --ranks-per-job 1 > o2.out 2>&1 \
  || { cat o2.out; fail "2 groups of 1"; }
same o1.h5 o2.h5
echo "1 passed, 0 failed"
