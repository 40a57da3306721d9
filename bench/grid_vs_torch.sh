#!/usr/bin/env bash
# A whole grid, dett against a PyTorch sweep (issue 19, item 3): the jobs of
# bench/grid_vs_torch.lua (a group-DRO teacher mlp{256,256}; ERM, group-DRO,
# KD, SimKD and DeTT students mlp{16} and mlp{64}, three seeds; DeTT's
# 1-epoch identification models) on cfmnist at 14x14, EPOCHS epochs, batch
# 128, evaluation every epoch:
#   dett:    mpirun -np 2 dett run --ranks-per-job 1 (two job groups, one
#            core and one BLAS thread each)
#   PyTorch: bench/grid_torch.py, the same jobs in two worker processes of
#            one thread each
# Wall time from the command's start to its last result, start-up and data
# loading included (the data file is written before either, untimed); also
# the CPU time of all their processes (user + sys), which other work on the
# machine changes less.
# Prints both tables (test worst-group accuracy at the epoch of best
# validation worst-group accuracy, mean and std over the 3 seeds) and the
# ratio PyTorch / dett.
#
#   bench/grid_vs_torch.sh [BUILD_DIR]          (default build)
#
# EPOCHS (env, default 5): epochs of the teacher and the students (5 keeps
# the whole command near 10 minutes on this 2-core machine when it is shared;
# the paper table uses 10).
# ORDER (env, default "dett torch"): which runs first.
# ROUNDS (env, default 1): rounds of both runs, one after the other in ORDER
# (so the machine's drift between minutes touches both sides); each round's
# ratios are printed, then the median over rounds of the per-round ratio
# (wall and CPU). The tables are the last round's (dett's results are the
# same bits every round).
# BEFORE (env): another build directory (e.g. of the previous commit), whose
# dett is timed too, right after this one (before and after in one sitting);
# its wall and CPU time are printed, its results are not compared.
# TORCH_FLUSH_DENORMAL=1 (env): the PyTorch jobs call
# torch.set_flush_denormal(True) (not PyTorch's default: AdamW's moments of
# parameters whose gradient is exactly zero decay into the subnormal range,
# where every operation on them is slow on x86; dett flushes them, see
# docs/design.md). The line "pytorch:" says which was timed.
# FMNIST_DIR (env): Fashion-MNIST idx files if not Debian's
# dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
# Needs /usr/bin/python3 with torch and h5py (Debian python3-torch,
# python3-h5py): a benchmark dependency only.
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
BB=${BEFORE:+$(cd "$BEFORE" && pwd)}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/mpienv.sh"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
EPOCHS=${EPOCHS:-5}
PY=/usr/bin/python3
"$PY" -c 'import torch, h5py' 2> /dev/null \
  || { echo "grid_vs_torch.sh: needs python3-torch and python3-h5py" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$B/dett" data cfmnist --size 14 ${FMNIST_DIR:+--fmnist-dir "$FMNIST_DIR"} \
  -o cfmnist14.h5 > /dev/null
sed "s/EPOCHS/$EPOCHS/g" "$here/grid_vs_torch.lua" > grid.lua
njobs=$("$B/dett" check grid.lua | tail -1 | cut -d' ' -f1)

# TIMED NAME CMD...: runs CMD, sets NAME_s (wall) and NAME_cpu (user + sys of
# the command and its children: every rank, every worker)
timed() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$name.time" "$@"
  t1=$(date +%s.%N)
  printf -v "${name}_s" "%s" "$(echo "$t1 - $t0" | bc)"
  printf -v "${name}_cpu" "%s" "$(awk '{ print $1 + $2 }' "$name.time")"
}
run_dett() {
  echo "dett: load $(cut -d' ' -f1-3 /proc/loadavg) at start"
  timed dett mpirun -np 2 "$B/dett" run grid.lua -o grid.h5 --ranks-per-job 1 \
    --progress lines > dett.out
  grep -E '^[0-9]+ jobs: ' dett.out
  "$B/dett" report grid.h5 --format csv > dett.csv
}
run_torch() {
  echo "pytorch${ftz:+ (flush denormals)}: load $(cut -d' ' -f1-3 /proc/loadavg) at start"
  timed torch "$PY" "$here/grid_torch.py" --data cfmnist14.h5 --epochs "$EPOCHS" \
    --workers 2 $ftz > torch.out
  echo "$(grep -c '^job=' torch.out) jobs done"
}
ROUNDS=${ROUNDS:-1}
ftz=
[ "${TORCH_FLUSH_DENORMAL:-0}" = 1 ] && ftz=--flush-denormal
: > rounds.txt
for round in $(seq "$ROUNDS"); do
  [ "$ROUNDS" = 1 ] || echo "round $round of $ROUNDS"
  for what in ${ORDER:-dett torch}; do rm -f grid.h5; "run_$what"; done
  echo "$dett_s $torch_s $dett_cpu $torch_cpu" >> rounds.txt
  [ "$ROUNDS" = 1 ] || printf "round %d: wall dett %.1f s, pytorch %.1f s (%.2f); CPU dett %.1f s, pytorch %.1f s (%.2f)\n" \
    "$round" "$dett_s" "$torch_s" "$(echo "$torch_s / $dett_s" | bc -l)" \
    "$dett_cpu" "$torch_cpu" "$(echo "$torch_cpu / $dett_cpu" | bc -l)"
