#!/usr/bin/env bash
# One option syntax for every subcommand (cli/opts.h), end to end:
#   e2e_cli.sh DETT MPIEXEC REFERENCE_MD
# 1. `dett CMD --help` (and -h, and `dett help CMD`) for every command and
#    data generator: usage on stdout, nothing on stderr, exit 0; every long
#    option it lists is in docs/reference.md; under mpiexec -n 2, one copy.
# 2. an unknown option: exit 2, nothing on stdout, exactly one stderr line
#    "dett: CMD: unknown option '--no-such' (try 'dett CMD --help')";
#    likewise a missing value and a value given to a flag.
# 3. --opt=VALUE gives what --opt VALUE gives, for representative options
#    of every command (data files byte for byte, train tables, run results
#    through report, report text, export archives).
# 4. -o/--output for every command that writes a file: data, run, export,
#    report.
# 5. dett train's table is in percent.
set -u
DETT=$1; MPIEXEC=$2; REF=$3
fail() { echo "FAILED: $*"; exit 1; }
rm -rf cli_work && mkdir cli_work && cd cli_work || fail "work dir"

# ---- 1. --help everywhere ----------------------------------------------------
CMDS=("" "data" "data synth" "data cfmnist" "data dominoes" "data csv" "data npz" "data npy"
      "train" "check" "run" "report" "export")
for c in "${CMDS[@]}"; do
  for h in --help -h; do
    # shellcheck disable=SC2086
    "$DETT" $c $h > help.out 2> help.err; rc=$?
    [ $rc = 0 ] || fail "dett $c $h: exit $rc"
    [ -s help.out ] || fail "dett $c $h: nothing on stdout"
    [ ! -s help.err ] || fail "dett $c $h: stderr: $(cat help.err)"
  done
  # shellcheck disable=SC2086
  "$DETT" help $c > help2.out 2> help.err || fail "dett help $c"
  cmp -s help.out help2.out || fail "dett help $c differs from dett $c --help"
  # every option of --help is in the reference (data: the generator's own)
  for o in $(grep -o -- '--[a-z][a-z-]*' help.out | sort -u); do
    grep -q -- "$o" "$REF" || fail "dett $c --help lists $o, docs/reference.md does not"
  done
done
echo "--help: ${#CMDS[@]} commands, stdout, exit 0, every option in the reference"
# under a launcher, one copy of the usage (rank 0's)
for c in "data synth" train check run report export; do
  # shellcheck disable=SC2086
  $MPIEXEC -n 2 "$DETT" $c --help > help.out 2> help.err || fail "mpiexec -n 2 dett $c --help"
  [ "$(grep -c '^usage' help.out)" = 1 ] || fail "mpiexec -n 2 dett $c --help: not one usage"
done

# ---- 2. usage errors: one line, exit 2 ----------------------------------------
usage_error() {   # usage_error FRAGMENT CMD-WORDS... -- ARGS...
  local frag=$1; shift
  local words=() args=()
  while [ "$1" != -- ]; do words+=("$1"); shift; done; shift
  args=("$@")
  "$DETT" "${words[@]}" "${args[@]}" > ue.out 2> ue.err; local rc=$?
  [ $rc = 2 ] || fail "dett ${words[*]} ${args[*]}: exit $rc, want 2: $(cat ue.err)"
  [ ! -s ue.out ] || fail "dett ${words[*]} ${args[*]}: wrote to stdout"
  [ "$(wc -l < ue.err)" = 1 ] || fail "dett ${words[*]} ${args[*]}: not one line: $(cat ue.err)"
  grep -q -- "^dett: ${words[*]}: $frag" ue.err \
    || fail "dett ${words[*]} ${args[*]}: '$(cat ue.err)' lacks 'dett: ${words[*]}: $frag'"
  grep -q -- "(try 'dett ${words[*]} --help')$" ue.err \
    || fail "dett ${words[*]} ${args[*]}: no hint: $(cat ue.err)"
}
for c in "data synth" "data csv" "data npz" "train" "check" "run" "report" "export"; do
  # shellcheck disable=SC2086
  usage_error "unknown option '--no-such'" $c -- --no-such 1
  # shellcheck disable=SC2086
  usage_error "unknown option '--no-such'" $c -- --no-such=1
done
usage_error "-o needs a value" run -- g.lua -o
usage_error "--force takes no value" run -- g.lua -o r.h5 --force=yes
usage_error "--epochs: 'x' is not an integer" train -- --data d.h5 --epochs=x
usage_error "--progress" run -- g.lua -o r.h5 --progress=sometimes
usage_error "--format: 'doc' is not md" report -- r.h5 --format=doc
usage_error "--what: 'all' is not" export -- r.h5 j000 -o x.npz --what=all
usage_error "--seed given twice" data synth -- -o x.h5 --seed 1 --seed=2
usage_error "unknown option '-q'" data synth -- -q -o x.h5
"$DETT" > ue.out 2> ue.err; [ $? = 2 ] && [ "$(wc -l < ue.err)" = 1 ] || fail "bare dett"
[ ! -e x.h5 ] || fail "a refused command wrote x.h5"
echo "usage errors: one line with the hint, exit 2"

