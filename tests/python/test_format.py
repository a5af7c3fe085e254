# SPDX-License-Identifier: LGPL-2.1-or-later
"""The on-disk format is osbuild's (DESIGN.md §3), in both directions.

(a) A cache written by hand, file by file, the way osbuild leaves it, is
    read correctly by the library, which keeps what it does not know.
(b) A cache written by the library has osbuild's layout, file by file, and
    its locks are the OFD locks osbuild takes.

Everything here is plain Python (json, os, fcntl): it stands for osbuild.
"""

import errno
import fcntl
import hashlib
import hmac
import json
import os
import struct

import gi
import pytest

gi.require_version("FsCache", "1")
from gi.repository import FsCache, Gio, GLib  # noqa: E402

APP_ID = "org.example.FsCacheTests"
OSBUILD_APP_ID = "osbuild"

Cache = FsCache.Cache
Status = FsCache.CacheCommitStatus
Error = FsCache.CacheError
UNLIMITED = FsCache.CACHE_SIZE_UNLIMITED

CACHEDIR_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
TOP_LEVEL = {
    "CACHEDIR.TAG": "file",
    "cache.info": "file",
    "cache.lock": "file",
    "cache.size": "file",
    "objects": "dir",
    "stage": "dir",
}
# Where the library may add things osbuild ignores (extra top-level folders).
# stats/: the statistics (fs-stats.c); pins/: the pins (fs-pin.c).
OUR_EXTRA_TOP_LEVEL = {"journal": "dir", "stats": "dir", "pins": "dir"}


# -- osbuild's side ---------------------------------------------------------


def app_boot_id(app_id, kernel_boot_id):
    """The boot id of DESIGN §3, computed as osbuild does."""
    digest = bytearray(hmac.new(kernel_boot_id.encode(), app_id.encode(), hashlib.sha256).digest())
    digest = digest[:16]
    b6 = digest[6]
    digest[6] = (b6 & 0x0F) | 0x40
    digest[8] = (b6 & 0x0F) | 0x80  # sic: from byte 6
    return digest.hex()


def kernel_boot_id():
    with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
        return "".join(f.read().split())


def is_boot_id(value):
    return (
        isinstance(value, str)
        and len(value) == 32
        and all(c in "0123456789abcdef" for c in value)
    )


def is_json_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def osbuild_parse_cache_info(data):
    """osbuild's FsCacheInfo.from_json: what osbuild understands."""
    if not isinstance(data, dict):
        return None, None
    boot_id = data.get("creation-boot-id")
    if not (isinstance(boot_id, str) and len(boot_id) == 32):
        boot_id = None
    maximum = data.get("maximum-size")
    if not (is_json_int(maximum) or maximum == "unlimited"):
        maximum = None
    return boot_id, maximum


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_file(path, content):
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def read_file(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def ofd_lock(path, write, wait=False):
    """Lock @path as osbuild does (an OFD lock on the whole file).

    Returns the open descriptor (close it to unlock), or None when another
    open file description holds a conflicting lock.
    """
    fd = os.open(path, (os.O_RDWR if write else os.O_RDONLY) | os.O_CLOEXEC)
    # struct flock: short l_type, short l_whence, off_t l_start, off_t l_len,
    # pid_t l_pid (must be 0 for OFD locks)
    lock = struct.pack("hhqqi4x", fcntl.F_WRLCK if write else fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0)
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK, lock)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EAGAIN, errno.EACCES):
            return None
        raise
    return fd


def tree_space(path):
    """Space used by a tree: st_blocks * 512, folders included (DESIGN §3)."""
    total = os.lstat(path).st_blocks * 512
    for parent, dirs, files in os.walk(path):
        for name in dirs + files:
            total += os.lstat(os.path.join(parent, name)).st_blocks * 512
    return total


def kind(path):
    if os.path.islink(path):
        return "symlink"
    if os.path.isdir(path):
        return "dir"
    if os.path.isfile(path):
        return "file"
    return "other"


# A cache directory exactly as DESIGN §3 says osbuild leaves it.
ENTRY_NAME = "osbuild-entry"
ENTRY_FILE_CONTENT = "written by osbuild\n"
UNKNOWN_KEY = "x-from-the-future"
UNKNOWN_VALUE = {"nested": [1, "two", None, True], "n": 3.5}


