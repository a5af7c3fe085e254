# SPDX-License-Identifier: LGPL-2.1-or-later
"""The asynchronous API from Python, driven by a GLib main loop.

Every *_async call with its *_finish, errors delivered through finish (a
miss as FsCache.MissError), cancellation before the start and while waiting
for a lock (the main loop keeps running meanwhile), many operations in
flight at once on one cache, and results nobody finishes.
"""

import errno
import fcntl
import gc
import json
import os
import pathlib
import struct

import gi
import pytest

gi.require_version("FsCache", "1")
from gi.repository import FsCache, Gio, GLib  # noqa: E402

APP_ID = "org.example.FsCacheAsync"
PRIO = GLib.PRIORITY_DEFAULT
Kind = FsCache.CacheEntryKind
Status = FsCache.CacheCommitStatus


# --------------------------------------------------------------------------
# helpers


class Timeout(Exception):
    pass


def run(start, finish, timeout=20):
    """Starts an async call and runs a main loop until its callback.

    @start(callback) starts the call; @finish(result) finishes it. Returns
    what finish returns, or raises what it raises.
    """
    loop = GLib.MainLoop()
    box = {}

    def done(source, result, *unused):
        try:
            box["value"] = finish(result)
        except Exception as e:  # noqa: BLE001 - re-raised below
            # without the traceback, whose frame would keep @result (the
            # GTask, and with it its source object and result) alive
            box["error"] = e.with_traceback(None)
        loop.quit()

    def expire():
        box["timeout"] = True
        loop.quit()
        return GLib.SOURCE_REMOVE

    start(done)
    tid = GLib.timeout_add_seconds(timeout, expire)
    loop.run()
    if "timeout" in box:
        raise Timeout("no callback within %d s" % timeout)
    GLib.source_remove(tid)
    if "error" in box:
        raise box["error"]
    return box["value"]


def iterate(ms):
    """Runs the default main context for @ms milliseconds."""
    loop = GLib.MainLoop()
    GLib.timeout_add(ms, lambda: loop.quit() or GLib.SOURCE_REMOVE)
    loop.run()


def new_cache(directory, cancellable=None):
    return run(
        lambda cb: FsCache.Cache.new_async(APP_ID, directory, PRIO, cancellable, cb),
        FsCache.Cache.new_finish,
    )


def load(cache, name, cancellable=None):
    return run(lambda cb: cache.load_async(name, PRIO, cancellable, cb), cache.load_finish)


def store(cache, name, cancellable=None):
    return run(lambda cb: cache.store_async(name, PRIO, cancellable, cb), cache.store_finish)


def stage(cache, cancellable=None):
    return run(lambda cb: cache.stage_async(PRIO, cancellable, cb), cache.stage_finish)


def commit(entry, cancellable=None):
    ok, status = run(lambda cb: entry.commit_async(PRIO, cancellable, cb), entry.commit_finish)
    assert ok is True
    return status


def release(entry):
    return run(lambda cb: entry.release_async(PRIO, None, cb), entry.release_finish)


def ofd_lock(path, write=True, wait=False):
    """Takes an OFD lock on a new open file description of @path; returns the
    descriptor (the lock lives until it is closed), or None if busy."""
    fd = os.open(path, os.O_RDWR if write else os.O_RDONLY)
    kind = fcntl.F_WRLCK if write else fcntl.F_RDLCK
    flock = struct.pack("hhqqi4x", kind, os.SEEK_SET, 0, 0, 0)
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK, flock)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EAGAIN, errno.EACCES):
            return None
        raise
    return fd


def can_lock(path, write=True):
    fd = ofd_lock(path, write)
    if fd is None:
        return False
    os.close(fd)
    return True


def leftovers(cache_dir):
    found = []
    for sub in ("objects", "stage", "journal"):
        d = os.path.join(cache_dir, sub)
        if os.path.isdir(d):
            found += [os.path.join(sub, n) for n in os.listdir(d) if n.startswith("uuid-")]
    return found


def read_cache_size(cache_dir):
    with open(os.path.join(cache_dir, "cache.size"), encoding="utf-8") as f:
        return int(f.read().strip())


def sum_object_sizes(cache_dir):
    total = 0
    objects = os.path.join(cache_dir, "objects")
    for name in os.listdir(objects):
        info = os.path.join(objects, name, "object.info")
        if not name.startswith("uuid-") and os.path.exists(info):
            with open(info, encoding="utf-8") as f:
                total += json.load(f)["size"]
    return total


def is_cancelled(error):
    return isinstance(error, GLib.Error) and error.matches(
        Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED
    )


def write(path, content):
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / "cache")


@pytest.fixture
def cache(cache_dir):
    c = new_cache(cache_dir)
    ok = run(
        lambda cb: c.set_maximum_size_async(FsCache.CACHE_SIZE_UNLIMITED, PRIO, None, cb),
        c.set_maximum_size_finish,
    )
    assert ok is True
    yield c
    c.close()


