#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Says whether the Python that will use the bindings finds the overrides.

    check-overrides.py configure DIR   (meson setup: DIR is where they go)
    check-overrides.py install DIR     (meson install: DIR, under $DESTDIR)

Without the overrides, FsCache still imports, and fails later in odd ways
(``Expected Gio.File, but got str``, ``get_usage()`` returning three
values): so a folder this Python does not search is reported, with what to
do, instead of being left for users to find out.
"""

import os
import sys


def searched(directory):
    """Whether gi.overrides.FsCache in @directory/gi/overrides is found."""
    site = os.path.normpath(os.path.dirname(os.path.dirname(directory)))
    return site in (os.path.normpath(p) for p in sys.path)


def main():
    mode, directory = sys.argv[1], sys.argv[2]
    destdir = os.environ.get("DESTDIR", "")
    if mode == "install" and destdir:
        # A staged install: the packager's Python is another one.
        return 0
    if searched(directory):
        if mode == "install":
            print("PyGObject overrides of FsCache installed in %s, where %s finds them"
                  % (directory, sys.executable))
        return 0
    site = os.path.dirname(os.path.dirname(directory))
    message = ("%s does not search %s: the PyGObject overrides of FsCache installed there "
               "will not load (FsCache.Cache.new(app_id, 'path') then fails with 'Expected "
               "Gio.File'). Set PYTHONPATH=%s for its users, or reconfigure with "
               "-Dpython.purelibdir=DIR (a folder on sys.path) or --prefix=/usr."
               % (sys.executable, directory, site))
    if mode == "install":
        print("WARNING: " + message, file=sys.stderr)
    else:
        print(message)  # meson's warning() says WARNING
    return 0


if __name__ == "__main__":
    sys.exit(main())
