#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A short tour of the fscache tool, for newcomers: what `make run` shows. It
# stores a small sample tree, lists it, runs a command on it, describes it,
# pins it, builds a second entry once with `ensure`, shows the statistics
# and what a prune would do, then removes what it added.
#
#   tools/fscache-tour.sh [FSCACHE [CACHE-DIR]]
#
# FSCACHE is the tool to run (default: fscache from PATH). Without CACHE-DIR
# the tour uses a cache of its own in a temporary folder, removed at the
# end: your cache ($FSCACHE_DIR, ~/.cache/fscache) is not touched. With
# CACHE-DIR (make run CACHE=dir) it uses that cache, keeps its settings when
# it has a maximum size, and at the end removes the two entries it stored
# — and the cache folder itself if the tour created it.

set -eu

tool=${1:-fscache}
sample_name=fscache-tour-sample
built_name=fscache-tour-built

work=$(mktemp -d "${TMPDIR:-/tmp}/fscache-tour.XXXXXX")
own_cache=false
if [ $# -ge 2 ]; then
  cache=$2
else
  cache=$work/cache
  own_cache=true
fi
existed=false
[ -e "$cache" ] && existed=true

FSCACHE_DIR=$cache
export FSCACHE_DIR

cleanup() {
  status=$?
  trap - EXIT INT TERM
  if ! $own_cache; then
    "$tool" rm --force "$sample_name" "$built_name" >/dev/null 2>&1 || true
    $existed || rm -rf "$cache"
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# An argument as a user would type it: quoted when a shell would split it.
quote() {
  case $1 in
  '' | *[!A-Za-z0-9_./{}=:,@%+-]*)
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
    ;;
  *) printf '%s' "$1" ;;
  esac
}

# Shows a command as a user would type it, then runs it.
step() {
  printf '\n$ fscache'
  for arg in "$@"; do
    printf ' '
    quote "$arg"
  done
  printf '\n'
  "$tool" "$@"
}

if $own_cache; then
  printf 'The tour uses a cache of its own, %s, removed at the end\n' "$cache"
  printf '(your cache is not touched; "make run CACHE=dir" tours another one).\n'
else
  printf 'The tour uses the cache %s; it removes what it adds at the end.\n' "$cache"
fi

# A sample tree: a few files, a subdirectory, a symbolic link.
sample=$work/sample
mkdir -p "$sample/src"
printf 'A sample tree stored by the fscache tour.\n' > "$sample/README"
printf 'int\nmain (void)\n{\n  return 0;\n}\n' > "$sample/src/main.c"
ln -s src/main.c "$sample/main.c"
head -c 262144 /dev/urandom > "$sample/data.bin"

# A cache with a maximum size keeps its settings; one without gets 10G from
# init (a cache without a maximum size keeps nothing).
if $existed && "$tool" config get maximum-size 2>/dev/null | grep -qv '^unset$'; then
  step info
else
  step init
fi
step store --no-progress "$sample_name" "$sample"
step ls
step load "$sample_name" -- ls -l {}
step info "$sample_name"
step pin "$sample_name"
step ensure -v "$built_name" -- sh -c 'date > {}/built-at'
step ensure -v "$built_name" -- sh -c 'echo never runs: the entry is there'
step ls --sort=lru
step prune --all --dry-run
step stats

printf '\nThe tour removes what it added now. More: fscache --help, man fscache\n'
printf '(docs/fscache.1).\n'
