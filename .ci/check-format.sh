#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# clang-format check of the tree (issue 7): every C source and header that
# git knows of (tracked, or new and not ignored) must be formatted as
# .clang-format says. Nothing is rewritten: the files that are not
# formatted are listed, with the first lines clang-format would change.
#
#   .ci/check-format.sh [-v] [PATH…]      (default: the whole tree)
#
# -v shows every change, not only the first lines. Exit status 0 when all
# files are formatted, 1 when some are not, 77 when clang-format is
# missing. Fix a file with `clang-format -i FILE`. A construct that
# clang-format 14 mangles (G_DEFINE_QUARK with a dashed quark name) goes
# between /* clang-format off */ and /* clang-format on */.

set -u

cd "$(dirname "$(readlink -f "$0")")/.." || exit 1

verbose=0
if [ "${1:-}" = "-v" ]; then
  verbose=1
  shift
fi
if ! command -v clang-format >/dev/null 2>&1; then
  echo "format: clang-format is not installed: skipped"
  exit 77
fi

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- "${@:-.}" |
  grep -E '\.(c|h)$' | grep -vE '^(build|_build|build-[^/]*)/' | sort -u)

bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done

if [ ${#bad[@]} -eq 0 ]; then
  echo "format: ${#files[@]} files checked, all formatted ($(clang-format --version | sed 's/.*version //'))"
  exit 0
fi
for f in "${bad[@]}"; do
  n=$(clang-format "$f" | diff "$f" - | grep -c '^<')
  echo "format: $f is not formatted ($n lines differ)"
  if [ $verbose -eq 1 ]; then
    clang-format "$f" | diff -u "$f" - --label "$f" --label "$f (clang-format)"
  else
    clang-format "$f" | diff -u "$f" - --label "$f" --label "$f (clang-format)" | sed -n '3,12p'
  fi
done
echo "format: ${#bad[@]} of ${#files[@]} files are not formatted"
exit 1
