#!/usr/bin/env bash
# One fuzz target's ctest entry (tests/fuzz.cmake):
#   fuzz_target.sh BINARY SECONDS DICT OUTDIR EXTERNAL SEEDS_DIR...
# 1. every seed and regression input runs once and must pass;
# 2. the target fuzzes for SECONDS in a child process (-fork=1) that goes
#    on past findings, new inputs into OUTDIR/corpus, findings into
#    OUTDIR/crash-*, leak-*, timeout-*, oom-*;
# 3. each finding is run again and fails the test unless every stack that
#    locates it (where it happened, and where a bad buffer was allocated)
#    starts in a shared library whose path matches the regex EXTERNAL
#    ("libhdf5": the known defects of HDF5 1.10 on damaged files, see
#    docs/reliability.md; "" excuses nothing). Frames of the sanitizers,
#    libFuzzer and libc are skipped when finding where a stack starts; a
#    finding that does not happen again when run alone is listed only.
set -u
BIN=$1; SECS=$2; DICT=$3; OUT=$4; EXTERNAL=$5; shift 5
mkdir -p "$OUT/corpus"
# everything below is also kept in OUT/summary.txt (tests/fuzz/run.sh shows it)
exec > >(tee "$OUT/summary.txt") 2>&1
rm -f "$OUT"/crash-* "$OUT"/leak-* "$OUT"/timeout-* "$OUT"/oom-* "$OUT"/slow-unit-*
common=(-timeout=5 -rss_limit_mb=2048 -dict="$DICT")
echo "== seeds and regression inputs"
"$BIN" "${common[@]}" -runs=0 "$@" > "$OUT/seeds.log" 2>&1 \
  || { tail -60 "$OUT/seeds.log"; echo "FAILED: a seed or regression input fails"; exit 1; }
grep -E "INITED|Done" "$OUT/seeds.log"
echo "== fuzzing for $SECS s"
"$BIN" "${common[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$SECS" -artifact_prefix="$OUT/" "$OUT/corpus" "$@" > "$OUT/fuzz.log" 2>&1
grep -E "^#[0-9]+:" "$OUT/fuzz.log" | tail -1
# where_starts REPORT (tests/fuzz/triage.sh): where each stack of a report starts
. "$(dirname "$0")/triage.sh"
fail=0
for f in "$OUT"/crash-* "$OUT"/leak-* "$OUT"/timeout-* "$OUT"/oom-*; do
  [ -e "$f" ] || continue
  opts=${ASAN_OPTIONS:-}
  case $f in */leak-*) opts="$opts:fast_unwind_on_malloc=0" ;; esac   # whole stacks
  ASAN_OPTIONS=$opts timeout 120 "$BIN" -timeout=5 -rss_limit_mb=2048 "$f" > "$f.txt" 2>&1
  starts=$(where_starts "$f.txt" | sort -u | tr '\n' ' ')
  verdict=external
  # no report when run alone (a leak or timeout that needs the fuzzing
  # process's earlier inputs): listed, not counted
  [ -n "$starts" ] || verdict=unreproduced
  for w in $starts; do
    if [ -z "$EXTERNAL" ] || ! [[ $w == /* && $w =~ $EXTERNAL ]] || [[ $w =~ \.[ch]:[0-9]+$ ]]; then
      verdict=ours
    fi
  done
  what=$(grep -m1 -oE "ERROR: [A-Za-z]+: [A-Za-z-]+( [a-z-]+)?|runtime error: .{0,60}" "$f.txt")
  echo "$verdict  $(basename "$f")  ${what:-no report on rerun}  [starts in: ${starts:-?}]"
  [ $verdict = ours ] && fail=1
done
if [ $fail = 1 ]; then echo "FAILED: findings in dett's code (reports in $OUT/*.txt)"; exit 1; fi
echo "no findings in dett's code"
