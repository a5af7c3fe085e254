#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""libfscache from Python: the quick start.

    python3 examples/example.py [CACHE_DIR]

Without CACHE_DIR it works in a temporary directory. It computes an
"expensive" tree once, stores it in the cache, and gets it back from the
cache the second time; then it does the same without blocking, from a GLib
main loop. Exits with status 1 if the second lookup is not a hit.
"""

import os
import sys
import tempfile

import gi

gi.require_version("FsCache", "1")
from gi.repository import FsCache, GLib  # noqa: E402


def build_tree(path):
    """Stands for the expensive work whose result is worth caching."""
    with open(os.path.join(path, "hello.txt"), "w", encoding="utf-8") as f:
        f.write("Hello, cache!\n")


def get_tree(cache, name):
    """Returns (how, content): from the cache if it has @name, else built
    and stored."""
    try:
        with cache.load(name) as entry:  # read-locked until the block ends
            with open(os.path.join(entry, "hello.txt"), encoding="utf-8") as f:
                return "hit", f.read()
    except FsCache.MissError:
        pass

    with cache.store(name) as entry:  # committed when the block ends
        build_tree(entry.get_path())
        with open(os.path.join(entry, "hello.txt"), encoding="utf-8") as f:
            content = f.read()
    # A cache may decline to keep an entry (too large, or another writer was
    # first): entry.status says what happened. It is not an exception; an
    # exception in the block discards the entry instead of committing it.
    print("commit:", entry.status.value_nick)
    return "built", content


def get_tree_async(cache, name, on_done):
    """The same lookup without blocking the main loop."""

    def loaded(cache, result):
        try:
            with cache.load_finish(result) as entry:
                with open(os.path.join(entry, "hello.txt"), encoding="utf-8") as f:
                    on_done("hit", f.read())
        except FsCache.MissError:
            on_done("miss", None)
        except GLib.Error as e:
            on_done("error", e.message)

    cache.load_async(name, GLib.PRIORITY_DEFAULT, None, loaded)


def main(cache_dir):
    # The directory may be a str, an os.PathLike or a Gio.File.
    with FsCache.Cache.new("org.example.QuickStart", cache_dir) as cache:
        # A new cache has no maximum size and keeps nothing: give it one.
        cache.set_maximum_size(64 * 1024 * 1024)

        for attempt in (1, 2):
            how, content = get_tree(cache, "greeting")
            print("attempt %d: %s: %s" % (attempt, how, content.strip()))
        if how != "hit":
            return 1

        # Scratch space on the cache's file system, deleted at the end.
        with cache.stage() as scratch:
            build_tree(scratch.get_path())

        loop = GLib.MainLoop()
        answer = []

        def done(how, content):
            answer.append(how)
            print("async: %s: %s" % (how, content.strip() if content else ""))
            loop.quit()

        get_tree_async(cache, "greeting", done)
        loop.run()
        return 0 if answer == ["hit"] else 1


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(main(sys.argv[1]))
    with tempfile.TemporaryDirectory() as tmp:
        sys.exit(main(os.path.join(tmp, "cache")))
