# triage.sh - sourced by fuzz_target.sh (and tests/fuzz/triage_test.sh):
# where_starts REPORT prints, for each stack of interest in a sanitizer or
# libFuzzer report, the module (or source file) of its first frame that is
# not sanitizer, libFuzzer or libc code. Needs BIN (the fuzz binary); SYM
# (a command that prints the function at an offset of BIN) is chosen here
# unless set.
# The sanitizers' runtime (interceptors such as __interceptor_memcpy,
# __asan_memcpy, __sanitizer_*) is linked into the fuzz binary itself, like
# dett's code, so a frame is judged by its function's name, never by its
# module alone: a frame ASan printed without a name (its symbolizer missing
# or failing: "#0 0x55.. (/path/fuzz_dataset+0x873a5)") is named first with
# llvm-symbolizer (or addr2line). A frame that still has no name counts as
# dett's (conservative).
if [ -z "${SYM+set}" ]; then
  if command -v llvm-symbolizer > /dev/null; then SYM="llvm-symbolizer --obj=$BIN"
  elif command -v addr2line > /dev/null; then SYM="addr2line -f -e $BIN"
  else SYM=""; fi
fi
where_starts() {
  awk -v bin="$BIN" -v sym="$SYM" '
    # the function at offset off of the fuzz binary, "" if unknown
    function name_of(off,   cmd, out) {
      if (sym == "") return ""
      cmd = sym " " off " 2> /dev/null"; out = ""
      cmd | getline out; close(cmd)
      return out == "??" ? "" : out
    }
    /ERROR: AddressSanitizer|ERROR: UndefinedBehaviorSanitizer|ERROR: libFuzzer|runtime error:|^(Direct|Indirect) leak|allocated by thread|freed by thread|ERROR: LeakSanitizer/ { want = 1; next }
    want && /^ *#[0-9]+ / {
      line = $0
      # an unnamed frame of the fuzz binary: name it
      if (line !~ / in / && match(line, /\([^()]*\+0x[0-9a-f]+\)/)) {
        mod = substr(line, RSTART + 1, RLENGTH - 2); off = mod
        sub(/\+0x[0-9a-f]+$/, "", mod); sub(/^.*\+/, "", off)
        if (mod == bin) { fn = name_of(off); if (fn != "") line = line " in " fn }
      }
      if (line ~ / in (__interceptor_|___interceptor_|__asan|___asan|__sanitizer|__lsan|__ubsan|malloc|calloc|realloc|free|strdup|strndup|memcpy|memmove|memset|fuzzer::|__libc_|_start|__mem|__str)/) next
      if (line ~ /(libc\.so|ld-linux|libpthread|libgcc_s|libstdc\+\+)/) next
      if (line ~ / (string|sysdeps|csu|nptl|libio|stdlib|malloc|debug|signal)\//) next   # glibc sources
      if (match(line, /\((\/[^+)]*)\+0x/)) where = substr(line, RSTART + 1, RLENGTH - 4)
      else if (match(line, / \/[^ ]*\.[ch]:[0-9]+/)) where = substr(line, RSTART + 1, RLENGTH - 1)
      else where = "?"
      print where; want = 0
    }' "$1"
}
