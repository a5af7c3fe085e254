#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The installed library: `meson install` into a temporary DESTDIR, then
#   - the files are where they belong, and the PyGObject overrides where
#     Debian's /usr/bin/python3 looks for them (for a /usr or /usr/local
#     prefix);
#   - a C program built with `pkg-config --cflags --libs fscache-1` runs
#     against the installed shared library;
#   - the Vala example builds with `valac --pkg fscache-1` from the installed
#     vapi and .pc, and runs;
#   - the Python and GJS tests and examples run against the installed
#     typelib, overrides and library (and are shown to load those, not the
#     build folder's).
#
# Registered by introspection/meson.build (meson test --suite install). It
# gets from meson: MESON_BUILD_ROOT, MESON_SOURCE_ROOT, FSCACHE_PREFIX,
# FSCACHE_LIBDIR (absolute), FSCACHE_PYTHON_OVERRIDES_DIR (absolute).
#
# The pkg-config file is used through a private copy whose prefix points
# into the DESTDIR: pkgconf's --define-prefix guesses wrong with a multiarch
# libdir (lib/x86_64-linux-gnu), and PKG_CONFIG_SYSROOT_DIR or
# --define-variable would also move glib's paths.

set -euo pipefail

: "${MESON_BUILD_ROOT:?}" "${MESON_SOURCE_ROOT:?}" "${FSCACHE_PREFIX:?}" "${FSCACHE_LIBDIR:?}"
: "${FSCACHE_PYTHON_OVERRIDES_DIR:?}"

build=$MESON_BUILD_ROOT
src=$MESON_SOURCE_ROOT
python=/usr/bin/python3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fscache-install-XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
dest=$tmp/root
failures=0

step() { printf '== %s\n' "$*"; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    failures=$((failures + 1))
}
must_exist() {
    [ -e "$1" ] || fail "not installed: ${1#"$dest"}"
}

# `meson test` builds only what the tests depend on; `meson install
# --no-rebuild` needs everything (a no-op after `ninja`).
step "build and install into $dest"
ninja -C "$build" >/dev/null
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet

libdir=$dest$FSCACHE_LIBDIR
prefix=$dest$FSCACHE_PREFIX
overrides=$dest$FSCACHE_PYTHON_OVERRIDES_DIR
pysite=$(dirname "$(dirname "$overrides")")

step "installed files"
must_exist "$libdir/libfscache-1.so.0"
must_exist "$libdir/libfscache-1.so"
must_exist "$libdir/pkgconfig/fscache-1.pc"
must_exist "$libdir/girepository-1.0/FsCache-1.typelib"
must_exist "$prefix/share/gir-1.0/FsCache-1.gir"
must_exist "$prefix/include/fscache-1/fscache.h"
must_exist "$overrides/FsCache.py"
[ ! -e "$overrides/__init__.py" ] || fail "gi/overrides/__init__.py installed: it would hide PyGObject's"
[ ! -e "$pysite/gi/__init__.py" ] || fail "gi/__init__.py installed: it would hide PyGObject's"
have_vala=false
if command -v valac >/dev/null && [ -e "$prefix/share/vala/vapi/fscache-1.vapi" ]; then
    have_vala=true
    must_exist "$prefix/share/vala/vapi/fscache-1.deps"
fi
if grep -rlF "$build" "$libdir/pkgconfig" "$prefix/share/gir-1.0" >/dev/null 2>&1; then
    fail "the .pc or .gir names the build folder"
fi

# Where Debian's Python looks: only a system prefix can be on its path.
case $FSCACHE_PREFIX in
/usr | /usr/local)
    if ! "$python" -E -c 'import sys; sys.exit(0 if sys.argv[1] in sys.path else 1)' \
        "${pysite#"$dest"}"; then
        fail "${pysite#"$dest"} is not on the path of $python: the overrides would not load"
    else
        echo "overrides in ${pysite#"$dest"}, on the path of $python"
    fi
    ;;
*)
    echo "prefix $FSCACHE_PREFIX is not a system prefix: the overrides need PYTHONPATH=${pysite#"$dest"}"
    ;;
esac

# A private .pc whose prefix points into the DESTDIR.
mkdir -p "$tmp/pc"
sed "s|^prefix=.*|prefix=$prefix|" "$libdir/pkgconfig/fscache-1.pc" >"$tmp/pc/fscache-1.pc"
export PKG_CONFIG_PATH=$tmp/pc
export LD_LIBRARY_PATH=$libdir
export GI_TYPELIB_PATH=$libdir/girepository-1.0
export PYTHONPATH=$pysite
export LC_ALL=C.UTF-8
unset PKG_CONFIG_SYSROOT_DIR || true

