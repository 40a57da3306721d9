#!/usr/bin/env bash
# The fuzz triage rule (tests/fuzz/triage.sh) on reports of a real finding
# (fuzz_dataset, a damaged global heap: memcpy-param-overlap inside
# libhdf5's H5HG_read, reached from dett's h5attr_get_text), trimmed:
#  1. symbolized: the top frame is ASan's __interceptor_memcpy, in the fuzz
#     binary -> starts in libhdf5;
#  2. the same unsymbolized (ASan printed no names): the interceptor's frame
#     is named through the symbolizer -> starts in libhdf5 (before the fix,
#     the fuzz binary: counted as dett's);
#  3. a fault in dett's own code, unsymbolized -> dett's;
#  4. a frame no symbolizer can name -> dett's (conservative).
# A fake symbolizer stands in for llvm-symbolizer (no fuzz build needed).
#   triage_test.sh TESTS_FUZZ_DIR
set -u
DIR=$1
fail() { echo "FAILED: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
BIN=/build-fuzz/tests/fuzz_dataset
cat > "$tmp/sym" <<'SH'
#!/bin/sh
case $1 in 0x873a5) echo __interceptor_memcpy ;; 0xf012e) echo malloc ;;
  0x1c0d5) echo h5attr_get_text ;; *) echo '??' ;; esac
echo '??:0:0'
SH
chmod +x "$tmp/sym"
SYM="$tmp/sym"
. "$DIR/triage.sh"
H=/lib/x86_64-linux-gnu/libhdf5_openmpi.so.103
cat > "$tmp/named.txt" <<R
==22239==ERROR: AddressSanitizer: memcpy-param-overlap: memory ranges [0x621000055108,0x621000a9512e) and [0x621000057960, 0x621000a97986) overlap
    #0 0x55a9057913a5 in __interceptor_memcpy ($BIN+0x873a5) (BuildId: 91e9e346c32977ab5d33c438ad92f83848283eee)
    #1 0x7f50a956d62c in H5HG_read ($H+0x16d62c) (BuildId: 817a0eaf3ab5b1494dcea47553c9ddcf5e85df88)
    #7 0x55a905845e75 in h5attr_get_text /work/runtime/format/h5attr.c:226:9

0x621000056108 is located 0 bytes to the right of 4104-byte region [0x621000055100,0x621000056108)
allocated by thread T0 here:
    #0 0x55a9057fa12e in malloc ($BIN+0xf012e) (BuildId: 91e9e346c32977ab5d33c438ad92f83848283eee)
    #1 0x7f50a95294b3  ($H+0x1294b3) (BuildId: 817a0eaf3ab5b1494dcea47553c9ddcf5e85df88)
R
sed -e 's/ in [A-Za-z_0-9]* (/  (/' "$tmp/named.txt" > "$tmp/bare.txt"
grep -q ' in __interceptor_memcpy' "$tmp/bare.txt" && fail "the unsymbolized copy still has names"
cat > "$tmp/ours.txt" <<R
==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000010
    #0 0x55a9056710d5  ($BIN+0x1c0d5) (BuildId: 91e9e346c32977ab5d33c438ad92f83848283eee)
    #1 0x7f50a956d62c  ($H+0x16d62c) (BuildId: 817a0eaf3ab5b1494dcea47553c9ddcf5e85df88)
R
sed -e 's/+0x1c0d5/+0x99999/' "$tmp/ours.txt" > "$tmp/unknown.txt"
check() {   # check REPORT WANT: every stack of REPORT starts in WANT
  local got; got=$(where_starts "$tmp/$1" | sort -u | tr '\n' ' ')
  [ "$got" = "$2 " ] || fail "$1: stacks start in '$got', want '$2'"
  echo "ok: $1 starts in $2"
}
check named.txt "$H"
check bare.txt "$H"
check ours.txt "$BIN"
check unknown.txt "$BIN"
echo "1 passed, 0 failed"
