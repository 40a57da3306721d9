#!/usr/bin/env bash
# End-to-end checks of what guards a grid: the checks before training, the
# results file's lock, data digests in the job hashes, a job failing alone.
#   e2e_guard.sh DETT MPIEXEC CASE
# CASE: refuse   every refusal of dett check (cnn on flat data, a teacher
#                trained on wider or other-class data, weighting functions
#                with an unknown signal, an error, a non-number, a negative,
#                NaN or infinite weight, a malformed data file), each also
#                refused by dett run before anything is written
#       lock     a second run on a results file in use is refused at once,
#                naming the holder; after the first ends, the file is free
#       stale    a lock left by a killed run (SIGKILL) is taken over with a
#                message; a reused pid and another host's old lock too; a
#                fresh lock from another host is refused
#       digest   job hashes follow the data's contents: regenerated with
#                other contents at the same path -> its jobs' hashes change
#                (and dett run does not report them as done); same contents
#                -> same hashes; the cache avoids rehashing (cached/hashed)
#       jobfail  a weighting function that fails on real signals only fails
#                its job with the reason (results file and console); the
#                rest of the grid finishes
#       diagfail a failing diagnostic (an inf feature injected on one rank by
#                DETT_TEST_FAIL_DIAGNOSTICS) fails its job with the reason;
#                the rest of the grid finishes, exit 3
#       damaged  dett report and dett run (1 and 2 ranks) on damaged results files (truncated, a flipped
#                superblock byte, flipped bytes in object headers) refuses
#                in one line, without HDF5's "infinite loop closing library"
#       diskfull the results file on a full file system (a small tmpfs, as
#                root; skipped with a message otherwise), 4, 64 and 128 KB
#                free, 1 and 2 ranks: a new file and a complete one that
#                grows are refused in one line naming the file, exit 1, no
#                hang (timeout), no signal, the old file byte-identical and
#                readable, no lock or .tmp left; with room, the reserve is
#                given back (DETT_TEST_NO_RESERVE=1 turns the reserve off:
#                then this case fails, hangs or crashes)
set -u
DETT=$1; MPIEXEC=$2; CASE=$3
. "$(dirname "$0")/e2e_lib.sh"
export HDF5_USE_FILE_LOCKING=FALSE
export DETT_DIGEST_CACHE=$PWD/digests   # never the user's cache
rm -rf ./*.h5 ./*.lock ./*.out ./*.err ./*.lua ./digests
"$DETT" data synth -o d.h5 --n-train 400 --n-val 200 --n-test 200 > /dev/null || fail "data"

# refused SCRIPT PATTERN [check]: dett check refuses it with PATTERN on one
# line starting "dett: "; unless "check", dett run (2 ranks) too, before
# anything is written (both call validate_grid: run is tested on a sample)
refused() {
  "$DETT" check "$1" > chk.out 2> chk.err && fail "$1: dett check accepted it"
  grep -q "^dett: .*$2" chk.err || { cat chk.err; fail "$1: dett check: want '$2'"; }
  [ "$(wc -l < chk.err)" = 1 ] || { cat chk.err; fail "$1: more than one line"; }
  [ "${3:-}" = check ] && return
  $MPIEXEC -n 2 "$DETT" run "$1" -o refused.h5 > run.out 2> run.err && fail "$1: dett run accepted it"
  grep -q "^dett: .*$2" run.err || { cat run.err; fail "$1: dett run: want '$2'"; }
  grep -q "to run" run.out && fail "$1: dett run started"
  [ ! -e refused.h5 ] || fail "$1: a refused run left a results file"
  [ ! -e refused.h5.lock ] || fail "$1: a refused run left its lock"
}
# a grid with a dett student weighted by function(s) BODY end
weighting() {
  cat > "$1" <<EOF
local d = dataset "d.h5"
local t = train { data = d, arch = mlp{8}, epochs = 1 }
return grid { data = d, teacher = t, student = mlp{4}, epochs = 1,
  method = dett{ weighting = function(s)
    $2
  end } }
EOF
}

case $CASE in
refuse)
  "$DETT" data synth -o wide.h5 --n-train 400 --n-val 200 --n-test 200 --d-noise 10 > /dev/null || fail "wide data"
  printf 'local d = dataset "d.h5"\nreturn grid { data = d,\n  student = cnn{ channels = {4} }, method = erm{} }\n' > cnn_flat.lua
  refused cnn_flat.lua "cnn_flat.lua:2: j000: a cnn needs image data"
  for m in kd simkd dett fitnet; do
    printf 'local t = train { data = dataset "wide.h5", arch = mlp{16} }\nreturn grid { data = dataset "d.h5", teacher = t,\n  student = mlp{8}, method = %s{} }\n' $m > wide_$m.lua
    refused wide_$m.lua "wide_$m.lua:2: j00[0-9]: its teacher j000 (wide_$m.lua:1) is trained on wide.h5 (rows of 20 features) but this job's data d.h5 has rows of 10 features" $([ $m = kd ] || echo check)
  done
  printf 'local t = train { data = dataset "d.h5", arch = mlp{16} }\nreturn grid { data = dataset "wide.h5", teacher = t, student = mlp{8}, method = kd{} }\n' > narrow_teacher.lua
  refused narrow_teacher.lua "its teacher j000 (narrow_teacher.lua:1) is trained on d.h5 (rows of 10 features) but this job's data wide.h5 has rows of 20" check
  weighting w_unknown.lua 'return s.id_corect and 1 or 20'
  refused w_unknown.lua "w_unknown.lua:5: unknown signal 'id_corect'.*(job j00[0-9] at w_unknown.lua:3"
  weighting w_negative.lua 'if s.teacher_loss > 10 then return -1 end return 1'
  refused w_negative.lua "w_negative.lua:4: weighting function returned -1 (weights must be finite and >= 0).*s.teacher_loss=30" check
  weighting w_nan.lua 'if not s.id_correct then return 0/0 end return 1'
  refused w_nan.lua "w_nan.lua:4: weighting function returned -*nan" check
  weighting w_inf.lua 'return s.y == 1 and math.huge or 1'
  refused w_inf.lua "w_inf.lua:4: weighting function returned inf" check
  weighting w_string.lua 'return "1"'
  refused w_string.lua "w_string.lua:4: weighting function returned string, expected a number" check
  weighting w_error.lua 'if s.id_loss > 20 then error("too lossy") end return 1'
  refused w_error.lua "w_error.lua:5: too lossy" check
  # a data file of the wrong format, named with the job that reads it
  h5copy -i d.h5 -o bad.h5 -s /train -d /train > /dev/null 2>&1 || fail "h5copy"
  printf 'return grid { data = dataset "bad.h5", student = mlp{4}, method = erm{} }\n' > bad_data.lua
  refused bad_data.lua "bad_data.lua:1: j000: .*bad.h5"
  # and the good twin of each passes
  weighting w_good.lua 'return s.id_correct and 1 or 20'
  "$DETT" check w_good.lua > good.out 2>&1 || { cat good.out; fail "a good weighting refused"; }
  grep -q "^3 jobs$" good.out || { cat good.out; fail "good: want 3 jobs (teacher, ident, student)"; }
  echo "refused by check and run: cnn on flat data, 5 wrong teachers, 6 bad weightings, a bad data file"
  ;;
lock)
  printf 'local d = dataset "d.h5"\nreturn grid { data = d, student = mlp{8}, method = erm{}, epochs = 1000, seeds = {1, 2} }\n' > g.lua
  $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 --progress lines > first.out 2>&1 &
  for i in $(seq 1200); do [ -s r.h5.lock ] && break; sleep 0.05; done
  [ -s r.h5.lock ] || fail "the first run took no lock"
  pid=$(sed -n 's/^pid=//p' r.h5.lock)
  kill -STOP "$pid" 2> /dev/null || fail "cannot pause the first run (pid $pid)"
  # while the first holds the file (paused), a second run is refused at once
  start=$(date +%s)
  $MPIEXEC -n 2 "$DETT" run g.lua -o r.h5 > second.out 2> second.err
  rc=$?
  kill -CONT "$pid"
  [ $rc != 0 ] || fail "the second run was not refused"
  grep -q "^dett: r.h5: in use by another dett run (host $(hostname), pid $pid, since [0-9-]* [0-9:]*" second.err \
    || { cat second.err; fail "the refusal does not name the holder"; }
  grep -q "to run" second.out && fail "the refused run started"
  wait || { cat first.out; fail "the first run failed"; }
  grep -q "2 jobs: 2 done" first.out || { cat first.out; fail "the first run did not finish"; }
  [ ! -e r.h5.lock ] || fail "the first run left its lock"
  # free again: the same command resumes (nothing to run)
  $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > third.out 2>&1 || { cat third.out; fail "rerun after the lock was released"; }
  grep -q " 0 to run" third.out || { cat third.out; fail "rerun: want 0 to run"; }
  echo "lock: the second run refused in $(( $(date +%s) - start )) s naming pid $pid; released at the end"
  ;;
stale)
  printf 'local d = dataset "d.h5"\nreturn grid { data = d, student = mlp{8}, method = erm{}, epochs = 2, seeds = {1, 2, 3} }\n' > g.lua
  # a run killed with SIGKILL (rank 0, after 1 job) leaves its lock
  DETT_TEST_KILL_AFTER=1 $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > killed.out 2>&1
  [ -s r.h5.lock ] || fail "the killed run left no lock"
  dead=$(sed -n 's/^pid=//p' r.h5.lock)
  $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > resume.out 2> resume.err || { cat resume.out resume.err; fail "resume over a stale lock"; }
  grep -q "^dett: r.h5: took over the lock of a dett run that is gone (host $(hostname), pid $dead, .*no such process)" resume.err \
    || { cat resume.err; fail "no takeover message"; }
  grep -q "3 jobs: 3 done" resume.out || { cat resume.out; fail "the resumed run did not finish"; }
  [ ! -e r.h5.lock ] || fail "the resumed run left its lock"
  # a pid that is alive but another process now (its start tick differs)
  sleep 60 & other=$!
  tick=$(sed 's/.*) //' /proc/$other/stat | awk '{ print $20 }')
  lockfile() {   # lockfile HOST PID SINCE START
    printf 'dett run lock: a dett run writes r.h5; remove this file only if that run is gone\nhost=%s\npid=%s\nsince=%s\nboot=-\nstart=%s\n' "$@" > r.h5.lock
  }
  lockfile "$(hostname)" "$other" 1700000000 $((tick + 1))
  $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > reuse.out 2> reuse.err || { cat reuse.err; fail "a reused pid's lock not taken over"; }
  grep -q "took over.*pid $other is another process now" reuse.err || { cat reuse.err; fail "reused pid: no message"; }
  # the same live process with its own start tick holds the file
  lockfile "$(hostname)" "$other" 1700000000 "$tick"
  $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > live.out 2> live.err && fail "a live holder's lock was taken over"
  grep -q "in use by another dett run (host $(hostname), pid $other, since 2023-11-1" live.err || { cat live.err; fail "live holder: message"; }
  kill $other; wait $other 2> /dev/null
  # another host: refused while fresh, taken over once not refreshed for
  # DETT_LOCK_STALE_SECONDS
  lockfile elsewhere.example 4242 1700000000 77
  $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > fresh.out 2> fresh.err && fail "another host's fresh lock taken over"
  grep -q "in use by another dett run (host elsewhere.example, pid 4242" fresh.err || { cat fresh.err; fail "fresh: message"; }
  touch -d '20 minutes ago' r.h5.lock
  $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > old.out 2> old.err || { cat old.err; fail "another host's old lock not taken over"; }
  grep -q "took over.*host elsewhere.example, pid 4242.*not refreshed for [0-9]* s (limit 300 s" old.err || { cat old.err; fail "old: message"; }
  lockfile elsewhere.example 4242 1700000000 77
  touch -d '5 seconds ago' r.h5.lock
  DETT_LOCK_STALE_SECONDS=2 $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > short.out 2> short.err || { cat short.err; fail "DETT_LOCK_STALE_SECONDS=2"; }
  grep -q "not refreshed for [0-9]* s (limit 2 s" short.err || { cat short.err; fail "short limit: message"; }
  # not a dett lock: refused, never removed
  echo "something else" > r.h5.lock
  $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > junk.out 2> junk.err && fail "a foreign r.h5.lock was ignored"
  grep -q "r.h5.lock exists and is not a dett lock" junk.err || { cat junk.err; fail "junk: message"; }
  grep -q "something else" r.h5.lock || fail "a foreign r.h5.lock was changed"
  echo "stale locks taken over: killed run, reused pid, old lock of another host; live and fresh ones refused"
  ;;
digest)
  "$DETT" data synth -o other.h5 --n-train 400 --n-val 200 --n-test 200 --seed 7 > /dev/null || fail "data"
  printf 'return {\n  grid { data = dataset "d.h5", student = mlp{8}, method = erm{}, epochs = 2 },\n  grid { data = dataset "other.h5", student = mlp{8}, method = erm{}, epochs = 2 },\n}\n' > g.lua
  hashes() { awk '/^j[0-9]/ { print $1, $3 }' "$1"; }
  "$DETT" check g.lua > c1.out || { cat c1.out; fail "check"; }
  grep -q "^data d.h5: digest [0-9a-f]\{12\} (hashed" c1.out || { cat c1.out; fail "first check: want d.h5 hashed"; }
  "$DETT" check g.lua > c2.out || fail "check 2"
  grep -q "^data d.h5: digest [0-9a-f]\{12\} (cached)" c2.out && grep -q "^data other.h5: digest .* (cached)" c2.out \
    || { cat c2.out; fail "second check: want both cached (not rehashed)"; }
  [ "$(hashes c1.out)" = "$(hashes c2.out)" ] || fail "hashes changed without a change"
  $MPIEXEC -n 2 "$DETT" run g.lua -o r.h5 > r1.out 2>&1 || { cat r1.out; fail "run"; }
  grep -q "2 jobs: 2 done" r1.out || { cat r1.out; fail "run: want 2 done"; }
  grep -q "(cached)" r1.out || { cat r1.out; fail "run: want the cached digests"; }
  # the same contents written again (a new file, new mtime and inode): rehashed, same hashes
  "$DETT" data synth -o d.h5 --n-train 400 --n-val 200 --n-test 200 > /dev/null || fail "data again"
  "$DETT" check g.lua > c3.out || fail "check 3"
  grep -q "^data d.h5: digest .* (hashed" c3.out || { cat c3.out; fail "rewritten file: want rehashed"; }
  grep -q "^data other.h5: digest .* (cached)" c3.out || { cat c3.out; fail "untouched file: want cached"; }
  [ "$(hashes c1.out)" = "$(hashes c3.out)" ] || { diff c1.out c3.out; fail "same contents, other hashes"; }
  $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > r2.out 2>&1 || { cat r2.out; fail "rerun"; }
  grep -q " 0 to run" r2.out || { cat r2.out; fail "same contents: want nothing to rerun"; }
  # other contents at the same path: the jobs on d.h5 get new hashes, the others keep theirs
  "$DETT" data synth -o d.h5 --n-train 400 --n-val 200 --n-test 200 --p-maj 0.99 > /dev/null || fail "data other"
  "$DETT" check g.lua > c4.out || fail "check 4"
  d1=$(sed -n 's/^data d.h5: digest \([0-9a-f]*\).*/\1/p' c1.out)
  d4=$(sed -n 's/^data d.h5: digest \([0-9a-f]*\).*/\1/p' c4.out)
  [ "$d1" != "$d4" ] || fail "other contents, same digest $d1"
  [ "$(hashes c1.out | grep j000)" != "$(hashes c4.out | grep j000)" ] || fail "the job on d.h5 kept its hash"
  [ "$(hashes c1.out | grep j001)" = "$(hashes c4.out | grep j001)" ] || fail "the job on other.h5 changed its hash"
  # and a run does not take the old results as done (until the results file
  # is a store that grows it refuses; then the d.h5 job reruns)
  $MPIEXEC -n 1 "$DETT" run g.lua -o r.h5 > r3.out 2> r3.err
  rc=$?
  grep -q " 0 to run" r3.out && fail "stale: the regenerated data's job was taken as done"
  if [ $rc = 0 ]; then
    grep -q " 1 to run" r3.out || { cat r3.out; fail "want the d.h5 job rerun"; }
  else
    grep -q "j000 (${d1:0:12}\|in the file but" r3.err || { cat r3.err; fail "refusal should name the changed job"; }
  fi
  # the cache is one line per data file, in DETT_DIGEST_CACHE
  [ "$(grep -c "/d.h5$" digests)" = 1 ] || { cat digests; fail "want one cache line for d.h5"; }
  echo "digests: cached on reruns, rehashed on rewrite; same contents keep, other contents change the job hashes"
  ;;