def cancelled():
    c = Gio.Cancellable()
    c.cancel()
    return c


# --------------------------------------------------------------------------
# the life of an entry, asynchronously


def test_new_async(tmp_path):
    for directory in (tmp_path / "a", str(tmp_path / "b"), Gio.File.new_for_path(str(tmp_path / "c"))):
        c = new_cache(directory)
        assert isinstance(c, FsCache.Cache)
        assert not c.is_closed()
        assert os.path.isfile(os.path.join(os.fspath(c.get_directory().get_path()), "cache.info"))
        c.close()


def test_store_commit_load_release(cache, cache_dir):
    entry = store(cache, "tree")
    assert entry.get_kind() == Kind.STORING
    write(os.path.join(entry, "file"), "async\n")
    assert commit(entry) == Status.STORED
    assert entry.status == Status.STORED  # recorded by the override of commit_finish
    assert entry.get_kind() == Kind.LOADED
    assert entry.get_name() == "tree"
    assert release(entry) is True
    assert entry.is_released()
    assert can_lock(os.path.join(cache_dir, "objects", "tree", "object.lock"))

    loaded = load(cache, "tree")
    assert loaded.get_kind() == Kind.LOADED
    assert read(os.path.join(loaded, "file")) == "async\n"
    assert not can_lock(os.path.join(cache_dir, "objects", "tree", "object.lock"))
    release(loaded)
    assert can_lock(os.path.join(cache_dir, "objects", "tree", "object.lock"))

    staged = stage(cache)
    assert staged.get_kind() == Kind.STAGED
    data = staged.get_path()
    assert os.path.isdir(data)
    release(staged)
    assert not os.path.exists(data)
    assert leftovers(cache_dir) == []


def test_async_entries_are_context_managers(cache, cache_dir):
    with store(cache, "tree") as e:
        write(os.path.join(e, "file"), "x\n")
    assert e.status == Status.STORED
    with load(cache, "tree") as e:
        assert read(os.path.join(e, "file")) == "x\n"
    assert e.is_released()
    assert leftovers(cache_dir) == []


def test_management_async(cache, cache_dir):
    for name in ("a", "b"):
        e = store(cache, name)
        write(os.path.join(e, "f"), name * 5000)
        assert commit(e) == Status.STORED
        release(e)

    items = run(lambda cb: cache.list_async(PRIO, None, cb), cache.list_finish)
    assert sorted(i.get_name() for i in items) == ["a", "b"]
    assert all(i.get_size() > 0 for i in items)

    used, maximum = run(
        lambda cb: cache.get_usage_async(PRIO, None, cb), cache.get_usage_finish
    )
    assert used == sum(i.get_size() for i in items) == read_cache_size(cache_dir)
    assert maximum == FsCache.CACHE_SIZE_UNLIMITED

    assert run(lambda cb: cache.remove_async("a", PRIO, None, cb), cache.remove_finish) is True
    with pytest.raises(FsCache.MissError):
        load(cache, "a")
    assert read_cache_size(cache_dir) == sum_object_sizes(cache_dir)


# --------------------------------------------------------------------------
# errors


def test_load_async_miss_raises_miss_error(cache):
    with pytest.raises(FsCache.MissError) as excinfo:
        load(cache, "absent")
    assert excinfo.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.MISS)
    assert isinstance(excinfo.value, GLib.Error)


def test_async_invalid_name(cache):
    for start, finish in (
        (lambda cb: cache.load_async("a/b", PRIO, None, cb), cache.load_finish),
        (lambda cb: cache.store_async("..", PRIO, None, cb), cache.store_finish),
        (lambda cb: cache.remove_async("uuid-x", PRIO, None, cb), cache.remove_finish),
    ):
        with pytest.raises(GLib.Error) as excinfo:
            run(start, finish)
        assert not isinstance(excinfo.value, FsCache.MissError)
        assert excinfo.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.INVALID_NAME)


def test_async_on_closed_cache(cache_dir):
    c = new_cache(cache_dir)
    c.close()
    for start, finish in (
        (lambda cb: c.load_async("x", PRIO, None, cb), c.load_finish),
        (lambda cb: c.store_async("x", PRIO, None, cb), c.store_finish),
        (lambda cb: c.stage_async(PRIO, None, cb), c.stage_finish),
    ):
        with pytest.raises(GLib.Error) as excinfo:
            run(start, finish)
        assert excinfo.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.CLOSED)


def test_new_async_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(GLib.Error) as excinfo:
        new_cache(blocker / "cache")
    assert excinfo.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_DIRECTORY)


# --------------------------------------------------------------------------
# cancellation


