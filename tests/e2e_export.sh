#!/usr/bin/env bash
# End to end: the results file out of dett, through every reader but dett run.
#   e2e_export.sh DETT MPIEXEC GRIDS_DIR TESTS_DIR SCRIPTS_DIR
# 1. `dett data`, `dett check`, `dett report` and `dett export` run without
#    mpirun and without MPI_Init: with OMPI_MCA_pml=bogus, which makes any
#    MPI_Init fail (checked on `dett train`), they still succeed.
# 2. dett export of an MLP student, a DeTT student (projector + frozen
#    teacher head), its teacher, its projector and a CNN without fc layer;
#    tests/export_npz.py checks every archive with numpy (names, shapes, a
#    forward pass reproducing dett's per-group test accuracy exactly);
#    tests/export_torch.py does the same in PyTorch (skipped without torch).
# 3. tests/results_pandas.py: scripts/dett_results.py's DataFrames against
#    `dett report --format csv --per-group`.
set -u
DETT=$1; MPIEXEC=$2; GRIDS=$3; TESTS=$4; SCRIPTS=$5
PY=/usr/bin/python3
fail() { echo "FAILED: $*"; exit 1; }
export HDF5_USE_FILE_LOCKING=FALSE
rm -f ./*.h5 ./*.npz ./*.out ./*.csv

# any MPI_Init fails under this setting (the control: dett train)
NOMPI="env OMPI_MCA_pml=bogus"
$NOMPI "$DETT" train --data nothing.h5 --arch mlp:8 > train.out 2>&1 \
  && fail "dett train succeeded although MPI_Init cannot (the no-MPI check is void)"

$NOMPI "$DETT" data synth --n-train 600 --n-val 200 --n-test 300 -o exp_synth.h5 > data.out \
  || { cat data.out; fail "dett data synth without MPI"; }
$PY "$TESTS/make_images.py" exp_images.h5 || fail "image data by h5py"
cp "$GRIDS/export.lua" export.lua
$NOMPI "$DETT" check export.lua > check.out || { cat check.out; fail "dett check without MPI"; }
grep -q "^10 jobs" check.out || { cat check.out; fail "expected 10 jobs"; }
$MPIEXEC -n 1 "$DETT" run export.lua -o exp.h5 --progress lines > run.out \
  || { cat run.out; fail "dett run"; }
$NOMPI "$DETT" report exp.h5 --format csv --per-group > report.csv \
  || fail "dett report without MPI"
echo "data, check and report ran without MPI_Init"

# job ids from the check listing: kind, method and arch per line
id_of() { awk -v k="$1" -v m="$2" -v a="$3" -v s="$4" \
  '$2 == k && $5 == "method=" m && index($6, "arch=" a) == 1 && $NF == "seed=" s { print $1; exit }' check.out; }
ERM=$(id_of student erm "mlp[8]" 1)
DETTJ=$(id_of student dett "mlp[8]" 2)
CNN=$(id_of student erm "cnn" 1)
[ -n "$ERM" ] && [ -n "$DETTJ" ] && [ -n "$CNN" ] || { cat check.out; fail "job ids"; }
$NOMPI "$DETT" export exp.h5 "$ERM" -o erm.npz > export.out || fail "export $ERM"
$NOMPI "$DETT" export exp.h5 "$DETTJ" -o dett.npz >> export.out || fail "export $DETTJ"
$NOMPI "$DETT" export exp.h5 "$DETTJ" --what teacher -o teacher.npz >> export.out \
  || fail "export the teacher of $DETTJ"
$NOMPI "$DETT" export exp.h5 "$DETTJ" --what=projector --output proj.npz >> export.out \
  || fail "export the projector of $DETTJ"
$NOMPI "$DETT" export exp.h5 "$CNN" -o cnn.npz >> export.out || fail "export $CNN"
echo "export ran without MPI_Init"
cat export.out
# refusals: no projector, no teacher, unknown job, missing -o
"$DETT" export exp.h5 "$ERM" --what projector -o x.npz 2> err.out && fail "erm projector"
grep -q "has no projector" err.out || { cat err.out; fail "projector message"; }
"$DETT" export exp.h5 j999 -o x.npz 2> err.out && fail "unknown job"
grep -q "no job 'j999'" err.out || { cat err.out; fail "unknown job message"; }
"$DETT" export exp.h5 "$ERM" 2> err.out; [ $? = 2 ] || fail "missing -o is a usage error"
[ ! -e x.npz ] || fail "a refused export left x.npz"

PYTHONPATH="$SCRIPTS" $PY "$TESTS/export_npz.py" exp.h5 exp_synth.h5 erm.npz dett.npz \
  teacher.npz || fail "export_npz (synth)"
PYTHONPATH="$SCRIPTS" $PY "$TESTS/export_npz.py" exp.h5 exp_images.h5 cnn.npz \
  || fail "export_npz (cnn)"
PYTHONPATH="$SCRIPTS" $PY "$TESTS/export_npz.py" --projector proj.npz dett.npz \
  || fail "export_npz (projector)"
PYTHONPATH="$SCRIPTS" $PY "$TESTS/results_pandas.py" exp.h5 report.csv \
  || fail "results_pandas"
echo "export and results e2e: passed"
