#!/usr/bin/env bash
# End-to-end checks of `dett run` and `dett report` on small grids.
#   e2e_run.sh DETT MPIEXEC GRIDS_DIR CASE
# CASE: ranks      the small grid at 1 rank, 2 groups of 1, 1 group of 2 and
#                  2 groups of 2 (4 ranks): identical results (h5diff of /jobs
#                  and /artifacts; the job table's times and rank counts differ)
#       resume     a run killed (SIGKILL on rank 0) after 5 jobs, rerun: the
#                  finished jobs are not recomputed, the final file equals an
#                  uninterrupted run's; a comment edit runs 0 jobs
#       dedier     DEDIER students at K = 1, 2 and 4: identical; after SIGTERM
#                  the rerun restarts the dedier job, same bits; check refuses bad keys
#       diverge    a NaN teacher fails with its reason, its students are
#                  skipped, the rest finishes; the report shows all of it
set -u
DETT=$1; MPIEXEC=$2; GRIDS=$3; CASE=$4; FAKE=${5:-}
. "$(dirname "$0")/e2e_lib.sh"
N=17   # jobs in small.lua: a teacher, 14 students, 2 identification jobs (dett and jtt
       # of a seed share one: ident_optim defaults to SGD for both)
# the status column of the job table (the 4th field of each record)
statuses() {
  h5dump -d /jobs/table "$1" | awk '/\): \{/ { i = 0; next } { i++; if (i == 4) { gsub(/[ ,]/, ""); print } }'
}
export HDF5_USE_FILE_LOCKING=FALSE
kill_and_resume() {   # kill_and_resume GRID OUT AT: `dett run GRID -o OUT` on 2 ranks
                      # (one group of 2, a checkpoint every epoch) SIGKILLed at
                      # DETT_TEST_KILL_AT_STEP=AT (k1.out), then rerun to the end (k2.out)
  rm -f "$2" "$2.lock"
  DETT_TEST_KILL_AT_STEP=$3 $MPIEXEC -n 2 "$DETT" run "$1" -o "$2" --ranks-per-job 2 \
    --checkpoint-every 0 > k1.out 2>&1
  [ $? != 0 ] || { cat k1.out; fail "the run killed at step $3 exited 0"; }
  # the surviving rank catches mpiexec's SIGTERM and is SIGKILLed a moment
  # later: wait until the lock's holder is gone
  p=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$2.lock" 2>/dev/null | head -1)
  for _ in $(seq 300); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  $MPIEXEC -n 2 "$DETT" run "$1" -o "$2" --ranks-per-job 2 --checkpoint-every 0 > k2.out 2>&1 \
    || { cat k2.out; fail "resume after a kill at step $3"; }
}

