#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Memory and undefined-behaviour checking of the test suite (issue 7):
#
#   1. a gcc ASan + UBSan build of its own (BUILDDIR/sanitize), leak
#      checking on, G_SLICE=always-malloc; the C tests (suites c, hostile,
#      remote (the HTTP client against nginx) and a shorter stress) run there;
#   2. the Python tests run against that build with gcc's ASan runtime
#      preloaded into the interpreter (leak checking off: CPython itself
#      is not leak-clean);
#   3. the C tests (suites c and hostile) under valgrind memcheck, on the
#      regular build BUILDDIR (the 'valgrind' test setup of meson.build).
#
# Any sanitizer report, any valgrind error or definite leak fails. The only
# suppressions are GLib's own known leaks (tests/sanitizers/lsan.supp) and
# valgrind's false positives (tests/sanitizers/valgrind.supp), each with its
# reason.
#
#   .ci/sanitize-and-valgrind.sh [BUILDDIR]        (default: $BUILDDIR, else build)
#
# Environment: SANITIZE_PARTS="asan python valgrind" to run only some parts;
# FSCACHE_STRESS_SECONDS for the stress tests under ASan (default 4).
#
# The last line is `sanitize: N passed, N failed`; the exit status is 0 when
# every part passed. Timings and results also go to
# BUILDDIR/meson-logs/sanitize-figures.txt.

set -u

