# SPDX-License-Identifier: LGPL-2.1-or-later
"""fs_cache_collect_garbage_full() and FsCacheGcFlags through GI (issue 11).

A size counter that drifted as osbuild leaves it (8 KiB lower than the
entries), measured by a dry run when the cache is idle, "not checked" while
another process (a real child using the typelib) holds the cache open,
corrected once the cache is idle again with WAIT_IDLE, and the async
variant.

Run by meson (`meson test --suite python`), which sets GI_TYPELIB_PATH and
LD_LIBRARY_PATH to the build folder.
"""

import os
import subprocess
import sys

import gi
import pytest

gi.require_version("FsCache", "1")
from gi.repository import FsCache, Gio, GLib  # noqa: E402

APP_ID = "org.example.FsCacheTests"
DRIFT = 8192
Gc = FsCache.CacheGcFlags

# A child process that keeps the cache open until its stdin closes.
HOLDER = """
import sys
import gi
gi.require_version("FsCache", "1")
from gi.repository import FsCache
cache = FsCache.Cache.new_for_path("org.example.FsCacheTests", sys.argv[1], None)
print("open", flush=True)
sys.stdin.read()
cache.close()
"""


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / "cache")


@pytest.fixture
def cache(cache_dir):
    c = FsCache.Cache.new_for_path(APP_ID, cache_dir, None)
    c.set_maximum_size(FsCache.CACHE_SIZE_UNLIMITED, None)
    yield c
    c.close()


def read_counter(cache_dir):
    with open(os.path.join(cache_dir, "cache.size"), encoding="utf-8") as f:
        return int(f.read())


def drift(cache, cache_dir):
    """Two entries, then the counter lowered as osbuild's eviction leaves it."""
    for name in ("a", "b"):
        entry = cache.store(name, None)
        with open(os.path.join(entry.get_path(), "file"), "wb") as f:
            f.write(os.urandom(20000))
        ok, status = entry.commit(None)
        assert ok and status == FsCache.CacheCommitStatus.STORED
        entry.release()
    exact = read_counter(cache_dir)
    with open(os.path.join(cache_dir, "cache.size"), "w", encoding="utf-8") as f:
        f.write(str(exact - DRIFT))
    return exact


def start_holder(cache_dir):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, cache_dir],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "open\n"
    return holder


def stop_holder(holder):
    holder.stdin.close()
    assert holder.wait(timeout=60) == 0


def test_flags():
    assert Gc.NONE == 0
    assert Gc.DRY_RUN != Gc.WAIT_IDLE
    assert int(Gc.DRY_RUN) == int(FsCache.CacheMaintenanceFlags.DRY_RUN)


def test_dry_run_measures_when_idle(cache, cache_dir):
    exact = drift(cache, cache_dir)
    ok, removed, reclaimed, correction, checked = cache.collect_garbage_full(
        Gc.DRY_RUN, 0, None)
    assert (ok, removed, reclaimed, correction, checked) == (True, 0, 0, DRIFT, True)
    assert read_counter(cache_dir) == exact - DRIFT  # a dry run writes nothing
    assert cache.collect_garbage_full(Gc.NONE, 0, None)[3:] == (DRIFT, True)
    assert read_counter(cache_dir) == exact


def test_not_checked_while_another_process_holds_the_cache(cache, cache_dir):
    exact = drift(cache, cache_dir)
    holder = start_holder(cache_dir)
    try:
        for flags in (Gc.DRY_RUN, Gc.NONE):
            ok, removed, reclaimed, correction, checked = cache.collect_garbage_full(
                flags, 0, None)
            assert ok is True and checked is False and correction == 0
        # waiting, but not long enough
        assert cache.collect_garbage_full(Gc.WAIT_IDLE, 100, None)[3:] == (0, False)
        assert read_counter(cache_dir) == exact - DRIFT
    finally:
        stop_holder(holder)
    assert cache.collect_garbage_full(Gc.WAIT_IDLE, 60000, None)[3:] == (DRIFT, True)
    assert read_counter(cache_dir) == exact


def test_async_waits_for_idle(cache, cache_dir):
    exact = drift(cache, cache_dir)
    holder = start_holder(cache_dir)
    loop = GLib.MainLoop()
    results = []

    def done(source, result):
        try:
            results.append(source.collect_garbage_full_finish(result))
        except GLib.Error as e:
            results.append(e)
        loop.quit()

    cache.collect_garbage_full_async(Gc.WAIT_IDLE, -1, GLib.PRIORITY_DEFAULT, None, done)
    # the call can't finish while the holder has the cache open
    GLib.timeout_add(200, lambda: stop_holder(holder) or False)
    GLib.timeout_add_seconds(60, loop.quit)
    loop.run()
    assert results == [(True, 0, 0, DRIFT, True)]
    assert read_counter(cache_dir) == exact


def test_wait_cancelled(cache, cache_dir):
    drift(cache, cache_dir)
    holder = start_holder(cache_dir)
    try:
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with pytest.raises(GLib.Error) as excinfo:
            cache.collect_garbage_full(Gc.WAIT_IDLE, -1, cancellable)
        assert excinfo.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    finally:
        stop_holder(holder)