same_old() {   # same_old A B: every job and artifact of A is in B, identical
  for g in $(h5ls "$1/jobs" | awk '$2 == "Group" { print $1 }'); do
    h5diff "$1" "$2" "/jobs/$g" "/jobs/$g" > diff.txt 2>&1 \
      || { head -20 diff.txt; fail "$1 and $2 differ in /jobs/$g"; }
  done
  for a in $(h5ls "$1/artifacts" | awk '$2 == "Group" { print $1 }'); do
    h5diff "$1" "$2" "/artifacts/$a" "/artifacts/$a" > diff.txt 2>&1 \
      || { head -20 diff.txt; fail "$1 and $2 differ in /artifacts/$a"; }
  done
}
rm -f ./*.h5 ./*.out
case $CASE in
ranks)
  "$DETT" data synth -o run_small.h5 --n-train 2000 > /dev/null || fail "data"
  cp "$GRIDS/small.lua" ranks.lua
  $MPIEXEC -n 1 "$DETT" run ranks.lua -o r1.h5 > r1.out || { cat r1.out; fail "1 rank"; }
  $MPIEXEC -n 2 "$DETT" run ranks.lua -o r2.h5 > r2.out || fail "2 groups of 1"
  $MPIEXEC -n 2 "$DETT" run ranks.lua -o r2k.h5 --ranks-per-job 2 > r2k.out || fail "1 group of 2"
  $MPIEXEC -n 4 "$DETT" run ranks.lua -o r4.h5 --ranks-per-job 2 > r4.out || fail "2 groups of 2"
  grep -q "$N jobs: $N done" r1.out || { cat r1.out; fail "not all $N jobs done"; }
  same r1.h5 r2.h5; same r1.h5 r2k.h5; same r1.h5 r4.h5
  # diagnostics: per-group CKA and feature MSE for fitnet, simkd and dett
  # students (a build without ScaLAPACK has none: DETT_HAVE_SCALAPACK=0)
  "$DETT" report r1.h5 --diagnostics > diag.md || fail "report --diagnostics"
  want=6; [ "${DETT_HAVE_SCALAPACK:-1}" = 0 ] && want=0
  [ "$(grep -c "^  j[0-9]* *\(fitnet\|simkd\|dett\) .* g3 (1,1) 0\.[0-9]* / " diag.md)" = $want ] \
    || { cat diag.md; fail "want diagnostics for $want students"; }
  echo "1, 2 and 4 ranks: identical results"
  ;;
resume)
  "$DETT" data synth -o run_small.h5 --n-train 2000 > /dev/null || fail "data"
  cp "$GRIDS/small.lua" resume.lua
  $MPIEXEC -n 2 "$DETT" run resume.lua -o full.h5 > full.out || fail "uninterrupted run"
  # the crash: rank 0 kills itself with SIGKILL after 5 finished jobs
  DETT_TEST_KILL_AFTER=5 $MPIEXEC -n 2 "$DETT" run resume.lua -o part.h5 > part1.out 2>&1
  [ $? != 0 ] || fail "the killed run exited 0"
  done1=$(statuses part.h5 | grep -c "^2$")
  [ "$done1" -ge 5 ] && [ "$done1" -lt $N ] || fail "killed run left $done1 finished jobs"
  h5dump -d /jobs/table part.h5 > table1.txt
  # the killed run's file reports its finished jobs and marks the rest
  "$DETT" report part.h5 > killed.md || fail "report on the killed run's file"
  grep -q "Failed or unfinished jobs" killed.md || { cat killed.md; fail "killed report lacks the unfinished jobs"; }
  grep -q "pending\|running" killed.md || fail "killed report does not mark pending jobs"
  grep -q "erm mlp\[8\]\|teacher" killed.md || fail "killed report lacks finished rows"
  $MPIEXEC -n 2 "$DETT" run resume.lua -o part.h5 > part2.out || { cat part2.out; fail "resume"; }
  torun=$(sed -n 's/.* reused, \([0-9]*\) to run.*/\1/p' part2.out)
  [ "$torun" = $((N - done1)) ] || fail "resume ran $torun jobs, want $((N - done1))"
  same full.h5 part.h5
  # an edited comment is the same jobs: nothing runs, the results stay
  echo "-- another" >> resume.lua
  $MPIEXEC -n 1 "$DETT" run resume.lua -o part.h5 > other.out 2> other.err || { cat other.err; fail "run after a comment edit"; }
  grep -q "$N jobs: $N reused, 0 to run" other.out || { cat other.out; fail "a comment edit reran jobs"; }
  same full.h5 part.h5
  echo "resume after SIGKILL: $done1 jobs kept, $torun rerun, results identical"
  ;;
checkpoint)
  # kill -9 of one rank inside a job at three moments, and SIGTERM: every
  # resumed run ends bit-identical to an uninterrupted one
  "$DETT" data synth -o run_small.h5 --n-train 2000 > /dev/null || fail "data"
  cp "$GRIDS/small.lua" ck.lua
  DETT_TEST_SCHED_TRACE=$PWD/order.txt $MPIEXEC -n 2 "$DETT" run ck.lua -o full.h5 \
    --ranks-per-job 2 > full.out || fail "uninterrupted run"
  # 32 steps an epoch (ceil(2000 / 64)); the teacher has 4 epochs, the
  # students 3, identification jobs 1. The scheduler starts the teacher
  # first (the longest chain): step 20 is before any checkpoint, 70 in its
  # epoch 3. The second job of 3 epochs or more in the run's order (a
  # student; identification jobs may come between) is killed on rank 1 in
  # its epoch 2, step 6.
  "$DETT" check ck.lua | awk '/^j[0-9]/ { print $1, $2 }' > kinds.txt
  [ "$(sed -n 's/^start //p' order.txt | head -1)" = "$(awk '$2 == "train" { print $1 }' kinds.txt)" ] \
    || { cat order.txt; fail "the teacher did not start first"; }
  at=0; nth=0
  for id in $(sed -n 's/^start //p' order.txt); do
    case $(awk -v j="$id" '$1 == j { print $2 }' kinds.txt) in
    ident) at=$((at + 32)) ;;
    train) at=$((at + 128)); nth=$((nth + 1)) ;;
    *) nth=$((nth + 1)); [ $nth = 2 ] && break; at=$((at + 96)) ;;
    esac
  done
  second=$((at + 32 + 6))
  for at in 20:0 70:0 $second:1; do
    kill_and_resume ck.lua k.h5 "$at"
    if [ "${at%%:*}" -gt 31 ]; then
      grep -q "resumed from its checkpoint" k2.out || { cat k2.out; fail "no checkpoint used after a kill at step $at"; }
    fi
    same full.h5 k.h5
  done
  # SIGTERM: the group finishes its step, checkpoints, the file is closed
  rm -f t.h5 t.h5.lock
  DETT_TEST_TERM_AT_STEP=45 $MPIEXEC -n 2 "$DETT" run ck.lua -o t.h5 --ranks-per-job 2 > t1.out 2>&1
  rc=$?
  [ $rc = 4 ] || { cat t1.out; fail "SIGTERM: exit $rc, want 4"; }
  grep -q "stopped by a signal: .* Resume with the same command" t1.out || { cat t1.out; fail "SIGTERM: no message"; }
  [ ! -e t.h5.lock ] || fail "SIGTERM left the lock"
  h5dump -H t.h5 > /dev/null || fail "SIGTERM left an unreadable file"
  $MPIEXEC -n 2 "$DETT" run ck.lua -o t.h5 --ranks-per-job 2 > t2.out 2>&1 || { cat t2.out; fail "resume after SIGTERM"; }
  # TERM after global step 45; 32 steps an epoch: the teacher's epoch 2, step 13
  grep -q "resumed from its checkpoint (epoch 2 step 13)" t2.out || { cat t2.out; fail "SIGTERM: not resumed at its step"; }
  same full.h5 t.h5
  echo "kill -9 at steps 20, 70, $second (rank 1) and SIGTERM at step 45: resumed, bit-identical"
  ;;
