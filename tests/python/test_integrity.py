# SPDX-License-Identifier: LGPL-2.1-or-later
"""The integrity API through GI (issue 13): manifests of committed entries.

The tree digest on entries and list items, read_manifest(), verify() (True
when intact, a GLib.Error naming the first difference otherwise),
list_differences() (the differences as the result, which a binding can't
get from a call that fails), load_full() with VERIFY, add_manifest() for an
entry stored without a manifest (as osbuild stores them), and the async
pairs with a main loop.

Run by meson (`meson test --suite python`), which sets GI_TYPELIB_PATH and
LD_LIBRARY_PATH to the build folder.
"""

import hashlib
import json
import os

import gi
import pytest

gi.require_version("FsCache", "1")
from gi.repository import FsCache, Gio, GLib  # noqa: E402

APP_ID = "org.example.FsCacheTests"
Kind = FsCache.CacheDifferenceKind


@pytest.fixture
def cache(tmp_path):
    c = FsCache.Cache.new_for_path(APP_ID, str(tmp_path / "cache"), None)
    c.set_maximum_size(FsCache.CACHE_SIZE_UNLIMITED, None)
    yield c
    c.close()


def make_tree(top):
    os.makedirs(os.path.join(top, "sub"))
    with open(os.path.join(top, "a.txt"), "w") as f:
        f.write("hello\n")
    with open(os.path.join(top, "sub", "b.bin"), "wb") as f:
        f.write(bytes(range(256)) * 400)
    os.symlink("a.txt", os.path.join(top, "link"))
    return top


def store(cache, tmp_path, name="t"):
    src = make_tree(str(tmp_path / ("src-" + name)))
    ok, status = cache.store_tree(name, Gio.File.new_for_path(src), FsCache.CacheStoreFlags.NONE,
                                  None, None, None)
    assert ok and status == FsCache.CacheCommitStatus.STORED
    return os.path.join(cache.get_directory().get_path(), "objects", name)


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def as_osbuild(entry_dir):
    """object.info without a tree digest, no object.manifest: osbuild's way."""
    info = os.path.join(entry_dir, "object.info")
    with open(info) as f:
        size = json.load(f)["size"]
    with open(info, "w") as f:
        json.dump({"size": size}, f)
    os.unlink(os.path.join(entry_dir, "object.manifest"))


def test_tree_digest_on_entries_and_items(cache, tmp_path):
    entry_dir = store(cache, tmp_path)
    digest = sha256_of(os.path.join(entry_dir, "object.manifest"))
    entry = cache.load("t", None)
    assert entry.get_tree_digest() == digest
    assert entry.props.tree_digest == digest
    [item] = list(cache.list(None))
    assert item.get_name() == "t" and item.get_tree_digest() == digest
    entry.release()


def test_read_manifest(cache, tmp_path):
    store(cache, tmp_path)
    entry = cache.load("t", None)
    manifest = entry.read_manifest(None)
    assert manifest.get_digest() == entry.get_tree_digest()
    paths = [manifest.get_item(i).get_path() for i in range(manifest.get_n_items())]
    assert paths == [".", "a.txt", "link", "sub", "sub/b.bin"]
    b = manifest.lookup("sub/b.bin")
    assert b.get_node_type() == FsCache.CacheNodeType.REGULAR
    assert b.get_sha256() == hashlib.sha256(bytes(range(256)) * 400).hexdigest()
    assert manifest.lookup("link").get_symlink_target() == "a.txt"
    nodes = json.loads(manifest.to_json(False))["nodes"]
    assert [n["path"] for n in nodes] == paths


def test_verify_and_list_differences(cache, tmp_path):
    entry_dir = store(cache, tmp_path)
    entry = cache.load("t", None)
    ok, differences = entry.verify(None)
    assert ok and differences.get_n_items() == 0
    assert entry.list_differences(None, None, None).get_n_items() == 0

    with open(os.path.join(entry_dir, "data", "sub", "b.bin"), "r+b") as f:
        f.seek(5000)
        f.write(b"\xff")
    os.chmod(os.path.join(entry_dir, "data", "a.txt"), 0o600)
    with pytest.raises(GLib.Error) as raised:
        entry.verify(None)
    assert raised.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.CORRUPT)
    assert "a.txt: mode differs" in raised.value.message

    # The differences themselves: the result of list_differences().
    differences = entry.list_differences(None, None, None)
    found = [(d.get_path(), d.get_kind()) for d in differences]
    assert found == [("a.txt", Kind.MODE), ("sub/b.bin", Kind.CONTENT)]
    assert differences.get_item(0).get_detail() == "mode 0600, expected 0644"
    assert differences.get_item(0).to_string() == "a.txt: mode differs (mode 0600, expected 0644)"
    # The words alone, for a program that shows the path its own way.
    assert FsCache.CacheDifferenceKind.to_string(Kind.CONTENT) == "content differs"
    assert FsCache.cache_difference_kind_to_string(Kind.EXTRA) == "not in the manifest"
    entry.release()


