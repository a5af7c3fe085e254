# SPDX-License-Identifier: LGPL-2.1-or-later
"""`fscache manifest`, `verify` and `fsck` (issue 13, DESIGN §8), run as a user runs them.

Every kind of damage an entry can suffer (a flipped byte, a truncated file, a
changed mode, a replaced symbolic link target, a removed file, an added file,
a corrupt or missing manifest) is found by `verify` and by `fsck`, which name
the entry and the file; `fsck --repair` removes the damaged entry through the
ordinary removal and leaves the cache exact (cache.size is the sum of the
entries' sizes, nothing is left over), after which `fsck` finds nothing.
Entries without a manifest (osbuild's) are reported as such, never as
corrupt, and `verify --add` gives them one. Exit statuses 0, 1 and 3.

The helpers (temporary caches, the tool) are those of test_cli.py.
"""

import base64
import hashlib
import json
import os
import re
import subprocess

import pytest

from test_cli import (  # noqa: F401 (fixtures)
    EXIT_FAILURE,
    EXIT_MISS,
    EXIT_OK,
    TOOL,
    assert_error,
    base_env,
    cache,
    hold,
    json_of,
    leftovers,
    make_debris,
    make_tree,
    ok,
    release,
    run_on_pty,
    text,
    work,
    write,
)

pytestmark = pytest.mark.skipif(not os.access(TOOL, os.X_OK), reason="FSCACHE_TOOL not set")


# ---- helpers ----------------------------------------------------------------


def stored(work, cache, name="t", **kwargs):
    src = make_tree(os.path.join(work, "src-" + name), **kwargs)
    ok(cache.run("store", name, src))
    return cache.data(name)


def object_infos(cache):
    """The "size" of every committed entry's object.info."""
    sizes = {}
    objects = os.path.join(cache.path, "objects")
    for name in os.listdir(objects):
        path = os.path.join(objects, name, "object.info")
        if name.startswith("uuid-") or not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            sizes[name] = json.load(f)["size"]
    return sizes


def assert_exact(cache):
    """The accounting is exact and nothing is left over."""
    with open(os.path.join(cache.path, "cache.size"), encoding="utf-8") as f:
        counter = int(f.read())
    assert counter == sum(object_infos(cache).values())
    assert leftovers(cache.path) == []
    journal = os.path.join(cache.path, "journal")
    assert [n for n in os.listdir(journal) if n.startswith("uuid-")] == []


def make_osbuild_entry(cache, name, work):
    """An entry as osbuild stores it: object.info without a tree digest, no manifest."""
    data = stored(work, cache, name)
    entry = os.path.dirname(data)
    info = os.path.join(entry, "object.info")
    with open(info, encoding="utf-8") as f:
        size = json.load(f)["size"]
    write(info, json.dumps({"size": size}))
    os.unlink(os.path.join(entry, "object.manifest"))
    return data


def flip_byte(path):
    with open(path, "r+b") as f:
        f.seek(1234)
        b = f.read(1)
        f.seek(1234)
        f.write(bytes([b[0] ^ 0x01]))


def truncate(path):
    os.truncate(path, 1000)


def change_mode(path):
    os.chmod(path, 0o600)


def retarget(path):
    os.unlink(path)
    os.symlink("secret", path)


def add_file(path):
    write(path, "not in the manifest\n")


# (what is damaged, how, the kind of difference reported for it)
DAMAGE = {
    "flipped-byte": ("sub/deep/file.bin", flip_byte, "content"),
    "truncated": ("sub/deep/file.bin", truncate, "content"),
    "mode": ("run.sh", change_mode, "mode"),
    "symlink-target": ("link", retarget, "symlink-target"),
    "removed": ("secret", os.unlink, "missing"),
    "added": ("intruder", add_file, "extra"),
}