# ---- 3 and 4. --opt=V = --opt V; -o/--output -----------------------------------
"$DETT" data synth -o a.h5 --n-train 800 --n-val 200 --n-test 200 --seed 3 > /dev/null \
  || fail "data synth, spaced"
"$DETT" data synth --output=b.h5 --n-train=800 --n-val=200 --n-test=200 --seed=3 > /dev/null \
  || fail "data synth, ="
cmp -s a.h5 b.h5 || fail "data synth: --opt=V and --opt V give different files"

strip() { grep -v -e seconds -e '^job:' "$1"; }
"$DETT" train --data a.h5 --method groupdro --eta 0.02 --epochs 2 --batch 32 \
  --select val-avg --sampler rows --lr 0.05 > t1.out || fail "train, spaced"
"$DETT" train --data=a.h5 --method=groupdro --eta=0.02 --epochs=2 --batch=32 \
  --select=val-avg --sampler=rows --lr=0.05 > t2.out || fail "train, ="
# options after a method key, the key before --method: the same job
"$DETT" train --eta=0.02 --lr 0.05 --data a.h5 --epochs 2 --batch=32 --select val-avg \
  --sampler rows --method groupdro > t3.out || fail "train, reordered"
[ "$(strip t1.out)" = "$(strip t2.out)" ] || fail "train: --opt=V differs from --opt V"
[ "$(strip t1.out)" = "$(strip t3.out)" ] || fail "train: the option order changed the job"
grep -q "val acc %  test acc %" t1.out || { cat t1.out; fail "train: no percent header"; }
awk '/^worst-group/ { exit !($NF > 1 && $NF <= 100) }' t1.out \
  || { cat t1.out; fail "train: worst-group not in percent"; }

mkdir -p lib sub
echo 'return { epochs = 2 }' > lib/common.lua
{ echo 'local c = include "../lib/common.lua"'
  echo 'local d = dataset "a.h5"'
  echo 'return grid { data = d, epochs = c.epochs, batch = 64, seeds = sweep{1, 2},'
  echo '  student = mlp{8}, method = sweep{ erm{}, groupdro{} } }'; } > sub/g.lua
"$DETT" check sub/g.lua > /dev/null 2>&1 && fail "check read outside the script's tree"
"$DETT" check sub/g.lua --include-path lib > c1.out || fail "check, spaced"
"$DETT" check --include-path=lib sub/g.lua > c2.out || fail "check, ="
[ "$(grep -v "^data " c1.out)" = "$(grep -v "^data " c2.out)" ] || fail "check: --include-path=DIR differs"
grep -q "^4 jobs" c1.out || { cat c1.out; fail "check: 4 jobs"; }

$MPIEXEC -n 1 "$DETT" run sub/g.lua -o r1.h5 --include-path lib --progress lines \
  --ranks-per-job 1 --micro-shards 8 --checkpoint-every 0 > run1.out || { cat run1.out; fail "run, spaced"; }
$MPIEXEC -n 1 "$DETT" run --output=r2.h5 --include-path=lib sub/g.lua --progress=lines \
  --ranks-per-job=1 --micro-shards=8 --checkpoint-every=0 > run2.out || { cat run2.out; fail "run, ="; }
"$DETT" report r1.h5 --format csv --select val-avg > rep1.csv || fail "report, spaced"
"$DETT" report --format=csv --select=val-avg --output=rep2.csv r2.h5 > rep2.out \
  || fail "report, ="
[ ! -s rep2.out ] || fail "report -o also wrote to stdout"
"$DETT" report r1.h5 --format=csv --select=val-avg -o rep3.csv || fail "report -o"
sed 's/r2\.h5/r1.h5/g' rep2.csv | cmp -s rep1.csv - || { diff rep1.csv rep2.csv; fail "report: the = forms differ"; }
cmp -s rep1.csv rep3.csv || fail "report -o FILE differs from stdout"

J=$(awk '$2 == "student" { print $1; exit }' c1.out)
"$DETT" export r1.h5 "$J" -o x1.npz --what student > /dev/null || fail "export -o"
"$DETT" export r1.h5 "$J" --output=x2.npz --what=student > /dev/null || fail "export --output="
[ -s x1.npz ] && [ "$(stat -c %s x1.npz)" = "$(stat -c %s x2.npz)" ] || fail "export: the forms differ"
echo "--opt=VALUE = --opt VALUE for data, train, check, run, report, export; -o everywhere"
echo "1 passed, 0 failed"