srcdir=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
builddir=${1:-${BUILDDIR:-build}}
case $builddir in /*) ;; *) builddir=$srcdir/$builddir ;; esac
asandir=$builddir/sanitize
parts=${SANITIZE_PARTS:-asan python valgrind}
jobs=$(nproc 2>/dev/null || echo 2)

passed=0
failed=0
figures="== sanitizers and valgrind"
now() { date +%s; }
note() {
  # note PART STATUS SECONDS DETAIL
  local verdict=ok
  if [ "$2" -ne 0 ]; then verdict=FAILED; failed=$((failed + 1)); else passed=$((passed + 1)); fi
  figures+=$'\n'"$(printf '  %-34s %-6s %4d s  %s' "$1" "$verdict" "$3" "$4")"
  echo "== sanitize: $1: $verdict ($3 s)"
}
results() {
  # A one-line count of a meson test log, then a line per test that did not
  # pass, with the first line of its output that says why: CI shows only
  # the end of the output, where these figures are.
  /usr/bin/python3 - "$1" <<'EOF'
import json, re, sys
counts = {}
bad = []
why = re.compile(r"ERROR|Bail out|^not ok|runtime error|Sanitizer|Invalid|definitely lost|Traceback")
try:
    for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
        if line.strip():
            try:
                t = json.loads(line)
            except ValueError:
                t = {"name": "(a line of the log that is not JSON)", "result": "?"}
            r = t.get("result", "?")
            counts[r] = counts.get(r, 0) + 1
            if r not in ("OK", "SKIP", "EXPECTEDFAIL"):
                out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
                first = next((l.strip() for l in out.splitlines() if why.search(l)), "")
                bad.append(f"{t.get('name', '?')} {r}: {first[:200]}")
except OSError:
    pass
print(", ".join(f"{v} {k.lower()}" for k, v in sorted(counts.items())) or "no log")
for b in bad:
    print(f"      {b}")
EOF
}

asan_lib=$(gcc -print-file-name=libasan.so)
lsan_supp=$srcdir/tests/sanitizers/lsan.supp
asan_env=(
  "ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=1:detect_stack_use_after_return=0:strict_string_checks=1:check_initialization_order=1"
  "LSAN_OPTIONS=suppressions=$lsan_supp:print_suppressions=0"
  "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"
  "G_SLICE=always-malloc"
  "FSCACHE_STRESS_SECONDS=${FSCACHE_STRESS_SECONDS:-4}"
  "FSCACHE_STRESS_PROCS=${FSCACHE_STRESS_PROCS:-6}"
  "FSCACHE_CRASH_SECONDS=${FSCACHE_CRASH_SECONDS:-7}"
  "FSCACHE_CRASH_MIN_KILLS=${FSCACHE_CRASH_MIN_KILLS:-28}"
  "FSCACHE_CRASHPOINT_REPS=${FSCACHE_CRASHPOINT_REPS:-2}"
  "FSCACHE_CRASH_MATRIX=${FSCACHE_CRASH_MATRIX:-diagonal}"
)

# ---------------------------------------------------------------------------
# 1. gcc ASan + UBSan build, C tests
if [[ " $parts " == *" asan "* || " $parts " == *" python "* ]]; then
  t0=$(now)
  status=0
  if [ ! -f "$asandir/build.ninja" ]; then
    rm -rf "$asandir"
    CC=gcc meson setup "$asandir" "$srcdir" \
      --buildtype=debugoptimized -Db_sanitize=address,undefined -Ddocs=false -Dwerror=false \
      >"$builddir/sanitize-setup.log" 2>&1 || status=$?
    if [ $status -ne 0 ]; then
      tail -30 "$builddir/sanitize-setup.log"
    fi
  fi
  if [ $status -eq 0 ]; then
    # The introspection dumper runs an ASan binary during the build: no
    # leak checking there. -k 0: a part that does not build (the bindings
    # of someone else's work in progress) does not stop the rest.
    ASAN_OPTIONS=detect_leaks=0 ninja -C "$asandir" -k 0 >"$asandir/build.log" 2>&1 ||
      { echo "== sanitize: the ASan build had failures (see $asandir/build.log):"; grep -m5 -A3 FAILED "$asandir/build.log"; }
  fi
  tb=$(now)
  note "ASan+UBSan build (gcc)" "$status" $((tb - t0)) "$asandir"

  if [[ " $parts " == *" asan "* && $status -eq 0 ]]; then
    t0=$(now)
    # Timeouts are there to catch hangs, not to time: an instrumented binary
    # is several times slower, and a loaded machine slower still (test-crash
    # took 77 s of its 120 s here alone, and ran past them with two more
    # busy processes), hence the multiplier.
    env "${asan_env[@]}" meson test -C "$asandir" --no-rebuild --print-errorlogs \
      --timeout-multiplier 3 --num-processes "$jobs" --suite c --suite hostile --suite stress --suite remote \
      >"$asandir/test-asan.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|ERROR|TIMEOUT)' "$asandir/test-asan.log"
    [ $rc -ne 0 ] && grep -E -m20 -A12 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$asandir/meson-logs/testlog.txt"
    note "C tests under ASan+UBSan" "$rc" $(($(now) - t0)) "$(results "$asandir/meson-logs/testlog.json")"
  fi
fi

# ---------------------------------------------------------------------------
# 2. Python tests with the ASan runtime preloaded
if [[ " $parts " == *" python "* && -f "$asandir/build.ninja" ]]; then
  t0=$(now)
  rm -f "$asandir"/meson-logs/testlog-python*
  env G_SLICE=always-malloc meson test -C "$asandir" --no-rebuild --print-errorlogs \
    --num-processes "$jobs" --suite python --logbase testlog-python \
    --wrapper "env LD_PRELOAD=$asan_lib ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1" \
    >"$asandir/test-python.log" 2>&1
  rc=$?
  # (meson names the log after the --logbase and the wrapper)
  pylog=$(ls "$asandir"/meson-logs/testlog-python*.json 2>/dev/null | head -1)
  if [ -z "$pylog" ] || ! grep -q '"result"' "$pylog"; then
    rc=1
    echo "== sanitize: no Python test ran (is introspection built in $asandir?)"
  fi
  [ $rc -ne 0 ] && tail -30 "$asandir/test-python.log"
  note "Python tests, ASan preloaded" "$rc" $(($(now) - t0)) "$(results "${pylog:-none}")"
fi

# ---------------------------------------------------------------------------
# 3. valgrind memcheck on the regular build
if [[ " $parts " == *" valgrind "* ]]; then
  t0=$(now)
  if ! command -v valgrind >/dev/null 2>&1; then
    note "C tests under valgrind" 1 0 "valgrind is not installed"
  elif [ ! -f "$builddir/build.ninja" ]; then
    note "C tests under valgrind" 1 0 "$builddir is not configured (run make build first)"
  else
    # Four cases of test-store-tree copy and hash tens of MiB to be sure a
    # cancellation or a progress report falls in the middle of a file: 46 s
    # of the 75 s the program takes under valgrind, for code paths the
    # small cases there walk too. They run in the regular and ASan runs.
    # The same for the every-prefix cases of test-hostile-corrupt (each
    # metadata file cut at every length: about 25 s here); its garbage
    # cases still put every file through valgrind.
    # (-s: GLib's skip; the other test programs have no such path.)
    skip_big=(-s /store-tree/export/failures -s /store-tree/async/progress-in-context
      -s /store-tree/cancel/mid-copy -s /store-tree/progress/monotonic)
    for f in cache.info cache.size objects/e0/object.info journal/size.intent \
      journal/uuid-0123456789abcdef0123456789abcdef journal/uuid-fedcba9876543210fedcba9876543210; do
      skip_big+=(-s "/hostile/corrupt/every-prefix/$f")
    done
    FSCACHE_CRASH_MATRIX=${FSCACHE_CRASH_MATRIX:-diagonal} \
      meson test -C "$builddir" --setup valgrind --print-errorlogs --num-processes "$jobs" \
      --test-args "${skip_big[*]}" \
      --suite c --suite hostile --no-suite threads >"$builddir/test-valgrind.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|ERROR|TIMEOUT)' "$builddir/test-valgrind.log"
    [ $rc -ne 0 ] && grep -E -m20 -B2 -A14 '== (Invalid|Conditional|Syscall param|[0-9,]+ bytes in [0-9,]+ blocks are definitely)' "$builddir/meson-logs/testlog-valgrind.txt"
    note "C tests under valgrind memcheck" "$rc" $(($(now) - t0)) "$(results "$builddir/meson-logs/testlog-valgrind.json")"
  fi
fi

mkdir -p "$builddir/meson-logs"
echo "$figures" | tee "$builddir/meson-logs/sanitize-figures.txt"
echo "sanitize: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
