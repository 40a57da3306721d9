#!/usr/bin/env bash
# What `dett run` prints while it runs (runtime/train/progress.h):
#   - --progress lines:SECONDS: one line per finished job plus "elapsed, eta"
#     status lines, and not a single control character;
#   - auto under mpirun with the output in a file: the same plain lines
#     (Open MPI gives every rank a pseudo-terminal; dett looks at mpirun's);
#   - --progress bar: the status line redrawn with \r;
#   - a bad interval is refused.
#   progress.sh DETT MPIEXEC GRIDS_DIR
set -u
DETT=$1; MPIEXEC=$2; GRIDS=$3
fail() { echo "FAILED: $*"; exit 1; }
export HDF5_USE_FILE_LOCKING=FALSE
rm -f ./*.h5 ./*.out
"$DETT" data synth -o run_small.h5 --n-train 2000 > /dev/null || fail "data"
cp "$GRIDS/small.lua" small.lua
# long enough (a few seconds) for several status lines at any machine speed
"$DETT" data synth -o run_long.h5 --n-train 24000 > /dev/null || fail "data"
cat > long.lua <<'LUA'
local d = dataset "run_long.h5"
local teacher = train { data = d, arch = mlp{128, 128}, method = erm{}, epochs = 30 }
return grid { data = d, teacher = teacher, epochs = 30, seeds = {1, 2},
  student = mlp{16}, method = sweep{ erm{}, kd{} } }
LUA
ctl() { LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$1"; }

$MPIEXEC -n 2 "$DETT" run long.lua -o l.h5 --progress lines:0.1 > l.out 2>&1 || { cat l.out; fail "lines run"; }
grep -q "5 jobs: 5 done" l.out || { cat l.out; fail "lines: not all done"; }
[ "$(ctl l.out)" = 0 ] || { cat -A l.out | head; fail "lines: control characters in the output"; }
n=$(grep -c "^\[[0-9]/5\] .* elapsed, eta [0-9?]" l.out)
[ "$n" -ge 3 ] || { cat l.out; fail "lines: $n status lines with an ETA, expected several"; }
grep -q "elapsed, eta [0-9][0-9hms]* (at [0-9:]*) | running:" l.out || { cat l.out; fail "lines: no measured ETA"; }

$MPIEXEC -n 2 "$DETT" run small.lua -o a.h5 > a.out 2>&1 || { cat a.out; fail "auto run"; }
grep -q "17 jobs: 17 done" a.out || { cat a.out; fail "auto: not all done"; }
[ "$(ctl a.out)" = 0 ] || { cat -A a.out | head; fail "auto into a file: control characters"; }

rm -f l.h5
$MPIEXEC -n 2 "$DETT" run small.lua -o b.h5 --progress bar > b.out 2>&1 || { cat b.out; fail "bar run"; }
grep -q $'\r\033\[K' b.out || { cat -A b.out | head; fail "bar: no status line redrawn"; }

$MPIEXEC -n 1 "$DETT" run small.lua -o x.h5 --progress lines:0 > x.out 2>&1 && fail "lines:0 accepted"
grep -q "^dett: \(run: \)\?--progress lines:0: the interval must be 0.1 to 86400 seconds" x.out || { cat x.out; fail "lines:0 message"; }
echo "lines: $n ETA lines, no control characters; auto into a file: plain; bar: redrawn"
echo "1 passed, 0 failed"