def test_list_differences_progress(cache, tmp_path):
    store(cache, tmp_path)
    entry = cache.load("t", None)
    calls = []
    entry.list_differences(lambda current, total, *data: calls.append((current, total)), None)
    total = entry.read_manifest(None).get_total_size()
    assert calls and calls[-1] == (total, total)
    assert [c for c, _ in calls] == sorted(c for c, _ in calls)


def test_load_full_verify(cache, tmp_path):
    entry_dir = store(cache, tmp_path)
    entry = cache.load_full("t", FsCache.CacheLoadFlags.VERIFY, None)
    assert entry.get_tree_digest()
    entry.release()
    os.unlink(os.path.join(entry_dir, "data", "link"))
    with pytest.raises(GLib.Error) as raised:
        cache.load_full("t", FsCache.CacheLoadFlags.VERIFY, None)
    assert raised.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.CORRUPT)
    assert "link: missing" in raised.value.message
    # Without VERIFY the entry loads (and is not left locked by the failed load).
    cache.load("t", None).release()
    assert cache.remove("t", None)


def test_entry_without_manifest_and_add_manifest(cache, tmp_path):
    entry_dir = store(cache, tmp_path)
    digest = sha256_of(os.path.join(entry_dir, "object.manifest"))
    as_osbuild(entry_dir)

    entry = cache.load("t", None)
    assert entry.get_tree_digest() is None
    assert list(cache.list(None))[0].get_tree_digest() is None
    for call in (lambda: entry.verify(None), lambda: entry.read_manifest(None),
                 lambda: entry.list_differences(None, None, None),
                 lambda: cache.load_full("t", FsCache.CacheLoadFlags.VERIFY, None)):
        with pytest.raises(GLib.Error) as raised:
            call()
        assert raised.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.NO_MANIFEST)

    # In use: the owner's agreement (the write lock) can't be had.
    with pytest.raises(GLib.Error) as raised:
        cache.add_manifest("t", None)
    assert raised.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.BUSY)
    entry.release()

    ok, added = cache.add_manifest("t", None)
    assert ok and added == digest  # the same tree: the same digest
    entry = cache.load("t", None)
    assert entry.get_tree_digest() == digest
    assert entry.verify(None)[0]
    entry.release()


def run_async(start):
    """Runs @start(callback) on a main loop; returns the result it got."""
    loop = GLib.MainLoop()
    got = []

    def done(source, result):
        got.append((source, result))
        loop.quit()

    start(done)
    loop.run()
    return got[0]


def test_async_pairs(cache, tmp_path):
    entry_dir = store(cache, tmp_path)
    digest = sha256_of(os.path.join(entry_dir, "object.manifest"))

    source, result = run_async(lambda cb: cache.load_full_async(
        "t", FsCache.CacheLoadFlags.VERIFY, GLib.PRIORITY_DEFAULT, None, cb))
    entry = source.load_full_finish(result)
    assert entry.get_tree_digest() == digest

    source, result = run_async(
        lambda cb: entry.read_manifest_async(GLib.PRIORITY_DEFAULT, None, cb))
    assert source.read_manifest_finish(result).get_digest() == digest

    with open(os.path.join(entry_dir, "data", "a.txt"), "a") as f:
        f.write("more\n")
    progress = []
    source, result = run_async(lambda cb: entry.list_differences_async(
        GLib.PRIORITY_DEFAULT, None, progress=lambda c, t, *d: progress.append((c, t)),
        callback=cb))
    [difference] = list(source.list_differences_finish(result))
    assert difference.get_path() == "a.txt" and difference.get_kind() == Kind.CONTENT
    assert progress and progress[-1][0] == progress[-1][1]

    source, result = run_async(lambda cb: entry.verify_async(GLib.PRIORITY_DEFAULT, None, cb))
    with pytest.raises(GLib.Error) as raised:
        source.verify_finish(result)
    assert raised.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.CORRUPT)
    entry.release()

    as_osbuild(entry_dir)
    source, result = run_async(lambda cb: cache.add_manifest_async(
        "t", GLib.PRIORITY_DEFAULT, None, cb))
    ok, added = source.add_manifest_finish(result)
    assert ok and len(added) == 64 and added != digest  # a.txt changed
