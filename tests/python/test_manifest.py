# SPDX-License-Identifier: LGPL-2.1-or-later
"""FsCache.CacheManifest through GObject introspection, and the manifest
format (docs/format.md, "object.manifest") read independently.

The tests write manifests with GLib.Variant and hashlib from the format's
description alone, load them with FsCache.CacheManifest.new_from_bytes and
iterate their nodes (a Gio.ListModel); and compare the bytes the library
makes of a real tree (tests/fs-manifest-helper, $FSCACHE_MANIFEST_HELPER)
with the bytes made here: they must be the same, byte for byte.

Run by meson (`meson test --suite python`), which sets GI_TYPELIB_PATH and
LD_LIBRARY_PATH to the build folder.
"""

import hashlib
import json
import os
import stat
import subprocess

import gi
import pytest

gi.require_version("FsCache", "1")
from gi.repository import FsCache, Gio, GLib  # noqa: E402

NODE = "(ayyuuutuuuayaya(ayay))"
TYPES = {
    stat.S_IFREG: ("f", FsCache.CacheNodeType.REGULAR),
    stat.S_IFDIR: ("d", FsCache.CacheNodeType.DIRECTORY),
    stat.S_IFLNK: ("l", FsCache.CacheNodeType.SYMLINK),
    stat.S_IFIFO: ("p", FsCache.CacheNodeType.FIFO),
    stat.S_IFSOCK: ("s", FsCache.CacheNodeType.SOCKET),
    stat.S_IFCHR: ("c", FsCache.CacheNodeType.CHAR_DEVICE),
    stat.S_IFBLK: ("b", FsCache.CacheNodeType.BLOCK_DEVICE),
}


def order_key(path):
    """The manifest's order: "." first, then by bytes with "/" lowest."""
    if path == b".":
        return (0, b"")
    return (1, path.replace(b"/", b"\x00"))


def bytestring(b):
    return b + b"\x00"


def serialize(nodes):
    """nodes: dicts with the fields of docs/format.md, already sorted."""
    values = []
    for n in nodes:
        values.append((
            bytestring(n["path"]), ord(n["type"]), n["mode"], n["uid"], n["gid"], n["size"],
            n["group"], n["major"], n["minor"], bytestring(n["target"]), n["sha256"],
            n["xattrs"],
        ))
    body = GLib.Variant("a" + NODE, values)
    return GLib.Variant("(uv)", (1, body)).get_data_as_bytes().get_data()


def node(path, type_, mode=0o644, **kw):
    n = {"path": path, "type": type_, "mode": mode, "uid": 0, "gid": 0, "size": 0,
         "group": 0, "major": 0, "minor": 0, "target": b"", "sha256": b"", "xattrs": []}
    n.update(kw)
    return n


def manifest_of_tree(top):
    """The manifest of the tree at @top, as docs/format.md describes it."""
    found = []
    inodes = {}

    def add(rel, full):
        st = os.lstat(full)
        kind, _ = TYPES[stat.S_IFMT(st.st_mode)]
        n = node(rel, kind, stat.S_IMODE(st.st_mode), uid=st.st_uid, gid=st.st_gid)
        if kind == "f":
            with open(full, "rb") as f:
                n["sha256"] = hashlib.sha256(f.read()).digest()
            n["size"] = st.st_size
        elif kind == "l":
            n["target"] = os.readlink(full)
            n["size"] = len(n["target"])
        elif kind in "cb":
            n["major"], n["minor"] = os.major(st.st_rdev), os.minor(st.st_rdev)
        try:
            names = sorted(os.listxattr(full, follow_symlinks=False), key=os.fsencode)
            n["xattrs"] = [(bytestring(os.fsencode(x)),
                            os.getxattr(full, x, follow_symlinks=False)) for x in names]
        except OSError:
            pass
        if kind != "d":
            n["inode"] = (st.st_dev, st.st_ino)
            inodes[n["inode"]] = inodes.get(n["inode"], 0) + 1
        found.append(n)
        if kind == "d":
            for name in os.listdir(full):
                name = os.fsencode(name)
                add(name if rel == b"." else rel + b"/" + name, os.path.join(full, name))

    add(b".", os.fsencode(top))
    found.sort(key=lambda n: order_key(n["path"]))
    # hard-link groups: inodes with several nodes, numbered in that order
    groups = {}
    for n in found:
        if inodes.get(n.get("inode"), 0) > 1:
            n["group"] = groups.setdefault(n["inode"], len(groups) + 1)
    return serialize(found)


# The build tree's helper: set by meson for the python suite; not there when
# tests/install/check-installed.sh runs these tests against an installed
# library, which has no such program.
HELPER = os.environ.get("FSCACHE_MANIFEST_HELPER")
needs_helper = pytest.mark.skipif(HELPER is None, reason="FSCACHE_MANIFEST_HELPER is not set")


def library_manifest(top, threads=2):
    helper = HELPER
    return subprocess.run([helper, "build", top, str(threads)], check=True,
                          stdout=subprocess.PIPE).stdout


def load(data):
    return FsCache.CacheManifest.new_from_bytes(GLib.Bytes.new(data))


