#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-po.sh SRCDIR: the translation files are consistent.
#
#  - po/POTFILES lists every source file of libfscache/ and tools/ that marks
#    messages for translation, and only files that exist (xgettext fails on
#    a missing one, and a file left out never gets translated);
#  - po/LINGUAS and the po/*.po files match;
#  - every catalog passes `msgfmt --check`: its header is complete and the
#    printf directives of each translation match its msgid's (a mismatch
#    crashes the program that prints the message).
#
# Prints one line per problem; the exit status is the verdict.

set -u
srcdir=${1:?usage: check-po.sh SRCDIR}
cd "$srcdir" || exit 1

status=0
fail () {
  echo "FAIL: $*"
  status=1
}

listed () {
  grep -v '^[[:space:]]*#' po/POTFILES | grep -v '^[[:space:]]*$' | grep -qxF "$1"
}

# A marked message: _("…"), N_("…"), C_(ctx, "…"), NC_(…), with or without
# a space before the parenthesis (GNU style).
marked='(^|[^[:alnum:]_])(N?C?_|g_dngettext|g_dpgettext2?) ?\('
for f in libfscache/*.c tools/*.c; do
  [ -f "$f" ] || continue
  if grep -Eq "$marked" "$f" && ! listed "$f"; then
    fail "$f marks messages for translation but is not in po/POTFILES"
  fi
done

grep -v '^[[:space:]]*#' po/POTFILES | grep -v '^[[:space:]]*$' | while read -r f; do
  [ -f "$f" ] || echo "FAIL: po/POTFILES lists $f, which does not exist"
done | grep . && status=1

langs=$(grep -v '^[[:space:]]*#' po/LINGUAS)
for lang in $langs; do
  if [ ! -f "po/$lang.po" ]; then
    fail "po/LINGUAS lists $lang but po/$lang.po does not exist"
    continue
  fi
  out=$(msgfmt --check --statistics -o /dev/null "po/$lang.po" 2>&1) ||
    fail "msgfmt --check po/$lang.po: $out"
  echo "po/$lang.po: $out"
done
for po in po/*.po; do
  [ -f "$po" ] || continue
  lang=$(basename "$po" .po)
  echo "$langs" | grep -qxF "$lang" || fail "$po is not listed in po/LINGUAS"
done

[ "$status" -eq 0 ] && echo "translations are consistent"
exit "$status"