def write_osbuild_cache(root, maximum_size=1000000):
    boot_id = app_boot_id(OSBUILD_APP_ID, kernel_boot_id())
    os.makedirs(os.path.join(root, "objects", ENTRY_NAME, "data"))
    os.makedirs(os.path.join(root, "stage"))
    write_file(
        os.path.join(root, "CACHEDIR.TAG"),
        CACHEDIR_SIGNATURE + "\n"
        "# This is a cache directory tag created by osbuild (see https://bford.info/cachedir/)\n",
    )
    write_file(
        os.path.join(root, "cache.info"),
        json.dumps(
            {
                "version": 1,
                "maximum-size": maximum_size,
                "creation-boot-id": boot_id,
                UNKNOWN_KEY: UNKNOWN_VALUE,
            }
        ),
    )
    write_file(os.path.join(root, "cache.lock"), "")
    write_file(os.path.join(root, "cache.size"), "4096")
    entry = os.path.join(root, "objects", ENTRY_NAME)
    write_file(os.path.join(entry, "data", "file"), ENTRY_FILE_CONTENT)
    write_file(
        os.path.join(entry, "object.info"),
        json.dumps({"creation-boot-id": boot_id, "size": 4096}),
    )
    write_file(os.path.join(entry, "object.lock"), "")
    return boot_id


def commit(entry):
    ok, status = entry.commit(None)
    assert ok is True
    return status


# -- the boot id both implementations compute -------------------------------


def test_boot_id_matches_design_example():
    example = ("osbuild", "48d711d7-68e6-4109-842f-7a9edb178f12")
    assert app_boot_id(*example) == "3385978550bc45ad85c1e6817fffd0a2"
    assert Cache.compute_boot_id(*example) == "3385978550bc45ad85c1e6817fffd0a2"


def test_boot_id_of_this_boot(tmp_path):
    cache = Cache.new_for_path(APP_ID, str(tmp_path / "cache"), None)
    try:
        assert cache.get_boot_id() == app_boot_id(APP_ID, kernel_boot_id())
    finally:
        cache.close()


# -- (a) osbuild writes, the library reads ------------------------------------


def test_reads_osbuild_cache(tmp_path):
    root = str(tmp_path / "cache")
    boot_id = write_osbuild_cache(root)
    entry_dir = os.path.join(root, "objects", ENTRY_NAME)
    object_info_before = load_json(os.path.join(entry_dir, "object.info"))
    tag_before = read_file(os.path.join(root, "CACHEDIR.TAG"))

    cache = Cache.new_for_path(APP_ID, root, None)
    try:
        info = cache.dup_info(None)
        assert info.has_version()
        assert info.get_version() == 1
        assert info.has_maximum_size()
        assert info.get_maximum_size() == 1000000
        assert info.get_creation_boot_id() == boot_id

        entry = cache.load(ENTRY_NAME, None)
        assert entry.get_name() == ENTRY_NAME
        assert entry.get_size() == 4096  # from object.info, as recorded
        assert entry.get_path() == os.path.join(entry_dir, "data")
        assert read_file(os.path.join(entry.get_path(), "file")) == ENTRY_FILE_CONTENT
        entry.release()

        used, maximum = cache.get_usage(None)
        assert used == 4096
        assert maximum == 1000000

        listing = cache.list(None)
        assert listing.get_n_items() == 1
        item = listing.get_item(0)
        assert item.get_name() == ENTRY_NAME
        assert item.get_size() == 4096
        assert item.get_creation_boot_id() == boot_id

        # Loading changed none of osbuild's metadata.
        assert load_json(os.path.join(entry_dir, "object.info")) == object_info_before
        assert read_file(os.path.join(root, "CACHEDIR.TAG")) == tag_before
        assert os.path.getsize(os.path.join(entry_dir, "object.lock")) == 0

        # Changing the size keeps everything else in cache.info.
        cache.set_maximum_size(2000000, None)
        on_disk = load_json(os.path.join(root, "cache.info"))
        assert on_disk["maximum-size"] == 2000000
        assert on_disk["version"] == 1
        assert on_disk["creation-boot-id"] == boot_id
        assert on_disk[UNKNOWN_KEY] == UNKNOWN_VALUE
        assert cache.dup_info(None).get_maximum_size() == 2000000

        # A store into osbuild's cache is accounted on top of its counter.
        new = cache.store("ours", None)
        write_file(os.path.join(new.get_path(), "file"), "written by libfscache\n")
        assert commit(new) == Status.STORED
        ours = new.get_size()
        new.release()
        size = load_json(os.path.join(root, "cache.size"))
        assert is_json_int(size)
        assert size == 4096 + ours
        assert cache.get_usage(None)[0] == 4096 + ours

        # And osbuild's entry is still there, untouched.
        again = cache.load(ENTRY_NAME, None)
        assert read_file(os.path.join(again.get_path(), "file")) == ENTRY_FILE_CONTENT
        again.release()
    finally:
        cache.close()


