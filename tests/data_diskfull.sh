#!/usr/bin/env bash
# `dett data` on a full disk: one "dett:" line naming the file, exit 1, no
# signal, no stray .tmp file (every builder, npz and npy included, writes
# through the same dataset_write). Two ways to fill the disk:
#   - an injected write failure (always): FILE.h5.tmp is a symbolic link to
#     /dev/full, so the importer's write fails with ENOSPC;
#   - a 64 KB tmpfs (as root only; skipped with a message otherwise).
#   data_diskfull.sh DETT TESTS_DIR
set -u
DETT=$1; SRC=$2
fail() { echo "FAILED: $*"; exit 1; }
dir=diskfull_$$
rm -rf "$dir"; mkdir -p "$dir" || fail "mkdir"
printf 'y,g,v\n' > "$dir/in.csv"
for r in $(seq 0 199); do printf '%d,%d,%d.5\n' $((r % 2)) $((r / 2 % 2)) $((r % 7)) >> "$dir/in.csv"; done

expect_full() {   # expect_full OUT.h5 -- command...
  local out=$1; shift 2
  "$@" > "$dir/out.txt" 2> "$dir/err.txt"; local rc=$?
  [ $rc = 1 ] || fail "exit $rc (want 1) for: $*: $(cat "$dir/err.txt")"
  [ "$(grep -c '^dett:' "$dir/err.txt")" = 1 ] || fail "want one dett: line for: $*: $(cat "$dir/err.txt")"
  grep -q "^dett: $out: cannot write: No space left on device" "$dir/err.txt" \
    || fail "message does not name $out and the cause: $(cat "$dir/err.txt")"
  [ ! -e "$out" ] && [ ! -L "$out.tmp" ] && [ ! -e "$out.tmp" ] || fail "left $out or $out.tmp behind"
  echo "ok: $(cat "$dir/err.txt")"
}

# injected: the temporary file is /dev/full
for kind in synth csv; do
  out=$dir/inj_$kind.h5
  ln -s /dev/full "$out.tmp" || fail "symlink"
  if [ $kind = synth ]; then
    expect_full "$out" -- "$DETT" data synth -o "$out"
  else
    expect_full "$out" -- "$DETT" data csv "$dir/in.csv" -o "$out" --label y --attr g
  fi
done

# a real full filesystem
mnt=$dir/full
mkdir -p "$mnt"
if mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null; then
  trap 'umount "$mnt" 2>/dev/null' EXIT
  expect_full "$mnt/s.h5" -- "$DETT" data synth -o "$mnt/s.h5"
  # fill it to the last byte, then a small CSV import fails too
  dd if=/dev/zero of="$mnt/filler" bs=1k count=1000 2>/dev/null
  expect_full "$mnt/c.h5" -- "$DETT" data csv "$dir/in.csv" -o "$mnt/c.h5" --label y --attr g
  umount "$mnt"; trap - EXIT
else
  echo "skipped the tmpfs case: cannot mount a tmpfs here (not root?); the injected case ran"
fi
rm -rf "$dir"
echo "1 passed, 0 failed"
