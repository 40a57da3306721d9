#!/usr/bin/env bash
# Grid efficiency (issue 9, item 3): bench/grid_small.lua (64 small ERM
# jobs) under `mpirun -np NP dett run` with one rank per job group, so NP
# groups. Efficiency = (sum of the jobs' training-loop seconds, the job
# table's wall_seconds) / (whole-command wall time x groups): everything
# else, MPI start-up, the script, creating the results file, reading the
# data, scheduling and writing results, is the overhead it measures.
#
#   bench/grid.sh [BUILD_DIR] [NP]         (default build 2)
#
# EPOCHS (env, default 8) sets the jobs' length: 8 epochs of 8,192 rows is
# about 0.16 s per job here, 48 about 1 s.
# Also prints the in-run figure dett run itself reports (the same sum over
# its own loop's wall time, start-up and file creation excluded).
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
NP=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/mpienv.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$B/dett" data synth -o grid_bench.h5 --n-train 8192 > /dev/null
sed "s/epochs = 8,/epochs = ${EPOCHS:-8},/" "$here/grid_small.lua" > grid.lua
echo "load average $(cut -d' ' -f1 /proc/loadavg); mpirun -np $NP dett run bench/grid_small.lua" \
  "--ranks-per-job 1 (epochs = ${EPOCHS:-8})"
t0=$(date +%s.%N)
mpirun -np "$NP" "$B/dett" run grid.lua -o grid.h5 --ranks-per-job 1 --progress lines > run.out
t1=$(date +%s.%N)
line=$(grep -E '^[0-9]+ jobs: ' run.out)
echo "$line"
# "64 jobs: 64 done, ...; W s wall, J s in jobs over G groups (P% busy)"
echo "$line" | awk -v t0="$t0" -v t1="$t1" '{
  for (i = 1; i <= NF; i++) {
    if ($i == "wall," ) loop = $(i - 2)
    if ($i == "in" && $(i + 1) == "jobs") jobs = $(i - 2)
    if ($i == "over") groups = $(i + 1)
  }
  wall = t1 - t0
  printf "whole command %.2f s, dett run loop %.2f s, jobs %.2f s, %d groups, %.3f s per job\n",
         wall, loop, jobs, groups, jobs / $1
  printf "efficiency: whole command %.3f, run loop %.3f (target >= 0.95)\n",
         jobs / (wall * groups), jobs / (loop * groups)
}'
