#!/usr/bin/env bash
# How true is `dett run`'s ETA? Runs each grid with --progress lines:INTERVAL,
# time-stamps every line, and compares each status line's ETA with the time
# that really remained (the end of the run), next to the naive estimate
# elapsed / finished x (jobs left). Prints every status line, then one table:
# the error of the first status line after 10 %, 25 % and 50 % of the wall
# time and after 10 %, 25 % and 50 % of the jobs had finished.
#
#   bench/eta_accuracy.sh [GRID.lua ...]
#   (default: bench/eta_paper.lua, the paper table reduced to one benchmark
#   with all its job classes, and experiments/quickstart.lua; NP=2 ranks and
#   INTERVAL=1 s from the environment; run with build/dett built; writes
#   under build/eta/: GRID.log, the time-stamped output, and GRID.terms, the
#   estimator's terms per class at every status line (DETT_ETA_LOG))
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
NP=${NP:-2}; IV=${INTERVAL:-1}
DETT=${DETT:-$root/build/dett}
[ $# -gt 0 ] || set -- "$root/bench/eta_paper.lua" "$root/experiments/quickstart.lua"
. "$root/scripts/mpienv.sh"
export HDF5_USE_FILE_LOCKING=FALSE
mkdir -p "$root/build/eta" "$root/build/eta/build/demo" && cd "$root/build/eta"
# the data files the grids name (relative to build/eta)
[ -f eta_synth.h5 ] || "$DETT" data synth --n-train 20000 -o eta_synth.h5 > /dev/null
[ -f cfmnist7.h5 ] || "$DETT" data cfmnist --size 7 -o cfmnist7.h5 > /dev/null
[ -f build/demo/synth.h5 ] || "$DETT" data synth -o build/demo/synth.h5 > /dev/null
logs=()
for g in "$@"; do
  name=$(basename "$g" .lua)
  cp "$g" "$name.lua"
  rm -f "$name.h5" "$name.terms"
  DETT_ETA_LOG=$PWD/$name.terms \
    mpirun -np "$NP" "$DETT" run "$name.lua" -o "$name.h5" --progress "lines:$IV" 2>&1 |
    while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done > "$name.log"
  logs+=("$name.log")
done
python3 - "${logs[@]}" <<'PY'
import re, sys
def secs(s):
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", s)
    return None if not m or s in ("", "?") else int(m[1] or 0) * 3600 + int(m[2] or 0) * 60 + int(m[3] or 0)
table = []
for path in sys.argv[1:]:
    rows = [l.split(" ", 1) for l in open(path).read().splitlines()]
    t0 = end = None                 # from dett's start line (after MPI_Init, data digests)
    for t, l in rows:
        if t0 is None and re.match(r"dett run .*: \d+ jobs: ", l): t0 = float(t)
        if re.match(r"\d+ jobs: ", l): end = float(t)
    if t0 is None or end is None:
        sys.exit(f"{path}: the run did not finish")
    total = end - t0
    print(f"{path}: wall {total:.1f} s; status lines: done/total, elapsed share, eta, truth, "
          "error of eta, error of elapsed/finished x left")
    pts = []
    for t, l in rows:
        m = re.match(r"\[(\d+)/(\d+)\] \S+ elapsed, eta (\S+)", l)
        if not m: continue
        f, n, eta = int(m[1]), int(m[2]), secs(m[3])
        el = float(t) - t0; truth = end - float(t)
        if eta is None or truth <= 0: continue
        naive = el / f * (n - f) if f else float("nan")
        err = (eta - truth) / truth; nerr = (naive - truth) / truth
        print(f"  [{f:3d}/{n}] {100 * el / total:5.1f}%  eta {eta:6.0f}s  truth {truth:6.1f}s  "
              f"error {100 * err:+6.1f}%  naive {100 * nerr:+7.1f}%")
        pts.append((el / total, f / n, eta, truth, err, nerr))
    row = [path.rsplit("/", 1)[-1][:-4], f"{total:.0f} s", str(n)]
    for key in (0, 1):                      # share of the wall time, of the jobs
        for share in (0.10, 0.25, 0.50):
            p = next((p for p in pts if p[key] >= share), None)
            row.append("-" if p is None else
                       f"{100 * p[4]:+.0f} % ({p[2]:.0f}/{p[3]:.0f} s; naive {100 * p[5]:+.0f} %)")
    table.append(row)
print()
print("ETA error = (ETA - time that remained) / time that remained, at the first status line")
print("after the given share of the wall time, then of the jobs finished (ETA/truth; naive =")
print("elapsed / finished x jobs left)")
print()
print("| grid | wall | jobs | 10 % of time | 25 % of time | 50 % of time | 10 % of jobs | 25 % of jobs | 50 % of jobs |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in table:
    print("| " + " | ".join(r) + " |")
PY