store)
  # the results file is a store keyed by job content (issue 15)
  "$DETT" data synth -o store_d.h5 --n-train 800 > /dev/null || fail "data"
  grid() {   # grid SEEDS [EXTRA-LINE]: a teacher, kd and jtt students
    printf -- '-- store test grid\nlocal d = dataset "store_d.h5"\n'
    printf 'local t = train { data = d, arch = mlp{16}, method = erm{}, epochs = 3 }\n'
    printf 'return grid { data = d, teacher = t, epochs = 2, seeds = sweep{%s},\n' "$1"
    printf '  student = mlp{8}, method = sweep{ kd{}, jtt{ up = 5 } } }\n%s\n' "${2:-}"
  }
  torun() { sed -n 's/.* reused, \([0-9]*\) to run.*/\1/p' "$1"; }
  grid "1, 2" > s12.lua
  $MPIEXEC -n 2 "$DETT" run s12.lua -o store.h5 > a.out || { cat a.out; fail "first run"; }
  grep -q "7 jobs: 0 reused, 7 to run" a.out || { cat a.out; fail "want 7 jobs (teacher, 2 ident, 4 students)"; }
  "$DETT" report store.h5 --format csv > a.csv || fail "report"
  cp store.h5 store0.h5
  # a comment and the order of the sweep change no job: 0 run
  grid "1, 2" "-- a comment" > s12c.lua
  $MPIEXEC -n 2 "$DETT" run s12c.lua -o store.h5 > b.out || { cat b.out; fail "comment run"; }
  [ "$(torun b.out)" = 0 ] || { cat b.out; fail "a comment edit ran jobs"; }
  grid "2, 1" > s21.lua
  $MPIEXEC -n 2 "$DETT" run s21.lua -o store.h5 > c.out || { cat c.out; fail "reordered run"; }
  [ "$(torun c.out)" = 0 ] || { cat c.out; fail "a reordered sweep ran jobs"; }
  same store0.h5 store.h5
  # the same contents under another path: the same jobs
  cp store_d.h5 store_moved.h5
  sed 's/"store_d.h5"/"store_moved.h5"/' s12.lua > moved.lua
  $MPIEXEC -n 2 "$DETT" run moved.lua -o store.h5 > m.out || { cat m.out; fail "moved data run"; }
  [ "$(torun m.out)" = 0 ] || { cat m.out; fail "a data file's path changed a job's hash"; }
  # seed 3 adds only its jobs (1 ident + 2 students); the old jobs' data and
  # the old script's report are unchanged, byte for byte
  grid "1, 2, 3" > s123.lua
  $MPIEXEC -n 2 "$DETT" run s123.lua -o store.h5 > d.out || { cat d.out; fail "seed 3 run"; }
  grep -q "10 jobs: 7 reused, 3 to run" d.out || { cat d.out; fail "want 3 new jobs for seed 3"; }
  same_old store0.h5 store.h5
  "$DETT" report store.h5 --format csv --script s12.lua > a2.csv || fail "report --script"
  cmp a.csv a2.csv || { diff a.csv a2.csv; fail "the old script's report changed"; }
  "$DETT" report store.h5 --format csv > d.csv || fail "report (last script)"
  cmp -s a.csv d.csv && fail "the default report is not the last script's"
  # --all: every job in the file, also those no script asks for any more
  grid "3" > s3.lua
  $MPIEXEC -n 1 "$DETT" run s3.lua -o store.h5 > e.out || { cat e.out; fail "seed 3 alone"; }
  [ "$(torun e.out)" = 0 ] || { cat e.out; fail "seed 3 alone ran jobs"; }
  "$DETT" report store.h5 --format csv > e.csv || fail "report"
  "$DETT" report store.h5 --format csv --all > all.csv || fail "report --all"
  ndone() { awk -F, 'NR > 1 { n += $(NF-17) } END { print n }' "$1"; }
  [ "$(ndone e.csv)" = 3 ] && [ "$(ndone all.csv)" = 7 ] \
    || { cat e.csv all.csv; fail "want 3 done jobs for the last script (teacher, 2 students), 7 with --all"; }
  "$DETT" report store.h5 --script nonesuch.lua > /dev/null 2> ns.err && fail "--script of a missing file"
  echo "-- never run" > never.lua
  "$DETT" report store.h5 --script never.lua > /dev/null 2> nv.err
  [ $? != 0 ] && grep -q "never run on this file" nv.err || { cat nv.err; fail "a script never run"; }
  # --from: a new store reuses the teacher (and idents) of the old one by hash
  printf -- '-- another study, same teacher\nlocal d = dataset "store_d.h5"\n' > other.lua
  printf 'local t = train { data = d, arch = mlp{16}, method = erm{}, epochs = 3 }\n' >> other.lua
  printf 'return grid { data = d, teacher = t, epochs = 2, seeds = sweep{1}, student = mlp{8}, method = sweep{ dett{ up = 5 } } }\n' >> other.lua
  $MPIEXEC -n 2 "$DETT" run other.lua -o other.h5 --from store.h5 > f.out || { cat f.out; fail "--from"; }
  # (dett's and jtt's identification jobs both train with SGD for T epochs:
  # the teacher and the identification model are shared)
  grep -q "2 finished jobs copied from store.h5" f.out || { cat f.out; fail "want the teacher and ident copied"; }
  grep -q "3 jobs: 2 reused, 1 to run" f.out || { cat f.out; fail "want the teacher and ident reused, 1 job run"; }
  grep -q "teacher" f.out && { cat f.out; fail "--from: the teacher was retrained"; }
  th=$(h5dump -a /jobs/j000/hash store.h5 | sed -n 's/.*(0): "\(.*\)".*/\1/p')
  h5diff store.h5 other.h5 "/artifacts/$th" "/artifacts/$th" > diff.txt || { cat diff.txt; fail "copied teacher differs"; }
  # regenerated data with other contents at the same path: its jobs rerun
  "$DETT" data synth -o store_d.h5 --n-train 800 --p-maj 0.99 > /dev/null || fail "data 2"
  $MPIEXEC -n 2 "$DETT" run s12.lua -o store.h5 > g.out || { cat g.out; fail "stale run"; }
  grep -q "7 jobs: 0 reused, 7 to run" g.out || { cat g.out; fail "regenerated data: want every job rerun"; }
  # the report's provenance names the data digest the rows were trained on
  dg=$(grep -o "data store_d.h5: digest [0-9a-f]*" g.out | head -1 | awk '{print $4}')
  "$DETT" report store.h5 > prov.md || fail "report after regenerated data"
  grep -q "^Provenance: store.h5: dett .*; data store_d.h5 (sha256 $dg)" prov.md ||
    { head -5 prov.md; echo "digest $dg"; fail "provenance: want the new data digest"; }
  echo "store: comment and sweep order 0 run, seed 3 adds 3 jobs (old data and report identical), --from reuses a teacher, new data reruns"
  ;;