jobfail)
  # real identification losses fall between the synthetic check's 0, 0.05, 0.69, 3, 30
  cat > g.lua <<'EOF'
local d = dataset "d.h5"
local t = train { data = d, arch = mlp{16}, epochs = 2 }
return grid { data = d, teacher = t, student = mlp{8}, epochs = 2,
  method = sweep{ erm{}, kd{}, dett{ weighting = function(s)
    if (s.id_loss > 0.06 and s.id_loss < 0.68) or (s.id_loss > 0.7 and s.id_loss < 2.9) then
      error("not on real data")
    end
    return 1
  end } } }
EOF
  "$DETT" check g.lua > chk.out 2>&1 || { cat chk.out; fail "check refused the grid"; }
  for k in 1 2; do
    $MPIEXEC -n 2 "$DETT" run g.lua -o r$k.h5 --ranks-per-job $k --progress lines > r$k.out 2> r$k.err
    rc=$?
    [ $rc = 3 ] || { cat r$k.out r$k.err; fail "K=$k: exit $rc, want 3 (a job failed)"; }
    grep -q "5 jobs: 4 done, 1 failed, 0 skipped" r$k.out || { cat r$k.out; fail "K=$k: want 4 done, 1 failed"; }
    grep -q "^dett: g.lua:3: j00[0-9] failed: g.lua:6: not on real data" r$k.err || { cat r$k.err; fail "K=$k: console lacks the reason"; }
    "$DETT" report r$k.h5 > rep$k.md || fail "report"
    grep -q "failed | g.lua:6: not on real data" rep$k.md || { cat rep$k.md; fail "K=$k: the results file lacks the reason"; }
  done
  echo "a weighting failing on real rows fails its job only (K = 1 and 2), reason in the file and on the console"
  ;;
