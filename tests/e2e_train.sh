#!/usr/bin/env bash
# End-to-end checks of `dett data` and `dett train`.
#   e2e_train.sh DETT MPIEXEC TAG CASE
# CASE: bias        ERM on the default synthetic data shows the bias; group
#                   DRO closes most of it
#       determinism the same job on 1, 2 and 4 ranks: identical parameters
#                   and metrics, bit for bit
#       errors      bad input: one "dett: ..." line, non-zero exit, no output file
set -u
DETT=$1; MPIEXEC=$2; TAG=$3; CASE=$4
fail() { echo "FAILED: $*"; exit 1; }
data=e2e_$TAG.h5
rm -f "$data"
"$DETT" data synth -o "$data" > /dev/null || fail "dett data synth"

# test worst-group / average accuracy (%) from the printed table
col() { awk -v k="$2" '$0 ~ "^"k { print $NF }' "$1"; }

case $CASE in
bias)
  $MPIEXEC -n 2 "$DETT" train --data "$data" --method erm --epochs 10 > erm_$TAG.out || fail "erm run"
  $MPIEXEC -n 2 "$DETT" train --data "$data" --method groupdro --epochs 20 > dro_$TAG.out || fail "groupdro run"
  ew=$(col erm_$TAG.out worst-group); ea=$(col erm_$TAG.out average)
  dw=$(col dro_$TAG.out worst-group)
  echo "erm: worst $ew avg $ea; groupdro: worst $dw"
  awk -v w="$ew" -v a="$ea" 'BEGIN { exit !(a > 90 && a - w > 12) }' \
    || fail "ERM should be biased: average $ea, worst-group $ew"
  awk -v e="$ew" -v d="$dw" 'BEGIN { exit !(d > e + 8) }' \
    || fail "group DRO worst-group $dw should be far above ERM's $ew"
  ;;
determinism)
  for np in 1 2 4; do
    $MPIEXEC -n $np "$DETT" train --data "$data" --method groupdro --epochs 3 \
      --batch 96 --micro-shards 8 | grep -v -e "seconds" -e "rank" > det_${TAG}_$np.out \
      || fail "run with $np ranks"
  done
  grep -q checksum det_${TAG}_1.out || fail "no checksum printed"
  cmp det_${TAG}_1.out det_${TAG}_2.out || { diff det_${TAG}_1.out det_${TAG}_2.out; fail "1 vs 2 ranks differ"; }
  cmp det_${TAG}_1.out det_${TAG}_4.out || { diff det_${TAG}_1.out det_${TAG}_4.out; fail "1 vs 4 ranks differ"; }
  # both forms of the allreduce (pairs is the default at 2 ranks, scatter at 4)
  for algo in scatter pairs; do
    for np in 2 4; do
      DETT_ALLREDUCE=$algo $MPIEXEC -n $np "$DETT" train --data "$data" --method groupdro --epochs 3 \
        --batch 96 --micro-shards 8 | grep -v -e "seconds" -e "rank" > det_${TAG}_${algo}_$np.out \
        || fail "run with $np ranks, DETT_ALLREDUCE=$algo"
      cmp det_${TAG}_1.out det_${TAG}_${algo}_$np.out || fail "1 rank vs $np ranks with $algo differ"
    done
  done
  # the per-shard step (runtime/train/step.h) gives the stacked step's bits
  for np in 1 2; do
    DETT_STEP=pershard $MPIEXEC -n $np "$DETT" train --data "$data" --method groupdro --epochs 3 \
      --batch 96 --micro-shards 8 | grep -v -e "seconds" -e "rank" > det_${TAG}_ps_$np.out \
      || fail "run with $np ranks, DETT_STEP=pershard"
    cmp det_${TAG}_1.out det_${TAG}_ps_$np.out || fail "stacked vs per-shard step differ ($np ranks)"
  done
  cat det_${TAG}_1.out
  ;;
errors)
  expect() {   # expect CODE FRAGMENT -- command...
    local code=$1 frag=$2; shift 3
    "$@" > out_$TAG.txt 2> err_$TAG.txt; local rc=$?
    [ $rc = "$code" ] || fail "exit $rc (want $code) for: $*: $(cat err_$TAG.txt)"
    grep -q -- "$frag" err_$TAG.txt || fail "message '$(cat err_$TAG.txt)' lacks '$frag' for: $*"
    [ "$(grep -c "^dett:" err_$TAG.txt)" = 1 ] || fail "want exactly one dett: line for: $*"
  }
  expect 2 "unknown option '--bogus'" -- "$DETT" train --data "$data" --bogus 1
  expect 2 "--data FILE.h5 is required" -- "$DETT" train
  expect 1 "DETT_STEP=bogus: expected stacked or pershard" -- env DETT_STEP=bogus "$DETT" train --data "$data" --epochs 1
  expect 1 "DETT_LAYOUT=bogus: expected auto or plain" -- env DETT_LAYOUT=bogus "$DETT" train --data "$data" --epochs 1
  expect 2 "--epochs: 'x' is not an integer" -- "$DETT" train --data "$data" --epochs x
  expect 2 "--arch: 'mlp:a'" -- "$DETT" train --data "$data" --arch mlp:a
  expect 2 "runs erm or groupdro" -- "$DETT" train --data "$data" --method dett
  expect 1 "nope.h5" -- "$DETT" train --data nope.h5
  echo "not hdf5" > bad_$TAG.h5
  expect 1 "bad_$TAG.h5" -- "$DETT" train --data bad_$TAG.h5
  expect 2 "unknown command 'bogus'" -- "$DETT" bogus
  expect 1 "smaller than the 8 micro-shards" -- "$DETT" train --data "$data" --batch 4
  expect 2 "does not divide" -- $MPIEXEC -n 2 "$DETT" train --data "$data" --ranks-per-job 4
  expect 2 "--momentum: 1 is out of range" -- "$DETT" train --data "$data" --momentum 1
  expect 2 "--eta: 0 is out of range" -- "$DETT" train --data "$data" --method groupdro --eta 0
  expect 1 "dett: $data: training failed: loss became" -- "$DETT" train --data "$data" --lr 1e12 --epochs 2
  expect 2 "--p-maj" -- "$DETT" data synth -o never_$TAG.h5 --p-maj 2
  [ ! -e never_$TAG.h5 ] || fail "a refused dett data left a file"
  echo "all error cases refused cleanly"
  ;;
*) fail "unknown case $CASE" ;;
esac
echo "1 passed, 0 failed"