def test_cancelled_before_start(cache, cache_dir):
    e = store(cache, "tree")
    write(os.path.join(e, "f"), "x")
    assert commit(e) == Status.STORED
    release(e)
    lock = os.path.join(cache_dir, "objects", "tree", "object.lock")

    for start, finish in (
        (lambda cb: cache.load_async("tree", PRIO, cancelled(), cb), cache.load_finish),
        (lambda cb: cache.store_async("other", PRIO, cancelled(), cb), cache.store_finish),
        (lambda cb: cache.stage_async(PRIO, cancelled(), cb), cache.stage_finish),
        (lambda cb: cache.remove_async("tree", PRIO, cancelled(), cb), cache.remove_finish),
    ):
        with pytest.raises(GLib.Error) as excinfo:
            run(start, finish)
        assert is_cancelled(excinfo.value)
        gc.collect()
        assert leftovers(cache_dir) == []
        assert can_lock(lock)

    # the entry was neither removed nor damaged
    with load(cache, "tree") as e:
        assert read(os.path.join(e, "f")) == "x"

    # a commit cancelled before it starts fails and discards the entry
    e = store(cache, "other")
    write(os.path.join(e, "f"), "y")
    with pytest.raises(GLib.Error) as excinfo:
        commit(e, cancelled())
    assert is_cancelled(excinfo.value)
    assert e.is_released()
    assert leftovers(cache_dir) == []
    with pytest.raises(FsCache.MissError):
        load(cache, "other")


def test_new_async_cancelled(tmp_path):
    d = str(tmp_path / "cache")
    with pytest.raises(GLib.Error) as excinfo:
        new_cache(d, cancelled())
    assert is_cancelled(excinfo.value)
    del excinfo
    gc.collect()
    # whatever was opened was given back: the cache lock is free
    if os.path.exists(os.path.join(d, "cache.lock")):
        assert can_lock(os.path.join(d, "cache.lock"))


def test_commit_cancelled_while_waiting_for_lock(cache, cache_dir):
    """A commit waits for the lock of cache.size (its accounting). Held by
    someone else, the commit waits without blocking the main loop, and a
    cancel ends the wait: the entry is discarded and no lock is kept."""
    size_before = read_cache_size(cache_dir)
    holder = ofd_lock(os.path.join(cache_dir, "cache.size"))
    assert holder is not None
    try:
        e = store(cache, "tree")
        write(os.path.join(e, "f"), "x" * 10000)

        loop = GLib.MainLoop()
        box = {}
        ticks = [0]

        def done(source, result, *unused):
            try:
                box["value"] = e.commit_finish(result)
            except GLib.Error as err:
                box["error"] = err
            loop.quit()

        def tick():
            ticks[0] += 1
            return GLib.SOURCE_CONTINUE

        cancellable = Gio.Cancellable()
        e.commit_async(PRIO, cancellable, done)
        tick_id = GLib.timeout_add(10, tick)
        iterate(300)
        # still waiting for the lock, and the main loop kept running
        assert box == {}
        assert ticks[0] >= 10
        cancellable.cancel()
        expire = GLib.timeout_add_seconds(10, lambda: loop.quit() or GLib.SOURCE_REMOVE)
        loop.run()
        GLib.source_remove(expire)
        GLib.source_remove(tick_id)

        assert "error" in box, box
        assert is_cancelled(box["error"])
        assert e.is_released()
        assert e.status is None
    finally:
        os.close(holder)

    assert can_lock(os.path.join(cache_dir, "cache.size"))
    assert read_cache_size(cache_dir) == size_before
    assert not os.path.exists(os.path.join(cache_dir, "objects", "tree"))
    assert leftovers(cache_dir) == []
    with pytest.raises(FsCache.MissError):
        load(cache, "tree")


def test_cancel_after_completion(cache, cache_dir):
    """Cancelling once the call is over changes nothing: the entry is the
    caller's and is given back by release."""
    cancellable = Gio.Cancellable()
    e = store(cache, "tree", cancellable)
    cancellable.cancel()
    write(os.path.join(e, "f"), "x")
    assert commit(e) == Status.STORED
    release(e)

    cancellable = Gio.Cancellable()
    loaded = load(cache, "tree", cancellable)
    cancellable.cancel()
    assert read(os.path.join(loaded, "f")) == "x"
    release(loaded)
    assert can_lock(os.path.join(cache_dir, "objects", "tree", "object.lock"))
    assert leftovers(cache_dir) == []