diverge)
  "$DETT" data synth -o run_diverge.h5 --n-train 1000 > /dev/null || fail "data"
  cp "$GRIDS/diverge.lua" diverge.lua
  $MPIEXEC -n 2 "$DETT" run diverge.lua -o div.h5 > div.out 2>&1
  rc=$?
  [ $rc = 3 ] || { cat div.out; fail "exit $rc, want 3 (some jobs failed)"; }
  grep -q "2 done, 1 failed, 2 skipped" div.out || { cat div.out; fail "want 2 done (erm, the ident job), 1 failed, 2 skipped"; }
  "$DETT" report div.h5 > div.md || fail "report"
  grep -q "loss became NaN\|loss became Inf" div.md || { cat div.md; fail "report lacks the reason"; }
  grep -q "skipped" div.md || fail "report lacks the skipped jobs"
  echo "divergence: failed with reason, dependents skipped, the rest done"
  ;;
refuse)
  "$DETT" data synth -o run_refuse.h5 --n-train 500 > /dev/null || fail "data"
  printf 'local d = dataset "run_refuse.h5"\nreturn grid { data = d, student = cnn{ channels = {4} }, method = erm{} }\n' > cnn_tab.lua
  $MPIEXEC -n 1 "$DETT" run cnn_tab.lua -o cnn_tab.h5 > cnn_tab.out 2> cnn_tab.err
  [ $? != 0 ] && grep -q "a cnn needs image data" cnn_tab.err \
    || { cat cnn_tab.err; fail "a cnn on tabular data not refused"; }
  [ ! -e cnn_tab.h5 ] || fail "a refused run left a results file"
  printf 'return grid { data = dataset "run_refuse.h5", student = mlp{4}, method = erm{}, batch = 4 }\n' > small_batch.lua
  $MPIEXEC -n 1 "$DETT" run small_batch.lua -o sb.h5 > sb.out 2> sb.err
  [ $? != 0 ] && grep -q "smaller than the 8 micro-shards" sb.err || { cat sb.err; fail "batch < M not refused"; }
  # the script fails on rank 1 only (MPMD: each rank its own script): every
  # rank stops with rank 1's message, no hang, no results file
  printf 'return grid { data = dataset "run_refuse.h5", student = mlp{4}, method = erm{} }\n' > good.lua
  printf 'return grid { data = dataset "run_refuse.h5", student = mlp{4}, method = erm{}, epoch = 2 }\n' > typo.lua
  printf 'return grid { data = dataset "run_refuse.h5", student = mlp{8}, method = erm{} }\n' > other.lua
  for second in "typo:rank 1: .*typo.lua:1" "other:rank 1: .*different grid script"; do
    script=${second%%:*} want=${second#*:}
    timeout 120 $MPIEXEC -n 1 "$DETT" run good.lua -o split.h5 : -n 1 "$DETT" run $script.lua -o split.h5 \
      > split.out 2> split.err
    rc=$?
    [ $rc != 124 ] || fail "a script failing on one rank only hangs the other ($script)"
    [ $rc != 0 ] && grep -q "$want" split.err || { cat split.err; fail "not reported: $want"; }
    [ ! -e split.h5 ] || fail "a refused run left a results file ($script)"
  done
  echo "refused before training: a cnn on tabular data, batch smaller than the micro-shards, a script failing or differing on one rank"
  ;;
cnn)
  # stand-in Fashion-MNIST files (the real ones are a Debian package that CI lacks)
  "$FAKE" --fake-fmnist fmnist 3000 1000 || fail "stand-in fmnist"
  "$DETT" data cfmnist --fmnist-dir fmnist --size 7 -o run_cnn.h5 > /dev/null || fail "cfmnist"
  cp "$GRIDS/cnn.lua" cnn.lua
  $MPIEXEC -n 1 "$DETT" run cnn.lua -o c1.h5 > c1.out || { cat c1.out; fail "1 rank"; }
  $MPIEXEC -n 2 "$DETT" run cnn.lua -o c2.h5 --ranks-per-job 2 > c2.out || fail "2 ranks"
  grep -q "8 jobs: 8 done" c1.out || { cat c1.out; fail "not all 8 jobs done (teacher, ident, 6 students)"; }
  same c1.h5 c2.h5
  # every activation plain: the same bits (blocked layouts are only faster;
  # DEDIER's readout must read its ReLU in the plain order)
  DETT_LAYOUT=plain $MPIEXEC -n 1 "$DETT" run cnn.lua -o c3.h5 > c3.out || { cat c3.out; fail "DETT_LAYOUT=plain"; }
  same c1.h5 c3.h5
  echo "cnn teacher and students: done, identical on 1 and 2 ranks and with every activation plain"
  ;;
