#!/usr/bin/env bash
# One whole ERM run on Colored Fashion-MNIST, dett against PyTorch, data
# loading and per-epoch evaluation included (issue 9 (d)). One core: dett
# as a single MPI process (OpenBLAS one thread), PyTorch with one thread.
#
#   bench/epoch.sh [BUILD_DIR] [DATA.h5]
#
# DATA defaults to BUILD_DIR/bench-data/cfmnist28.h5, made with
# `dett data cfmnist` (28x28, 3 channels) from Debian's dataset-fashion-mnist
# if it is missing. Both programs: MLP ARCH (env, default 256,256) on the
# flattened images, batch 128, SGD lr 0.01 momentum 0.9 wd 1e-4, EPOCHS
# (env, default 1) epochs, each followed by per-group accuracy on val and
# test. ROUNDS (env, default 5) rounds, dett then PyTorch in each; medians.
# Prints, per program: whole-process wall time and peak RSS
# (/usr/bin/time), the time to read the file, the time of the epochs with
# their evaluations, and the ratios PyTorch / dett (above 1: dett faster).
# PyTorch is Debian's python3-torch run by /usr/bin/python3 (the script
# says so and stops if it cannot import torch: install python3-torch).
set -uo pipefail
B=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-$B/bench-data/cfmnist28.h5}
ARCH=${ARCH:-256,256}
EPOCHS=${EPOCHS:-1}
ROUNDS=${ROUNDS:-5}
. "$here/../scripts/mpienv.sh"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
command -v /usr/bin/time > /dev/null || { echo "epoch.sh: /usr/bin/time missing (apt-get install time)"; exit 2; }
/usr/bin/python3 -c "import torch, h5py" 2> /dev/null \
  || { echo "epoch.sh: /usr/bin/python3 cannot import torch and h5py (apt-get install python3-torch python3-h5py)"; exit 2; }
if [ ! -e "$DATA" ]; then
  mkdir -p "$(dirname "$DATA")"
  "$B/dett" data cfmnist --size 28 -o "$DATA" > /dev/null \
    || { echo "epoch.sh: could not build $DATA (needs dataset-fashion-mnist)"; exit 2; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

dett_cmd=("$B/dett" train --data "$DATA" --arch "mlp:$ARCH" --method erm --epochs "$EPOCHS"
          --batch 128 --lr 0.01 --momentum 0.9 --wd 1e-4)
torch_cmd=(/usr/bin/python3 "$here/epoch_torch.py" --data "$DATA" --arch "$ARCH"
           --epochs "$EPOCHS" --batch 128 --lr 0.01 --momentum 0.9 --wd 1e-4)
echo "data $DATA, mlp $ARCH, $EPOCHS epoch(s), batch 128; load average $(cut -d' ' -f1 /proc/loadavg)"
echo "dett:    ${dett_cmd[*]}"
echo "PyTorch: ${torch_cmd[*]}"
for r in $(seq "$ROUNDS"); do
  /usr/bin/time -f "wall=%e rss_kb=%M" -o "$tmp/d$r.time" "${dett_cmd[@]}" > "$tmp/d$r.out" \
    || { cat "$tmp/d$r.out"; echo "epoch.sh: dett failed"; exit 1; }
  /usr/bin/time -f "wall=%e rss_kb=%M" -o "$tmp/t$r.time" "${torch_cmd[@]}" > "$tmp/t$r.out" \
    || { cat "$tmp/t$r.out"; echo "epoch.sh: PyTorch failed"; exit 1; }
done

# the median of key=value lines: med FILES... KEY
med() {
  local key=${*: -1}
  grep -ho "$key=[0-9.]*" "${@:1:$#-1}" | cut -d= -f2 | sort -g \
    | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
# dett train prints "load seconds X" and "train seconds Y"
for r in $(seq "$ROUNDS"); do
  awk '/^load seconds/ { print "load_s=" $3 } /^train seconds/ { print "train_s=" $3 }' \
    "$tmp/d$r.out" >> "$tmp/d$r.time"
  cat "$tmp/t$r.out" >> "$tmp/t$r.time"
done
dw=$(med "$tmp"/d*.time wall) tw=$(med "$tmp"/t*.time wall)
dl=$(med "$tmp"/d*.time load_s) tl=$(med "$tmp"/t*.time load_s)
dt=$(med "$tmp"/d*.time train_s) tt=$(med "$tmp"/t*.time train_s)
dm=$(med "$tmp"/d*.time rss_kb) tm=$(med "$tmp"/t*.time rss_kb)
printf '%-9s %10s %10s %10s %12s   (median of %d rounds)\n' "" "wall s" "load s" "epochs s" "peak RSS MB" "$ROUNDS"
printf '%-9s %10s %10s %10s %12d\n' dett "$dw" "$dl" "$dt" $((dm / 1024))
printf '%-9s %10s %10s %10s %12d\n' PyTorch "$tw" "$tl" "$tt" $((tm / 1024))
awk -v dw="$dw" -v tw="$tw" -v dl="$dl" -v tl="$tl" -v dt="$dt" -v tt="$tt" 'BEGIN {
  printf "PyTorch/dett: whole process %.2f, load + epochs %.2f, epochs alone %.2f\n",
         tw / dw, (tl + tt) / (dl + dt), tt / dt }'
# dett train prints percent; the PyTorch script prints a fraction
echo "worst-group test accuracy %, last epoch (a check that both trained alike): dett" \
  "$(awk '/^worst-group/ { print $3 }' "$tmp/d$ROUNDS.out"), PyTorch" \
  "$(grep -o 'worst_test=[0-9.]*' "$tmp/t$ROUNDS.out" | cut -d= -f2 | awk '{ printf "%.2f", 100 * $1 }')"