def test_unfinished_results_are_released(cache, cache_dir):
    """A result nobody finishes (the callback ignores it) is given back: the
    store's anonymous entry is discarded, the load's read lock dropped."""
    e = store(cache, "tree")
    write(os.path.join(e, "f"), "x")
    assert commit(e) == Status.STORED
    release(e)

    calls = []
    loop = GLib.MainLoop()

    def ignore(source, result, *unused):
        calls.append(result)
        if len(calls) == 3:
            loop.quit()

    cache.store_async("new", PRIO, None, ignore)
    cache.stage_async(PRIO, None, ignore)
    cache.load_async("tree", PRIO, None, ignore)
    GLib.timeout_add_seconds(10, lambda: loop.quit() or GLib.SOURCE_REMOVE)
    loop.run()
    assert len(calls) == 3
    del calls[:]
    gc.collect()
    iterate(50)
    assert leftovers(cache_dir) == []
    assert can_lock(os.path.join(cache_dir, "objects", "tree", "object.lock"))


# --------------------------------------------------------------------------
# many operations in flight on one cache


def test_many_concurrent_stores_and_loads(cache, cache_dir):
    n = 32
    loop = GLib.MainLoop()
    statuses = {}
    errors = []

    def committed(entry, result, name):
        try:
            ok, status = entry.commit_finish(result)
            statuses[name] = status
            entry.release()
        except GLib.Error as err:
            errors.append(err)
        if len(statuses) + len(errors) == n:
            loop.quit()

    def stored(source, result, name):
        try:
            entry = source.store_finish(result)
            write(os.path.join(entry, "file"), name * 100)
            entry.commit_async(PRIO, None, committed, name)
        except GLib.Error as err:
            errors.append(err)
            if len(statuses) + len(errors) == n:
                loop.quit()

    for i in range(n):
        cache.store_async("entry-%d" % i, PRIO, None, stored, "entry-%d" % i)
    GLib.timeout_add_seconds(60, lambda: loop.quit() or GLib.SOURCE_REMOVE)
    loop.run()
    assert errors == []
    assert statuses == {"entry-%d" % i: Status.STORED for i in range(n)}

    # all loads at once, each several times, plus misses in between
    loaded = {}
    misses = []
    loop = GLib.MainLoop()
    expected = n * 3 + 5

    def check_done():
        if sum(len(v) for v in loaded.values()) + len(misses) + len(errors) == expected:
            loop.quit()

    def on_load(source, result, name):
        try:
            entry = source.load_finish(result)
            loaded.setdefault(name, []).append(entry)
        except FsCache.MissError:
            misses.append(name)
        except GLib.Error as err:
            errors.append(err)
        check_done()

    for _ in range(3):
        for i in range(n):
            cache.load_async("entry-%d" % i, PRIO, None, on_load, "entry-%d" % i)
    for i in range(5):
        cache.load_async("absent-%d" % i, PRIO, None, on_load, "absent-%d" % i)
    GLib.timeout_add_seconds(60, lambda: loop.quit() or GLib.SOURCE_REMOVE)
    loop.run()
    assert errors == []
    assert sorted(misses) == ["absent-%d" % i for i in range(5)]
    assert sorted(loaded) == sorted("entry-%d" % i for i in range(n))
    for name, entries in loaded.items():
        assert len(entries) == 3
        for entry in entries:
            assert read(os.path.join(entry, "file")) == name * 100
            # three readers share the entry: a writer can't have it
        assert not can_lock(os.path.join(cache_dir, "objects", name, "object.lock"))
        for entry in entries:
            entry.release()
        assert can_lock(os.path.join(cache_dir, "objects", name, "object.lock"))

    assert leftovers(cache_dir) == []
    assert read_cache_size(cache_dir) == sum_object_sizes(cache_dir)
    assert len(os.listdir(os.path.join(cache_dir, "objects"))) == n


def test_concurrent_stores_of_one_name(cache, cache_dir):
    """Eight writers race for one name: exactly one wins, the others are
    told EXISTS, and nothing is left behind."""
    n = 8
    loop = GLib.MainLoop()
    entries = []

    def stored(source, result, *unused):
        entry = source.store_finish(result)
        write(os.path.join(entry, "file"), "x" * 1000)
        entries.append(entry)
        if len(entries) == n:
            loop.quit()

    for _ in range(n):
        cache.store_async("same", PRIO, None, stored)
    GLib.timeout_add_seconds(30, lambda: loop.quit() or GLib.SOURCE_REMOVE)
    loop.run()
    assert len(entries) == n

    results = []
    loop = GLib.MainLoop()

    def committed(entry, result, *unused):
        results.append(entry.commit_finish(result)[1])
        entry.release()
        if len(results) == n:
            loop.quit()

    for entry in entries:
        entry.commit_async(PRIO, None, committed)
    GLib.timeout_add_seconds(30, lambda: loop.quit() or GLib.SOURCE_REMOVE)
    loop.run()
    assert sorted(results) == sorted([Status.STORED] + [Status.EXISTS] * (n - 1))
    assert leftovers(cache_dir) == []
    assert read_cache_size(cache_dir) == sum_object_sizes(cache_dir)
    assert os.listdir(os.path.join(cache_dir, "objects")) == ["same"]
