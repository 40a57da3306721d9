#!/usr/bin/env bash
# Writes the seed results files of fuzz_results (tests/fuzz/corpus_results)
# with a built dett: tiny grids on a 40/8/8-row synthetic dataset, each file
# 40-100 KB as dett writes it, plus copies repacked by h5repack with small
# chunks and the latest format (9-30 KB). Run from the source tree:
#   tests/fuzz/results_seeds.sh build/dett OUT_DIR
# (as root under Open MPI: . scripts/mpienv.sh first). What each holds:
#   erm        one done job (format 5, a checkpoint group, params)
#   dett       a groupdro teacher, its identification job (error set,
#              error_groups) and a dett student (diagnostics)
#   dfr        a dfr{} job (dfr/ scores, choice and the refit)
#   killed     a run killed after one finished job (rows running, pending;
#              a lock file, not copied)
#   diverge    a failed teacher (its error text) and skipped students
#   twoscripts two scripts run on one store (/scripts holds two entries)
#   cnn        a CNN student on a 1x2x2 image file (arch.cnn attributes)
set -euo pipefail
DETT=$(realpath "$1"); OUT=$(realpath -m "$2")
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$DETT" data synth -o s.h5 --n-train 40 --n-val 8 --n-test 8 --d-core 2 --d-spurious 1 > /dev/null
cp "$src/corpus_dataset/img.h5" img.h5
grid() {   # grid NAME LUA-TEXT [env ...]: runs it into NAME.h5 (status 3 and a kill are expected)
  local name=$1 text=$2; shift 2
  printf '%s\n' "$text" > "$name.lua"
  { env "$@" "$DETT" run "$name.lua" -o "$name.h5" --checkpoint-every 0 > "$name.log" 2>&1 || true; } 2> /dev/null
  [ -s "$name.h5" ] || { cat "$name.log"; echo "results_seeds: $name.h5 not written"; exit 1; }
}
D='local d = dataset "s.h5"'
grid erm "$D
return grid { data = d, student = mlp{2}, method = erm{}, epochs = 1, batch = 8, seeds = {1} }"
grid dett "$D
local t = train { data = d, arch = mlp{4}, method = groupdro{}, epochs = 2, batch = 8 }
return grid { data = d, teacher = t, epochs = 2, batch = 8, seeds = {1},
  student = mlp{2}, method = dett{ up = 20 } }"
grid dfr "$D
return grid { data = d, student = mlp{4}, method = dfr{}, epochs = 2, batch = 8, seeds = {1} }"
grid killed "$D
return grid { data = d, student = mlp{2}, method = sweep{ erm{}, groupdro{} }, epochs = 2,
  batch = 8, seeds = {1, 2} }" DETT_TEST_KILL_AFTER=1
grid diverge "$D
local bad = train { data = d, arch = mlp{4}, method = erm{},
  optim = sgd{ lr = 1e6, momentum = 0.9 }, epochs = 2, batch = 8 }
return grid { data = d, teacher = bad, student = mlp{2}, method = kd{}, epochs = 1, batch = 8 }"
grid twoscripts "$D
return grid { data = d, student = mlp{2}, method = erm{}, epochs = 1, batch = 8, seeds = {1} }"
printf '%s\n' "$D
return grid { data = d, student = mlp{2}, method = jtt{ up = 5 }, epochs = 1, batch = 8,
  seeds = {1} }" > twoscripts2.lua
"$DETT" run twoscripts2.lua -o twoscripts.h5 > twoscripts2.log 2>&1
printf '%s\n' 'local d = dataset "img.h5"
return grid { data = d, student = cnn{ channels = {2}, fc = 2 }, method = erm{}, epochs = 1,
  batch = 2, seeds = {1} }' > cnn.lua
"$DETT" run cnn.lua -o cnn.h5 --micro-shards 2 > cnn.log 2>&1 || { cat cnn.log; exit 1; }
for f in *.h5; do
  case $f in s.h5|img.h5) continue ;; esac
  cp "$f" "$OUT/$f"
  # the same content in HDF5's latest format with small chunks: other
  # object headers, B-trees and heaps for the fuzzer to start from
  h5repack -L -l /jobs/table:CHUNK=2 "$f" "$OUT/${f%.h5}_latest.h5" 2> /dev/null ||
    h5repack -L "$f" "$OUT/${f%.h5}_latest.h5"
done
ls -la "$OUT"
# regression inputs (tests/fuzz/regress_results), edited with h5py when it
# is there: a table grown by two rows a killed run left unwritten (no id,
# no hash), and two rows with one hash
if /usr/bin/python3 -c "import h5py" 2> /dev/null; then
  mkdir -p "$OUT/regress"
  cp killed.h5 "$OUT/regress/unwritten_rows.h5"
  cp killed.h5 "$OUT/regress/duplicate_hash.h5"
  /usr/bin/python3 - "$OUT/regress" <<'PY'
import sys
import h5py
d = sys.argv[1]
with h5py.File(d + "/unwritten_rows.h5", "r+") as f:
    f["/jobs/table"].resize((f["/jobs/table"].shape[0] + 2,))
with h5py.File(d + "/duplicate_hash.h5", "r+") as f:
    t = f["/jobs/table"]
    r = t[3]
    r["hash"] = t[2]["hash"]
    t[3] = r
PY
fi
