#!/usr/bin/env bash
# One compute-bound job at 1 and 2 ranks, same data and settings: speed-up of
# the training loop (the "train seconds" dett train prints; data loading and
# MPI start-up excluded). Run on a quiet machine. DETT_ALLREDUCE=pairs|scatter
# in the environment picks the allreduce form (default: pairs at 2 ranks).
# Each round also runs the 2-rank job with the unsharded optimiser step
# (DETT_SHARDED_OPT=0: every rank steps all parameters) for the comparison.
# OPTIM=sgd|adamw (default sgd) picks the optimiser.
#   bench/scaling.sh [BUILD_DIR]
set -euo pipefail
B=${1:-build}
. "$(dirname "$0")/../scripts/mpienv.sh"
data=$B/bench_scaling.h5
[ -f "$data" ] || "$B/dett" data synth -o "$data" --n-train 16384 --n-val 2048 \
  --n-test 2048 --d-noise 774 > /dev/null      # 784 features, like 28x28 images
optim=${OPTIM:-sgd}
run() {
  mpirun -np "$1" "$B/dett" train --data "$data" --arch mlp:512,512 --batch 256 \
    --epochs 3 --micro-shards 8 --optim "$optim" | awk '/train seconds/ { print $3 }'
}
# the reference: the same 1-rank job twice at once, one per core, no
# communication; alone / concurrent is what sharing the machine costs
# (memory bandwidth, caches, the host), so 2 x that bounds the speed-up
pair() {
  local o
  o=$(mktemp)
  mpirun --bind-to none -np 1 "$B/dett" train --data "$data" --arch mlp:512,512 --batch 256 \
    --epochs 3 --micro-shards 8 --optim "$optim" | awk '/train seconds/ { print $3 }' > "$o" &
  t=$(run 1)
  wait
  awk -v a="$t" '{ printf "%.3f", (a + $1) / 2 }' "$o"
  rm -f "$o"
}
# ROUNDS (env, default 5) rounds of: 1 rank, 2 ranks, 2 ranks unsharded,
# two 1-rank jobs at once. The machine's speed drifts, so each round's
# ratios are taken and the medians reported
rounds=${ROUNDS:-5}
ratios=() ones=() twos=() bounds=() flats=() gains=()
for r in $(seq "$rounds"); do
  t1=$(run 1); t2=$(run 2); tu=$(DETT_SHARDED_OPT=0 run 2); tp=$(pair)
  ones+=("$t1"); twos+=("$t2"); flats+=("$tu")
  ratios+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", a / b }')")
  gains+=("$(awk -v a="$t1" -v b="$tu" 'BEGIN { printf "%.3f", a / b }')")
  bounds+=("$(awk -v a="$t1" -v p="$tp" 'BEGIN { printf "%.3f", 2 * a / p }')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "mlp 784-512-512-2, $optim, batch 256, 8 micro-shards, 3 epochs of 16384 rows; load average $(cut -d' ' -f1 /proc/loadavg)"
echo "per round (1 rank s / 2 ranks s = speed-up; unsharded 2 ranks s = speed-up; 2 x alone / concurrent):"
for i in "${!ratios[@]}"; do
  printf '  %s/%s=%s; %s=%s; %s\n' "${ones[$i]}" "${twos[$i]}" "${ratios[$i]}" "${flats[$i]}" "${gains[$i]}" "${bounds[$i]}"
done
echo "median: 1 rank $(median "${ones[@]}") s, 2 ranks $(median "${twos[@]}") s, speed-up $(median "${ratios[@]}")" \
  "(unsharded optimiser step: $(median "${flats[@]}") s, $(median "${gains[@]}"));" \
  "two independent 1-rank jobs at once: $(median "${bounds[@]}") x the work of one (medians of $rounds rounds)"
