#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the libFuzzer harnesses of tests/fuzz with clang (ASan + UBSan, in
# a build folder of their own) and runs each for a while on its seed corpus.
#
#   run-fuzzers.sh SRCDIR BUILDDIR [SECONDS] [HARNESS…]
#
# SECONDS per harness defaults to $FSCACHE_FUZZ_SECONDS, else 8. Exits 77
# (skipped) when clang or its libFuzzer runtime is missing, 0 when every
# harness ran its time without a finding, 1 otherwise. A finding (crash,
# sanitizer report, failed check, GLib critical) is saved as
# BUILDDIR/findings/<harness>/crash-* and printed.
#
# Environment: FUZZ_FIGURES=FILE also writes the figures there.

set -u

srcdir=$(cd "${1:?usage: run-fuzzers.sh SRCDIR BUILDDIR [SECONDS] [HARNESS…]}" && pwd)
builddir=${2:?usage: run-fuzzers.sh SRCDIR BUILDDIR [SECONDS] [HARNESS…]}
seconds=${3:-${FSCACHE_FUZZ_SECONDS:-8}}
shift $(( $# >= 3 ? 3 : $# ))
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  harnesses=(fuzz-cache-size fuzz-cache-info fuzz-object-info fuzz-record fuzz-intent fuzz-name
    fuzz-manifest)
fi

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz: clang is not installed: skipped"
  exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput (const char *d, unsigned long n) { return 0; }\n' > "$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
  echo "fuzz: clang has no libFuzzer runtime (libclang-rt-*-dev): skipped"
  exit 77
fi

t0=$(date +%s)
mkdir -p "$builddir"
builddir=$(cd "$builddir" && pwd)
# Every object file gets coverage instrumentation (fuzzer-no-link); the
# harnesses add the libFuzzer main. Only what the harnesses need is built.
setup_args=(
  --buildtype=debugoptimized
  -Db_sanitize=address,undefined
  -Db_lundef=false
  -Dc_args=-fsanitize=fuzzer-no-link
  -Dintrospection=false
  -Ddocs=false
  -Dtests=true
  -Dwerror=false
)
if [ -f "$builddir/build.ninja" ]; then
  :
elif [ -f "$builddir/meson-private/coredata.dat" ]; then
  CC=clang meson setup --reconfigure "$builddir" "$srcdir" "${setup_args[@]}" >"$builddir/setup.log" 2>&1
else
  if ! CC=clang meson setup "$builddir" "$srcdir" "${setup_args[@]}" >"$builddir.setup.log" 2>&1; then
    cat "$builddir.setup.log"
    echo "fuzz: configuring the clang build failed"
    exit 1
  fi
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("tests/fuzz/$h"); done
if ! ninja -C "$builddir" "${targets[@]}" >"$builddir/build.log" 2>&1; then
  tail -40 "$builddir/build.log"
  echo "fuzz: building the harnesses failed"
  exit 1
fi
t1=$(date +%s)

export G_DEBUG=fatal-criticals
export G_SLICE=always-malloc
export ASAN_OPTIONS=handle_sigtrap=1:detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LC_ALL=C.UTF-8

figures="== fuzz figures (clang libFuzzer + ASan + UBSan, ${seconds} s each; clang build $((t1 - t0)) s)"
status=0
for h in "${harnesses[@]}"; do
  seeds="$srcdir/tests/fuzz/corpus/$h"
  work="$builddir/corpus/$h"
  findings="$builddir/findings/$h"
  mkdir -p "$work" "$findings"
  dict=()
  case $h in
    fuzz-cache-info|fuzz-object-info) dict=(-dict="$srcdir/tests/fuzz/json.dict") ;;
    fuzz-record|fuzz-intent) dict=(-dict="$srcdir/tests/fuzz/journal.dict") ;;
    fuzz-manifest) dict=(-dict="$srcdir/tests/fuzz/manifest.dict") ;;
  esac
  log="$builddir/$h.log"
  # The seeds are read, new inputs go to the work corpus (never the sources).
  "$builddir/tests/fuzz/$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=70000 -print_final_stats=1 -artifact_prefix="$findings/" "${dict[@]}" \
    "$work" "$seeds" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corpus=$(ls "$work" | wc -l)
  if [ $rc -eq 0 ]; then
    line=$(printf '  %-18s %10s runs  %8s exec/s  coverage %5s  corpus %s: no finding' \
      "$h" "${runs:-?}" "${speed:-?}" "${cov:-?}" "$corpus")
  else
    status=1
    line=$(printf '  %-18s FINDING (exit %s) after %s runs: see %s' "$h" "$rc" "${runs:-?}" "$log")
    echo "---- $h: the last lines of $log"
    grep -v '^#\|^INFO\|^\s*$' "$log" | tail -30
    for f in "$findings"/crash-* "$findings"/leak-* "$findings"/timeout-* "$findings"/oom-*; do
      [ -f "$f" ] || continue
      echo "---- input $f (base64):"
      base64 -w 100 "$f" | head -20
    done
  fi
  figures+=$'\n'"$line"
done
echo "$figures"
if [ -n "${FUZZ_FIGURES:-}" ]; then
  echo "$figures" > "$FUZZ_FIGURES"
fi
exit $status