paper)
  "$FAKE" --fake-fmnist fmnist 2000 600 || fail "stand-in fmnist"
  "$DETT" data cfmnist --fmnist-dir fmnist --size 7 -o smoke_cfmnist.h5 > /dev/null || fail "cfmnist"
  "$DETT" data synth --n-train 1000 -o smoke_synth.h5 > /dev/null || fail "synth"
  cp "$GRIDS/paper_smoke.lua" paper.lua
  $MPIEXEC -n 2 "$DETT" run paper.lua -o paper.h5 --progress lines > paper.out || { cat paper.out; fail "run"; }
  grep -q "34 jobs: 34 done" paper.out || { cat paper.out; fail "not all 34 jobs done"; }
  "$DETT" report paper.h5 --format latex > paper.tex || fail "report"
  grep -q "toprule" paper.tex && grep -c "dett" paper.tex > /dev/null || fail "latex table"
  echo "paper table smoke run: 34 jobs done, report written"
  ;;
dfr)
  "$DETT" data synth -o run_dfr.h5 --n-train 2000 --p-maj 0.95 > /dev/null || fail "data"
  cp "$GRIDS/dfr.lua" dfr.lua
  $MPIEXEC -n 1 "$DETT" run dfr.lua -o d1.h5 --progress lines > d1.out || { cat d1.out; fail "1 rank"; }
  $MPIEXEC -n 2 "$DETT" run dfr.lua -o d2.h5 --ranks-per-job 2 --progress lines > d2.out || { cat d2.out; fail "2 ranks"; }
  grep -q "6 jobs: 6 done" d1.out || { cat d1.out; fail "not all 6 jobs done"; }
  # the distributed solve is not bitwise K-invariant: compare within 1e-4
  for g in $(h5ls d1.h5/jobs | awk '$2 == "Group" { print $1 }'); do
    h5diff -d 1e-4 d1.h5 d2.h5 "/jobs/$g/worst" "/jobs/$g/worst" > diff.txt 2>&1 \
      || { head diff.txt; fail "dfr results differ across ranks for $g"; }
  done
  # the refit teacher is far less biased than the ERM student
  "$DETT" report d1.h5 --format csv > d1.csv || fail "report"
  tw=$(awk -F, '$1 == "teacher" { print $(NF-6) }' d1.csv)
  ew=$(awk -F, '$1 == "student" && $3 == "erm" { print $(NF-6) }' d1.csv)
  awk -v t="$tw" -v e="$ew" 'BEGIN { exit !(t > e + 10) }' || { cat d1.csv; fail "dfr teacher $tw not 10 points above erm $ew"; }
  echo "dfr teacher and baseline: worst group $tw vs erm $ew; 1 and 2 ranks agree"
  # DFR's choices are stored per dfr job and shown: the starred strength is
  # the one chosen and has the best validation worst-group score
  "$DETT" report d1.h5 --diagnostics > d1.diag || fail "report --diagnostics"
  n=$(grep -c ' lambda .* refits [0-9]' d1.diag)
  [ "$n" = 2 ] || { cat d1.diag; fail "$n dfr choice lines, want 2 (teacher, dfr student)"; }
  grep ' lambda .* refits [0-9]' d1.diag | awk '{
      for (i = 1; i <= NF; i++) if ($i == "lambda") chosen = $(i + 1)
      line = $0; sub(/^.* lambda [^ ]+  \[/, "", line); sub(/\].*$/, "", line)
      m = split(line, part, ", "); best = -1; star = ""
      for (k = 1; k <= m; k++) {
        split(part[k], kv, ": "); v = kv[2]; st = (v ~ /\*$/); sub(/\*$/, "", v)
        if (v + 0 > best) best = v + 0
        if (st) { star = kv[1]; sv = v + 0 }
      }
      if (m != 5 || star == "" || star + 0 != chosen + 0 || sv < best) { print "bad: " $0; bad = 1 }
    } END { exit bad }' || fail "dfr choice does not match its scores"
  h5ls d1.h5/jobs/j000/dfr > /dev/null 2>&1 || h5ls -r d1.h5 | grep -q '/dfr/choice' \
    || fail "no /jobs/<id>/dfr in d1.h5"
  echo "dfr choices: $(grep ' lambda ' d1.diag | head -1)"
  # the refit has its own place (format 5): a dfr job's curves are its base
  # model's true epochs (8 for the teacher, 6 for the student; no NaN loss,
  # not the refit as one more epoch), its refit's accuracies are in
  # /jobs/<id>/dfr, and the report's dfr rows are the refit's
  /usr/bin/python3 - d1.h5 "$GRIDS/../../scripts" > refit.txt 2>&1 <<'PY' || { cat refit.txt; fail "dfr refit layout"; }