def test_reads_unlimited(tmp_path):
    root = str(tmp_path / "cache")
    write_osbuild_cache(root, maximum_size="unlimited")
    cache = Cache.new_for_path(APP_ID, root, None)
    try:
        info = cache.dup_info(None)
        assert info.has_maximum_size()
        assert info.get_maximum_size() == UNLIMITED
        assert cache.get_usage(None)[1] == UNLIMITED
    finally:
        cache.close()


def open_existing(root):
    """Opens the cache at @root only if there is one (the "create" property)."""
    cache = Cache(app_id=APP_ID, directory=Gio.File.new_for_path(str(root)), create=False)
    cache.init(None)
    return cache


def test_open_existing_osbuild_cache(tmp_path):
    """create=False opens a cache osbuild made, and a new one as osbuild's
    _create_scaffolding() leaves it (objects/, stage/, cache.info "{}",
    cache.lock, cache.size)."""
    root = str(tmp_path / "cache")
    write_osbuild_cache(root)
    cache = open_existing(root)
    try:
        assert cache.props.create is False
        entry = cache.load(ENTRY_NAME, None)
        assert read_file(os.path.join(entry.get_path(), "file")) == ENTRY_FILE_CONTENT
        entry.release()
    finally:
        cache.close()

    fresh = str(tmp_path / "fresh")
    os.makedirs(os.path.join(fresh, "objects"))
    os.makedirs(os.path.join(fresh, "stage"))
    write_file(os.path.join(fresh, "cache.info"), "{}")
    write_file(os.path.join(fresh, "cache.lock"), "")
    write_file(os.path.join(fresh, "cache.size"), "0")
    open_existing(fresh).close()


@pytest.mark.parametrize("what", ["missing", "empty", "other files"])
def test_open_existing_refuses_what_is_not_a_cache(tmp_path, what):
    root = tmp_path / "dir"
    if what != "missing":
        root.mkdir()
    if what == "other files":
        write_file(str(root / "notes.txt"), "mine")
    before = sorted(os.listdir(root)) if root.exists() else None
    with pytest.raises(GLib.Error) as raised:
        open_existing(root)
    assert raised.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
    assert str(root) in raised.value.message
    assert (sorted(os.listdir(root)) if root.exists() else None) == before
    # The default creates.
    cache = Cache.new_for_path(APP_ID, str(root), None)
    assert cache.props.create is True
    cache.close()
    assert os.path.isfile(root / "cache.info")


def test_osbuild_writer_lock_hides_entry(tmp_path):
    """An entry osbuild holds write-locked (being stored or removed) is a
    miss; once osbuild lets go, it is a hit."""
    root = str(tmp_path / "cache")
    write_osbuild_cache(root)
    lock = os.path.join(root, "objects", ENTRY_NAME, "object.lock")
    cache = Cache.new_for_path(APP_ID, root, None)
    try:
        fd = ofd_lock(lock, write=True)
        assert fd is not None
        try:
            with pytest.raises(GLib.Error) as excinfo:
                cache.load(ENTRY_NAME, None)
            assert excinfo.value.matches(FsCache.cache_error_quark(), Error.MISS)
        finally:
            os.close(fd)
        cache.load(ENTRY_NAME, None).release()
    finally:
        cache.close()


