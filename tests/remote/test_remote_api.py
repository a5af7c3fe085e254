# SPDX-License-Identifier: LGPL-2.1-or-later
"""The remote tier through GObject introspection, against a real nginx.

FsCacheInfo's remote settings, fs_cache_push/pull (sync and async, with
progress), fs_cache_entry_push, FS_CACHE_LOAD_REMOTE (fs_cache_load_full and
fs_cache_load_or_store_full) and FsCacheTransfer, as
Python programs use them. Run by meson (suite remote) with the uninstalled
typelib; tests/remote/test-remote.c has the failure cases in depth.
"""

import hashlib
import json
import os

import pytest

gi = pytest.importorskip("gi")
gi.require_version("FsCache", "1")
from gi.repository import FsCache, Gio, GLib  # noqa: E402


def open_cache(path, url):
    cache = FsCache.Cache.new_for_path("org.example.RemoteTest", str(path), None)
    info = FsCache.CacheInfo.new()
    info.set_unlimited()
    info.set_remote_url(url)
    cache.set_info(info, None)
    return cache


def make_tree(root):
    os.makedirs(root / "sub")
    (root / "a").write_bytes(b"alpha\n" * 1000)
    (root / "sub" / "b").write_bytes(os.urandom(200_000))
    (root / "sub" / "same-as-a").write_bytes(b"alpha\n" * 1000)
    os.symlink("sub/b", root / "link")
    return root


def store(cache, name, src):
    ok, status = cache.store_tree(name, Gio.File.new_for_path(str(src)),
                                  FsCache.CacheStoreFlags.NONE, None, None, None)
    assert ok and status == FsCache.CacheCommitStatus.STORED


def test_info_remote_settings(tmp_path):
    info = FsCache.CacheInfo.new()
    assert not info.has_remote_url() and info.get_remote_url() is None
    assert info.get_remote_mode() == FsCache.CacheRemoteMode.READ_WRITE
    assert info.get_remote_namespace() == ""
    assert info.get_remote_timeout() == FsCache.CACHE_REMOTE_DEFAULT_TIMEOUT == 30
    assert info.get_remote_connections() == FsCache.CACHE_REMOTE_DEFAULT_CONNECTIONS == 8
    assert info.get_remote_credentials_file() is None and not info.get_remote_zstd()

    info.set_remote_url("https://cache.example.org/fscache/")
    info.set_remote_mode(FsCache.CacheRemoteMode.READ_ONLY)
    info.set_remote_namespace("bookworm")
    info.set_remote_timeout(5)
    info.set_remote_connections(16)
    info.set_remote_credentials_file("/etc/fscache/token")
    info.set_remote_zstd(True)
    cache = FsCache.Cache.new_for_path("org.example.RemoteTest", str(tmp_path / "c"), None)
    cache.set_info(info, None)

    back = cache.dup_info(None)
    assert back.get_remote_url() == "https://cache.example.org/fscache/"
    assert back.get_remote_mode() == FsCache.CacheRemoteMode.READ_ONLY
    assert back.get_remote_namespace() == "bookworm"
    assert back.get_remote_timeout() == 5 and back.get_remote_connections() == 16
    assert back.get_remote_credentials_file() == "/etc/fscache/token"
    assert back.get_remote_zstd()
    on_disk = json.loads((tmp_path / "c" / "cache.info").read_text())
    assert on_disk["fscache-remote-url"] == "https://cache.example.org/fscache/"
    assert on_disk["fscache-remote-mode"] == "read-only"
    assert on_disk["fscache-remote-namespace"] == "bookworm"

    # Unset fields keep what is on disk; "" turns the remote off.
    off = FsCache.CacheInfo.new()
    off.set_remote_url("")
    cache.set_info(off, None)
    back = cache.dup_info(None)
    assert back.has_remote_url() and back.get_remote_url() is None
    assert back.get_remote_namespace() == "bookworm"