import math, sys, h5py
f = h5py.File(sys.argv[1], "r")
assert int(f.attrs["format_version"]) == 5, "format_version"
rows = {r["id"].decode(): r for r in f["jobs/table"][()]}
n = 0
for jid, g in f["jobs"].items():
    if jid == "table" or "dfr" not in g:
        continue
    n += 1
    E = int(g.attrs["epochs"])
    want = 8 if g.attrs["kind"] == "train" else 6
    loss = g["train_loss"][()]
    assert E == want, f"{jid}: epochs {E}, want {want} (its base's)"
    assert loss.shape == (E,) and g["worst"].shape == (E, 2), f"{jid}: curves of {loss.shape[0]} epochs"
    assert all(math.isfinite(x) for x in loss), f"{jid}: a NaN training loss"
    assert int(rows[jid]["epochs_run"]) == E, f"{jid}: epochs_run {rows[jid]['epochs_run']}"
    assert list(g["selected"][()]) == [E - 1] * 4, f"{jid}: selected {g['selected'][()]}"
    r = g["dfr"]
    assert r["acc"].shape == (2, int(g.attrs["groups"])) and r["worst"].shape == (2,)
    assert all(math.isfinite(x) for x in r["worst"][()]), f"{jid}: refit worst not written"
    assert abs(min(r["acc"][1]) - r["worst"][1]) < 1e-12, f"{jid}: refit worst is not its groups' min"
    print(f"{g.attrs['kind']} {100 * r['worst'][1]:.4f} {100 * g['worst'][E - 1, 1]:.4f}")