def test_entry_without_object_info_is_never_served(tmp_path):
    """osbuild starts a removal by unlinking object.info."""
    root = str(tmp_path / "cache")
    write_osbuild_cache(root)
    os.unlink(os.path.join(root, "objects", ENTRY_NAME, "object.info"))
    cache = Cache.new_for_path(APP_ID, root, None)
    try:
        with pytest.raises(GLib.Error) as excinfo:
            cache.load(ENTRY_NAME, None)
        assert excinfo.value.matches(FsCache.cache_error_quark(), Error.MISS)
    finally:
        cache.close()


# -- (b) the library writes, osbuild reads ------------------------------------


def check_layout(root, names):
    """@root has osbuild's layout with exactly the committed entries @names."""
    top = {n: kind(os.path.join(root, n)) for n in os.listdir(root)}
    for name, expected in TOP_LEVEL.items():
        assert top.get(name) == expected, name
    for name, found in top.items():
        assert name in TOP_LEVEL or OUR_EXTRA_TOP_LEVEL.get(name) == found, name

    # CACHEDIR.TAG: the signature line, then a comment.
    lines = read_file(os.path.join(root, "CACHEDIR.TAG")).split("\n")
    assert lines[0] == CACHEDIR_SIGNATURE
    assert len(lines) >= 2 and lines[1].startswith("#")

    # cache.lock: empty.
    assert os.path.getsize(os.path.join(root, "cache.lock")) == 0

    # objects/: the committed entries, nothing else (no uuid-* left).
    assert sorted(os.listdir(os.path.join(root, "objects"))) == sorted(names)
    total = 0
    for name in names:
        entry = os.path.join(root, "objects", name)
        # osbuild's three, and the manifest of libfscache 1.1 (DESIGN §8),
        # which osbuild ignores and removes with the entry.
        assert {n: kind(os.path.join(entry, n)) for n in os.listdir(entry)} == {
            "data": "dir",
            "object.info": "file",
            "object.lock": "file",
            "object.manifest": "file",
        }
        assert os.path.getsize(os.path.join(entry, "object.lock")) == 0
        info = load_json(os.path.join(entry, "object.info"))
        assert isinstance(info, dict)
        assert is_boot_id(info.get("creation-boot-id"))
        assert is_json_int(info.get("size"))
        assert info["size"] == tree_space(os.path.join(entry, "data"))
        total += info["size"]

    # cache.size: a JSON integer, the sum of the entries' sizes.
    size = load_json(os.path.join(root, "cache.size"))
    assert is_json_int(size)
    assert size == total

    # stage/: empty when nothing is staged.
    assert os.listdir(os.path.join(root, "stage")) == []


def test_writes_osbuild_layout(tmp_path):
    root = str(tmp_path / "cache")
    cache = Cache.new_for_path(APP_ID, root, None)
    try:
        # A new cache: version 1 and no maximum size.
        info = load_json(os.path.join(root, "cache.info"))
        assert isinstance(info, dict)
        assert info.get("version") == 1 and is_json_int(info["version"])
        assert "maximum-size" not in info
        check_layout(root, [])

        cache.set_maximum_size(1000000, None)
        entry = cache.store(ENTRY_NAME, None)
        os.mkdir(os.path.join(entry.get_path(), "sub"))
        write_file(os.path.join(entry.get_path(), "file"), "written by libfscache\n")
        write_file(os.path.join(entry.get_path(), "sub", "nested"), "nested\n")
        assert commit(entry) == Status.STORED
        size = entry.get_size()
        entry.release()

        staged = cache.stage(None)
        write_file(os.path.join(staged.get_path(), "scratch"), "scratch\n")
        staged.release()
    finally:
        cache.close()

    check_layout(root, [ENTRY_NAME])

    # cache.info: osbuild's keys with osbuild's types. Like osbuild, a new
    # cache gets no creation-boot-id; when there is one, it is 32 hex digits.
    info = load_json(os.path.join(root, "cache.info"))
    assert info["version"] == 1 and is_json_int(info["version"])
    assert info["maximum-size"] == 1000000 and is_json_int(info["maximum-size"])
    if "creation-boot-id" in info:
        assert is_boot_id(info["creation-boot-id"])
    assert osbuild_parse_cache_info(info) == (info.get("creation-boot-id"), 1000000)

    entry_dir = os.path.join(root, "objects", ENTRY_NAME)
    object_info = load_json(os.path.join(entry_dir, "object.info"))
    assert object_info["creation-boot-id"] == app_boot_id(APP_ID, kernel_boot_id())
    assert object_info["size"] == size
    assert read_file(os.path.join(entry_dir, "data", "file")) == "written by libfscache\n"
    assert read_file(os.path.join(entry_dir, "data", "sub", "nested")) == "nested\n"
    assert load_json(os.path.join(root, "cache.size")) == size


