# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cache management from Python: statistics, pins, prune by age and count,
one entry described, single flight, and what the overrides add for it
(paths, default flags, readable statuses, (used, maximum), awaitable async
calls)."""

import asyncio
import os
import re
import pathlib
import time

import gi
import pytest

gi.require_version("FsCache", "1")
from gi.repository import FsCache, Gio, GLib  # noqa: E402

APP_ID = "org.example.FsCacheManage"
Kind = FsCache.CacheEntryKind
Status = FsCache.CacheCommitStatus
Outcome = FsCache.CachePruneOutcome
UNLIMITED = FsCache.CACHE_SIZE_UNLIMITED
DAY = GLib.TIME_SPAN_DAY


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "cache"


@pytest.fixture
def cache(cache_dir):
    with FsCache.Cache.new(APP_ID, cache_dir) as c:
        c.set_maximum_size(UNLIMITED)
        yield c


def put(cache, name, content="x" * 5000):
    with cache.store(name) as entry:
        with open(os.path.join(entry, "f"), "w") as f:
            f.write(content)
    assert entry.status == "stored"


def age(cache_dir, name, seconds_ago):
    when = time.time() - seconds_ago
    os.utime(cache_dir / "objects" / name / "object.lock", (when, when))


# -- statistics ---------------------------------------------------------------


def test_stats(cache):
    put(cache, "a")
    with cache.load("a"):
        pass
    with pytest.raises(FsCache.MissError):
        cache.load("b")
    stats = cache.get_stats()
    assert isinstance(stats, FsCache.CacheStats)
    assert (stats.get_hits(), stats.get_misses(), stats.get_stored()) == (1, 1, 1)
    assert stats.props.hit_ratio == pytest.approx(0.5)
    assert stats.props.too_large == 0 and stats.props.remote_bytes_down == 0
    assert stats.get_since() is not None
    cache.zero_stats()
    assert cache.get_stats().get_hits() == 0


# -- pins and prune -----------------------------------------------------------


def test_pin_and_prune_full(cache, cache_dir):
    for name, days in (("old", 10), ("pinned", 9), ("recent", 1)):
        put(cache, name)
        age(cache_dir, name, days * 24 * 3600)
    cache.pin("pinned", True)
    assert {i.get_name(): i.get_pinned() for i in cache.list()} == {
        "old": False, "pinned": True, "recent": False}
    with pytest.raises(GLib.Error) as info:
        cache.pin("absent", True)
    assert info.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.MISS)

    dry = cache.prune_full(UNLIMITED, -1, 7 * DAY, FsCache.CacheMaintenanceFlags.DRY_RUN)
    assert [(i.get_name(), i.get_prune_outcome()) for i in dry] == [
        ("old", "removed"), ("pinned", "skipped-pinned")]
    assert dry[1].get_prune_outcome() == Outcome.SKIPPED_PINNED
    assert sorted(i.get_name() for i in cache.list()) == ["old", "pinned", "recent"]

    done = cache.prune_full(UNLIMITED, -1, 7 * DAY, 0)
    assert [i.get_name() for i in done if i.get_prune_outcome() == "removed"] == ["old"]
    assert sorted(i.get_name() for i in cache.list()) == ["pinned", "recent"]

    # By count, and everything: the pinned one stays.
    everything = cache.prune_full(0, -1, 0, 0)
    assert [i.get_name() for i in everything] == ["pinned", "recent"]
    assert [i.get_name() for i in cache.list()] == ["pinned"]
    cache.pin("pinned", False)
    assert [i.get_name() for i in cache.prune_full(UNLIMITED, 0, 0, 0)] == ["pinned"]


# -- one entry described ------------------------------------------------------


def test_describe(cache, cache_dir):
    put(cache, "a")
    item = cache.describe("a")
    assert item.get_name() == "a" and item.get_size() > 0
    assert item.get_created() is not None and item.get_last_used() is not None
    assert item.get_creation_boot_id() == cache.get_boot_id()
    assert not item.get_pinned() and not item.get_in_use()
    # Every commit writes a manifest; its digest is the one the entry reports.
    assert item.get_has_manifest()
    assert re.fullmatch(r"[0-9a-f]{64}", item.get_tree_digest())
    with cache.load("a") as entry:
        assert entry.get_tree_digest() == item.get_tree_digest()
    with cache.load("a"):
        assert cache.describe("a").props.in_use is True
    with pytest.raises(FsCache.MissError):
        cache.describe("absent")


# -- single flight ------------------------------------------------------------


def test_load_or_store(cache, cache_dir):
    with cache.load_or_store("t", -1) as entry:
        assert entry.get_kind() == Kind.STORING and entry.get_kind() == "storing"
        with open(os.path.join(entry, "f"), "w") as f:
            f.write("built")
    assert entry.status == "stored"

    with cache.load_or_store("t", -1) as entry:
        assert entry.get_kind() == "loaded"
        with open(os.path.join(entry, "f")) as f:
            assert f.read() == "built"

    # Another builder holds the flight: a caller that does not wait is told.
    builder = cache.load_or_store("u", -1)
    with FsCache.Cache.new(APP_ID, cache_dir) as other:
        with pytest.raises(GLib.Error) as info:
            other.load_or_store("u", 0)
        assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
    builder.release()
    assert not os.listdir(cache_dir / "journal" / "flight")


# -- what the overrides add ---------------------------------------------------


def test_paths_and_default_flags(cache, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "hello").write_text("hi")
    assert cache.store_tree("by-pathlike", src) == (True, Status.STORED)
    assert cache.store_tree("by-str", str(src))[1] == "stored"
    assert cache.store_tree("by-file", Gio.File.new_for_path(str(src)))[1] == "stored"
    with cache.load("by-str") as entry:
        entry.export(tmp_path / "out")
        entry.export(str(tmp_path / "out2"))
    assert (tmp_path / "out" / "hello").read_text() == "hi"
    assert (tmp_path / "out2" / "hello").read_text() == "hi"


def test_status_reads_as_its_nick(cache):
    with cache.store("a") as entry:
        pass
    assert entry.status == "stored" and entry.status == Status.STORED
    assert entry.status != "exists" and entry.status == "FS_CACHE_COMMIT_STORED"
    assert entry.status.value_nick == "stored"
    with cache.store("a") as again:
        pass
    assert again.status == "exists"
    assert {Status.STORED: 1}[entry.status] == 1  # still hashable as the number


def test_usage_and_maximum_size(cache_dir):
    with FsCache.Cache.new(APP_ID, cache_dir) as cache:
        assert cache.get_maximum_size() == 0  # unset: nothing is kept
        cache.set_maximum_size(10 * 1024 * 1024)
        assert cache.get_maximum_size() == 10 * 1024 * 1024
        assert cache.get_usage() == (0, 10 * 1024 * 1024)
        put(cache, "a")
        used, maximum = cache.get_usage()
        assert used > 0 and maximum == 10 * 1024 * 1024
        cache.set_maximum_size(UNLIMITED)
        assert cache.get_maximum_size() == UNLIMITED


def test_name_is_valid_returns_false():
    assert FsCache.Cache.name_is_valid("fine") is True
    for bad in ("", "a/b", "..", "uuid-1", "x" * 256):
        assert FsCache.Cache.name_is_valid(bad) is False
    with pytest.raises(GLib.Error) as info:
        FsCache.Cache.check_name("a/b")
    assert info.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.INVALID_NAME)


# -- asyncio ------------------------------------------------------------------


def test_asyncio(cache_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("async")

    async def main():
        cache = await FsCache.Cache.new_async(APP_ID, cache_dir)
        await cache.set_maximum_size_async(UNLIMITED)
        assert await cache.get_usage_async() == (0, UNLIMITED)
        entry = await cache.store_async("a")
        (pathlib.Path(entry) / "f").write_text("a")
        ok, status = await entry.commit_async()
        assert ok and status == "stored" and entry.status == "stored"
        entry.release()
        assert (await cache.store_tree_async("tree", src))[1] == "stored"
        loaded = await cache.load_async("tree")
        assert loaded.get_kind() == "loaded"
        await loaded.export_async(tmp_path / "out")
        loaded.release()
        with pytest.raises(FsCache.MissError):
            await cache.load_async("absent")
        names = [i.get_name() for i in await cache.list_async()]
        assert names == ["a", "tree"]
        await cache.pin_async("a", True)
        assert (await cache.describe_async("a")).get_pinned()
        removed = await cache.prune_full_async(0, -1, 0, 0)
        assert [i.get_name() for i in removed] == ["a", "tree"]
        stats = await cache.get_stats_async()
        assert stats.get_evicted() == 1 and stats.get_hits() == 1
        await cache.zero_stats_async()

        # Cancelling the awaiting task cancels the call: a wait for another
        # builder here.
        builder = cache.load_or_store("t", -1)
        other = FsCache.Cache.new(APP_ID, cache_dir)
        task = asyncio.ensure_future(other.load_or_store_async("t", -1))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        builder.release()
        entry = await other.load_or_store_async("t", -1)
        assert entry.get_kind() == "storing"
        entry.release()
        other.close()
        cache.close()

    asyncio.run(main())
    assert (tmp_path / "out" / "f").read_text() == "async"


def test_the_gio_way_still_works(cache):
    loop = GLib.MainLoop()
    box = {}

    def done(source, result):
        box["stats"] = source.get_stats_finish(result)
        loop.quit()

    cache.get_stats_async(GLib.PRIORITY_DEFAULT, None, done)
    loop.run()
    assert isinstance(box["stats"], FsCache.CacheStats)