diagfail)
  cat > g.lua <<'EOF'
local d = dataset "d.h5"
local t = train { data = d, arch = mlp{16}, epochs = 2 }
return grid { data = d, teacher = t, student = mlp{8}, epochs = 2,
  method = sweep{ erm{}, simkd{} } }
EOF
  # one rank alone, then the bad feature on rank 1 of a 2-rank group
  for k in 1 2; do
    if [ $k = 1 ]; then
      DETT_TEST_FAIL_DIAGNOSTICS=0 $MPIEXEC -n 1 "$DETT" run g.lua -o r$k.h5 --progress lines > r$k.out 2> r$k.err
    else
      DETT_TEST_FAIL_DIAGNOSTICS=1 $MPIEXEC -n 2 "$DETT" run g.lua -o r$k.h5 --ranks-per-job 2 \
        --progress lines > r$k.out 2> r$k.err
    fi
    rc=$?
    [ $rc = 3 ] || { cat r$k.out r$k.err; fail "K=$k: exit $rc, want 3 (a job failed)"; }
    grep -q "3 jobs: 2 done, 1 failed, 0 skipped" r$k.out || { cat r$k.out; fail "K=$k: want 2 done, 1 failed"; }
    grep -q "^dett: g.lua:3: j00[0-9] failed: diagnostics: .*student features: value 0 of local row 0 is inf" r$k.err \
      || { cat r$k.err; fail "K=$k: console lacks the reason"; }
    grep -q "MPI_ABORT" r$k.err && { cat r$k.err; fail "K=$k: aborted"; }
    "$DETT" report r$k.h5 > rep$k.md || fail "report"
    grep -q "failed | diagnostics: .*is inf" rep$k.md || { cat rep$k.md; fail "K=$k: the results file lacks the reason"; }
  done
  echo "a failing diagnostic fails its job only (1 rank, and rank 1 of a 2-rank group), reason in the file and on the console"
  ;;
