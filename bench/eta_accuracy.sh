#!/usr/bin/env bash
# How true is `dett run`'s ETA? Runs a grid with --progress lines:INTERVAL,
# time-stamps every line, and compares each status line's ETA with the time
# that really remained (the end of the run), next to the naive estimate
# elapsed / finished x (jobs left).
#
#   bench/eta_accuracy.sh [GRID.lua] [NP] [INTERVAL]
#   (defaults: bench/eta_grid.lua, 2 ranks, 2 s; run from the repository root,
#   with build/dett built; writes under build/eta/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
GRID=${1:-$root/bench/eta_grid.lua}; NP=${2:-2}; IV=${3:-2}
DETT=${DETT:-$root/build/dett}
. "$root/scripts/mpienv.sh"
export HDF5_USE_FILE_LOCKING=FALSE
mkdir -p "$root/build/eta" && cd "$root/build/eta"
[ -f eta_synth.h5 ] || "$DETT" data synth --n-train 20000 -o eta_synth.h5 > /dev/null
cp "$GRID" grid.lua
rm -f eta.h5 eta_terms.log
export DETT_ETA_LOG=$PWD/eta_terms.log   # the estimate's terms at every status line
mpirun -np "$NP" "$DETT" run grid.lua -o eta.h5 --progress "lines:$IV" 2>&1 |
  while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done > eta.log
python3 - eta.log <<'PY'
import re, sys
rows = [l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines()]
t0 = float(rows[0][0]); end = None
for t, l in rows:
    if re.match(r"\d+ jobs: ", l): end = float(t)
def secs(s):
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", s)
    return None if not m or s in ("", "?") else int(m[1] or 0) * 3600 + int(m[2] or 0) * 60 + int(m[3] or 0)
total = end - t0
print(f"grid wall {total:.1f} s; at each status line: done/total, elapsed share, "
      "eta, truth, error of eta, error of elapsed/finished x left")
worst10 = None
for t, l in rows:
    m = re.match(r"\[(\d+)/(\d+)\] \S+ elapsed, eta (\S+)", l)
    if not m: continue
    f, n, eta = int(m[1]), int(m[2]), secs(m[3])
    el = float(t) - t0; truth = end - float(t)
    if eta is None or truth <= 0: continue
    naive = el / f * (n - f) if f else float("nan")
    err = (eta - truth) / truth; nerr = (naive - truth) / truth
    print(f"[{f:3d}/{n}] {100 * el / total:5.1f}%  eta {eta:6.0f}s  truth {truth:6.1f}s  "
          f"error {100 * err:+6.1f}%  naive {100 * nerr:+7.1f}%")
    if el >= 0.1 * total and worst10 is None:
        worst10 = (el / total, err, nerr)
if worst10:
    print(f"first status line after 10% of the wall time ({100 * worst10[0]:.0f}%): "
          f"ETA error {100 * worst10[1]:+.1f}%, naive {100 * worst10[2]:+.1f}%")
PY