def damage(cache, name, kind):
    """Damages entry @name; returns (path, kind of difference) or (None, status) for manifests."""
    entry = os.path.join(cache.path, "objects", name)
    if kind == "corrupt-manifest":
        with open(os.path.join(entry, "object.manifest"), "r+b") as f:
            f.seek(40)
            f.write(b"\xff\xfe garbage")
        return None, "damaged-manifest"
    if kind == "missing-manifest":
        os.unlink(os.path.join(entry, "object.manifest"))
        return None, "damaged-manifest"
    path, how, difference = DAMAGE[kind]
    how(os.path.join(entry, "data", path))
    return path, difference


ALL_DAMAGE = list(DAMAGE) + ["corrupt-manifest", "missing-manifest"]


# ---- manifest ---------------------------------------------------------------


def test_manifest_lists_every_node(work, cache):
    data = stored(work, cache)
    out = ok(cache.run("manifest", "t"))
    lines = out.splitlines()
    digest = cache.json("manifest", "t")["tree-digest"]
    assert lines[0].startswith("Manifest of “t” in " + cache.path + ": 11 nodes")
    assert lines[1] == "Tree digest: " + digest
    assert len(lines) == 2 + 11  # . and the ten nodes of make_tree
    with open(os.path.join(data, "hello.txt"), "rb") as f:
        hello = hashlib.sha256(f.read()).hexdigest()
    for pattern in (
        r"drwx\S+ +\d+ +\d+ +- +- +\.",
        r"-rw-r--r-- +\d+ +\d+ +7 " + hello + r" hello\.txt  \[hard link group 1\]",
        r"-rw-r--r-- +\d+ +\d+ +7 " + hello + r" sub/hardlink  \[hard link group 1\]",
        r"-rwxr-xr-x +\d+ +\d+ +\d+ [0-9a-f]{64} run\.sh",
        r"-rw------- .* secret",
        r"drwxr-x--- +\d+ +\d+ +- +- +sub",
        r"lrwxrwxrwx +\d+ +\d+ +9 +- +link -> hello\.txt",
        r"lrwxrwxrwx .* dangling -> /nonexistent/target",
    ):
        assert re.search("^" + pattern + "$", out, re.M), (pattern, out)


def test_manifest_quotes_names_safely(work, cache):
    src = os.path.join(work, "odd")
    os.makedirs(src)
    for name in ("plain", "with space", "new\nline", "it's", "tab\there"):
        write(os.path.join(src, name), name)
    ok(cache.run("store", "odd", src))
    lines = ok(cache.run("manifest", "odd")).splitlines()
    assert len(lines) == 2 + 6  # one line per node, whatever its name
    shown = [line.split(maxsplit=5)[5] for line in lines[2:]]
    for expected in ("plain", "'with space'", "$'new\\nline'", "'it'\\''s'", "$'tab\\there'"):
        assert any(s.endswith(expected) for s in shown), (expected, shown)


