#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The build must be clean with -Dwerror=true under clang as well as gcc
# (issue 7; `make build` is the gcc one). Configures a clang build of its
# own in BUILDDIR/clang-werror and builds everything with -k 0, so that
# every warning of the tree is listed, not only the first.
#
#   .ci/clang-werror-build.sh [BUILDDIR]     (default: $BUILDDIR, else build)
#
# Exit status 0 when everything builds without a warning, 1 otherwise, 77
# when clang is missing.

set -u

srcdir=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
builddir=${1:-${BUILDDIR:-build}}
case $builddir in /*) ;; *) builddir=$srcdir/$builddir ;; esac
dir=$builddir/clang-werror

if ! command -v clang >/dev/null 2>&1; then
  echo "clang-werror: clang is not installed: skipped"
  exit 77
fi

t0=$(date +%s)
mkdir -p "$builddir"
if [ ! -f "$dir/build.ninja" ]; then
  rm -rf "$dir"
  # -O0 and no introspection: what clang warns about is the same, in less
  # time (the introspection code is generated, and built by gcc anyway).
  if ! CC=clang meson setup "$dir" "$srcdir" --buildtype=debug -Dwerror=true -Ddocs=false \
      -Dintrospection=false >"$builddir/clang-werror-setup.log" 2>&1; then
    tail -30 "$builddir/clang-werror-setup.log"
    echo "clang-werror: configuring with clang failed"
    exit 1
  fi
fi
ninja -C "$dir" -k 0 >"$dir/build.log" 2>&1
rc=$?
warnings=$(grep -cE 'warning:|error:' "$dir/build.log")
if [ $rc -ne 0 ] || [ "$warnings" -ne 0 ]; then
  grep -E 'warning:|error:|^FAILED' "$dir/build.log" | sort -u | head -60
  echo "clang-werror: the clang build with -Dwerror=true failed ($warnings diagnostics, $(( $(date +%s) - t0 )) s; log: $dir/build.log)"
  exit 1
fi
echo "clang-werror: clean ($(clang --version | head -1), $(( $(date +%s) - t0 )) s)"
exit 0
