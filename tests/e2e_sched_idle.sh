#!/usr/bin/env bash
# A waiting job group does not spin (runtime/train/scheduler.c wait_answer):
# with two groups of one rank, one group trains tests/grids/idle.lua's
# teacher for a few seconds, the other waits for it (a leader in
# sched_request, or rank 0 serving). Open MPI's blocking receive used to
# spin a core for that whole wait, so both ranks used about the same CPU
# time; the waiting rank's (user + sys, the smaller) must stay under half of
# the training rank's (a ratio: it holds on a loaded machine too, where
# both get a share of a core).
# Then the same with two groups of two ranks (4 ranks): the waiting group's
# second rank waits in its leader's broadcast of the next job
# (cli/cmd_run.c group_next), which spun as Open MPI's blocking broadcast
# does; both ranks of the waiting group (the two smallest CPU times) must
# stay under half of the largest.
#   e2e_sched_idle.sh DETT MPIEXEC GRIDS_DIR
set -u
DETT=$1; MPIEXEC=$2; GRIDS=$3
fail() { echo "FAILED: $*"; exit 1; }
export HDF5_USE_FILE_LOCKING=FALSE
command -v /usr/bin/time > /dev/null || fail "/usr/bin/time missing"
rm -f idle.h5 i.h5 t.* cpu4.txt
"$DETT" data synth -o idle.h5 --n-train 4000 > /dev/null || fail "data"
cp "$GRIDS/idle.lua" idle.lua
$MPIEXEC -n 2 sh -c 'exec /usr/bin/time -f "%U %S %e" -o "t.$OMPI_COMM_WORLD_RANK" "$@"' sh \
  "$DETT" run idle.lua -o i.h5 --ranks-per-job 1 > i.out || { cat i.out; fail "run"; }
grep -q "2 jobs: 2 done" i.out || { cat i.out; fail "not both jobs done"; }
read -r u1 s1 e1 < t.1 || fail "no time for rank 1"
read -r u0 s0 e0 < t.0 || fail "no time for rank 0"
echo "rank 0: user $u0 sys $s0 wall $e0; rank 1: user $u1 sys $s1 wall $e1"
awk -v a="$u0" -v b="$s0" -v c="$u1" -v d="$s1" \
  'BEGIN { x = a + b; y = c + d; lo = x < y ? x : y; hi = x < y ? y : x
           exit !(hi >= 1 && lo < 0.5 * hi) }' \
  || fail "the ranks used $u0 + $s0 and $u1 + $s1 s of CPU: the waiting one spins"
echo "a waiting group sleeps"

rm -f i4.h5 t.*
$MPIEXEC -n 4 sh -c 'exec /usr/bin/time -f "%U %S %e" -o "t.$OMPI_COMM_WORLD_RANK" "$@"' sh \
  "$DETT" run idle.lua -o i4.h5 --ranks-per-job 2 > i4.out || { cat i4.out; fail "run, K=2"; }
grep -q "2 jobs: 2 done" i4.out || { cat i4.out; fail "not both jobs done (K=2)"; }
for r in 0 1 2 3; do
  read -r u s e < "t.$r" || fail "no time for rank $r (K=2)"
  echo "K=2 rank $r: user $u sys $s wall $e"
  echo "$u $s" >> cpu4.txt
done
awk '{ print $1 + $2 }' cpu4.txt | sort -g | tr '\n' ' ' \
  | awk '{ exit !($4 >= 1 && $2 < 0.5 * $4) }' \
  || fail "with 2 ranks per group the two smallest CPU times are not under half of the largest: a waiting rank spins"
rm -f cpu4.txt
echo "a waiting group of two ranks sleeps, its leader and the other rank"