def test_manifest_json(work, cache):
    data = stored(work, cache)
    m = cache.json("manifest", "t")
    assert m["cache"] == cache.path and m["name"] == "t" and m["format"] == 1
    assert re.fullmatch(r"[0-9a-f]{64}", m["tree-digest"]) and m["digest"] == m["tree-digest"]
    with open(os.path.join(cache.path, "objects", "t", "object.manifest"), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == m["tree-digest"]
    nodes = {n["path"]: n for n in m["nodes"]}
    assert sorted(nodes) == [n["path"] for n in m["nodes"]]  # deterministic order
    st = os.lstat(os.path.join(data, "run.sh"))
    run_sh = nodes["run.sh"]
    with open(os.path.join(data, "run.sh"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    assert run_sh == {"path": "run.sh", "type": "regular", "mode": "0755", "uid": st.st_uid,
                      "gid": st.st_gid, "size": st.st_size, "sha256": sha}
    assert nodes["."]["type"] == "directory" and "size" not in nodes["."]
    assert nodes["link"]["type"] == "symlink" and nodes["link"]["target"] == "hello.txt"
    assert nodes["hello.txt"]["link-group"] == nodes["sub/hardlink"]["link-group"] >= 1
    assert "link-group" not in nodes["secret"]
    # The bytes of the files, a file with several hard links counted once.
    files = {n.get("link-group") or n["path"]: n["size"] for n in m["nodes"]
             if n["type"] == "regular"}
    assert m["total-size"] == sum(files.values())


def test_manifest_json_of_a_name_that_is_not_utf8(work, cache):
    src = os.path.join(work, "bytes")
    os.makedirs(src)
    raw = b"caf\xe9"
    with open(os.path.join(src.encode(), raw), "wb") as f:
        f.write(b"x")
    ok(cache.run("store", "b", src))
    nodes = cache.json("manifest", "b")["nodes"]
    node = [n for n in nodes if n["path"] != "."][0]
    assert base64.b64decode(node["path-base64"]) == raw
    assert "$'caf\\xe9'" in ok(cache.run("manifest", "b"))


def test_manifest_exit_statuses(work, cache):
    assert_error(cache.run("manifest", "nope"), EXIT_MISS, "No entry “nope”")
    make_osbuild_entry(cache, "osb", work)
    assert_error(cache.run("manifest", "osb"), EXIT_FAILURE, "no manifest", "verify --add osb")
    stored(work, cache, "bad")
    damage(cache, "bad", "corrupt-manifest")
    assert_error(cache.run("manifest", "bad"), EXIT_FAILURE, "manifest")


# ---- verify -----------------------------------------------------------------


def test_verify_intact(work, cache):
    stored(work, cache, "a")
    stored(work, cache, "b")
    proc = cache.run("verify")
    assert ok(proc) == "“a”: intact\n“b”: intact\n2 entries: 2 intact\n"
    assert text(proc.stderr) == ""
    assert ok(cache.run("verify", "b")) == "“b”: intact\n"
    result = cache.json("verify", "a")
    assert result["ok"] is True and result["intact"] == 1 and result["corrupt"] == 0
    [entry] = result["entries"]
    assert entry["name"] == "a" and entry["status"] == "intact" and entry["differences"] == []
    assert entry["tree-digest"] == cache.json("manifest", "a")["tree-digest"]


def test_verify_of_an_empty_cache(work, cache):
    assert ok(cache.run("verify")) == f"No entries in {cache.path}\n"


@pytest.mark.parametrize("kind", ALL_DAMAGE)
def test_verify_finds_and_names_each_damage(work, cache, kind):
    stored(work, cache, "good")
    stored(work, cache, "bad")
    path, difference = damage(cache, "bad", kind)

    proc = cache.run("verify")
    out = text(proc.stdout)
    assert proc.returncode == EXIT_FAILURE, out + text(proc.stderr)
    assert "“good”: intact\n" in out
    if path is not None:
        assert "“bad”: corrupt, " in out
        words = {"content": "content differs", "mode": "mode differs",
                 "symlink-target": "symbolic link target differs", "missing": "missing",
                 "extra": "not in the manifest"}[difference]
        assert re.search(rf"^  {re.escape(path)}: {words}", out, re.M), out
    else:
        assert re.search(r"^“bad”: corrupt, its manifest is damaged: .*object\.manifest", out,
                         re.M)
    assert "1 corrupt" in out

    result = json.loads(text(cache.run("verify", "bad", "--json").stdout))
    [entry] = result["entries"]
    assert result["ok"] is False
    if path is not None:
        assert entry["status"] == "corrupt"
        assert {"path": path, "kind": difference} in [
            {"path": d["path"], "kind": d["kind"]} for d in entry["differences"]]
    else:
        assert entry["status"] == difference and entry["differences"] == []
        assert "object.manifest" in entry["message"]


def test_verify_names_every_file_that_differs(work, cache):
    stored(work, cache)
    for kind in DAMAGE:
        if kind != "truncated":
            damage(cache, "t", kind)
    proc = cache.run("verify", "t")
    assert proc.returncode == EXIT_FAILURE
    lines = text(proc.stdout).splitlines()
    assert lines[0] == "“t”: corrupt, 5 differences from its manifest:"
    assert lines[1:] == sorted(lines[1:])  # in the manifest's order
    named = {line.split(":")[0].strip() for line in lines[1:]}
    assert named == {"sub/deep/file.bin", "run.sh", "link", "secret", "intruder"}


def test_verify_exit_statuses(work, cache):
    stored(work, cache, "a")
    stored(work, cache, "bad")
    damage(cache, "bad", "flipped-byte")
    assert ok(cache.run("verify", "a")) == "“a”: intact\n"
    proc = cache.run("verify", "a", "nope")
    assert proc.returncode == EXIT_MISS
    assert text(proc.stderr) == f"fscache: No entry “nope” in {cache.path}\n"
    assert text(proc.stdout) == "“a”: intact\n"
    # A difference outweighs a miss.
    assert cache.run("verify", "nope", "bad").returncode == EXIT_FAILURE
    result = json.loads(text(cache.run("verify", "a", "nope", "--json").stdout))
    assert [e["status"] for e in result["entries"]] == ["intact", "missing"]
    assert result["missing"] == 1 and result["ok"] is False
    assert_error(cache.run("verify", "a/b"), 2)


def test_verify_entry_without_manifest(work, cache):
    make_osbuild_entry(cache, "osb", work)
    stored(work, cache, "lib")
    proc = cache.run("verify")
    out = ok(proc)
    assert "“osb”: no manifest (stored by osbuild or an older libfscache), not verified" in out
    assert "“lib”: intact" in out and "1 without a manifest" in out
    result = cache.json("verify")
    assert result["ok"] is True and result["no-manifest"] == 1
    osb = [e for e in result["entries"] if e["name"] == "osb"][0]
    assert osb["status"] == "no-manifest" and osb["tree-digest"] is None
    # --strict: an entry that can't be verified fails.
    proc = cache.run("verify", "--strict", "osb")
    assert proc.returncode == EXIT_FAILURE
    assert "“osb”: no manifest" in text(proc.stdout)


def test_verify_add_gives_a_manifest(work, cache):
    data = make_osbuild_entry(cache, "osb", work)
    out = ok(cache.run("verify", "--add", "osb"))
    m = re.fullmatch(r"“osb”: manifest added \(tree digest ([0-9a-f]{64})\)\n", out)
    assert m, out
    assert cache.json("manifest", "osb")["tree-digest"] == m.group(1)
    assert ok(cache.run("verify", "osb")) == "“osb”: intact\n"
    # The same tree stored by libfscache has the same digest.
    ok(cache.run("store", "again", data))
    assert cache.json("manifest", "again")["tree-digest"] == m.group(1)
    # An entry with a manifest is verified, not given another.
    assert ok(cache.run("verify", "--add", "osb")) == "“osb”: intact\n"
    assert_exact(cache)


def test_verify_add_of_an_entry_in_use(work, cache):
    make_osbuild_entry(cache, "osb", work)
    holder = hold(cache, "osb")
    try:
        proc = cache.run("verify", "--add", "osb")
        assert_error(proc, EXIT_FAILURE, "Cannot add a manifest to “osb”")
        assert json.loads(text(cache.run("verify", "--add", "osb", "--json").stdout))[
            "entries"][0]["status"] == "busy"
    finally:
        release(holder)
    assert "manifest added" in ok(cache.run("verify", "--add"))


def test_verify_while_the_entry_is_loaded_elsewhere(work, cache):
    """A verify only read-locks: it runs beside a reader."""
    stored(work, cache, "a")
    holder = hold(cache, "a")
    try:
        assert ok(cache.run("verify", "a")) == "“a”: intact\n"
    finally:
        release(holder)


def test_verify_progress_bar_only_on_a_terminal(work, cache):
    stored(work, cache, "a", big=2 * 1024 * 1024)
    stored(work, cache, "b")
    status, out, terminal = run_on_pty(work, "--cache", cache.path, "verify")
    assert status == 0 and "2 entries: 2 intact" in out
    assert "\rVerifying [" in terminal and "100%" in terminal
    status, out, terminal = run_on_pty(work, "--cache", cache.path, "verify", "--no-progress")
    assert status == 0 and terminal == ""
    proc = cache.run("verify")
    assert text(proc.stderr) == ""
    status, out, terminal = run_on_pty(work, "--cache", cache.path, "fsck")
    assert status == 0 and "\rChecking [" in terminal and "100%" in terminal


# ---- fsck -------------------------------------------------------------------


def test_fsck_of_a_sound_cache(work, cache):
    stored(work, cache, "a")
    make_osbuild_entry(cache, "osb", work)
    out = ok(cache.run("fsck"))
    assert out == ("Entries: 2 checked, 1 intact, 1 without a manifest it can read "
                   "(“fscache verify --add” gives them one)\n"
                   "Stale debris: none\nSize counter: exact\n")
    result = cache.json("fsck")
    assert result["ok"] is True and result["checked"] == 2 and result["intact"] == 1
    assert result["no-manifest"] == 1 and result["without-manifest"] == ["osb"]
    assert result["problems"] == [] and result["stale-items"] == 0
    assert result["size-correction"] == 0 and result["counter-checked"] is True


@pytest.mark.parametrize("kind", ALL_DAMAGE)
def test_fsck_finds_each_damage_and_repair_leaves_the_cache_exact(work, cache, kind):
    stored(work, cache, "good")
    stored(work, cache, "bad")
    make_osbuild_entry(cache, "osb", work)
    path, difference = damage(cache, "bad", kind)

    proc = cache.run("fsck")
    out = text(proc.stdout)
    assert proc.returncode == EXIT_FAILURE, out
    assert "“bad”: corrupt" in out and "“good”" not in out and "“osb”" not in out
    if path is not None:
        assert re.search(rf"^  {re.escape(path)}: ", out, re.M), out
    assert "Entries: 3 checked, 1 intact, 1 corrupt, 1 without a manifest" in out
    assert "fsck --repair" in text(proc.stderr)
    result = json.loads(text(cache.run("fsck", "--json").stdout))
    [problem] = result["problems"]
    assert problem["name"] == "bad" and problem["status"] in ("corrupt", "damaged-manifest")
    if path is not None:
        assert path in [d["path"] for d in problem["differences"]]
        assert difference in [d["kind"] for d in problem["differences"]]
    assert result["ok"] is False

    repaired = cache.json("fsck", "--repair")
    assert repaired["ok"] is True
    assert [(p["name"], p["repair"]) for p in repaired["problems"]] == [("bad", "removed")]
    assert sorted(cache.names()) == ["good", "osb"]
    assert_exact(cache)
    again = cache.run("fsck")
    assert again.returncode == EXIT_OK, text(again.stdout)
    assert "corrupt" not in text(again.stdout)


def test_fsck_text_of_a_repair(work, cache):
    stored(work, cache, "bad")
    damage(cache, "bad", "removed")
    out = ok(cache.run("fsck", "--repair"))
    assert out.startswith("“bad”: corrupt, 1 difference from its manifest:\n  secret: missing\n"
                          "  removed\n")
    assert cache.names() == []
    assert_exact(cache)


def test_fsck_does_not_remove_an_entry_in_use(work, cache):
    stored(work, cache, "bad")
    damage(cache, "bad", "flipped-byte")
    holder = hold(cache, "bad")
    try:
        proc = cache.run("fsck", "--repair")
        assert proc.returncode == EXIT_FAILURE
        assert "not removed: it is in use" in text(proc.stdout)
        assert "still has problems" in text(proc.stderr)
        assert cache.names() == ["bad"]
    finally:
        release(holder)
    assert cache.json("fsck", "--repair")["ok"] is True
    assert cache.names() == []
    assert_exact(cache)


def test_fsck_finds_debris_and_a_wrong_counter(work, cache):
    stored(work, cache, "a")
    debris = make_debris(cache)
    counter = os.path.join(cache.path, "cache.size")
    with open(counter, encoding="utf-8") as f:
        exact = int(f.read())
    write(counter, str(exact + 4096))

    proc = cache.run("fsck")
    assert proc.returncode == EXIT_FAILURE
    out = text(proc.stdout)
    assert re.search(r"^Stale debris: 1 item \(", out, re.M), out
    assert "Size counter: 4 KiB too high" in out
    result = json.loads(text(cache.run("fsck", "--json").stdout))
    assert result["stale-items"] == 1 and result["stale-bytes"] >= 50_000
    assert result["size-correction"] == -4096 and result["ok"] is False
    assert os.path.exists(debris)  # a check changes nothing

    out = ok(cache.run("fsck", "--repair"))
    assert "removed" in out and "Size counter: corrected by -4 KiB" in out
    assert not os.path.exists(debris)
    assert_exact(cache)
    assert cache.json("fsck")["ok"] is True


def test_fsck_counter_unchecked_while_in_use(work, cache):
    stored(work, cache, "a")
    holder = hold(cache, "a")
    try:
        result = cache.json("fsck")
        assert result["counter-checked"] is False and result["size-correction"] is None
        assert result["ok"] is True
        assert "Size counter: not checked" in ok(cache.run("fsck"))
        proc = cache.run("fsck", "--wait-idle=1")
        assert_error(proc, EXIT_FAILURE, "still in use")
    finally:
        release(holder)
    assert cache.json("fsck", "--wait-idle=5")["counter-checked"] is True


def test_fsck_usage(work, cache):
    assert_error(cache.run("fsck", "x"), 2, "fscache fsck --help")
    assert_error(cache.run("fsck", "--wait-idle=0"), 2, "seconds")


def test_integrity_commands_in_help_and_completion(work, cache):
    out = ok(cache.run("--help"))
    for command in ("manifest", "verify", "fsck"):
        assert re.search(rf"^  {command}\b", out, re.M)
    stored(work, cache, "a")
    env = base_env(work)
    proc = subprocess.run([TOOL, "--cache", cache.path, "__complete", "argument", "verify", "0"],
                          env=env, stdout=subprocess.PIPE, check=True)
    assert proc.stdout == b"=a\n"  # "=": a word, quoted for the shell
    options = text(subprocess.run([TOOL, "__complete", "options", "fsck"], env=env,
                                  stdout=subprocess.PIPE, check=True).stdout)
    for option in ("--repair", "--wait-idle", "--json", "--no-progress"):
        assert option in options


def test_fsck_entry_with_a_damaged_object_info(work, cache):
    """An object.info that does not parse makes the entry invisible (never
    served): fsck reports it with the debris, and --repair removes it and
    recounts, leaving the cache exact."""
    stored(work, cache, "a")
    stored(work, cache, "b")
    write(os.path.join(cache.path, "objects", "b", "object.info"), "{garbage")
    result = json.loads(text(cache.run("fsck", "--json").stdout))
    assert result["ok"] is False and result["stale-items"] == 1 and result["checked"] == 1
    repaired = cache.json("fsck", "--repair")
    assert repaired["ok"] is True and repaired["stale-items"] == 1
    assert not os.path.exists(os.path.join(cache.path, "objects", "b"))
    assert cache.names() == ["a"]
    assert_exact(cache)
    assert cache.json("fsck")["ok"] is True
