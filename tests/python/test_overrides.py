# SPDX-License-Identifier: LGPL-2.1-or-later
"""The PyGObject overrides (introspection/python/gi/overrides/FsCache.py).

Context managers for load/store/stage, path-like arguments, the MissError
exception class, cancellable defaults, and that the introspected API keeps
working unchanged underneath.

Run by meson (suite python) with GI_TYPELIB_PATH, LD_LIBRARY_PATH and
PYTHONPATH pointing at the build folder and the uninstalled overrides; the
installed-library check runs it again against an installed copy.
"""

import errno
import fcntl
import os
import pathlib
import struct

import gi
import pytest

gi.require_version("FsCache", "1")
from gi.repository import FsCache, Gio, GLib  # noqa: E402

APP_ID = "org.example.FsCacheOverrides"
Kind = FsCache.CacheEntryKind
Status = FsCache.CacheCommitStatus


# --------------------------------------------------------------------------
# helpers


def can_lock(path, write=True):
    """True if an OFD lock can be taken on @path right now (without waiting).

    A lock held by the library through another open file description of the
    same file conflicts with it, even in this process.
    """
    fd = os.open(path, os.O_RDWR if write else os.O_RDONLY)
    try:
        kind = fcntl.F_WRLCK if write else fcntl.F_RDLCK
        flock = struct.pack("hhqqi4x", kind, os.SEEK_SET, 0, 0, 0)
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, flock)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True
    finally:
        os.close(fd)


def leftovers(cache_dir):
    found = []
    for sub in ("objects", "stage", "journal"):
        d = os.path.join(cache_dir, sub)
        if os.path.isdir(d):
            found += [os.path.join(sub, n) for n in os.listdir(d) if n.startswith("uuid-")]
    return found


def object_lock(cache_dir, name):
    return os.path.join(cache_dir, "objects", name, "object.lock")


def write(path, content):
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "cache"


@pytest.fixture
def cache(cache_dir):
    c = FsCache.Cache.new(APP_ID, cache_dir)
    c.set_maximum_size(FsCache.CACHE_SIZE_UNLIMITED)
    yield c
    c.close()


def store(cache, name, content="content\n"):
    with cache.store(name) as e:
        write(os.path.join(e, "file"), content)
    assert e.status == Status.STORED
    return e


# --------------------------------------------------------------------------
# opening a cache


@pytest.mark.parametrize(
    "make",
    [str, pathlib.Path, os.fsencode, Gio.File.new_for_path],
    ids=["str", "pathlib", "bytes", "GFile"],
)
def test_new_accepts_paths_and_files(tmp_path, make):
    d = tmp_path / "c"
    c = FsCache.Cache.new(APP_ID, make(str(d)))
    try:
        assert isinstance(c, FsCache.Cache)
        assert c.get_directory().get_path() == str(d)
        assert (d / "CACHEDIR.TAG").is_file()
        assert c.get_app_id() == APP_ID
    finally:
        c.close()


def test_new_keyword_and_cancellable(tmp_path):
    c = FsCache.Cache.new(app_id=APP_ID, directory=tmp_path / "c", cancellable=Gio.Cancellable())
    assert c.get_directory().get_path() == str(tmp_path / "c")
    c.close()
    c = FsCache.Cache.new(APP_ID, tmp_path / "c", None)
    c.close()


@pytest.mark.parametrize("make", [str, pathlib.Path, os.fsencode], ids=["str", "pathlib", "bytes"])
def test_new_for_path_accepts_path_like(tmp_path, make):
    d = tmp_path / "c"
    c = FsCache.Cache.new_for_path(APP_ID, make(str(d)))
    try:
        assert c.get_directory().get_path() == str(d)
    finally:
        c.close()
    # the introspected call, cancellable passed explicitly, still works
    c = FsCache.Cache.new_for_path(APP_ID, str(d), None)
    c.close()


@pytest.mark.parametrize("bad", [42, None, ["x"]])
def test_new_rejects_other_types(tmp_path, bad):
    with pytest.raises(TypeError):
        FsCache.Cache.new(APP_ID, bad)


def test_cache_context_manager_closes(cache_dir):
    with FsCache.Cache.new(APP_ID, cache_dir) as c:
        assert not c.is_closed()
        # the cache holds its shared lock: nobody can take it for writing
        assert not can_lock(os.path.join(cache_dir, "cache.lock"))
    assert c.is_closed()
    assert can_lock(os.path.join(cache_dir, "cache.lock"))
    with pytest.raises(GLib.Error) as excinfo:
        c.load("x")
    assert excinfo.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.CLOSED)


