#!/usr/bin/env bash
# A PyTorch CNN teacher through scripts/teacher_from_torch.py, distilled by
# dett students on a flattened copy of its images (tests/teacher_torch.py
# does the torch side). Exit 77 (skipped) when PyTorch is not installed.
# usage: teacher_torch.sh DETT "MPIEXEC -n" TESTS SCRIPTS
set -u
DETT=$1; MPIEXEC=$2; TESTS=$3; SCRIPTS=$4
PY=/usr/bin/python3
export HDF5_USE_FILE_LOCKING=FALSE DETT_DIGEST_CACHE=
if ! $PY -c "import torch" 2>/dev/null; then
  echo "e2e_teacher_torch: skipped: PyTorch is not installed for $PY (Debian: python3-torch)"
  exit 77
fi
fail() { echo "FAIL: $*"; exit 1; }
rm -rf work && mkdir work && cd work || exit 1
$PY "$TESTS/make_images.py" big.h5 || fail "image data"
PYTHONPATH="$SCRIPTS" $PY "$TESTS/teacher_torch.py" prepare big.h5 small.h5 cnn.pt > torch.txt ||
  { cat torch.txt; fail "torch teacher"; }
$PY "$SCRIPTS/teacher_from_torch.py" --data big.h5 --model cnn.pt -o t.h5 > cli.txt ||
  { cat cli.txt; fail "teacher_from_torch.py"; }
cat > g.lua <<'LUA'
return grid {
  data = dataset "small.h5", teacher = external "t.h5", epochs = 120, seeds = 1,
  student = mlp{16}, method = sweep{ erm{}, kd{}, simkd{}, dett{} },
}
LUA
$MPIEXEC 2 $DETT run g.lua -o r.h5 --progress lines > run.txt 2>&1 || { cat run.txt; fail "dett run"; }
PYTHONPATH="$SCRIPTS" $PY "$TESTS/teacher_torch.py" check r.h5 torch.txt || fail "checks"
echo "e2e_teacher_torch: ok"
