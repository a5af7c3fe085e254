# SPDX-License-Identifier: LGPL-2.1-or-later
"""The basic life of entries, through GObject introspection (raw GI API).

store -> fill -> commit -> load -> read back -> stage -> release, the
statuses a commit can report, and how errors reach Python.

Run by meson (`meson test --suite python`), which sets GI_TYPELIB_PATH and
LD_LIBRARY_PATH to the build folder.
"""

import gc
import os

import gi
import pytest

gi.require_version("FsCache", "1")
from gi.repository import FsCache, Gio, GLib  # noqa: E402

APP_ID = "org.example.FsCacheTests"

Cache = FsCache.Cache
Kind = FsCache.CacheEntryKind
Status = FsCache.CacheCommitStatus
Error = FsCache.CacheError
UNLIMITED = FsCache.CACHE_SIZE_UNLIMITED


def error_domain():
    return FsCache.cache_error_quark()


def commit(entry):
    """Commit @entry and return the status.

    PyGObject maps `gboolean f (…, FsCacheCommitStatus *out_status, …,
    GError **)` to a call returning (ok, out_status), and raises GLib.Error
    instead of returning ok = False.
    """
    ok, status = entry.commit(None)
    assert ok is True
    return status


def write(path, content):
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def leftovers(cache_dir):
    """Anonymous entries and temporary files left in objects/ and stage/."""
    found = []
    for sub in ("objects", "stage"):
        found += [
            os.path.join(sub, n)
            for n in os.listdir(os.path.join(cache_dir, sub))
            if n.startswith("uuid-")
        ]
    return found


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / "cache")


@pytest.fixture
def cache(cache_dir):
    """A new cache without a size limit."""
    c = Cache.new_for_path(APP_ID, cache_dir, None)
    c.set_maximum_size(UNLIMITED, None)
    yield c
    c.close()


def test_unlimited_constant():
    assert UNLIMITED == GLib.MAXUINT64 == 2**64 - 1


def test_new_cache_keeps_nothing(cache_dir):
    """A new cache has no maximum size: osbuild reads that as 0, so nothing
    is kept, and commit says why."""
    c = Cache.new_for_path(APP_ID, cache_dir, None)
    try:
        assert isinstance(c, Cache)
        assert not c.dup_info(None).has_maximum_size()

        entry = c.store("tree", None)
        write(os.path.join(entry.get_path(), "file"), "content\n")
        assert commit(entry) == Status.TOO_LARGE
        assert entry.get_name() is None
        entry.release()

        with pytest.raises(GLib.Error) as excinfo:
            c.load("tree", None)
        assert excinfo.value.matches(error_domain(), Error.MISS)
        assert leftovers(cache_dir) == []
    finally:
        c.close()


def test_store_commit_load_stage(cache, cache_dir):
    # store: an anonymous, write-locked entry with an empty data folder
    entry = cache.store("hello", None)
    assert isinstance(entry, FsCache.CacheEntry)
    assert entry.get_kind() == Kind.STORING
    assert entry.get_name() is None
    data = entry.get_path()
    assert os.path.isdir(data)
    assert os.path.basename(data) == "data"
    assert os.listdir(data) == []
    assert entry.get_file().get_path() == data

    write(os.path.join(data, "greeting.txt"), "Hello, cache!\n")
    os.mkdir(os.path.join(data, "sub"))
    write(os.path.join(data, "sub", "nested.txt"), "nested\n")

    # commit: published under the name, and still usable as a loaded entry
    assert commit(entry) == Status.STORED
    assert entry.get_kind() == Kind.LOADED
    assert entry.get_name() == "hello"
    stored_size = entry.get_size()
    assert stored_size > 0
    assert stored_size % 512 == 0  # space used: st_blocks * 512
    committed = entry.get_path()
    assert committed == os.path.join(cache_dir, "objects", "hello", "data")
    assert read(os.path.join(committed, "greeting.txt")) == "Hello, cache!\n"
    assert not entry.is_released()
    entry.release()
    assert entry.is_released()

    # load: the same tree, read-locked
    loaded = cache.load("hello", None)
    assert loaded.get_kind() == Kind.LOADED
    assert loaded.get_name() == "hello"
    assert loaded.get_path() == committed
    assert isinstance(loaded.get_file(), Gio.File)
    assert loaded.get_file().get_path() == committed
    assert loaded.get_size() == stored_size
    assert read(os.path.join(loaded.get_path(), "greeting.txt")) == "Hello, cache!\n"
    assert read(os.path.join(loaded.get_path(), "sub", "nested.txt")) == "nested\n"
    assert loaded.get_last_used() is not None
    loaded.release()
    loaded.release()  # idempotent
    assert loaded.is_released()

    # the usage counts the committed entry, and nothing else
    used, maximum = cache.get_usage(None)
    assert used == stored_size
    assert maximum == UNLIMITED

    # stage: a volatile scratch folder, gone once released
    staged = cache.stage(None)
    assert staged.get_kind() == Kind.STAGED
    assert staged.get_name() is None
    scratch = staged.get_path()
    assert os.path.isdir(scratch)
    write(os.path.join(scratch, "scratch.txt"), "temporary\n")
    staged.release()
    assert not os.path.exists(scratch)

    # staging did not change the accounting
    assert cache.get_usage(None)[0] == stored_size
    assert leftovers(cache_dir) == []