done
if [ -n "${BEFORE:-}" ]; then
  echo "dett (before: $BB): load $(cut -d' ' -f1-3 /proc/loadavg) at start"
  timed before mpirun -np 2 "$BB/dett" run grid.lua -o before.h5 --ranks-per-job 1 \
    --progress lines > before.out
  grep -E '^[0-9]+ jobs: ' before.out
fi

echo
echo "test worst-group accuracy (%) at the val-worst epoch, mean +- std over 3 seeds"
"$PY" - dett.csv torch.out <<'PYEOF'
import csv, re, sys
dett = {}
for r in csv.DictReader(open(sys.argv[1])):
    w = re.findall(r"\d+", r["arch"])[-1]
    m = "teacher" if r["section"] == "teacher" else r["method"]
    dett[(m, w)] = (float(r["worst_mean"]), float(r["worst_std"]))
print(f"{'method':<9} {'width':>5} | {'dett':>15} | {'pytorch':>15} | {'diff':>6} | {'2 x std':>7}")
for line in open(sys.argv[2]):
    if not line.startswith("row "):
        continue
    v = dict(kv.split("=") for kv in line.split()[1:])
    k = (v["method"], v["width"])
    tm, ts = float(v["worst_mean"]), float(v["worst_std"])
    dm, ds = dett.get(k, (float("nan"), float("nan")))
    noise = 2 * (ds * ds + ts * ts) ** 0.5
    print(f"{k[0]:<9} {k[1]:>5} | {dm:6.2f} +- {ds:5.2f} | {tm:6.2f} +- {ts:5.2f} | "
          f"{dm - tm:+6.2f} | {noise:7.2f}")
PYEOF
echo
echo "jobs: dett $njobs, pytorch $(grep -c '^job=' torch.out); epochs $EPOCHS, batch 128," \
     "cfmnist 14x14 (54,000 train rows)"
printf "wall time: dett %.1f s, pytorch %.1f s: pytorch / dett = %.2f (target >= 3)\n" \
  "$dett_s" "$torch_s" "$(echo "$torch_s / $dett_s" | bc -l)"
printf "CPU time (all processes): dett %.1f s, pytorch %.1f s: pytorch / dett = %.2f\n" \
  "$dett_cpu" "$torch_cpu" "$(echo "$torch_cpu / $dett_cpu" | bc -l)"
if [ -n "${BEFORE:-}" ]; then
  printf "before (%s): wall %.1f s, CPU %.1f s; after / before: wall %.2f, CPU %.2f\n" \
    "$BEFORE" "$before_s" "$before_cpu" "$(echo "$dett_s / $before_s" | bc -l)" \
    "$(echo "$dett_cpu / $before_cpu" | bc -l)"
fi
if [ "$ROUNDS" != 1 ]; then
  # median over rounds of the per-round ratios (odd count: the middle one;
  # even: the mean of the middle two)
  med() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  wall_med=$(awk '{ print $2 / $1 }' rounds.txt | med)
  cpu_med=$(awk '{ print $4 / $3 }' rounds.txt | med)
  printf "over %d rounds: wall pytorch / dett: median %.2f (min %.2f, max %.2f); CPU: median %.2f (target >= 3)\n" \
    "$ROUNDS" "$wall_med" "$(awk '{ print $2 / $1 }' rounds.txt | sort -g | head -1)" \
    "$(awk '{ print $2 / $1 }' rounds.txt | sort -g | tail -1)" "$cpu_med"
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