step "a C program built with pkg-config fscache-1"
cat >"$tmp/prog.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <fscache.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheEntry) loaded = NULL;
  g_autofree char *file = NULL;
  FsCacheCommitStatus status;
  Dl_info info = { 0 };

  /* the library actually loaded */
  if (!dladdr ((void *) fs_cache_new, &info) || info.dli_fname == NULL ||
      strncmp (info.dli_fname, argv[2], strlen (argv[2])) != 0)
    {
      fprintf (stderr, "libfscache loaded from %s, not from %s\n",
               info.dli_fname != NULL ? info.dli_fname : "?", argv[2]);
      return 1;
    }
  cache = fs_cache_new_for_path ("org.example.Installed", argv[1], NULL, &error);
  if (cache == NULL || !fs_cache_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED, NULL, &error))
    goto fail;
  entry = fs_cache_store (cache, "tree", NULL, &error);
  if (entry == NULL)
    goto fail;
  file = g_build_filename (fs_cache_entry_get_path (entry), "file", NULL);
  if (!g_file_set_contents (file, "installed\n", -1, &error) ||
      !fs_cache_entry_commit (entry, &status, NULL, &error))
    goto fail;
  if (status != FS_CACHE_COMMIT_STORED)
    {
      fprintf (stderr, "commit status %d\n", status);
      return 1;
    }
  fs_cache_entry_release (entry);
  loaded = fs_cache_load (cache, "tree", NULL, &error);
  if (loaded == NULL)
    goto fail;
  printf ("libfscache %s from %s: stored and loaded %s\n", FS_CACHE_VERSION_S, info.dli_fname,
          fs_cache_entry_get_name (loaded));
  return 0;
fail:
  fprintf (stderr, "error: %s\n", error->message);
  return 1;
}
EOF
# shellcheck disable=SC2046 # word splitting of the flags is wanted
cc -Wall -Werror -o "$tmp/prog" "$tmp/prog.c" $(pkg-config --cflags --libs fscache-1)
"$tmp/prog" "$tmp/c-cache" "$libdir/" || fail "the C program"

if $have_vala; then
    step "the Vala example built with valac --pkg fscache-1"
    (cd "$tmp" && valac --quiet --vapidir "$prefix/share/vala/vapi" --pkg fscache-1 \
        -X -w -o "$tmp/example-vala" "$src/examples/example.vala") || fail "valac"
    [ ! -x "$tmp/example-vala" ] || "$tmp/example-vala" "$tmp/vala-cache" || fail "the Vala example"
fi

step "Python against the installed typelib, overrides and library"
"$python" - "$dest" <<'EOF' || fail "Python does not load the installed files"
import sys
import gi
gi.require_version("FsCache", "1")
gi.require_version("GIRepository", "2.0")
from gi.repository import FsCache, GIRepository
import gi.overrides.FsCache as overrides

dest = sys.argv[1]
typelib = GIRepository.Repository.get_default().get_typelib_path("FsCache")
with open("/proc/self/maps") as f:
    libs = {line.split()[-1] for line in f if "libfscache-1.so" in line}
print("overrides:", overrides.__file__)
print("typelib:  ", typelib)
print("library:  ", *libs)
assert overrides.__file__.startswith(dest + "/"), overrides.__file__
assert typelib.startswith(dest + "/"), typelib
assert libs and all(p.startswith(dest + "/") for p in libs), libs
assert hasattr(FsCache, "MissError")
EOF
# Every pytest suite of tests/python, but for the one about the docs.
mapfile -t pytests < <(find "$src/tests/python" -maxdepth 1 -name 'test_*.py' ! -name test_quickstart.py | sort)
PYTHONDONTWRITEBYTECODE=1 "$python" -m pytest -p no:cacheprovider -q "${pytests[@]}" ||
    fail "the Python tests against the installed library"
"$python" "$src/examples/example.py" >/dev/null || fail "the Python example"

if command -v gjs >/dev/null; then
    step "GJS against the installed typelib and library"
    gjs -c "
        const GLib = imports.gi.GLib;
        imports.gi.versions.FsCache = '1';
        const FsCache = imports.gi.FsCache;
        FsCache.Cache.\$gtype;
        const maps = new TextDecoder().decode(GLib.file_get_contents('/proc/self/maps')[1]);
        const libs = maps.split('\n').filter(l => l.includes('libfscache-1.so')).map(l => l.split(/ +/).pop());
        print('library:  ', libs[0]);
        if (!libs.length || !libs.every(l => l.startsWith('$dest/')))
            imports.system.exit(1);
    " || fail "GJS does not load the installed library"
    gjs -m "$src/tests/gjs/test-fscache.js" || fail "the GJS tests against the installed library"
    gjs -m "$src/examples/example.js" >/dev/null || fail "the GJS example"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