def test_error_domain():
    # fs_cache_error_quark() is both a function and the enum's quark().
    assert FsCache.cache_error_quark() == FsCache.CacheError.quark()
    assert GLib.quark_to_string(FsCache.cache_error_quark()) == "fs-cache-error-quark"


def test_miss_raises(cache):
    with pytest.raises(GLib.Error) as excinfo:
        cache.load("never-stored", None)
    err = excinfo.value
    assert err.matches(error_domain(), Error.MISS)
    assert err.domain == GLib.quark_to_string(error_domain())
    assert err.code == int(Error.MISS)


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "uuid-0123", "x" * 256])
def test_invalid_names(cache, name):
    for call in (cache.load, cache.store):
        with pytest.raises(GLib.Error) as excinfo:
            call(name, None)
        assert excinfo.value.matches(error_domain(), Error.INVALID_NAME), name


def test_store_existing_name(cache, cache_dir):
    first = cache.store("dup", None)
    write(os.path.join(first.get_path(), "which"), "first\n")
    assert commit(first) == Status.STORED
    first.release()

    second = cache.store("dup", None)
    write(os.path.join(second.get_path(), "which"), "second\n")
    assert commit(second) == Status.EXISTS
    assert second.get_name() is None
    second.release()

    loaded = cache.load("dup", None)
    assert read(os.path.join(loaded.get_path(), "which")) == "first\n"
    size = loaded.get_size()
    loaded.release()

    # the loser was discarded, and not accounted
    assert leftovers(cache_dir) == []
    assert cache.get_usage(None)[0] == size


def test_release_without_commit_discards(cache, cache_dir):
    entry = cache.store("abandoned", None)
    data = entry.get_path()
    write(os.path.join(data, "file"), "never committed\n")
    entry.release()
    assert not os.path.exists(data)
    assert leftovers(cache_dir) == []
    with pytest.raises(GLib.Error) as excinfo:
        cache.load("abandoned", None)
    assert excinfo.value.matches(error_domain(), Error.MISS)
    assert cache.get_usage(None)[0] == 0


def test_too_large(cache_dir):
    c = Cache.new_for_path(APP_ID, cache_dir, None)
    try:
        c.set_maximum_size(4096, None)
        assert c.dup_info(None).get_maximum_size() == 4096
        entry = c.store("big", None)
        with open(os.path.join(entry.get_path(), "big"), "wb") as f:
            f.write(b"x" * 65536)
        assert commit(entry) == Status.TOO_LARGE
        entry.release()
        assert leftovers(cache_dir) == []
        assert c.get_usage(None)[0] == 0
    finally:
        c.close()


def test_closed_cache(cache_dir):
    c = Cache.new_for_path(APP_ID, cache_dir, None)
    c.close()
    assert c.is_closed()
    with pytest.raises(GLib.Error) as excinfo:
        c.load("anything", None)
    assert excinfo.value.matches(error_domain(), Error.CLOSED)