damaged)
  cat > g.lua <<'EOF'
local d = dataset "d.h5"
return grid { data = d, student = mlp{8}, epochs = 1, method = erm{} }
EOF
  $MPIEXEC -n 1 "$DETT" run g.lua -o good.h5 > run.out 2>&1 || { cat run.out; fail "run"; }
  size=$(stat -c %s good.h5)
  head -c $((size / 2)) good.h5 > trunc.h5
  cp good.h5 super.h5; printf '\377' | dd of=super.h5 bs=1 seek=9 conv=notrunc 2> /dev/null
  for f in trunc super; do
    "$DETT" report $f.h5 > rep.out 2> rep.err && fail "$f: accepted"
    [ "$(wc -l < rep.err)" = 1 ] && grep -q "^dett: $f.h5: " rep.err || { cat rep.err; fail "$f: want one dett: line"; }
    # dett run refuses it on 1 and 2 ranks alike: every rank ends (before the
    # fix, rank 1 went on past the refusal and waited in a collective for
    # ever), the file is untouched, no lock or temporary file is left
    for np in 1 2; do
      cp $f.h5 w$f.h5
      timeout 120 $MPIEXEC -n $np "$DETT" run g.lua -o w$f.h5 > wrun.out 2> wrun.err; rc=$?
      [ $rc = 124 ] && fail "$f: dett run on $np ranks hung on a damaged results file"
      [ $rc = 1 ] || { cat wrun.err; fail "$f: dett run on $np ranks: exit $rc, want 1"; }
      [ "$(grep -c '^dett:' wrun.err)" = 1 ] && grep -q "^dett: w$f.h5: exists and cannot be read" wrun.err \
        || { cat wrun.err; fail "$f: dett run on $np ranks: want one dett: line naming w$f.h5"; }
      cmp -s $f.h5 w$f.h5 || fail "$f: dett run on $np ranks modified the damaged file"
      [ ! -e w$f.h5.lock ] && [ ! -e w$f.h5.tmp ] || fail "$f: dett run on $np ranks left a lock or .tmp"
    done
  done
  # bytes flipped through the object headers: whatever HDF5 makes of them,
  # never its shutdown noise (crashes inside libhdf5 are not judged here)
  n=0
  for off in $(seq 397 397 12000); do
    cp good.h5 x.h5; printf 'Z' | dd of=x.h5 bs=1 seek=$off conv=notrunc 2> /dev/null
    timeout 20 "$DETT" report x.h5 > /dev/null 2> x.err
    grep -q "infinite loop closing library" x.err && { cat x.err; fail "offset $off: HDF5 shutdown noise"; }
    [ -s x.err ] && n=$((n + 1))
  done
  [ $n -gt 0 ] || fail "no flipped byte was refused (the test lost its teeth)"
  echo "damaged results files: one-line refusals, no HDF5 shutdown noise ($n of 30 flips refused)"
  ;;