def test_cache_context_manager_closes_on_exception(cache_dir):
    with pytest.raises(ZeroDivisionError):
        with FsCache.Cache.new(APP_ID, cache_dir) as c:
            1 / 0
    assert c.is_closed()
    assert can_lock(os.path.join(cache_dir, "cache.lock"))


# --------------------------------------------------------------------------
# load


def test_load_context_manager_releases(cache, cache_dir):
    store(cache, "tree", "hello\n")
    lock = object_lock(cache_dir, "tree")
    assert can_lock(lock)
    with cache.load("tree") as e:
        assert isinstance(e, FsCache.CacheEntry)
        assert e.get_kind() == Kind.LOADED
        assert e.get_name() == "tree"
        assert read(os.path.join(e, "file")) == "hello\n"
        # read-locked: a writer (eviction, removal) can't have it
        assert not can_lock(lock)
        assert can_lock(lock, write=False)
        assert not e.is_released()
    assert e.is_released()
    assert can_lock(lock)


def test_load_context_manager_releases_on_exception(cache, cache_dir):
    store(cache, "tree")
    with pytest.raises(KeyError):
        with cache.load("tree") as e:
            raise KeyError("boom")
    assert e.is_released()
    assert can_lock(object_lock(cache_dir, "tree"))
    # a loaded entry is never deleted by its release
    with cache.load("tree") as again:
        assert read(os.path.join(again, "file")) == "content\n"


def test_miss_raises_miss_error(cache):
    with pytest.raises(FsCache.MissError) as excinfo:
        cache.load("absent")
    err = excinfo.value
    # ...which is a GLib.Error, matching the FsCache.CacheError domain
    assert isinstance(err, GLib.Error)
    assert err.matches(FsCache.cache_error_quark(), FsCache.CacheError.MISS)
    assert err.domain == "fs-cache-error-quark"
    assert err.code == FsCache.CacheError.MISS
    assert "absent" in err.message
    assert "MissError" in repr(err)


def test_miss_catchable_as_glib_error(cache):
    try:
        with cache.load("absent"):
            pytest.fail("the block must not run on a miss")
    except GLib.Error as e:
        assert e.matches(FsCache.cache_error_quark(), FsCache.CacheError.MISS)
    else:
        pytest.fail("no exception on a miss")


def test_other_errors_are_not_miss_errors(cache):
    with pytest.raises(GLib.Error) as excinfo:
        cache.load("uuid-reserved")
    assert not isinstance(excinfo.value, FsCache.MissError)
    assert excinfo.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.INVALID_NAME)

    with pytest.raises(GLib.Error) as excinfo:
        cache.store("a/b")
    assert excinfo.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.INVALID_NAME)


# --------------------------------------------------------------------------
# store


def test_store_context_manager_commits(cache, cache_dir):
    with cache.store("tree") as e:
        assert e.get_kind() == Kind.STORING
        assert e.get_name() is None
        assert e.status is None
        write(os.path.join(e, "file"), "stored\n")
        os.mkdir(os.path.join(e, "sub"))
        write(os.path.join(e, "sub", "nested"), "nested\n")
    assert e.status == Status.STORED
    assert e.is_released()
    # released: no lock left on the committed entry
    assert can_lock(object_lock(cache_dir, "tree"))
    assert leftovers(cache_dir) == []
    with cache.load("tree") as loaded:
        assert read(os.path.join(loaded, "file")) == "stored\n"
        assert read(os.path.join(loaded, "sub", "nested")) == "nested\n"


def test_store_context_manager_discards_on_exception(cache, cache_dir):
    with pytest.raises(RuntimeError, match="half-written"):
        with cache.store("tree") as e:
            write(os.path.join(e, "file"), "partial\n")
            data = e.get_path()
            raise RuntimeError("half-written")
    assert e.status is None
    assert e.is_released()
    assert not os.path.exists(data)
    assert leftovers(cache_dir) == []
    with pytest.raises(FsCache.MissError):
        cache.load("tree")


def test_store_context_manager_declined_is_not_an_exception(cache_dir):
    # a new cache has no maximum size: nothing is kept, commit says why
    with FsCache.Cache.new(APP_ID, cache_dir) as c:
        with c.store("tree") as e:
            write(os.path.join(e, "file"), "x\n")
        assert e.status == Status.TOO_LARGE
        assert e.is_released()
        assert leftovers(cache_dir) == []
        with pytest.raises(FsCache.MissError):
            c.load("tree")


def test_store_context_manager_exists(cache, cache_dir):
    store(cache, "tree", "first\n")
    with cache.store("tree") as e:
        write(os.path.join(e, "file"), "second\n")
    assert e.status == Status.EXISTS
    assert leftovers(cache_dir) == []
    with cache.load("tree") as loaded:
        assert read(os.path.join(loaded, "file")) == "first\n"


