#!/usr/bin/env bash
# End-to-end checks of chains of students (issue 20 item 2) through dett run.
#   e2e_chain.sh DETT MPIEXEC GRIDS_DIR CASE
# CASE: ranks   tests/grids/chain.lua (teacher -> mid-size -> small, paired
#               seeds) at 1 rank, 2 groups of 1 and 1 group of 2: identical
#               results; the scheduler starts no job before its teacher and
#               identification job have ended (DETT_TEST_SCHED_TRACE); the
#               big teacher's epochs change the hashes of every job below it
#               and of nothing else
#       resume  a run killed (SIGKILL) inside the mid-size student's second
#               epoch resumes it from its checkpoint and ends identical to
#               an uninterrupted run
#       check   dett check refuses init = "teacher" when no layer matches
#       init    init = "teacher" and "random" students: separate report
#               rows, init and init_layers stored
#       external  an external teacher file at the root of a chain (skipped,
#               exit 77, without h5py)
set -u
DETT=$1; MPIEXEC=$2; GRIDS=$3; CASE=$4
. "$(dirname "$0")/e2e_lib.sh"
export HDF5_USE_FILE_LOCKING=FALSE
# "id hash deps" of each job dett check lists
jobs_of() { "$DETT" check "$1" | awk '/^j[0-9]/ { sub(/^deps=/, "", $4); print $1, $3, $4 }'; }
rm -f ./*.h5 ./*.out ./*.txt ./*.lock
"$DETT" data synth -o chain_d.h5 --n-train 1000 > /dev/null || fail "data"
cp "$GRIDS/chain.lua" chain.lua
case $CASE in
ranks)
  jobs_of chain.lua > jobs.txt || fail "dett check chain.lua"
  [ "$(wc -l < jobs.txt)" = 12 ] || { cat jobs.txt; fail "want 12 jobs"; }
  $MPIEXEC -n 1 "$DETT" run chain.lua -o c1.h5 > c1.out 2>&1 || { cat c1.out; fail "1 rank"; }
  DETT_TEST_SCHED_TRACE=$PWD/trace.txt $MPIEXEC -n 2 "$DETT" run chain.lua -o c2.h5 > c2.out 2>&1 \
    || { cat c2.out; fail "2 groups of 1"; }
  $MPIEXEC -n 2 "$DETT" run chain.lua -o c2k.h5 --ranks-per-job 2 > c2k.out 2>&1 \
    || { cat c2k.out; fail "1 group of 2"; }
  grep -q "12 jobs: 12 done" c1.out || { cat c1.out; fail "not all 12 jobs done"; }
  same c1.h5 c2.h5; same c1.h5 c2k.h5
  # the DAG order: every dependency ended before its dependent started
  [ "$(grep -c '^start' trace.txt)" = 12 ] || { cat trace.txt; fail "the trace lacks starts"; }
  chains=0
  while read -r id hash deps; do
    [ "$deps" = - ] && continue
    s=$(grep -n "^start $id\$" trace.txt | cut -d: -f1)
    for dep in ${deps//,/ }; do
      e=$(grep -n "^end $dep\$" trace.txt | cut -d: -f1)
      [ -n "$s" ] && [ -n "$e" ] && [ "$e" -lt "$s" ] \
        || { cat trace.txt; fail "$id started (line $s) before its dependency $dep ended (line $e)"; }
    done
    # a student whose teacher has a teacher: the chain's last stage
    t=${deps%%,*}
    if grep -q "^$t [0-9a-f]* j" jobs.txt && grep -q "^$id .* $t" jobs.txt; then
      chains=$((chains + 1))
    fi
  done < jobs.txt
  [ "$chains" -ge 4 ] || { cat jobs.txt; fail "want 4 students of mid-size students, saw $chains"; }
  # the big teacher's epochs: it, its mid-size students and theirs change;
  # identification jobs (no teacher) do not
  sed 's/method = groupdro{}, epochs = 3 }/method = groupdro{}, epochs = 4 }/' chain.lua > chain4.lua
  cmp -s chain.lua chain4.lua && fail "the big teacher's epochs were not edited"
  jobs_of chain4.lua > jobs4.txt || fail "dett check chain4.lua"
  changed=0
  while read -r id hash deps; do
    h4=$(awk -v id="$id" '$1 == id { print $2 }' jobs4.txt)
    kind=$("$DETT" check chain.lua | awk -v id="$id" '$1 == id { print $2 }')
    if [ "$kind" = ident ]; then
      [ "$h4" = "$hash" ] || fail "$id (ident) changed hash with the big teacher's epochs"
    else
      [ "$h4" != "$hash" ] || fail "$id ($kind) kept its hash when the big teacher's epochs changed"
      changed=$((changed + 1))
    fi
  done < jobs.txt
  [ "$changed" = 8 ] || fail "want 8 changed hashes (2 big, 2 mid, 4 small), got $changed"
  # the report: the mid-size students are teachers with a gap to their own
  # teacher; the small students are one row per method over the two seeds
  "$DETT" report c1.h5 > report.md 2> report.err || { cat report.err; fail "report"; }
  grep -Eq '^\| teacher: dett\(T=1,up=20\) mlp\[16\] \| [0-9.]+ ± [0-9.]+ \(n=2\) \| [-+][0-9.]+ ± [0-9.]+ \|' report.md \
    || { cat report.md; fail "the mid-size students' row lacks its gap to its teacher"; }
  [ "$(grep -c '(n=2)' report.md)" -ge 4 ] || { cat report.md; fail "want rows over both seeds"; }
  [ ! -s report.err ] || { cat report.err; fail "report warnings"; }
  echo "chain: 1, 2 and 2x2 ranks identical; DAG order kept; a grandparent's epochs change 8 hashes"
  ;;
resume)
  DETT_TEST_SCHED_TRACE=$PWD/order.txt $MPIEXEC -n 2 "$DETT" run chain.lua -o full.h5 \
    --ranks-per-job 2 > full.out 2>&1 || { cat full.out; fail "uninterrupted run"; }
  [ "$(jobs_of chain.lua | awk '$1 == "j002" { print $3 }')" = j000,j001 ] \
    || fail "j002 is not the mid-size student of j000"
  # one group runs every job, in the scheduler's order (critical path
  # first); every job has 16 steps per epoch, an identification job 1
  # epoch, the others 3. Kill at j002's epoch 2, step 10: 16 x the epochs
  # of the jobs that ran before it, plus 26.
  idents=$("$DETT" check chain.lua | awk '$2 == "ident" { print $1 }')
  before=$(sed -n 's/^start //p' order.txt | sed '/^j002$/,$d')
  echo "$before" | grep -q j001 || { cat order.txt; fail "j002 started before its ident job"; }
  at=26
  for id in $before; do
    if echo "$idents" | grep -qx "$id"; then at=$((at + 16)); else at=$((at + 48)); fi
  done
  DETT_TEST_KILL_AT_STEP=$at:0 $MPIEXEC -n 2 "$DETT" run chain.lua -o k.h5 --ranks-per-job 2 \
    --checkpoint-every 0 > k1.out 2>&1
  [ $? != 0 ] || { cat k1.out; fail "the killed run exited 0"; }
  p=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' k.h5.lock 2>/dev/null | head -1)
  for _ in $(seq 300); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  $MPIEXEC -n 2 "$DETT" run chain.lua -o k.h5 --ranks-per-job 2 --checkpoint-every 0 > k2.out 2>&1 \
    || { cat k2.out; fail "resume"; }
  n_before=$(echo "$before" | wc -w)
  grep -q "12 jobs: $n_before reused, $((12 - n_before)) to run" k2.out \
    || { cat k2.out; fail "want the $n_before jobs before j002 (the big teacher, its ident job, ...) reused"; }
  grep -q "j002 resumed from its checkpoint (epoch 2 step" k2.out \
    || { cat k2.out; fail "the mid-size student did not resume from its checkpoint"; }
  same full.h5 k.h5
  echo "chain: killed inside the mid-size student, resumed from its checkpoint, identical"
  ;;
check)
  cat > bad_init.lua <<'LUA'
local d = dataset "chain_d.h5"
local big = train { data = d, arch = mlp{32, 32}, epochs = 2 }
return grid { data = d, teacher = big, student = mlp{4}, method = kd{}, init = "teacher" }
LUA
  "$DETT" check bad_init.lua > bad.out 2>&1 && { cat bad.out; fail "dett check accepted init with no matching layer"; }
  grep -q '^dett: bad_init.lua:3: j001: init = "teacher": no layer of its mlp\[4\] matches its teacher j000 (bad_init.lua:2, mlp\[32,32\]): its layer 1 is dense 10->4, the teacher'"'"'s dense 10->32' bad.out \
    || { cat bad.out; fail "the refusal's message"; }
  [ "$(wc -l < bad.out)" = 2 ] || { cat bad.out; fail "want one line (and the data line)"; }
  sed 's/mlp{4}/mlp{32, 8}/' bad_init.lua > ok_init.lua
  "$DETT" check ok_init.lua > ok.out 2>&1 || { cat ok.out; fail "dett check refused a partly matching student"; }
  echo "chain: dett check refuses init = \"teacher\" with no matching layer"
  ;;
init)
  # init = "teacher" and "random" side by side: two report rows, stored init
  cat > init.lua <<'LUA'
local d = dataset "chain_d.h5"
local t = train { data = d, arch = mlp{32, 16}, epochs = 2 }
return grid { data = d, teacher = t, student = mlp{32, 16}, method = erm{}, epochs = 2,
  seeds = {1, 2}, init = sweep{ "teacher", "random" } }
LUA
  $MPIEXEC -n 1 "$DETT" run init.lua -o i.h5 > i.out 2>&1 || { cat i.out; fail "run init.lua"; }
  "$DETT" report i.h5 > report.md 2> report.err || { cat report.err; fail "report"; }
  grep -q '^| erm init=teacher | .* (n=2) ' report.md || { cat report.md; fail "no init=teacher row"; }
  grep -q '^| erm init=random | .* (n=2) ' report.md || { cat report.md; fail "no init=random row"; }
  [ ! -s report.err ] || { cat report.err; fail "report warnings (rows merged?)"; }
  h5dump -a /jobs/j001/init -a /jobs/j001/init_layers i.h5 > attrs.txt || fail "h5dump"
  grep -q '"teacher"' attrs.txt && grep -q '(0): 3$' attrs.txt || { cat attrs.txt; fail "j001's init attributes"; }
  # two chains that differ only in the big teacher's epochs: the small
  # students' rows stay apart (a row is keyed on its whole chain)
  cat > two.lua <<'LUA'
local d = dataset "chain_d.h5"
local big = train { data = d, arch = mlp{32}, method = groupdro{}, epochs = sweep{ 1, 2 } }
local mid = train { data = d, teacher = big, arch = mlp{16}, method = kd{}, epochs = 1 }
return grid { data = d, teacher = mid, student = mlp{8}, method = kd{}, epochs = 1 }
LUA
  $MPIEXEC -n 1 "$DETT" run two.lua -o two.h5 > two.out 2>&1 || { cat two.out; fail "run two.lua"; }
  "$DETT" report two.h5 > two.md 2> two.err || { cat two.err; fail "report two.h5"; }
  [ ! -s two.err ] || { cat two.err; fail "report warnings on two chains (rows merged?)"; }
  [ "$(grep -c '^| kd teacher=kd mlp\[16\].* (n=1)' two.md)" = 2 ] || { cat two.md; fail "want two rows of small kd students"; }
  echo "chain: init = \"teacher\" and \"random\" rows apart in the report; init stored; chains keyed whole"
  ;;
external)
  # an external teacher at the root of a chain: a DeTT mid-size student
  # takes the file's head and hands it on; 1 and 2 ranks per job agree
  PY=/usr/bin/python3
  $PY -c 'import h5py, numpy' 2> /dev/null || { echo "skipped: no h5py/numpy for $PY"; exit 77; }
  $PY "$GRIDS/../external_teacher.py" teacher chain_d.h5 t.h5 > teacher.txt || fail "numpy teacher"
  cat > ext.lua <<'LUA'
local d = dataset "chain_d.h5"
local mid = train { data = d, teacher = external "t.h5", arch = mlp{16}, method = dett{}, epochs = 3 }
return grid { data = d, teacher = mid, epochs = 3, seeds = {1, 2}, teacher_seed = "paired",
  student = mlp{8}, method = sweep{ kd{}, dett{} } }
LUA
  $MPIEXEC -n 2 "$DETT" run ext.lua -o e1.h5 > e1.out 2>&1 || { cat e1.out; fail "run (K=1)"; }
  $MPIEXEC -n 2 "$DETT" run ext.lua -o e2.h5 --ranks-per-job 2 > e2.out 2>&1 || { cat e2.out; fail "run (K=2)"; }
  grep -q "11 jobs: 11 done" e1.out || { cat e1.out; fail "want 11 jobs done (the external teacher; per seed a mid, a kd and a dett student, two ident jobs)"; }
  same e1.h5 e2.h5
  $PY - e1.h5 t.h5 <<'PYEOF' || fail "the chain's heads are not the teacher file's"
import sys, h5py, numpy as np
r, t = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
head = np.concatenate([t["/head/W"][()].ravel(), t["/head/b"][()]]).astype(np.float32)
n = 0
for g in r["jobs"]:
    j = r["jobs"][g]
    if not isinstance(j, h5py.Group):   # /jobs/table
        continue
    if j.attrs["method"] in ("dett", b"dett") and j.attrs["arch"] in ("mlp[16]", "mlp[8]", b"mlp[16]", b"mlp[8]"):
        p = j["params"][()]
        assert np.array_equal(p[-head.size:], head), g
        n += 1
assert n == 4, n
PYEOF
  echo "chain: an external teacher's head handed down a chain; K = 1 and 2 identical"
  ;;
*) fail "unknown case $CASE" ;;
esac