def test_writes_creation_boot_id(tmp_path):
    root = str(tmp_path / "cache")
    boot_id = app_boot_id(APP_ID, kernel_boot_id())
    cache = Cache.new_for_path(APP_ID, root, None)
    try:
        info = FsCache.CacheInfo.new()
        info.set_creation_boot_id(boot_id)
        cache.set_info(info, None)
        assert cache.dup_info(None).get_creation_boot_id() == boot_id
    finally:
        cache.close()
    on_disk = load_json(os.path.join(root, "cache.info"))
    assert on_disk["creation-boot-id"] == boot_id
    assert on_disk["version"] == 1 and is_json_int(on_disk["version"])
    assert "maximum-size" not in on_disk  # merge: fields not given are kept (here: unset)
    assert osbuild_parse_cache_info(on_disk) == (boot_id, None)


def test_writes_unlimited(tmp_path):
    root = str(tmp_path / "cache")
    cache = Cache.new_for_path(APP_ID, root, None)
    try:
        cache.set_maximum_size(UNLIMITED, None)
    finally:
        cache.close()
    info = load_json(os.path.join(root, "cache.info"))
    assert info["maximum-size"] == "unlimited"
    assert osbuild_parse_cache_info(info)[1] == "unlimited"


def test_locks_are_osbuild_locks(tmp_path):
    """The library's locks are OFD locks osbuild sees, and respects."""
    root = str(tmp_path / "cache")
    cache = Cache.new_for_path(APP_ID, root, None)
    try:
        # An open cache holds a read lock on cache.lock: osbuild can open the
        # cache too (read lock) but can't take it over (write lock).
        fd = ofd_lock(os.path.join(root, "cache.lock"), write=False)
        assert fd is not None
        os.close(fd)
        assert ofd_lock(os.path.join(root, "cache.lock"), write=True) is None

        cache.set_maximum_size(UNLIMITED, None)

        # A store in progress is a write-locked uuid-* folder in objects/.
        storing = cache.store(ENTRY_NAME, None)
        anonymous = os.path.dirname(storing.get_path())
        assert os.path.dirname(anonymous) == os.path.join(root, "objects")
        assert os.path.basename(anonymous).startswith("uuid-")
        assert ofd_lock(os.path.join(anonymous, "object.lock"), write=False) is None
        write_file(os.path.join(storing.get_path(), "file"), "content\n")
        assert commit(storing) == Status.STORED
        storing.release()

        # A loaded entry is read-locked: osbuild can read it too, but not
        # remove it.
        lock = os.path.join(root, "objects", ENTRY_NAME, "object.lock")
        loaded = cache.load(ENTRY_NAME, None)
        fd = ofd_lock(lock, write=False)
        assert fd is not None
        os.close(fd)
        assert ofd_lock(lock, write=True) is None
        loaded.release()

        # Released: nobody holds it.
        fd = ofd_lock(lock, write=True)
        assert fd is not None
        os.close(fd)

        # A staged entry is a write-locked uuid-* folder in stage/.
        staged = cache.stage(None)
        anonymous = os.path.dirname(staged.get_path())
        assert os.path.dirname(anonymous) == os.path.join(root, "stage")
        assert os.path.basename(anonymous).startswith("uuid-")
        assert ofd_lock(os.path.join(anonymous, "object.lock"), write=False) is None
        staged.release()
        assert not os.path.exists(anonymous)
    finally:
        cache.close()

    # Closed: the cache lock is free.
    fd = ofd_lock(os.path.join(root, "cache.lock"), write=True)
    assert fd is not None
    os.close(fd)