def test_push_then_load_elsewhere(tmp_path, nginx):
    src = make_tree(tmp_path / "src")
    a = open_cache(tmp_path / "a", nginx.url)
    b = open_cache(tmp_path / "b", nginx.url)
    store(a, "tree", src)

    transfer = a.push("tree", None, None, None)
    assert isinstance(transfer, FsCache.CacheTransfer)
    assert transfer.get_name() == "tree" and transfer.get_remote_url() == nginx.url
    assert transfer.props.blobs_sent == 3  # a (and its twin), b, the manifest
    assert transfer.props.blobs_skipped == 0
    assert transfer.get_bytes_sent() > 200_000

    # A plain load never asks the server.
    before = nginx.count()
    with pytest.raises(GLib.Error) as miss:
        b.load("tree", None)
    assert miss.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.MISS)
    assert nginx.count() == before

    entry = b.load_full("tree", FsCache.CacheLoadFlags.REMOTE, None)
    assert entry.get_tree_digest() == transfer.get_tree_digest()
    assert entry.verify(None)
    data = os.path.join(entry.get_path(), "sub", "b")
    with open(data, "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    assert got == hashlib.sha256((src / "sub" / "b").read_bytes()).hexdigest()
    assert os.readlink(os.path.join(entry.get_path(), "link")) == "sub/b"


def test_load_or_store_full_remote(tmp_path, nginx):
    """The single flight with the remote: what the remote has comes back
    loaded, what it has not is an entry to build; without the flag the
    server hears nothing."""
    src = make_tree(tmp_path / "src")
    a = open_cache(tmp_path / "a", nginx.url)
    b = open_cache(tmp_path / "b", nginx.url)
    store(a, "tree", src)
    transfer = a.push("tree", None, None, None)

    before = nginx.count()
    entry = b.load_or_store_full("tree", FsCache.CacheLoadFlags.NONE, 0, None)
    assert entry.get_kind() == FsCache.CacheEntryKind.STORING
    entry.release()
    assert nginx.count() == before

    entry = b.load_or_store_full("tree", FsCache.CacheLoadFlags.REMOTE, -1, None)
    assert entry.get_kind() == FsCache.CacheEntryKind.LOADED
    assert entry.get_tree_digest() == transfer.get_tree_digest()
    entry.release()

    with b.load_or_store_full("built-here", FsCache.CacheLoadFlags.REMOTE, -1, None) as entry:
        assert entry.get_kind() == FsCache.CacheEntryKind.STORING
        with open(os.path.join(entry.get_path(), "f"), "w") as f:
            f.write("built\n")
        ok, status = entry.commit(None)
        assert ok and status == FsCache.CacheCommitStatus.STORED


def test_entry_push_after_commit(tmp_path, nginx):
    a = open_cache(tmp_path / "a", nginx.url)
    entry = a.store("written", None)
    with open(os.path.join(entry.get_path(), "file"), "w") as f:
        f.write("written through\n")
    ok, status = entry.commit(None)
    assert ok and status == FsCache.CacheCommitStatus.STORED
    transfer = entry.push(None, None, None)
    assert transfer.get_blobs_sent() == 2
    assert nginx.count("PUT", "/ac/") == 1


def test_pull_reports_and_status(tmp_path, nginx):
    src = make_tree(tmp_path / "src")
    a = open_cache(tmp_path / "a", nginx.url)
    b = open_cache(tmp_path / "b", nginx.url)
    store(a, "tree", src)
    a.push("tree", None, None, None)

    seen = []
    transfer, status = b.pull("tree", lambda cur, total, *data: seen.append((cur, total)),
                              None, None)
    assert status == FsCache.CacheCommitStatus.STORED
    assert transfer.get_blobs_received() == 3 and transfer.get_blobs_copied() == 1
    assert seen and seen[-1][0] == seen[-1][1] == 6000 + 200_000 + 6000

    transfer, status = b.pull("tree", None, None, None)
    assert status == FsCache.CacheCommitStatus.EXISTS and transfer.get_requests() == 0

    with pytest.raises(GLib.Error) as err:
        b.pull("nothing", None, None, None)
    assert err.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.MISS)

    # The statistics: one remote hit with its bytes, one remote miss (the
    # pull of an entry the cache had asked nothing); the push's bytes in A.
    stats = b.get_stats(None)
    assert (stats.get_remote_hits(), stats.get_remote_misses()) == (1, 1)
    assert stats.props.remote_bytes_down > 200_000
    assert a.get_stats(None).get_remote_bytes_up() > 200_000


def test_pull_async(tmp_path, nginx):
    src = make_tree(tmp_path / "src")
    a = open_cache(tmp_path / "a", nginx.url)
    b = open_cache(tmp_path / "b", nginx.url)
    store(a, "tree", src)
    a.push("tree", None, None, None)

    loop = GLib.MainLoop()
    result = {}
    progress = []

    def done(cache, res):
        result["transfer"], result["status"] = cache.pull_finish(res)
        loop.quit()

    b.pull_async("tree", GLib.PRIORITY_DEFAULT, None,
                 lambda cur, total, *data: progress.append((cur, total)), callback=done)
    loop.run()
    assert result["status"] == FsCache.CacheCommitStatus.STORED
    assert result["transfer"].get_blobs_received() == 3
    assert progress and progress[-1] == (212_000, 212_000)


def test_push_failures(tmp_path, nginx):
    a = open_cache(tmp_path / "a", nginx.url)
    entry = a.store("e", None)
    (open(os.path.join(entry.get_path(), "f"), "w")).close()
    entry.commit(None)

    ro = FsCache.CacheInfo.new()
    ro.set_remote_mode(FsCache.CacheRemoteMode.READ_ONLY)
    a.set_info(ro, None)
    with pytest.raises(GLib.Error) as err:
        a.push("e", None, None, None)
    assert err.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.NO_REMOTE)
    assert nginx.count("PUT") == 0

    rw = FsCache.CacheInfo.new()
    rw.set_remote_mode(FsCache.CacheRemoteMode.READ_WRITE)
    a.set_info(rw, None)
    nginx.kill()
    with pytest.raises(GLib.Error) as err:
        a.push("e", None, None, None)
    assert err.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CONNECTION_REFUSED)
    assert nginx.url in err.value.message
