#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A short tour of the fscache tool on a real cache, for newcomers: what
# `make run` shows. It creates the cache if needed (keeping the settings of
# an existing one), stores a small sample tree, lists it, runs a command on
# it, and shows the state of the cache.
#
#   tools/fscache-tour.sh [FSCACHE [CACHE-DIR]]
#
# FSCACHE is the tool to run (default: fscache from PATH); the cache is
# CACHE-DIR, else $FSCACHE_DIR, else $XDG_CACHE_HOME/fscache.

set -eu

tool=${1:-fscache}
cache=${2:-${FSCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fscache}}
name=fscache-tour-sample

FSCACHE_DIR=$cache
export FSCACHE_DIR

sample=$(mktemp -d "${TMPDIR:-/tmp}/fscache-tour.XXXXXX")
trap 'rm -rf "$sample"' EXIT INT TERM

# Shows a command as a user would type it, then runs it.
step() {
  printf '\n$ fscache %s\n' "$*"
  "$tool" "$@"
}

printf 'The cache is %s (set by FSCACHE_DIR or --cache).\n' "$cache"

# A sample tree: a few files, a subdirectory, a symbolic link.
mkdir -p "$sample/src"
printf 'A sample tree stored by the fscache tour.\n' > "$sample/README"
printf 'int\nmain (void)\n{\n  return 0;\n}\n' > "$sample/src/main.c"
ln -s src/main.c "$sample/main.c"
head -c 262144 /dev/urandom > "$sample/data.bin"

step init
step store --no-progress "$name" "$sample"
step ls
step load "$name" -- ls -l {}
step info
step prune --dry-run

printf '\nThe sample stays in the cache: run the tour again to see "already exists",\n'
printf 'or remove it with: fscache rm %s\n' "$name"
printf 'More: fscache --help, man fscache (docs/fscache.1).\n'