def test_iterate_handmade():
    sha = hashlib.sha256(b"hello\n").digest()
    data = serialize([
        node(b".", "d", 0o755),
        node(b"bin", "d", 0o755),
        node(b"bin/hello", "f", 0o755, size=6, sha256=sha, uid=1000, gid=100),
        node(b"bin/hi", "l", 0o777, size=5, target=b"hello"),
        node(b"bin-old", "p", 0o600),
    ])
    m = load(data)

    assert m.get_digest() == hashlib.sha256(data).hexdigest()
    assert m.props.digest == m.get_digest()
    assert m.get_bytes().get_data() == data
    assert m.get_n_nodes() == 5
    assert len(m) == 5
    assert isinstance(m, Gio.ListModel)
    assert m.get_item_type() == FsCache.CacheManifestNode.__gtype__

    paths = [n.get_path() for n in m]
    assert paths == [".", "bin", "bin/hello", "bin/hi", "bin-old"]
    hello = m[2]
    assert hello.get_node_type() == FsCache.CacheNodeType.REGULAR
    assert hello.get_mode() == 0o755
    assert (hello.get_uid(), hello.get_gid()) == (1000, 100)
    assert hello.get_size() == 6
    assert hello.get_sha256() == sha.hex()
    assert hello.get_symlink_target() is None
    assert hello.get_position() == 2
    hi = m.lookup("bin/hi")
    assert hi.get_symlink_target() == "hello"
    assert hi.get_sha256() is None
    assert m.lookup("nothing") is None
    assert m[-1].get_node_type() == FsCache.CacheNodeType.FIFO
    assert m.get_total_size() == 6
    with pytest.raises(IndexError):
        m[5]


def test_corrupt_raises():
    good = serialize([node(b".", "d", 0o755), node(b"a", "d")])
    bad = [
        good[:-1],
        serialize([node(b".", "d", 0o755), node(b"b", "d"), node(b"a", "d")]),
        serialize([node(b".", "d", 0o755), node(b"..", "d")]),
        serialize([node(b".", "d", 0o755), node(b"a", "d"), node(b"a", "d")]),
        b"",
        b"\x00" * 7,
    ]
    for data in bad:
        with pytest.raises(GLib.Error) as info:
            load(data)
        assert info.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.CORRUPT)
    newer = GLib.Variant("(uv)", (2, GLib.Variant("s", "future"))).get_data_as_bytes().get_data()
    with pytest.raises(GLib.Error) as info:
        load(newer)
    assert info.value.matches(FsCache.cache_error_quark(), FsCache.CacheError.INCOMPATIBLE)


def make_tree(top):
    os.mkdir(top)
    os.chmod(top, 0o755)
    with open(os.path.join(top, "a"), "w") as f:
        f.write("alpha\n")
    os.mkdir(os.path.join(top, "d"))
    with open(os.path.join(top, "d", "b"), "wb") as f:
        f.write(os.urandom(300000))
    os.symlink("b", os.path.join(top, "d", "link"))
    os.link(os.path.join(top, "a"), os.path.join(top, "d", "a-again"))
    os.mkfifo(os.path.join(top, "fifo"))
    os.chmod(os.path.join(top, "fifo"), 0o640)
    with open(os.path.join(os.fsencode(top), b"caf\xe9"), "w") as f:  # not UTF-8
        f.write("latin-1\n")
    os.mkdir(os.path.join(top, "a-b"))
    os.mkdir(os.path.join(top, "d-e"))  # after d's nodes: "/" sorts first
    with open(os.path.join(top, "empty"), "w"):
        pass
    try:
        os.setxattr(os.path.join(top, "a"), "user.zz", b"last")
        os.setxattr(os.path.join(top, "a"), "user.aa", b"\x00first")
        return True
    except OSError:
        return False


@needs_helper
def test_same_bytes_as_the_library(tmp_path):
    top = str(tmp_path / "tree")
    xattrs = make_tree(top)
    ours = manifest_of_tree(top)

    for threads in (1, 2):
        assert library_manifest(top, threads) == ours

    m = load(ours)
    by_path = {os.fsencode(n.get_path()): n for n in m}
    assert by_path[b"a"].get_link_group() == 1
    assert by_path[b"d/a-again"].get_link_group() == 1
    assert by_path[b"d/a-again"].get_sha256() == hashlib.sha256(b"alpha\n").hexdigest()
    assert by_path[b"d/link"].get_symlink_target() == "b"
    assert by_path[b"fifo"].get_mode() == 0o640
    assert by_path[b"caf\xe9"].get_size() == 8
    if xattrs:
        assert by_path[b"a"].dup_xattr_names() == ["user.aa", "user.zz"]
        assert by_path[b"a"].dup_xattr("user.aa").get_data() == b"\x00first"
        assert by_path[b"a"].dup_xattr("user.none") is None
    # the order: "a", then "a-b" (its own directory), ..., "d" and its nodes
    order = [os.fsencode(n.get_path()) for n in m]
    assert order == sorted(order, key=order_key)

    doc = json.loads(m.to_json(False))
    assert doc["digest"] == m.get_digest()
    assert [n["path"] for n in doc["nodes"]][:3] == [".", "a", "a-b"]
    latin = [n for n in doc["nodes"] if "path-base64" in n]
    assert len(latin) == 1 and latin[0]["size"] == 8


@needs_helper
def test_verify_reports_damage(tmp_path):
    top = str(tmp_path / "tree")
    make_tree(top)
    manifest = tmp_path / "manifest"
    manifest.write_bytes(library_manifest(top))
    helper = HELPER

    ok = subprocess.run([helper, "verify", top, str(manifest)], stdout=subprocess.PIPE)
    assert ok.returncode == 0 and ok.stdout == b""

    with open(os.path.join(top, "d", "b"), "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 1]))
    os.unlink(os.path.join(top, "empty"))
    bad = subprocess.run([helper, "verify", top, str(manifest)], stdout=subprocess.PIPE,
                         env=dict(os.environ, LANGUAGE="C"))
    assert bad.returncode == 3
    lines = bad.stdout.decode().splitlines()
    assert lines[0].startswith("d/b: content differs (SHA-256 ")
    assert lines[1] == "empty: missing"