assert n == 2, f"{n} dfr jobs, want 2"
# scripts/dett_results.py's job table reports the refit too
sys.path.insert(0, sys.argv[2])
import dett_results
for _, row in dett_results.jobs(sys.argv[1]).iterrows():
    if row["method"] == "dfr":
        want = f["jobs/" + row["job"] + "/dfr/worst"][1]
        assert row["test_worst"] == want, f"dett_results: {row['job']} {row['test_worst']} != {want}"
PY
  tr=$(awk '$1 == "train" { print $2 }' refit.txt); sr=$(awk '$1 == "student" { print $2 }' refit.txt)
  sl=$(awk '$1 == "student" { print $3 }' refit.txt)
  sw=$(awk -F, '$1 == "student" && $3 == "dfr" { print $(NF-6) }' d1.csv)
  [ "$tw" = "$tr" ] || fail "report's dfr teacher $tw is not its refit's $tr"
  [ "$sw" = "$sr" ] || fail "report's dfr student $sw is not its refit's $sr (last base epoch: $sl)"
  [ "$sr" != "$sl" ] || echo "note: the refit and the last base epoch agree ($sr): the check above cannot tell them apart"
  echo "dfr refit in its own place: base epochs 8 and 6, no NaN loss; report = refit (teacher $tr, student $sr; last base epoch $sl)"
  ;;
paired)
  # teacher_seed = "paired": one teacher per student seed, each student's
  # dependency the teacher of its seed; the report pools the three teachers
  # in one row (n=3) and the students' gap uses each one's own teacher
  "$DETT" data synth -o run_paired.h5 --n-train 400 > /dev/null || fail "data"
  cp "$GRIDS/paired.lua" paired.lua
  "$DETT" check paired.lua > check.out 2>&1 || { cat check.out; fail "check"; }
  nt=$(awk '$2 == "train"' check.out | wc -l)
  [ "$nt" = 3 ] || { cat check.out; fail "$nt teachers, want 3 (one per seed)"; }
  awk '$2 == "train" { seed[$1] = $NF } $2 == "student" { split($4, dep, "="); if (seed[dep[2]] != $NF) bad = 1 }
       END { exit bad }' check.out || { cat check.out; fail "a student's teacher has another seed"; }
  $MPIEXEC -n 2 "$DETT" run paired.lua -o p.h5 --progress lines > p.out || { cat p.out; fail "run"; }
  grep -q "6 jobs: 6 done" p.out || { cat p.out; fail "not all 6 jobs done"; }
  "$DETT" report p.h5 > p.md || fail "report"
  grep -q '^| teacher: erm mlp\[8\] | .*(n=3)' p.md || { cat p.md; fail "teachers not pooled (n=3)"; }
  grep '^| kd |' p.md | grep -q '(n=3) | -\?[0-9.]* ± [0-9.]* |' || { cat p.md; fail "no gap over 3 seeds"; }
  echo "paired: 3 teachers, 3 students; $(grep '^| kd |' p.md)"
  ;;
