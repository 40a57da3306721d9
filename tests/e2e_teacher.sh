#!/usr/bin/env bash
# External teachers end to end (numpy and h5py, no torch): a teacher made
# outside dett (tests/external_teacher.py: random ReLU features, a
# group-balanced least-squares head) on synthetic data; students (kd,
# fitnet, simkd, dett) on a rotated copy of the data (same rows and labels,
# another input). Checks: the jobs finish, kd/simkd/dett beat ERM's worst
# group, the teacher's own row equals numpy's accuracy, the same bits on 1
# and 2 ranks per job, the teacher file's contents enter the hashes, a file
# without val/test features runs, and mismatched or malformed files are
# refused by dett check and dett run naming what is wrong.
# usage: e2e_teacher.sh DETT "MPIEXEC -n" TESTS
set -u
DETT=$1; MPIEXEC=$2; TESTS=$3
PY=/usr/bin/python3
T="$PY $TESTS/external_teacher.py"
export HDF5_USE_FILE_LOCKING=FALSE DETT_DIGEST_CACHE=
fail() { echo "FAIL: $*"; exit 1; }
rm -rf work && mkdir work && cd work || exit 1

$DETT data synth -o s.h5 --p-maj 0.97 --seed 0 >/dev/null || fail "synth data"
$DETT data synth -o other.h5 --p-maj 0.97 --seed 5 >/dev/null || fail "synth data (other)"
$T teacher s.h5 t.h5 > teacher.txt || fail "numpy teacher"
$T rotate s.h5 r.h5 || fail "rotated copy"
$T teacher other.h5 t_other.h5 >/dev/null || fail "teacher of other data"
[ "$($T digest s.h5)" = "$($T digest r.h5)" ] || fail "label digest differs for the same labels"

cat > g.lua <<'EOF'
local d = dataset "r.h5"
return grid {
  data = d, teacher = external "t.h5", epochs = 12, seeds = 1,
  student = mlp{8},
  method = sweep{ erm{}, kd{}, fitnet{}, simkd{}, dett{} },
}
EOF
$DETT check g.lua > check.txt || { cat check.txt; fail "dett check of a good teacher file"; }
grep -q "external=t.h5" check.txt || fail "dett check does not list the external teacher"
grep -q "^teacher t.h5: digest" check.txt || fail "dett check does not print the teacher digest"

$MPIEXEC 2 $DETT run g.lua -o k1.h5 --progress lines > run1.txt 2>&1 || { cat run1.txt; fail "run (K=1)"; }
$MPIEXEC 2 $DETT run g.lua -o k2.h5 --ranks-per-job 2 --progress lines > run2.txt 2>&1 ||
  { cat run2.txt; fail "run (K=2)"; }

$PY - k1.h5 teacher.txt <<'EOF' || fail "accuracy checks"
import sys, h5py, re
f = h5py.File(sys.argv[1], "r")
rows = {r["id"].decode(): r for r in f["jobs/table"][()]}
def worst(j):
    g = f["jobs"][j]
    e = g["selected"][0]
    return float(g["worst"][e, 1])
by = {}
for j, r in rows.items():
    assert r["status"] == 2, (j, r)
    if r["kind"] == b"ident":
        continue
    by[f["jobs"][j].attrs["method"]] = worst(j)
print("test worst-group:", by)
teacher = float(re.search(r"teacher test worst-group ([0-9.]+)", open(sys.argv[2]).read()).group(1))
assert abs(by["external"] - teacher) < 1e-9, ("teacher row", by["external"], teacher)
for m in ("kd", "simkd", "dett"):
    assert by[m] >= by["erm"] + 0.05, (m, by[m], "ERM", by["erm"])
    assert by[m] >= teacher - 0.20, (m, by[m], "teacher", teacher)
EOF

# the same bits whatever the group size (each rank reads its own rows)
for j in $(seq 0 6); do
  id=$(printf j%03d $j)
  h5diff -q k1.h5 k2.h5 /jobs/$id/params /jobs/$id/params || fail "$id params differ between K=1 and K=2"
  h5diff -q k1.h5 k2.h5 /jobs/$id/acc /jobs/$id/acc || fail "$id acc differs between K=1 and K=2"
done

# the report shows the teacher's own row
$DETT report k1.h5 > report.txt || fail "report"
grep -q "teacher: external t.h5" report.txt || { cat report.txt; fail "no teacher row in the report"; }

# the teacher file's contents are part of the students' hashes
hash_of() { $DETT check g.lua | awk -v m="$1" '$0 ~ "method="m"\\(" || $0 ~ "method="m" " {print $3}'; }
h1=$(hash_of kd)
$T teacher s.h5 t.h5 --seed 3 >/dev/null || fail "second teacher"
h2=$(hash_of kd)
[ -n "$h1" ] && [ "$h1" != "$h2" ] || fail "kd's hash did not change with the teacher file ($h1 $h2)"

# no val/test features: the students run, the teacher row has no accuracy
$T teacher s.h5 t.h5 --no-eval >/dev/null || fail "teacher without eval features"
$MPIEXEC 1 $DETT run g.lua -o noeval.h5 --progress lines > run3.txt 2>&1 ||
  { cat run3.txt; fail "run with a teacher file without val/test features"; }
$DETT report noeval.h5 > /dev/null || fail "report of a teacher without val/test features"

# refusals: other data, malformed files; dett run refuses before creating its file
expect_refused() {   # FILE PATTERN [run]
  sed "s/\"t.h5\"/\"$1\"/" g.lua > bad.lua
  $DETT check bad.lua > /dev/null 2> err.txt && fail "dett check accepted $1"
  grep -q -- "$2" err.txt || { cat err.txt; fail "$1: expected '$2'"; }
  [ $# -gt 2 ] || return 0
  $MPIEXEC 1 $DETT run bad.lua -o bad.h5 > /dev/null 2> err.txt && fail "dett run accepted $1"
  grep -q -- "$2" err.txt || { cat err.txt; fail "$1 (run): expected '$2'"; }
  [ ! -e bad.h5 ] || fail "dett run created bad.h5 for $1"
}
$T teacher s.h5 t.h5 >/dev/null
expect_refused t_other.h5 "t_other.h5: made for other data: its label_digest" run
for k in int-head short-rows wrong-classes; do $T bad $k t.h5 bad_$k.h5 || fail "bad $k"; done
expect_refused bad_int-head.h5 "bad_int-head.h5:/head/W: expected float32 \[C, f\], found int64 \[2, 64\]"
expect_refused bad_short-rows.h5 "bad_short-rows.h5:/train/features: 3999 rows, but r.h5 has 4000 train rows"
expect_refused bad_wrong-classes.h5 "bad_wrong-classes.h5:/head/W: the teacher's head has 3 classes"
expect_refused s.h5 "s.h5: not a dett teacher file"
echo "e2e_teacher: ok"