def test_store_context_manager_commit_failure_raises(cache, cache_dir):
    """The cancellable given to store() applies to the commit at the end of
    the block: cancelled, the commit fails, the error propagates and the
    entry is discarded."""
    cancellable = Gio.Cancellable()
    with pytest.raises(GLib.Error) as excinfo:
        with cache.store("tree", cancellable) as e:
            write(os.path.join(e, "file"), "x\n")
            cancellable.cancel()
    assert excinfo.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert e.status is None
    assert e.is_released()
    assert leftovers(cache_dir) == []
    with pytest.raises(FsCache.MissError):
        cache.load("tree")


def test_store_commit_inside_block(cache, cache_dir):
    """Committing by hand inside the block: not committed a second time, the
    status is recorded, and the entry is usable as loaded until the end."""
    with cache.store("tree") as e:
        write(os.path.join(e, "file"), "x\n")
        ok, status = e.commit()
        assert ok is True and status == Status.STORED
        assert e.status == Status.STORED
        assert e.get_kind() == Kind.LOADED
        assert not can_lock(object_lock(cache_dir, "tree"))
    assert e.status == Status.STORED
    assert e.is_released()
    assert can_lock(object_lock(cache_dir, "tree"))


def test_store_release_inside_block(cache, cache_dir):
    with cache.store("tree") as e:
        write(os.path.join(e, "file"), "x\n")
        e.release()
    assert e.status is None
    assert leftovers(cache_dir) == []
    with pytest.raises(FsCache.MissError):
        cache.load("tree")


# --------------------------------------------------------------------------
# stage


def test_stage_context_manager_discards(cache, cache_dir):
    with cache.stage() as e:
        assert e.get_kind() == Kind.STAGED
        assert e.get_name() is None
        data = e.get_path()
        assert os.path.isdir(data)
        assert data.startswith(os.path.join(str(cache_dir), "stage", "uuid-"))
        write(os.path.join(e, "scratch"), "x" * 10000)
    assert e.is_released()
    assert not os.path.exists(data)
    assert leftovers(cache_dir) == []


def test_stage_context_manager_discards_on_exception(cache, cache_dir):
    with pytest.raises(ValueError):
        with cache.stage() as e:
            data = e.get_path()
            raise ValueError()
    assert not os.path.exists(data)
    assert leftovers(cache_dir) == []


# --------------------------------------------------------------------------
# the introspected API keeps working


def test_plain_api_unchanged(cache, cache_dir):
    e = cache.store("tree", None)
    write(os.path.join(e.get_path(), "file"), "plain\n")
    ok, status = e.commit(None)
    assert ok is True
    assert status == Status.STORED
    assert e.status == Status.STORED
    assert e.get_kind() == Kind.LOADED
    e.release()

    loaded = cache.load("tree", None)
    assert read(os.path.join(loaded.get_path(), "file")) == "plain\n"
    loaded.release()
    loaded.release()  # idempotent

    staged = cache.stage(None)
    data = staged.get_path()
    staged.release()
    assert not os.path.exists(data)

    assert [i.get_name() for i in cache.list(None)] == ["tree"]
    assert cache.remove("tree", None) is True
    assert leftovers(cache_dir) == []


def test_cancellable_defaults(cache):
    e = cache.store("tree")
    e.commit()
    e.release()
    assert [i.get_name() for i in cache.list()] == ["tree"]
    cache.load("tree").release()
    cache.stage().release()
    cache.remove("tree")
    with pytest.raises(FsCache.MissError):
        cache.load("tree")


def test_entry_is_path_like(cache):
    with cache.stage() as e:
        assert os.fspath(e) == e.get_path()
        p = pathlib.Path(e) / "f"
        p.write_text("x")
        assert os.path.join(e, "f") == str(p)
        assert os.listdir(e) == ["f"]


def test_dropping_an_entry_releases_it(cache, cache_dir):
    """The last reference gone, the lock is given back (dispose releases)."""
    store(cache, "tree")
    e = cache.load("tree")
    assert not can_lock(object_lock(cache_dir, "tree"))
    del e
    import gc

    gc.collect()
    assert can_lock(object_lock(cache_dir, "tree"))


def test_overrides_are_the_registered_types(cache):
    """Entries made by the library (async or sync) come out as the override
    classes, so every one of them is a context manager."""
    assert FsCache.Cache is not gi.module.get_introspection_module("FsCache").Cache
    with cache.stage() as e:
        assert type(e) is FsCache.CacheEntry
    assert type(cache) is FsCache.Cache