dedier)
  # DEDIER (docs/dedier.md) through dett run: a teacher, kd at DEDIER's T
  # and mix, dedier students reading the first and the second hidden layer;
  # 1 rank, 2 groups of 1, 1 group of 2 and 1 of 4 give identical results (the
  # readout's gradient goes through the deterministic allreduce, its
  # reweighting through chunks aligned to micro-shards); dett check refuses
  # a readout layer the student lacks and keys out of range; the report
  # lists the students
  "$DETT" data synth -o run_dedier.h5 --n-train 1500 > /dev/null || fail "data"
  cp "$GRIDS/dedier.lua" dedier.lua
  "$DETT" check dedier.lua > check.out 2>&1 || { cat check.out; fail "check"; }
  grep -q 'method=dedier(T=3,alpha=0.05,beta=4,kd_alpha=1,layer=1)' check.out \
    || { cat check.out; fail "dedier's canonical text"; }
  $MPIEXEC -n 1 "$DETT" run dedier.lua -o d1.h5 > d1.out || { cat d1.out; fail "1 rank"; }
  $MPIEXEC -n 2 "$DETT" run dedier.lua -o d2.h5 > d2.out || { cat d2.out; fail "2 groups of 1"; }
  $MPIEXEC -n 2 "$DETT" run dedier.lua -o d2k.h5 --ranks-per-job 2 > d2k.out \
    || { cat d2k.out; fail "1 group of 2"; }
  $MPIEXEC -n 4 "$DETT" run dedier.lua -o d4k.h5 --ranks-per-job 4 > d4k.out \
    || { cat d4k.out; fail "1 group of 4"; }
  grep -q "4 jobs: 4 done" d1.out || { cat d1.out; fail "not all 4 jobs done"; }
  same d1.h5 d2.h5; same d1.h5 d2k.h5; same d1.h5 d4k.h5
  # kd and dedier students end apart (the weights reach training)
  h5diff -q d1.h5 d1.h5 /jobs/j001/params /jobs/j002/params > /dev/null 2>&1 \
    && fail "dedier's student equals kd's"
  # SIGTERM inside the first dedier job (24 steps an epoch: the teacher and
  # kd take steps 1-192, so step 230 is its epoch 2, step 14): its
  # checkpoint carries the readout (parameters, optimiser, every row's
  # weight), the rerun resumes there and ends bit-identical to the
  # uninterrupted run; likewise a group of 2 (the weights gathered from both
  # ranks) killed with SIGKILL on rank 1 in the second dedier job's epoch 3
  # (steps 289-384; 340 is after its epoch-2 checkpoint)
  rm -f t.h5 t.h5.lock
  DETT_TEST_TERM_AT_STEP=230 $MPIEXEC -n 1 "$DETT" run dedier.lua -o t.h5 > t1.out 2>&1
  rc=$?
  [ $rc = 4 ] && grep -q "stopped by a signal: 2 of 4 jobs finished" t1.out \
    || { cat t1.out; fail "SIGTERM in the dedier job: exit $rc"; }
  $MPIEXEC -n 1 "$DETT" run dedier.lua -o t.h5 > t2.out 2>&1 || { cat t2.out; fail "rerun after SIGTERM"; }
  grep -q "resumed from its checkpoint (epoch 2 step 14)" t2.out \
    || { cat t2.out; fail "the dedier job did not resume from its checkpoint"; }
  same d1.h5 t.h5
  kill_and_resume dedier.lua k.h5 340:1
  grep -q "resumed from its checkpoint (epoch 3" k2.out \
    || { cat k2.out; fail "the killed dedier job (group of 2) did not resume from its checkpoint"; }
  same d1.h5 k.h5
  "$DETT" report d1.h5 > d1.md || fail "report"
  [ "$(grep -c '^| dedier(T=3,kd_alpha=1,alpha=' d1.md)" = 2 ] || { cat d1.md; fail "report rows"; }
  sed 's/mlp{16, 8}/mlp{16}/' dedier.lua > shallow.lua
  "$DETT" check shallow.lua > shallow.out 2>&1 && fail "layer 2 of mlp{16} accepted"
  grep -q "^dett: shallow.lua:[0-9]*: j003: dedier reads layer 2 but the student has fewer hidden layers$" \
    shallow.out || { cat shallow.out; fail "layer message"; }
  sed 's/dedier{}/dedier{ beta = -1 }/' dedier.lua > beta.lua
  "$DETT" check beta.lua > beta.out 2>&1 && fail "beta = -1 accepted"
  grep -q "'beta' must be in \[0, 50\], got -1" beta.out || { cat beta.out; fail "beta message"; }
  echo "dedier: 1 rank, 2 groups of 1, 1 group of 2, 1 group of 4 identical; $(grep -c '^| dedier' d1.md) report rows"
  ;;
*) fail "unknown case $CASE" ;;
esac
echo "1 passed, 0 failed"
