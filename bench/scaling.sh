#!/usr/bin/env bash
# One compute-bound job at 1 and 2 ranks, same data and settings: speed-up of
# the training loop (the "train seconds" dett train prints; data loading and
# MPI start-up excluded). Run on a quiet machine.
#   bench/scaling.sh [BUILD_DIR]
set -euo pipefail
B=${1:-build}
. "$(dirname "$0")/../scripts/mpienv.sh"
data=$B/bench_scaling.h5
[ -f "$data" ] || "$B/dett" data synth -o "$data" --n-train 16384 --n-val 2048 \
  --n-test 2048 --d-noise 774 > /dev/null      # 784 features, like 28x28 images
run() {
  mpirun -np "$1" "$B/dett" train --data "$data" --arch mlp:512,512 --batch 256 \
    --epochs 3 --micro-shards 8 | awk '/train seconds/ { print $3 }'
}
t1=$(run 1); t2=$(run 2)
echo "mlp 784-512-512-2, batch 256, 8 micro-shards, 3 epochs of 16384 rows"
echo "1 rank: ${t1} s   2 ranks: ${t2} s   speed-up: $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", a / b }')"