def test_properties(cache, cache_dir):
    assert cache.get_app_id() == APP_ID
    assert cache.props.app_id == APP_ID
    assert cache.get_directory().get_path() == cache_dir
    assert cache.props.directory.get_path() == cache_dir
    boot_id = cache.get_boot_id()
    assert len(boot_id) == 32
    int(boot_id, 16)


def test_list(cache):
    """fs_cache_list() through GI: a Gio.ListModel of FsCache.CacheItem
    (TOOLCHAIN: a GPtrArray with a free function would crash PyGObject)."""
    sizes = {}
    for name, content in (("one", "1\n"), ("two", "2" * 10000)):
        entry = cache.store(name, None)
        write(os.path.join(entry.get_path(), "file"), content)
        assert commit(entry) == Status.STORED
        sizes[name] = entry.get_size()
        entry.release()

    for _ in range(3):  # listing and dropping the list must not crash
        model = cache.list(None)
        assert isinstance(model, Gio.ListModel)
        assert model.get_item_type() == FsCache.CacheItem.__gtype__
        assert model.get_n_items() == 2
        items = [model.get_item(i) for i in range(model.get_n_items())]
        assert {i.get_name(): i.get_size() for i in items} == sizes
        for item in items:
            assert item.get_creation_boot_id() == cache.get_boot_id()
            assert isinstance(item.get_last_used(), GLib.DateTime)
        del items, model
        gc.collect()


def test_async_load(cache):
    entry = cache.store("async", None)
    write(os.path.join(entry.get_path(), "file"), "async\n")
    assert commit(entry) == Status.STORED
    entry.release()

    loop = GLib.MainLoop()
    results = {}

    def on_loaded(source, result, name):
        try:
            results[name] = source.load_finish(result)
        except GLib.Error as e:
            results[name] = e
        if len(results) == 2:
            loop.quit()

    cache.load_async("async", GLib.PRIORITY_DEFAULT, None, on_loaded, "async")
    cache.load_async("missing", GLib.PRIORITY_DEFAULT, None, on_loaded, "missing")
    GLib.timeout_add_seconds(30, loop.quit)
    loop.run()

    loaded = results["async"]
    assert isinstance(loaded, FsCache.CacheEntry)
    assert read(os.path.join(loaded.get_path(), "file")) == "async\n"
    loaded.release()
    assert isinstance(results["missing"], GLib.Error)
    assert results["missing"].matches(error_domain(), Error.MISS)


def test_export(cache, tmp_path):
    """An entry copied out with the library's copy engine, sync and async."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "file").write_bytes(b"x" * 10000)
    os.symlink("sub/file", src / "link")
    ok, status = cache.store_tree("t", Gio.File.new_for_path(str(src)), FsCache.CacheStoreFlags.NONE,
                                  None, None)
    assert ok and status == FsCache.CacheCommitStatus.STORED
    entry = cache.load("t", None)
    try:
        seen = []
        out = tmp_path / "out"
        assert entry.export(Gio.File.new_for_path(str(out)), FsCache.CacheExportFlags.NONE,
                            lambda current, total, *data: seen.append((current, total)), None)
        assert (out / "sub" / "file").read_bytes() == b"x" * 10000
        assert os.readlink(out / "link") == "sub/file"
        assert seen and seen[-1] == (10000, 10000)

        with pytest.raises(GLib.Error) as excinfo:
            entry.export(Gio.File.new_for_path(str(out)), FsCache.CacheExportFlags.NONE, None, None)
        assert excinfo.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.EXISTS)

        loop = GLib.MainLoop()
        result = {}

        def done(source, res):
            result["ok"] = source.export_finish(res)
            loop.quit()

        out2 = tmp_path / "out2"
        entry.export_async(Gio.File.new_for_path(str(out2)), FsCache.CacheExportFlags.NONE,
                           GLib.PRIORITY_DEFAULT, None, None, None, done)
        loop.run()
        assert result["ok"]
        assert (out2 / "sub" / "file").read_bytes() == b"x" * 10000
    finally:
        entry.release()
