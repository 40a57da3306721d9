#!/usr/bin/env bash
# Peak memory per rank (issue 9, item 4): one `dett train` job at K = 1 and
# K = 2 ranks, each rank under /usr/bin/time -v; prints every rank's
# "Maximum resident set size" beside the size of the data, to show that each
# rank holds about its share of the training rows (and of val and test).
#
#   bench/memory.sh [BUILD_DIR] [DATA.h5]
#
# DATA defaults to the file bench/epoch.sh uses (Colored Fashion-MNIST
# 28x28, built if missing). One epoch of MLP 256-256, batch 128.
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
DATA=${2:-$B/bench-data/cfmnist28.h5}
. "$(dirname "$0")/../scripts/mpienv.sh"
command -v /usr/bin/time > /dev/null || { echo "memory.sh: /usr/bin/time missing (apt-get install time)"; exit 2; }
if [ ! -e "$DATA" ]; then
  mkdir -p "$(dirname "$DATA")"
  "$B/dett" data cfmnist --size 28 -o "$DATA" > /dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# bytes of X in each split, from the dataset shapes
h5ls -r "$DATA" | awk '/X +Dataset/ {
  gsub(/[{},]/, " "); n = 1; for (i = 3; i <= NF && $i ~ /^[0-9]+$/; i++) n *= $i
  split($1, p, "/"); mb[p[2]] = n * 4 / 1048576; tot += n * 4 / 1048576 }
  END { printf "data: X is %.0f MB (train %.0f, val %.0f, test %.0f) as float32\n",
        tot, mb["train"], mb["val"], mb["test"] }'
for K in 1 2; do
  mpirun -np "$K" sh -c 'exec /usr/bin/time -v -o "$0/rss.$OMPI_COMM_WORLD_RANK" "$@"' "$tmp" \
    "$B/dett" train --data "$DATA" --arch mlp:256,256 --epochs 1 --batch 128 > "$tmp/out.$K"
  for r in $(seq 0 $((K - 1))); do
    kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/rss.$r")
    printf 'K = %d  rank %d  peak RSS %6d MB\n' "$K" "$r" $((kb / 1024))
  done
done