diskfull)
  small_tmpfs mnt 256
  cat > g.lua <<'EOF2'
local d = dataset "d.h5"
return grid { data = d, student = mlp{8}, epochs = 1, method = erm{} }
EOF2
  cat > grow.lua <<'EOF2'
local d = dataset "d.h5"
local t = train { data = d, arch = mlp{16}, epochs = 2 }
return grid { data = d, teacher = t, student = mlp{8}, epochs = 1, seeds = sweep{1, 2, 3},
  method = sweep{ erm{}, dett{ up = 20 } } }
EOF2
  # fill FREE_KB: fills mnt until FREE_KB are free (the filler is a plain file)
  fill() {
    rm -f mnt/filler
    local avail; avail=$(df -k --output=avail mnt | tail -1)
    [ $((avail - $1)) -le 0 ] || dd if=/dev/zero of=mnt/filler bs=1k count=$((avail - $1)) 2> /dev/null
  }
  # refused_full NP SCRIPT: dett run on mnt/r.h5 is refused for want of space
  refused_full() {
    timeout 120 $MPIEXEC -n $1 "$DETT" run $2 -o mnt/r.h5 > full.out 2> full.err; rc=$?
    [ $rc = 124 ] && fail "$2, $1 ranks, $free KB free: hung"
    [ $rc = 1 ] || { cat full.err; fail "$2, $1 ranks, $free KB free: exit $rc, want 1 (no signal)"; }
    [ "$(grep -c '^dett:' full.err)" = 1 ] || { cat full.err; fail "$2, $1 ranks, $free KB free: want one dett: line"; }
    grep -q "^dett: mnt/r.h5: not enough free space on its file system" full.err \
      || { cat full.err; fail "$2, $1 ranks, $free KB free: the line should name mnt/r.h5 and the cause"; }
    [ -z "$(ls mnt | grep -v -e '^filler$' -e '^r.h5$')" ] || { ls -la mnt; fail "$2, $1 ranks, $free KB free: stray files"; }
  }
  # a new results file (52 KB; with 128 KB free the space estimate lets it run)
  for free in 4 64 128; do
    for np in 1 2; do
      fill $free; rm -f mnt/r.h5
      if [ $free = 128 ]; then
        timeout 120 $MPIEXEC -n $np "$DETT" run g.lua -o mnt/r.h5 > full.out 2> full.err \
          || { cat full.err; fail "g.lua, $np ranks, 128 KB free: refused"; }
        "$DETT" report mnt/r.h5 > /dev/null || fail "g.lua, $np ranks, 128 KB free: report"
        [ -z "$(ls mnt | grep -v -e '^filler$' -e '^r.h5$')" ] || { ls -la mnt; fail "stray files"; }
        continue
      fi
      refused_full $np g.lua
      [ ! -e mnt/r.h5 ] || fail "a refused new file was left behind"
    done
  done
  # a complete results file that grows
  umount mnt && mount -t tmpfs -o size=2m tmpfs mnt || fail "remount"
  rm -f mnt/*
  $MPIEXEC -n 1 "$DETT" run g.lua -o mnt/r.h5 > first.out 2>&1 || { cat first.out; fail "the first run"; }
  cp mnt/r.h5 prev.h5
  (cd mnt && "$DETT" report r.h5) > prev.md || fail "report of the first run"
  for free in 4 64 128; do
    for np in 1 2; do
      fill $free
      refused_full $np grow.lua
      cmp -s prev.h5 mnt/r.h5 || fail "$np ranks, $free KB free: the previous results file changed"
      (cd mnt && "$DETT" report r.h5) > now.md 2> now.err || { cat now.err; fail "the previous file is no longer readable"; }
      cmp -s prev.md now.md || fail "the previous file reports differently"
    done
  done
  # with room it grows, and the reserve past the end of the file is given back
  rm -f mnt/filler
  $MPIEXEC -n 2 "$DETT" run grow.lua -o mnt/r.h5 > grow.out 2>&1 || { cat grow.out; fail "growing with room"; }
  grep -q "10 jobs: 10 done" grow.out || { cat grow.out; fail "want 10 jobs done"; }
  "$DETT" report mnt/r.h5 --all > all.md || fail "report after growing"
  size=$(stat -c %s mnt/r.h5); used=$(du -k mnt/r.h5 | cut -f1)
  [ $((used * 1024)) -le $((size + 65536)) ] || fail "the reserve was kept: $used KB used by a $size-byte file"
  # a rerun with nothing new still rewrites the root attributes and the
  # script's entry: on a full disk it is refused too, the file unchanged
  cp mnt/r.h5 grown.h5; free=4; fill 4
  refused_full 2 grow.lua
  cmp -s grown.h5 mnt/r.h5 || fail "a refused rerun changed the file"
  umount mnt; trap - EXIT
  echo "full disk: new and growing results files refused in one line (4, 64, 128 KB free; 1 and 2 ranks), the old file intact; with room the reserve is given back ($used KB for $size bytes)"
  ;;
*) fail "unknown case $CASE" ;;
esac
echo "1 passed, 0 failed"
