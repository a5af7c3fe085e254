# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fscache command-line tool, run as a user runs it.

Every command and option, the JSON output parsed back, every bad input with
its one-line message and exit status, `load` holding the entry's lock while
CMD runs, the progress bar only on a terminal, and the bash completion.

Run by meson (`meson test --suite cli`), which sets FSCACHE_TOOL to the built
executable. Every cache lives in a temporary directory: XDG_CACHE_HOME and
FSCACHE_DIR are always replaced, so the user's cache is never touched.
"""

import json
import os
import pty
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import pytest

TOOL = os.environ.get("FSCACHE_TOOL", "")
COMPLETION = os.environ.get("FSCACHE_BASH_COMPLETION", "")
MAN_PAGE = os.environ.get("FSCACHE_MAN_PAGE", "")
SOURCE_ROOT = os.environ.get("FSCACHE_SOURCE_ROOT", "")

COMMANDS = ["init", "info", "ls", "store", "load", "export", "rm", "push", "pull", "ensure", "pin",
            "unpin", "prune", "gc", "stats", "manifest", "verify", "fsck", "config", "help"]
KEYS = ["maximum-size", "low-watermark", "min-free-space", "volatile", "shared", "remote",
        "remote-mode", "remote-namespace", "remote-timeout", "remote-connections",
        "remote-credentials-file", "remote-zstd"]
# The remote settings of a cache that has none (tests/remote has the rest).
NO_REMOTE = {"remote": None, "remote-mode": "read-write", "remote-namespace": "",
             "remote-timeout": 30, "remote-connections": 8, "remote-credentials-file": None,
             "remote-zstd": False}
NOBODY = 65534

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_MISS = 0, 1, 2, 3

pytestmark = pytest.mark.skipif(not os.access(TOOL, os.X_OK), reason="FSCACHE_TOOL not set")


# ---- helpers ----------------------------------------------------------------


def rmtree(path):
    """Remove a tree even with read-only directories in it."""

    def onerror(func, p, exc):
        parent = os.path.dirname(p)
        for d in (parent, p):
            try:
                os.chmod(d, 0o700)
            except OSError:
                pass
        func(p)

    if os.path.lexists(path):
        shutil.rmtree(path, onerror=onerror)


def reachable_by_all(path):
    """Whether other users can reach @path: every folder from / down to it
    lets them through (o+x)."""
    path = os.path.realpath(path)
    while True:
        try:
            st = os.stat(path)
        except OSError:
            return False
        if not stat.S_ISDIR(st.st_mode) or not st.st_mode & stat.S_IXOTH:
            return False
        if path == "/":
            return True
        path = os.path.dirname(path)


def shared_tmp():
    """A folder for temporary files that other users can reach: the usual
    one ($TMPDIR), else /tmp; the tests as nobody skip when neither is."""
    for candidate in (tempfile.gettempdir(), "/tmp"):
        if reachable_by_all(candidate):
            return candidate
    return tempfile.gettempdir()


@pytest.fixture
def work():
    """A temporary directory anyone can traverse (for the tests as nobody)."""
    path = tempfile.mkdtemp(prefix="fscache-cli-", dir=shared_tmp())
    os.chmod(path, 0o755)
    yield path
    rmtree(path)


def base_env(work, **extra):
    env = dict(os.environ)
    env.pop("FSCACHE_DIR", None)
    env["XDG_CACHE_HOME"] = os.path.join(work, "xdg-cache")
    env["LC_ALL"] = "C.UTF-8"
    env.pop("LANGUAGE", None)
    env.update(extra)
    return env


def run(work, *args, env=None, stderr=subprocess.PIPE, timeout=120, tool=None, **kwargs):
    return subprocess.run(
        [tool or TOOL, *args],
        env=env if env is not None else base_env(work),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        timeout=timeout,
        **kwargs,
    )


def text(data):
    return data.decode("utf-8") if isinstance(data, bytes) else data


def ok(proc):
    assert proc.returncode == 0, f"status {proc.returncode}: {text(proc.stderr)}"
    return text(proc.stdout)


def json_of(proc):
    return json.loads(ok(proc))


def assert_error(proc, status, *fragments):
    """The command failed with @status and one line on stderr naming the problem."""
    err = text(proc.stderr)
    assert proc.returncode == status, f"status {proc.returncode}, stderr {err!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    assert lines[0].startswith("fscache: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


class Cache:
    """A cache in a temporary directory, used through the tool."""

    def __init__(self, work, path=None, max_size="100M"):
        self.work = work
        self.path = path or os.path.join(work, "cache")
        if max_size is not None:
            ok(self.run("init", "--max-size", max_size))

    def run(self, *args, **kwargs):
        return run(self.work, "--cache", self.path, *args, **kwargs)

    def json(self, *args):
        return json_of(self.run(*args, "--json"))

    def names(self):
        return [e["name"] for e in self.json("ls")["entries"]]

    def data(self, name):
        return os.path.join(self.path, "objects", name, "data")


@pytest.fixture
def cache(work):
    return Cache(work)


def write(path, content, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode())
    if mode is not None:
        os.chmod(path, mode)


def make_tree(path, big=0):
    """A small tree with what a copy must keep: modes, times, symlinks, hard links."""
    os.makedirs(path)
    write(os.path.join(path, "hello.txt"), "Hello!\n", 0o644)
    write(os.path.join(path, "run.sh"), "#!/bin/sh\necho run\n", 0o755)
    write(os.path.join(path, "secret"), "s3cr3t\n", 0o600)
    write(os.path.join(path, "sub", "deep", "file.bin"), os.urandom(5000), 0o640)
    os.makedirs(os.path.join(path, "empty"))
    os.chmod(os.path.join(path, "sub"), 0o750)
    os.symlink("hello.txt", os.path.join(path, "link"))
    os.symlink("/nonexistent/target", os.path.join(path, "dangling"))
    os.link(os.path.join(path, "hello.txt"), os.path.join(path, "sub", "hardlink"))
    if big:
        write(os.path.join(path, "big.bin"), os.urandom(big), 0o644)
    when = 1_600_000_000_123_456_789
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        for n in filenames + dirnames:
            os.utime(os.path.join(dirpath, n), ns=(when, when), follow_symlinks=False)
    os.utime(path, ns=(when, when))
    return path


def snapshot(root):
    """What a copy must keep of a tree: type, mode, content, target, mtime, links."""
    result = {}
    inodes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in sorted(dirnames + filenames):
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            entry = {"type": stat.S_IFMT(st.st_mode), "mtime": st.st_mtime_ns}
            if not stat.S_ISLNK(st.st_mode):
                entry["mode"] = stat.S_IMODE(st.st_mode)
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    entry["content"] = f.read()
                if st.st_nlink > 1:
                    entry["linked-with"] = inodes.setdefault((st.st_dev, st.st_ino), rel)
            if stat.S_ISLNK(st.st_mode):
                entry["target"] = os.readlink(p)
            result[rel] = entry
    return result


def as_nobody():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def leftovers(cache_path):
    found = []
    for sub in ("objects", "stage"):
        d = os.path.join(cache_path, sub)
        if os.path.isdir(d):
            found += [n for n in os.listdir(d) if n.startswith("uuid-")]
    return found


# ---- the command line itself ------------------------------------------------


def test_version(work):
    out = ok(run(work, "--version"))
    assert re.fullmatch(r"fscache \d+\.\d+\.\d+\n", out)


def test_help_lists_every_command(work):
    out = ok(run(work, "--help"))
    for command in COMMANDS:
        assert re.search(rf"^  {command}\b", out, re.M), command
    assert "__complete" not in out
    assert ok(run(work, "help")).count("\n") > len(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_each_command(work, command):
    out = ok(run(work, command, "--help"))
    assert out.startswith(f"Usage:\n  fscache {command} [OPTION…]")
    options = ok(run(work, "__complete", "options", command)).split("\n")
    for line in options:
        if line.startswith("--"):
            assert line.split()[0] in out, line
    if command != "help":
        assert ok(run(work, "help", command)) == out


def test_no_command(work):
    assert_error(run(work), EXIT_USAGE, "No command given", "fscache --help")


def test_unknown_command(work):
    assert_error(run(work, "frobnicate"), EXIT_USAGE, "Unknown command “frobnicate”")
    assert_error(run(work, "help", "frobnicate"), EXIT_USAGE, "Unknown command “frobnicate”")


@pytest.mark.parametrize("args", [["--frob"], ["ls", "--frob"], ["store", "--max-size", "1G"],
                                  ["prune", "--to"], ["init", "--max-size"]])
def test_unknown_or_bad_option(work, args):
    proc = run(work, *args)
    assert_error(proc, EXIT_USAGE)
    assert "option" in text(proc.stderr).lower() or "argument" in text(proc.stderr).lower()


@pytest.mark.parametrize("args", [["ls", "x"], ["info", "a", "b"], ["init", "x"], ["gc", "x"],
                                  ["prune", "x"], ["store", "a"], ["store", "a", "b", "c"],
                                  ["export", "a"], ["rm"], ["load"], ["load", "a"],
                                  ["load", "a", "--"], ["config"], ["config", "get", "a", "b"],
                                  ["config", "set", "maximum-size"], ["config", "frob"],
                                  ["pin"], ["unpin"], ["ensure"], ["ensure", "a"],
                                  ["ensure", "a", "--"], ["stats", "x"],
                                  ["prune", "--all", "--to", "1G"],
                                  ["prune", "--older-than", "7"], ["prune", "--older-than", "0s"],
                                  ["prune", "--older-than", "1.5d"],
                                  ["prune", "--max-entries", "-1"],
                                  ["load", "--miss-status", "300", "a", "true"],
                                  ["ensure", "--timeout", "soon", "a", "true"]])
def test_missing_or_extra_arguments(work, args):
    cache_dir = os.path.join(work, "cache")
    assert_error(run(work, "--cache", cache_dir, *args), EXIT_USAGE,
                 f"fscache {args[0]} --help")
    # A usage error is found before the cache is touched.
    assert not os.path.exists(cache_dir)


def test_man_page_lists_every_command_and_option(work):
    with open(MAN_PAGE, encoding="utf-8") as f:
        page = f.read().replace("\\-", "-")
    for command in COMMANDS:
        assert re.search(rf'^\.SS "{command}\b', page, re.M), command
        for line in ok(run(work, "__complete", "options", command)).splitlines():
            if line.startswith("--"):
                assert line.split()[0] in page, (command, line)
    for key in KEYS:
        assert key in page
    for word in ("FSCACHE_DIR", "XDG_CACHE_HOME", "FSCACHE_ENTRY", "EXIT STATUS", "EXAMPLES",
                 "JSON OUTPUT"):
        assert word in page


def test_translatable_sources_are_listed():
    with open(os.path.join(SOURCE_ROOT, "po", "POTFILES"), encoding="utf-8") as f:
        listed = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    for source in ("tools/fscache.c", "tools/fscache-util.c", "tools/fscache-entries.c",
                   "tools/fscache-admin.c", "tools/fscache-check.c", "tools/fscache-integrity.c"):
        assert source in listed


# ---- where the cache is -----------------------------------------------------


def test_default_cache_is_in_xdg_cache_home(work):
    env = base_env(work)
    ok(run(work, "init", env=env))
    default = os.path.join(env["XDG_CACHE_HOME"], "fscache")
    assert os.path.isfile(os.path.join(default, "cache.info"))
    assert json_of(run(work, "info", "--json", env=env))["cache"] == default


def test_fscache_dir_and_cache_option(work):
    from_env = os.path.join(work, "from-env")
    from_option = os.path.join(work, "from-option")
    env = base_env(work, FSCACHE_DIR=from_env)
    ok(run(work, "init", env=env))
    assert json_of(run(work, "info", "--json", env=env))["cache"] == from_env
    # --cache wins over FSCACHE_DIR, before or after the command.
    ok(run(work, "--cache", from_option, "init", env=env))
    assert json_of(run(work, "info", "--json", "--cache", from_option, env=env))["cache"] == \
        from_option
    assert not os.path.exists(os.path.join(env["XDG_CACHE_HOME"], "fscache"))


def test_cache_that_is_a_file(work):
    path = os.path.join(work, "file")
    write(path, "not a cache")
    for args in (["ls"], ["init"], ["info"], ["store", "a", work]):
        assert_error(run(work, "--cache", path, *args), EXIT_FAILURE, path, "not a directory")


def test_cache_that_is_not_a_cache(work):
    path = os.path.join(work, "documents")
    write(os.path.join(path, "thesis.txt"), "important")
    for args in (["init"], ["ls"], ["rm", "x"]):
        assert_error(run(work, "--cache", path, *args), EXIT_FAILURE, path, "not a cache")
    assert os.listdir(path) == ["thesis.txt"]


def test_empty_cache_path(work):
    assert_error(run(work, "--cache", "", "ls"), EXIT_FAILURE, "empty")


# Every command but init and store, with arguments that would do on a cache.
NOT_CREATING = [["ls"], ["info"], ["gc"], ["gc", "--dry-run"], ["prune", "--to", "0"],
                ["rm", "x"], ["load", "x", "--", "true"], ["export", "x", "{work}/dest"],
                ["config", "get"], ["config", "set", "volatile", "true"], ["ls", "--json"]]


@pytest.mark.parametrize("args", NOT_CREATING, ids=" ".join)
def test_only_init_and_store_create_a_cache(work, args):
    """A mistyped --cache does not leave a new cache behind."""
    args = [a.replace("{work}", work) for a in args]
    typo = os.path.join(work, "typo", "cache")
    assert_error(run(work, "--cache", typo, *args), EXIT_FAILURE,
                 f"No cache at {typo} (create one with “fscache init”)")
    assert not os.path.exists(os.path.dirname(typo))
    empty = os.path.join(work, "empty")
    os.mkdir(empty)
    assert_error(run(work, "--cache", empty, *args), EXIT_FAILURE, f"No cache at {empty}")
    assert os.listdir(empty) == []
    # The default cache ($XDG_CACHE_HOME/fscache) too.
    proc = run(work, *args)
    assert_error(proc, EXIT_FAILURE, "No cache at", os.path.join(work, "xdg-cache", "fscache"))
    assert not os.path.exists(os.path.join(work, "xdg-cache"))
    assert not os.path.exists(os.path.join(work, "dest"))


def test_init_and_store_create_a_cache(work):
    path = os.path.join(work, "by-init")
    ok(run(work, "--cache", path, "init"))
    assert os.path.isfile(os.path.join(path, "cache.info"))
    path = os.path.join(work, "by-store")
    src = make_tree(os.path.join(work, "src"))
    # Created, but with no maximum size it keeps nothing (and says so).
    assert_error(run(work, "--cache", path, "store", "x", src), EXIT_FAILURE, "keeps nothing")
    assert os.path.isfile(os.path.join(path, "cache.info"))
    assert json_of(run(work, "--cache", path, "ls", "--json"))["entries"] == []


def write_osbuild_scaffolding(path):
    """A new cache as osbuild's _create_scaffolding() leaves it."""
    os.makedirs(os.path.join(path, "objects"))
    os.makedirs(os.path.join(path, "stage"))
    write(os.path.join(path, "cache.info"), '{"version": 1}')
    write(os.path.join(path, "cache.lock"), "")
    write(os.path.join(path, "cache.size"), "0")


def test_read_commands_on_an_osbuild_cache(work):
    path = os.path.join(work, "osbuild")
    write_osbuild_scaffolding(path)
    listing = json_of(run(work, "--cache", path, "ls", "--json"))
    assert listing["entries"] == [] and listing["cache"] == path
    assert json_of(run(work, "--cache", path, "info", "--json"))["entries"] == 0


@pytest.fixture(scope="session")
def tool_for_nobody():
    """(tool, LD_LIBRARY_PATH) that nobody can run: a copy of the tool and of
    the libraries it loads from the build tree, in a folder anyone can
    reach, so that where the checkout lives (a 0700 folder included) does
    not matter. None when there is no such folder."""
    if os.geteuid() != 0:
        yield None
        return
    root = tempfile.mkdtemp(prefix="fscache-cli-tool-", dir=shared_tmp())
    try:
        os.chmod(root, 0o755)
        lib = os.path.join(root, "lib")
        os.mkdir(lib, 0o755)
        tool = os.path.join(root, "fscache")
        shutil.copy(TOOL, tool)
        os.chmod(tool, 0o755)
        # The libraries of the build tree (found through the tool's RUNPATH,
        # not through the system's folders): libfscache.
        build_root = os.path.dirname(os.path.dirname(os.path.realpath(TOOL)))
        ldd = subprocess.run(["ldd", TOOL], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        for m in re.finditer(r"^\s*(\S+) => (/\S+)", text(ldd.stdout), re.M):
            if os.path.realpath(m[2]).startswith(build_root + os.sep):
                shutil.copy(m[2], os.path.join(lib, m[1]))
                os.chmod(os.path.join(lib, m[1]), 0o755)
        yield (tool, lib) if reachable_by_all(root) else None
    finally:
        rmtree(root)


@pytest.fixture
def unprivileged(work, tool_for_nobody):
    """Runs the tool as a user without rights on the test's files: nobody
    when the tests run as root, else the test's own user."""

    def run_unprivileged(*args):
        if os.geteuid() != 0:
            return run(work, *args)
        if tool_for_nobody is None or not reachable_by_all(work):
            pytest.skip("no temporary folder other users can reach (for the tool as nobody)")
        tool, lib = tool_for_nobody
        env = base_env(work, LD_LIBRARY_PATH=lib)
        try:
            probe = run(work, "--version", env=env, tool=tool, preexec_fn=as_nobody)
        except OSError as e:
            pytest.skip(f"the tool can't run as nobody here: {e}")
        if probe.returncode != 0:
            pytest.skip(f"the tool can't run as nobody here: {text(probe.stderr)}")
        return run(work, *args, env=env, tool=tool, preexec_fn=as_nobody)

    return run_unprivileged


def test_cache_that_is_not_writable(work, unprivileged):
    cache = Cache(work)
    ok(cache.run("store", "tree", make_tree(os.path.join(work, "src"))))
    if os.geteuid() != 0:
        os.chmod(cache.path, 0o555)
    for args in (["store", "x", os.path.join(work, "src")], ["rm", "tree"], ["gc"],
                 ["prune", "--to", "0"], ["config", "set", "maximum-size", "1G"], ["init"]):
        assert_error(unprivileged("--cache", cache.path, *args), EXIT_FAILURE,
                     cache.path, "not writable")
    # An empty directory someone else owns can't become a cache either.
    empty = os.path.join(work, "empty")
    os.mkdir(empty, 0o755)
    for args in (["init"], ["store", "x", os.path.join(work, "src")]):
        assert_error(unprivileged("--cache", empty, *args), EXIT_FAILURE, "not writable")
    assert_error(unprivileged("--cache", empty, "ls"), EXIT_FAILURE, "No cache at " + empty)
    assert os.listdir(empty) == []
    assert cache.names() == ["tree"]


def test_cache_that_is_not_readable(work, unprivileged):
    locked = os.path.join(work, "locked")
    os.mkdir(locked, 0o700)
    if os.geteuid() != 0:
        os.chmod(locked, 0o000)
    assert_error(unprivileged("--cache", locked, "ls"), EXIT_FAILURE, locked,
                 "Permission denied")
    assert_error(unprivileged("--cache", os.path.join(locked, "sub"), "ls"),
                 EXIT_FAILURE, "Permission denied")


def test_incompatible_version(work, cache):
    with open(os.path.join(cache.path, "cache.info"), "w") as f:
        json.dump({"version": 2, "maximum-size": 1000000}, f)
    src = make_tree(os.path.join(work, "src"))
    for args in (["ls"], ["store", "x", src], ["load", "x", "--", "true"],
                 ["export", "x", os.path.join(work, "dest")],
                 ["rm", "x"], ["prune", "--to", "0"], ["gc"], ["config", "get"],
                 ["config", "set", "maximum-size", "1G"], ["init"]):
        assert_error(cache.run(*args), EXIT_FAILURE, "format version 2", "version 1")
    info = cache.json("info")
    assert info["version"] == 2 and info["compatible"] is False
    assert "incompatible" in ok(cache.run("info"))
    with open(os.path.join(cache.path, "cache.info")) as f:
        assert json.load(f)["version"] == 2


# ---- init, config, info -----------------------------------------------------


def test_init_new_cache_gets_a_size(work):
    path = os.path.join(work, "new")
    result = json_of(run(work, "--cache", path, "init", "--json"))
    assert result["cache"] == path
    assert result["created"] is True and result["changed"] is True
    assert result["maximum-size"] == 10 * 1024**3
    assert result["low-watermark"] == 80
    assert result["min-free-space"] is None
    again = json_of(run(work, "--cache", path, "init", "--json"))
    assert again["created"] is False and again["changed"] is False
    assert again["maximum-size"] == 10 * 1024**3
    out = ok(run(work, "--cache", path, "init"))
    assert "nothing changed" in out and "10 GiB" in out


def test_init_options(work):
    path = os.path.join(work, "c")
    out = ok(run(work, "--cache", path, "init", "--max-size", "1G", "--low-watermark", "50%",
                 "--min-free", "5%", "--volatile", "--shared"))
    assert "Created the cache" in out and "1 GiB" in out and "50%" in out
    config = json_of(run(work, "--cache", path, "config", "get", "--json"))
    assert config == {"maximum-size": 1024**3, "low-watermark": 50, "min-free-space": "5%",
                      "volatile": True, "shared": True, **NO_REMOTE}
    with open(os.path.join(path, "cache.info")) as f:
        on_disk = json.load(f)
    assert on_disk["version"] == 1 and on_disk["maximum-size"] == 1024**3
    # Settings not given are kept; osbuild's "unlimited" is written as such.
    ok(run(work, "--cache", path, "init", "--max-size", "unlimited", "--min-free", "2G"))
    config = json_of(run(work, "--cache", path, "config", "get", "--json"))
    assert config["maximum-size"] == "unlimited"
    assert config["min-free-space"] == 2 * 1024**3
    assert config["low-watermark"] == 50 and config["volatile"] is True
    with open(os.path.join(path, "cache.info")) as f:
        assert json.load(f)["maximum-size"] == "unlimited"


@pytest.mark.parametrize("option,value,message", [
    ("--max-size", "12Q", "Invalid size “12Q”"),
    ("--max-size", "-1", "Invalid size"),
    ("--max-size", "", "Invalid size"),
    ("--low-watermark", "0", "Invalid percentage “0”"),
    ("--low-watermark", "101", "Invalid percentage"),
    ("--low-watermark", "half", "Invalid percentage"),
    ("--min-free", "200%", "Invalid percentage “200%”"),
    ("--min-free", "lots", "Invalid size"),
])
def test_init_bad_values(work, option, value, message):
    path = os.path.join(work, "c")
    assert_error(run(work, "--cache", path, "init", option, value), EXIT_USAGE, option, message)
    assert not os.path.exists(path)


# Not a whole number of bytes: refused, never rounded (issue 11: 1.5 was 1).
INEXACT_SIZES = ["1.5", "0.5", "1.5B", "0.3K", "1.0009K", "7.99E", "0.0001KB",
                 "0.0000000000000000001E", "1.00000000000000000001K"]


@pytest.mark.parametrize("value", INEXACT_SIZES)
def test_init_inexact_size_is_a_usage_error(work, value):
    path = os.path.join(work, "c")
    assert_error(run(work, "--cache", path, "init", "--max-size", value), EXIT_USAGE,
                 "--max-size", f"Invalid size “{value}”", "not a whole number of bytes")
    assert not os.path.exists(path)


def test_maximum_size_zero_says_it_keeps_nothing(work):
    path = os.path.join(work, "c")
    proc = run(work, "--cache", path, "init", "--max-size", "0")
    out = ok(proc)
    assert re.search(r"maximum-size +0: nothing is kept, every store is declined as too large\n",
                     out), out
    assert text(proc.stderr) == ("fscache: warning: a maximum size of 0 keeps nothing: every "
                                 "store is declined as too large\n")
    assert json_of(run(work, "--cache", path, "config", "get", "--json"))["maximum-size"] == 0
    assert re.search(r"Maximum size: +0: nothing is kept", ok(run(work, "--cache", path, "info")))
    src = make_tree(os.path.join(work, "src"))
    assert_error(run(work, "--cache", path, "store", "t", src), EXIT_FAILURE,
                 "has a maximum size of 0, so it keeps nothing", "fscache init --max-size")
    # The JSON stays clean; the warning goes to stderr. config set says it too.
    proc = run(work, "--cache", path, "init", "--max-size", "0", "--json")
    assert json.loads(proc.stdout)["maximum-size"] == 0 and "keeps nothing" in text(proc.stderr)
    ok(run(work, "--cache", path, "config", "set", "maximum-size", "10M"))
    proc = run(work, "--cache", path, "config", "set", "maximum-size", "0")
    assert ok(proc) == "Set maximum-size to 0\n" and "keeps nothing" in text(proc.stderr)
    # Other sizes say nothing of the kind.
    proc = run(work, "--cache", path, "init", "--max-size", "1G")
    assert "nothing is kept" not in ok(proc) and text(proc.stderr) == ""


SIZES = [
    ("4096", 4096), ("0", 0), ("1B", 1), ("1k", 1024), ("1K", 1024), ("1KiB", 1024),
    ("1KB", 1000), ("1kb", 1000), ("10G", 10 * 1024**3), ("512MiB", 512 * 1024**2),
    ("1.5GB", 1_500_000_000), ("1.5G", 3 * 1024**3 // 2), ("2 MiB", 2 * 1024**2),
    (" 3M ", 3 * 1024**2), ("0.5K", 512), ("1.0009765625K", 1025), ("1T", 1024**4),
    ("1TB", 10**12), ("1P", 1024**5), ("1E", 1024**6), ("7E", 7 * 1024**6),
    ("7.75E", 31 * 1024**6 // 4), ("9223372036854775807", 2**63 - 1),
    ("1Gi", 1024**3), ("0.001KB", 1), ("1.50000000000000000000000K", 1536),
    ("2.000B", 2), ("1.", 1), (".5K", 512),
]


@pytest.mark.parametrize("value,expected", SIZES)
def test_sizes(cache, value, expected):
    ok(cache.run("config", "set", "maximum-size", value))
    assert cache.json("config", "get", "maximum-size") == expected
    # What `config get` prints reads back to the same number of bytes.
    printed = ok(cache.run("config", "get", "maximum-size")).strip()
    ok(cache.run("config", "set", "maximum-size", "1"))
    ok(cache.run("config", "set", "maximum-size", printed))
    assert cache.json("config", "get", "maximum-size") == expected


@pytest.mark.parametrize("value", ["", "G", "-1", "1.2.3", "10 GiBs", "1X", "1GiBB", ".",
                                   "99999999999999999999", "8E", "16E", "9223372036854775808",
                                   "18446744073709551615",
                                   "1 2", "0x10", "1e3"] + INEXACT_SIZES)
def test_bad_sizes(cache, value):
    # "--" so that "-1" is a value, not an option.
    assert_error(cache.run("config", "set", "--", "maximum-size", value), EXIT_USAGE,
                 "maximum-size", "size")
    assert_error(cache.run("prune", "--to=" + value), EXIT_USAGE, "--to", "size")
    assert cache.json("config", "get", "maximum-size") == 100 * 1024**2


def test_config_get_and_set(cache):
    lines = ok(cache.run("config", "get")).splitlines()
    assert [line.split("=")[0] for line in lines] == KEYS
    assert "maximum-size=100MiB" in lines and "low-watermark=80%" in lines
    assert "min-free-space=unset" in lines
    assert ok(cache.run("config", "get", "maximum-size")) == "100MiB\n"

    assert ok(cache.run("config", "set", "low-watermark", "60")) == "Set low-watermark to 60%\n"
    ok(cache.run("config", "set", "min-free-space", "1.5G"))
    ok(cache.run("config", "set", "volatile", "yes"))
    ok(cache.run("config", "set", "shared", "off"))
    ok(cache.run("config", "set", "maximum-size", "unlimited"))
    assert cache.json("config", "get") == {
        "maximum-size": "unlimited", "low-watermark": 60,
        "min-free-space": 3 * 1024**3 // 2, "volatile": True, "shared": False, **NO_REMOTE}
    assert cache.json("config", "get", "low-watermark") == 60
    assert cache.json("config", "get", "min-free-space") == 3 * 1024**3 // 2
    assert ok(cache.run("config", "get", "min-free-space")) == "1536MiB\n"
    assert ok(cache.run("config", "get", "maximum-size")) == "unlimited\n"
    # set --json prints the whole configuration after the change.
    after = cache.json("config", "set", "min-free-space", "10%")
    assert after["min-free-space"] == "10%" and after["low-watermark"] == 60


@pytest.mark.parametrize("args,message", [
    (["get", "nope"], "Unknown configuration key “nope”"),
    (["set", "nope", "1"], "Unknown configuration key “nope”"),
    (["set", "low-watermark", "0%"], "Invalid percentage"),
    (["set", "min-free-space", "101%"], "Invalid percentage"),
    (["set", "volatile", "maybe"], "expected true or false"),
    (["set", "maximum-size", "big"], "Invalid size"),
    (["frob"], "Unknown config action “frob”"),
])
def test_config_bad_input(cache, args, message):
    before = cache.json("config", "get")
    assert_error(cache.run("config", *args), EXIT_USAGE, message)
    assert cache.json("config", "get") == before


def test_info(work, cache):
    src = make_tree(os.path.join(work, "src"), big=100_000)
    ok(cache.run("store", "a", src))
    ok(cache.run("store", "b", os.path.join(src, "sub")))
    info = cache.json("info")
    listing = cache.json("ls")
    assert info["cache"] == cache.path
    assert info["version"] == 1 and info["compatible"] is True
    assert info["maximum-size"] == 100 * 1024**2
    assert info["entries"] == 2
    assert info["used"] == listing["total-size"] > 100_000
    assert info["stale-items"] == 0 and info["stale-bytes"] == 0
    assert info["other-users"] is False
    assert re.fullmatch(r"[0-9a-f]{32}", info["boot-id"])
    for key in KEYS:
        assert key in info
    out = ok(cache.run("info"))
    for label in ("Cache:", "Format version:", "Maximum size:", "Used:", "Entries:",
                  "Low watermark:", "Minimum free space:", "Stale debris:", "Other users:"):
        assert label in out
    assert "100 MiB" in out and re.search(r"Entries:\s+2\n", out)


def test_info_sees_other_users(work, cache):
    make_tree(os.path.join(work, "src"))
    ok(cache.run("store", "a", os.path.join(work, "src")))
    holder = subprocess.Popen([TOOL, "--cache", cache.path, "load", "a", "--", "sleep", "30"],
                              env=base_env(work), stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not cache.json("info")["other-users"]:
            assert time.monotonic() < deadline, "info never saw the other process"
            time.sleep(0.05)
        assert "yes" in ok(cache.run("info"))
    finally:
        holder.kill()
        holder.wait()


def test_info_as_a_reader_without_write_access(work, cache, unprivileged):
    """Alone in a cache it can read but not write, the reader sees no other
    user; with another process in, it does (issue 11)."""
    ok(cache.run("store", "a", make_tree(os.path.join(work, "src"))))
    lock = os.path.join(cache.path, "cache.lock")
    if os.geteuid() != 0:
        os.chmod(lock, 0o444)  # the tool can only open it read-only
    try:
        info = json_of(unprivileged("--cache", cache.path, "info", "--json"))
        assert info["other-users"] is False and info["entries"] == 1
        assert re.search(r"Other users:\s+none\n", ok(unprivileged("--cache", cache.path, "info")))
        # Says "ready" once it has the cache open and the entry loaded.
        holder = subprocess.Popen([TOOL, "--cache", cache.path, "load", "a", "--",
                                   "sh", "-c", "echo ready; exec sleep 30"],
                                  env=base_env(work), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE)
        try:
            assert holder.stdout.readline() == b"ready\n"
            assert json_of(unprivileged("--cache", cache.path, "info", "--json"))["other-users"]
        finally:
            holder.kill()
            holder.wait()
        assert json_of(unprivileged("--cache", cache.path, "info", "--json"))["other-users"] is False
    finally:
        os.chmod(lock, 0o644)


# ---- store ------------------------------------------------------------------


def test_store_copies_the_tree(work, cache):
    src = make_tree(os.path.join(work, "src"), big=300_000)
    before = snapshot(src)
    out = ok(cache.run("store", "tree-v1", src))
    assert out.startswith(f"Stored “tree-v1” in {cache.path} (")
    assert snapshot(src) == before  # the source is left as it is
    assert snapshot(cache.data("tree-v1")) == before
    assert leftovers(cache.path) == []


def test_store_json(work, cache):
    src = make_tree(os.path.join(work, "src"))
    result = cache.json("store", "t", src)
    listed = cache.json("ls")["entries"]
    assert result == {"cache": cache.path, "name": "t", "status": "stored",
                      "size": listed[0]["size"], "moved": False, "remote": None}
    assert result["size"] > 0


def test_store_a_single_file(work, cache):
    write(os.path.join(work, "notes.txt"), "just a file\n")
    ok(cache.run("store", "file", os.path.join(work, "notes.txt")))
    with open(os.path.join(cache.data("file"), "notes.txt")) as f:
        assert f.read() == "just a file\n"


@pytest.mark.parametrize("form", ["link", "link/", "./link", "./link//"])
def test_store_follows_a_symlinked_directory(work, cache, form):
    """PATH a symbolic link to a directory: the directory's tree is stored,
    as `cp -a link/` and `rsync link/` copy it, with or without the slash."""
    src = make_tree(os.path.join(work, "src"))
    before = snapshot(src)
    os.symlink("src", os.path.join(work, "link"))
    ok(cache.run("store", "t", form, cwd=work))
    data = cache.data("t")
    assert not os.path.islink(data) and os.path.isdir(data)
    assert snapshot(data) == before
    assert stat.S_IMODE(os.stat(data).st_mode) == stat.S_IMODE(os.stat(src).st_mode)
    assert os.path.islink(os.path.join(work, "link")) and snapshot(src) == before


def test_store_symlinked_directory_with_move_is_refused(work, cache):
    src = make_tree(os.path.join(work, "src"))
    before = snapshot(src)
    link = os.path.join(work, "link")
    os.symlink(src, link)
    for form in (link, link + "/"):
        assert_error(cache.run("store", "--move", "t", form), EXIT_FAILURE, form,
                     "symbolic link", "--move", src)
    assert snapshot(src) == before and os.readlink(link) == src
    assert cache.names() == [] and leftovers(cache.path) == []


def test_store_a_link_to_a_file_keeps_the_link(work, cache):
    """Only a link to a directory is followed: a link to a file is a single
    file, stored as it is (like `cp -a link`); `link/` is no directory."""
    write(os.path.join(work, "notes.txt"), "just a file\n")
    os.symlink("notes.txt", os.path.join(work, "flink"))
    ok(cache.run("store", "f", os.path.join(work, "flink")))
    assert os.readlink(os.path.join(cache.data("f"), "flink")) == "notes.txt"
    assert_error(cache.run("store", "g", os.path.join(work, "flink") + "/"), EXIT_FAILURE,
                 "Not a directory")


def test_store_existing_name_is_not_a_failure(work, cache):
    src = make_tree(os.path.join(work, "src"))
    ok(cache.run("store", "t", src))
    write(os.path.join(src, "hello.txt"), "changed\n")
    proc = cache.run("store", "t", src)
    assert proc.returncode == 0
    assert "already exists" in text(proc.stdout) and text(proc.stderr) == ""
    assert cache.json("store", "t", src)["status"] == "exists"
    with open(os.path.join(cache.data("t"), "hello.txt")) as f:
        assert f.read() == "Hello!\n"


def test_store_without_maximum_size(work):
    cache = Cache(work, max_size=None)
    src = make_tree(os.path.join(work, "src"))
    assert_error(cache.run("store", "t", src), EXIT_FAILURE, "no maximum size",
                 "fscache init --max-size")
    proc = cache.run("store", "t", src, "--json")
    assert proc.returncode == EXIT_FAILURE
    assert json.loads(proc.stdout)["status"] == "too-large"
    assert cache.names() == []


def test_store_too_large(work):
    cache = Cache(work, max_size="64K")
    src = make_tree(os.path.join(work, "src"), big=1024 * 1024)
    assert_error(cache.run("store", "t", src), EXIT_FAILURE, "“t”",
                 "larger than the maximum size", "64 KiB")
    proc = cache.run("store", "t", src, "--json")
    assert proc.returncode == EXIT_FAILURE
    result = json.loads(proc.stdout)
    assert result["status"] == "too-large" and result["size"] is None
    assert cache.names() == []
    assert leftovers(cache.path) == []
    assert os.path.exists(os.path.join(src, "big.bin"))


def test_store_move_on_the_same_file_system(work, cache):
    src = make_tree(os.path.join(work, "src"))
    before = snapshot(src)
    src_inode = os.stat(os.path.join(src, "hello.txt")).st_ino
    result = cache.json("store", "--move", "moved", src)
    assert result["status"] == "stored" and result["moved"] is True
    assert not os.path.exists(src)
    assert snapshot(cache.data("moved")) == before
    # A rename, not a copy.
    assert os.stat(os.path.join(cache.data("moved"), "hello.txt")).st_ino == src_inode
    assert "Moved" in ok(cache.run("store", "--move", "moved2",
                                   make_tree(os.path.join(work, "src2"))))


def test_store_move_declined_gives_the_tree_back(work):
    cache = Cache(work, max_size="64K")
    src = make_tree(os.path.join(work, "src"), big=1024 * 1024)
    before = snapshot(src)
    assert_error(cache.run("store", "--move", "t", src), EXIT_FAILURE, "larger than")
    assert snapshot(src) == before
    assert cache.names() == [] and leftovers(cache.path) == []


def test_store_move_across_file_systems(work, cache):
    shm = "/dev/shm"
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(work).st_dev:
        pytest.skip("no second file system to move from")
    src = tempfile.mkdtemp(prefix="fscache-cli-", dir=shm)
    try:
        os.rmdir(src)
        make_tree(src)
        before = snapshot(src)
        assert cache.json("store", "--move", "far", src)["status"] == "stored"
        assert not os.path.exists(src)
        assert snapshot(cache.data("far")) == before
    finally:
        rmtree(src)


@pytest.mark.parametrize("name,why", [
    ("uuid-1234", "reserved"), ("a/b", "“/”"), (".", "“.” or “..”"), ("..", "“.” or “..”"),
    ("", "empty"), ("x" * 256, "longer than 255"),
])
def test_store_invalid_name(work, cache, name, why):
    src = make_tree(os.path.join(work, "src"))
    assert_error(cache.run("store", name, src), EXIT_USAGE, "Invalid entry name", why)
    assert cache.names() == []


def test_store_missing_path(work, cache):
    missing = os.path.join(work, "missing")
    assert_error(cache.run("store", "t", missing), EXIT_FAILURE, missing,
                 "No such file or directory")
    assert cache.names() == []


# ---- load -------------------------------------------------------------------


@pytest.fixture
def stored(work, cache):
    src = make_tree(os.path.join(work, "src"))
    ok(cache.run("store", "tree", src))
    return cache


def test_load_runs_the_command(stored):
    script = ('echo "entry=$FSCACHE_ENTRY"; echo "name=$FSCACHE_ENTRY_NAME"; '
              'echo "dir=$FSCACHE_DIR"; echo "arg=$1"; cat "$FSCACHE_ENTRY/hello.txt"; exit 5')
    proc = stored.run("load", "tree", "--", "sh", "-c", script, "sh", "--dir={}/sub")
    assert proc.returncode == 5, text(proc.stderr)
    data = stored.data("tree")
    assert text(proc.stdout) == (f"entry={data}\nname=tree\ndir={stored.path}\n"
                                 f"arg=--dir={data}/sub\nHello!\n")
    assert text(proc.stderr) == ""


def test_load_without_double_dash_and_options_after_name(stored):
    # Everything after NAME belongs to CMD, options included.
    out = ok(stored.run("load", "tree", "echo", "--json", "{}"))
    assert out == f"--json {stored.data('tree')}\n"
    out = ok(stored.run("load", "--cache", stored.path, "tree", "--", "echo", "--", "ok"))
    assert out == "-- ok\n"


def test_load_passes_the_exit_status_through(stored):
    assert stored.run("load", "tree", "--", "true").returncode == 0
    assert stored.run("load", "tree", "--", "sh", "-c", "exit 42").returncode == 42
    killed = stored.run("load", "tree", "--", "sh", "-c", "kill -TERM $$")
    assert killed.returncode == 128 + signal.SIGTERM


def test_load_miss(stored):
    proc = stored.run("load", "nope", "--", "sh", "-c", "echo ran")
    assert_error(proc, EXIT_MISS, "No entry “nope”")
    assert text(proc.stdout) == ""


def test_load_unreadable_entry_is_a_failure_not_a_miss(stored, unprivileged):
    """Only a real miss exits 3: an entry the user may not read is an error."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make an entry another user can't read")
    os.chmod(os.path.join(stored.path, "objects", "tree", "object.info"), 0o600)
    proc = unprivileged("--cache", stored.path, "load", "tree", "--", "echo", "ran")
    assert_error(proc, EXIT_FAILURE, "tree/object.info", "Permission denied")
    assert text(proc.stdout) == ""
    # A listing fails too rather than leave the entry out.
    assert_error(unprivileged("--cache", stored.path, "ls"), EXIT_FAILURE,
                 "tree/object.info", "Permission denied")
    # A name that is not there is still a miss.
    assert_error(unprivileged("--cache", stored.path, "load", "nope", "--", "true"),
                 EXIT_MISS, "No entry “nope”")


def test_load_bad_command(work, stored):
    assert_error(stored.run("load", "tree", "--", "no-such-command-xyz"), 127,
                 "no-such-command-xyz")
    write(os.path.join(work, "not-executable"), "#!/bin/sh\n", 0o644)
    if os.geteuid() != 0:
        assert_error(stored.run("load", "tree", "--", os.path.join(work, "not-executable")), 126)
    assert_error(stored.run("load", "uuid-x", "--", "true"), EXIT_USAGE, "Invalid entry name")


def test_load_holds_the_lock_while_the_command_runs(work, stored):
    """From inside CMD, neither rm nor prune can take the entry away."""
    script = r'''
        "$FSCACHE_TOOL" rm tree 2> "$1/rm.err"; echo $? > "$1/rm.status"
        "$FSCACHE_TOOL" prune --to 0 --json > "$1/prune.json"
        test -f "$FSCACHE_ENTRY/hello.txt" && echo present > "$1/after"
    '''
    env = base_env(work, FSCACHE_TOOL=TOOL)
    proc = stored.run("load", "tree", "--", "sh", "-c", script, "sh", work, env=env)
    assert proc.returncode == 0, text(proc.stderr)
    with open(os.path.join(work, "rm.status")) as f:
        assert f.read().strip() == str(EXIT_FAILURE)
    with open(os.path.join(work, "rm.err")) as f:
        err = f.read()
    assert err.count("\n") == 1 and "Cannot remove “tree”" in err and "in use" in err
    with open(os.path.join(work, "prune.json")) as f:
        assert json.load(f)["entries"] == 0
    with open(os.path.join(work, "after")) as f:
        assert f.read() == "present\n"
    # Released when CMD exits: now it goes.
    assert stored.names() == ["tree"]
    assert ok(stored.run("rm", "tree")) == "Removed “tree”\n"
    assert stored.names() == []


def test_load_lock_against_another_process(work, stored):
    """Another process's prune can't evict the entry while CMD runs, and can after."""
    ready = os.path.join(work, "ready")
    go = os.path.join(work, "go")
    script = f'touch {ready}; i=0; while [ ! -e {go} ] && [ $i -lt 600 ]; do sleep 0.05; ' \
             f'i=$((i+1)); done; cat {{}}/hello.txt'
    holder = subprocess.Popen([TOOL, "--cache", stored.path, "load", "tree", "--", "sh", "-c",
                               script], env=base_env(work), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(ready):
            assert holder.poll() is None, holder.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        pruned = stored.json("prune", "--to", "0")
        assert pruned["entries"] == 0 and pruned["used"] > 0
        assert "in use" in ok(stored.run("prune", "--to", "0"))
        assert_error(stored.run("rm", "tree"), EXIT_FAILURE, "in use")
        assert stored.names() == ["tree"]
    finally:
        write(go, "")
        out, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, err
    assert out == b"Hello!\n"
    pruned = stored.json("prune", "--to", "0")
    assert pruned["entries"] == 1 and pruned["used"] == 0
    assert stored.names() == []


def test_load_does_not_leak_descriptors_into_the_command(stored):
    script = 'for f in /proc/$$/fd/*; do readlink "$f"; done; true'
    out = ok(stored.run("load", "tree", "--", "sh", "-c", script))
    assert "/dev/null" in out  # stdin: the listing works
    assert stored.path not in out


# ---- export -----------------------------------------------------------------


def test_export(work, stored):
    dest = os.path.join(work, "out")
    before = snapshot(os.path.join(work, "src"))
    assert ok(stored.run("export", "tree", dest)) == f"Exported “tree” to {dest}\n"
    assert snapshot(dest) == before
    result = stored.json("export", "tree", os.path.join(work, "out2"))
    assert result == {"name": "tree", "destination": os.path.join(work, "out2"),
                      "size": stored.json("ls")["entries"][0]["size"]}
    assert snapshot(os.path.join(work, "out2")) == before


def test_export_bad_input(work, stored):
    dest = os.path.join(work, "existing")
    write(os.path.join(dest, "keep"), "mine")
    assert_error(stored.run("export", "tree", dest), EXIT_FAILURE, dest, "already exists")
    assert os.listdir(dest) == ["keep"]
    write(os.path.join(work, "file-dest"), "x")
    assert_error(stored.run("export", "tree", os.path.join(work, "file-dest")), EXIT_FAILURE,
                 "already exists")
    assert_error(stored.run("export", "nope", os.path.join(work, "new")), EXIT_MISS,
                 "No entry “nope”")
    assert not os.path.exists(os.path.join(work, "new"))
    no_parent = os.path.join(work, "no", "such", "dir")
    assert_error(stored.run("export", "tree", no_parent), EXIT_FAILURE, no_parent)
    assert_error(stored.run("export", "a/b", os.path.join(work, "new")), EXIT_USAGE,
                 "Invalid entry name")


# ---- ls, rm, prune, gc ------------------------------------------------------


def store_sized(work, cache, name, size):
    src = os.path.join(work, "src-" + name)
    write(os.path.join(src, "data"), os.urandom(size))
    ok(cache.run("store", name, src))


def test_ls(work, cache):
    assert ok(cache.run("ls")) == f"No entries in {cache.path}\n"
    assert cache.json("ls") == {"cache": cache.path, "entries": [], "total-size": 0}
    store_sized(work, cache, "small", 10_000)
    store_sized(work, cache, "big", 200_000)
    store_sized(work, cache, "Médium", 50_000)
    listing = cache.json("ls")
    entries = listing["entries"]
    assert [e["name"] for e in entries] == ["Médium", "big", "small"]  # byte order
    assert listing["total-size"] == sum(e["size"] for e in entries)
    for e in entries:
        assert set(e) == {"name", "size", "last-used", "creation-boot-id", "pinned", "tree-digest"}
        assert e["pinned"] is False
        assert re.fullmatch(r"[0-9a-f]{64}", e["tree-digest"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", e["last-used"])
        assert re.fullmatch(r"[0-9a-f]{32}", e["creation-boot-id"])
    by_name = {e["name"]: e["size"] for e in entries}
    assert by_name["big"] > by_name["Médium"] > by_name["small"] >= 10_000
    out = ok(cache.run("ls")).splitlines()
    assert out[0].split() == ["NAME", "SIZE", "LAST", "USED"]
    assert [line.split()[0] for line in out[1:4]] == ["Médium", "big", "small"]
    assert out[4].startswith("3 entries, ")
    sizes = [e["name"] for e in cache.json("ls", "--sort=size")["entries"]]
    assert sizes == ["big", "Médium", "small"]
    assert [line.split()[0] for line in ok(cache.run("ls", "--sort", "size")).splitlines()[1:4]] \
        == sizes
    assert [e["name"] for e in cache.json("ls", "--sort=name")["entries"]] == \
        ["Médium", "big", "small"]
    assert_error(cache.run("ls", "--sort=age"), EXIT_USAGE, "Invalid sort order “age”")


def test_ls_sort_lru(work, cache):
    for name in ("first", "second", "third"):
        store_sized(work, cache, name, 4096)
        time.sleep(0.05)
    time.sleep(0.05)
    ok(cache.run("load", "first", "--", "true"))  # now the most recently used
    order = [e["name"] for e in cache.json("ls", "--sort=lru")["entries"]]
    assert order == ["second", "third", "first"]
    used = [e["last-used"] for e in cache.json("ls", "--sort=lru")["entries"]]
    assert used == sorted(used)


def test_rm(work, cache):
    for name in ("a", "b", "c"):
        store_sized(work, cache, name, 4096)
    assert ok(cache.run("rm", "a", "b")) == "Removed “a”\nRemoved “b”\n"
    assert cache.names() == ["c"]
    proc = cache.run("rm", "c", "nope", "--json")
    assert proc.returncode == EXIT_MISS
    result = json.loads(proc.stdout)
    assert result["removed"] == ["c"]
    assert [(e["name"], e["error"]) for e in result["errors"]] == [("nope", "miss")]
    assert "No entry “nope”" in text(proc.stderr)
    assert_error(cache.run("rm", "nope"), EXIT_MISS, "No entry “nope”")
    assert cache.json("info")["used"] == 0


def test_rm_invalid_name_removes_nothing(work, cache):
    store_sized(work, cache, "a", 4096)
    assert_error(cache.run("rm", "a", "uuid-bad"), EXIT_USAGE, "Invalid entry name")
    assert cache.names() == ["a"]


def test_prune(work, cache):
    for name in ("old", "mid", "new"):
        store_sized(work, cache, name, 20_000)
        time.sleep(0.05)
    sizes = {e["name"]: e["size"] for e in cache.json("ls")["entries"]}
    total = sum(sizes.values())
    keep = sizes["new"]

    dry = cache.json("prune", "--to", str(keep), "--dry-run")
    removed = dry.pop("removed")
    assert dry == {"cache": cache.path, "dry-run": True, "target": keep, "entries": 2,
                   "bytes": sizes["old"] + sizes["mid"], "used": total, "max-entries": None,
                   "older-than": None, "skipped": []}
    assert [(e["name"], e["size"]) for e in removed] == [("old", sizes["old"]),
                                                        ("mid", sizes["mid"])]
    assert sorted(cache.names()) == ["mid", "new", "old"]
    assert "Would remove 2 entries" in ok(cache.run("prune", "--to", str(keep), "--dry-run"))

    out = ok(cache.run("prune", "--to", str(keep + sizes["mid"])))
    assert out.startswith("Removed 1 entry (")
    assert sorted(cache.names()) == ["mid", "new"]
    result = cache.json("prune", "--to", str(keep))
    assert result["entries"] == 1 and result["dry-run"] is False and result["used"] == keep
    assert cache.names() == ["new"]
    assert "Nothing to prune" in ok(cache.run("prune", "--to", "1G"))


def test_prune_default_target_is_the_low_watermark(work):
    cache = Cache(work, max_size="1M")
    ok(cache.run("config", "set", "low-watermark", "50"))
    result = cache.json("prune", "--dry-run")
    assert result["target"] == 512 * 1024
    ok(cache.run("config", "set", "maximum-size", "unlimited"))
    assert_error(cache.run("prune"), EXIT_USAGE, "no maximum size", "--to")


def make_debris(cache):
    """What a crashed store leaves: an anonymous entry nobody holds."""
    debris = os.path.join(cache.path, "objects", "uuid-" + "ab" * 16)
    write(os.path.join(debris, "data", "junk"), os.urandom(50_000))
    write(os.path.join(debris, "object.lock"), "")
    return debris


def test_gc(work, cache):
    store_sized(work, cache, "keep", 4096)
    debris = make_debris(cache)
    assert cache.json("info")["stale-items"] >= 1
    dry = cache.json("gc", "--dry-run")
    assert dry["dry-run"] is True and dry["removed"] >= 1 and dry["reclaimed"] >= 50_000
    assert os.path.exists(debris)
    assert "Would remove" in ok(cache.run("gc", "--dry-run"))
    out = ok(cache.run("gc"))
    assert out.startswith("Removed ")
    assert not os.path.exists(debris)
    again = cache.json("gc")
    assert again == {"cache": cache.path, "dry-run": False, "removed": 0, "reclaimed": 0,
                     "correction": 0, "counter-checked": True}
    assert ok(cache.run("gc")) == f"Nothing to collect in {cache.path}\n"
    assert cache.names() == ["keep"]


def test_gc_corrects_the_size_counter(work, cache):
    store_sized(work, cache, "keep", 4096)
    used = cache.json("info")["used"]
    with open(os.path.join(cache.path, "cache.size"), "w") as f:
        f.write(str(used + 123_456))
    result = cache.json("gc")
    assert result["correction"] == -123_456
    assert cache.json("info")["used"] == used


# ---- a size counter that drifted (issue 11) ---------------------------------

OSBUILD_DRIFT = 8192  # what each osbuild eviction takes off beyond the entry's size


def osbuild_drift(cache, evictions=1):
    """Lower cache.size as osbuild's evictions leave it; return the exact value."""
    path = os.path.join(cache.path, "cache.size")
    with open(path, encoding="utf-8") as f:
        exact = int(f.read())
    write(path, str(exact - evictions * OSBUILD_DRIFT))
    return exact


def read_counter(cache):
    with open(os.path.join(cache.path, "cache.size"), encoding="utf-8") as f:
        return int(f.read())


def hold(cache, name):
    """Another process that has the cache open (and @name loaded) until release()."""
    proc = subprocess.Popen([TOOL, "--cache", cache.path, "load", name, "--", "sh", "-c",
                             "echo held; cat >/dev/null"], env=base_env(cache.work),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"held\n", proc.communicate()
    return proc


def release(proc):
    out, err = proc.communicate(timeout=60)  # closes its stdin: `cat` ends
    assert proc.returncode == 0, err


def test_info_and_gc_dry_run_report_counter_drift(work, cache):
    store_sized(work, cache, "a", 20_000)
    store_sized(work, cache, "b", 20_000)
    exact = osbuild_drift(cache)

    # idle: measured, nothing written
    info = cache.json("info")
    assert info["size-correction"] == OSBUILD_DRIFT and info["counter-checked"] is True
    assert info["used"] == exact - OSBUILD_DRIFT
    assert re.search(r"Size counter:\s+8 KiB too low; run “fscache gc” to correct it\n",
                     ok(cache.run("info")))
    dry = cache.json("gc", "--dry-run")
    assert dry == {"cache": cache.path, "dry-run": True, "removed": 0, "reclaimed": 0,
                   "correction": OSBUILD_DRIFT, "counter-checked": True}
    assert ok(cache.run("gc", "--dry-run")) == "Would correct the size counter by +8 KiB\n"
    assert read_counter(cache) == exact - OSBUILD_DRIFT

    # in use by another process: not measured, and said so
    holder = hold(cache, "a")
    try:
        info = cache.json("info")
        assert info["size-correction"] is None and info["counter-checked"] is False
        assert re.search(r"Size counter:\s+not measured: the cache is in use by another process\n",
                         ok(cache.run("info")))
        dry = cache.json("gc", "--dry-run")
        assert dry["correction"] is None and dry["counter-checked"] is False
        assert "The size counter was not measured: the cache is in use by another process" in \
            ok(cache.run("gc", "--dry-run"))
    finally:
        release(holder)
    assert read_counter(cache) == exact - OSBUILD_DRIFT


def test_gc_says_when_it_skips_the_recount(work, cache):
    store_sized(work, cache, "a", 20_000)
    exact = osbuild_drift(cache)
    holder = hold(cache, "a")
    try:
        result = cache.json("gc")
        assert result == {"cache": cache.path, "dry-run": False, "removed": 0, "reclaimed": 0,
                          "correction": None, "counter-checked": False}
        out = ok(cache.run("gc"))
        assert "The size counter was not checked: the cache is in use by another process" in out
        assert "fscache gc --wait-idle" in out
        assert read_counter(cache) == exact - OSBUILD_DRIFT
    finally:
        release(holder)
    result = cache.json("gc")
    assert result["correction"] == OSBUILD_DRIFT and result["counter-checked"] is True
    assert read_counter(cache) == exact


def test_gc_wait_idle(work, cache):
    store_sized(work, cache, "a", 20_000)
    exact = osbuild_drift(cache)
    holder = hold(cache, "a")
    try:
        gc = subprocess.Popen([TOOL, "--cache", cache.path, "gc", "--wait-idle=120", "--json"],
                              env=base_env(work), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.3)  # let it start waiting (the outcome does not depend on it)
        assert gc.poll() is None, gc.communicate()  # it can't be done while the cache is held
    finally:
        release(holder)
    out, err = gc.communicate(timeout=120)
    assert gc.returncode == 0, err
    result = json.loads(out)
    assert result["correction"] == OSBUILD_DRIFT and result["counter-checked"] is True
    assert read_counter(cache) == exact


def test_gc_wait_idle_timeout(work, cache):
    store_sized(work, cache, "a", 20_000)
    exact = osbuild_drift(cache)
    make_debris(cache)
    holder = hold(cache, "a")
    try:
        proc = cache.run("gc", "--wait-idle=1", "--json")
        assert_error(proc, EXIT_FAILURE, "still in use by another process after 1 s",
                     "the size counter was not checked")
        result = json.loads(proc.stdout)
        assert result["counter-checked"] is False and result["correction"] is None
        assert result["removed"] == 1  # the garbage was still collected
        proc = cache.run("gc", "--wait-idle=1")
        assert_error(proc, EXIT_FAILURE, "still in use")
        assert text(proc.stdout) == f"Nothing to collect in {cache.path}\n"
        assert read_counter(cache) == exact - OSBUILD_DRIFT
    finally:
        release(holder)


def test_gc_wait_idle_two_waiters(work, cache):
    """Two gc --wait-idle at once (each keeps the cache open) both get through."""
    store_sized(work, cache, "a", 20_000)
    exact = osbuild_drift(cache)
    holder = hold(cache, "a")
    try:
        waiters = [subprocess.Popen([TOOL, "--cache", cache.path, "gc", "--wait-idle=120",
                                     "--json"], env=base_env(work), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                   for _ in range(2)]
        time.sleep(0.3)
    finally:
        release(holder)
    corrections = []
    for w in waiters:
        out, err = w.communicate(timeout=180)
        assert w.returncode == 0, err
        result = json.loads(out)
        assert result["counter-checked"] is True
        corrections.append(result["correction"])
    assert sorted(corrections) == [0, OSBUILD_DRIFT]
    assert read_counter(cache) == exact


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", ""])
def test_gc_wait_idle_bad_value(cache, value):
    assert_error(cache.run("gc", f"--wait-idle={value}"), EXIT_USAGE, "--wait-idle",
                 f"“{value}” is not a number of seconds")


def test_prune_to_zero_with_a_drifted_counter(work, cache):
    for name in ("a", "b", "small"):
        store_sized(work, cache, name, 20_000 if name != "small" else 100)
        time.sleep(0.05)
    # enough osbuild evictions that the counter would reach 0 before the
    # most recently used entry, "small", if prune trusted it
    small = [e["size"] for e in cache.json("ls")["entries"] if e["name"] == "small"][0]
    osbuild_drift(cache, evictions=-(-small // OSBUILD_DRIFT))
    assert cache.json("prune", "--to", "0", "--dry-run")["entries"] == 3
    result = cache.json("prune", "--to", "0")
    assert result["entries"] == 3 and result["used"] == 0
    assert cache.names() == []
    info = cache.json("info")
    assert info["used"] == 0 and info["size-correction"] == 0


def test_expected_conditions_are_not_fatal_warnings(work, cache):
    """G_DEBUG=fatal-warnings (GNOME test suites) must not kill the tool on
    what happens in a shared cache: a drifted counter, one lower than a
    removal it must finish, a corrupt counter."""
    env = base_env(work, G_DEBUG="fatal-warnings,fatal-criticals")
    for name in ("a", "b", "c"):
        store_sized(work, cache, name, 20_000)
    osbuild_drift(cache)
    proc = cache.run("prune", "--to", "0", env=env)
    assert proc.returncode == 0, (proc.returncode, text(proc.stderr))
    assert cache.names() == []

    # a libfscache removal killed after hiding its entry, with the counter
    # (osbuild's drift) lower than that entry: the open recovers it
    store_sized(work, cache, "keep", 4096)
    store_sized(work, cache, "big", 50_000)
    size = [e["size"] for e in cache.json("ls")["entries"] if e["name"] == "big"][0]
    hidden = "uuid-" + "cd" * 16
    os.rename(os.path.join(cache.path, "objects", "big"),
              os.path.join(cache.path, "objects", hidden))
    write(os.path.join(cache.path, "objects", hidden, "object.lock"), f"1 remove {size}\nbig")
    os.link(os.path.join(cache.path, "objects", hidden, "object.lock"),
            os.path.join(cache.path, "journal", hidden))
    write(os.path.join(cache.path, "cache.size"), str(size - 1))
    proc = cache.run("gc", env=env)
    assert proc.returncode == 0, (proc.returncode, text(proc.stderr))
    assert cache.names() == ["keep"]
    assert not os.path.exists(os.path.join(cache.path, "objects", hidden))
    info = cache.json("info")
    assert info["used"] == cache.json("ls")["total-size"] and info["size-correction"] == 0

    # a corrupt counter: repaired, with a message
    write(os.path.join(cache.path, "cache.size"), "garbage")
    proc = cache.run("info", env=env)
    assert proc.returncode == 0, (proc.returncode, text(proc.stderr))
    assert "cache.size is corrupt" in text(proc.stderr)


# ---- the progress bar -------------------------------------------------------


def run_on_pty(work, *args):
    """Run the tool with stderr on a pseudo-terminal; return (status, stdout, terminal)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([TOOL, *args], env=base_env(work), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=slave, timeout=120)
    finally:
        os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return proc.returncode, text(proc.stdout), text(seen)


def test_progress_bar_only_on_a_terminal(work, cache):
    src = make_tree(os.path.join(work, "src"), big=2 * 1024 * 1024)
    status, out, terminal = run_on_pty(work, "--cache", cache.path, "store", "t", src)
    assert status == 0 and out.startswith("Stored")
    assert "\rStoring t [" in terminal and "100%" in terminal and "2 MiB" in terminal
    assert "fscache:" not in terminal

    status, out, terminal = run_on_pty(work, "--cache", cache.path, "export", "t",
                                       os.path.join(work, "out-pty"))
    assert status == 0
    assert "\rExporting t [" in terminal and "100%" in terminal

    # Not a terminal: nothing at all on stderr.
    proc = cache.run("store", "u", src)
    assert ok(proc).startswith("Stored") and text(proc.stderr) == ""
    proc = cache.run("export", "t", os.path.join(work, "out-pipe"))
    assert ok(proc).startswith("Exported") and text(proc.stderr) == ""

    # --no-progress: not even on a terminal.
    status, out, terminal = run_on_pty(work, "--cache", cache.path, "store", "--no-progress",
                                       "v", src)
    assert status == 0 and terminal == ""
    status, out, terminal = run_on_pty(work, "--cache", cache.path, "export", "--no-progress",
                                       "t", os.path.join(work, "out-quiet"))
    assert status == 0 and terminal == ""


def interrupt_on_pty(work, *args):
    """Start the tool with stderr on a terminal, send SIGINT once its progress bar shows."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([TOOL, *args], env=base_env(work), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while b"%" not in seen:
            assert time.monotonic() < deadline, seen
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
        proc.send_signal(signal.SIGINT)
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, text(seen)


def big_tree(path):
    for i in range(32):
        write(os.path.join(path, f"f{i:02}"), os.urandom(4 * 1024 * 1024))
    return path


def test_interrupted_store_keeps_nothing(work, cache):
    ok(cache.run("config", "set", "maximum-size", "1G"))
    src = big_tree(os.path.join(work, "src"))
    status, terminal = interrupt_on_pty(work, "--cache", cache.path, "store", "t", src)
    assert status == 128 + signal.SIGINT, terminal
    assert "fscache: Interrupted; nothing was kept" in terminal
    assert cache.names() == [] and leftovers(cache.path) == []
    assert len(os.listdir(src)) == 32


def test_interrupted_export_removes_the_partial_copy(work, cache):
    ok(cache.run("config", "set", "maximum-size", "1G"))
    ok(cache.run("store", "t", big_tree(os.path.join(work, "src"))))
    dest = os.path.join(work, "dest")
    status, terminal = interrupt_on_pty(work, "--cache", cache.path, "export", "t", dest)
    assert status == 128 + signal.SIGINT, terminal
    assert "fscache: Interrupted; nothing was kept" in terminal
    assert not os.path.exists(dest)
    assert cache.names() == ["t"]


# ---- bash completion --------------------------------------------------------


def complete(work, words, cache_dir=None):
    """The completions bash offers for @words (the last one being completed)."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    script = (
        'source "$COMPLETION"\n'
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()\n'
        '_fscache\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = base_env(work, COMPLETION=COMPLETION,
                   PATH=os.path.dirname(TOOL) + os.pathsep + os.environ.get("PATH", ""))
    if cache_dir is not None:
        env["FSCACHE_DIR"] = cache_dir
    proc = subprocess.run([bash, "--norc", "-c", script, "bash", *words], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    return [line for line in text(proc.stdout).splitlines() if line]


def test_bash_completion(work, stored):
    other = Cache(work, os.path.join(work, "other"))
    store_sized(work, other, "elsewhere", 4096)

    assert complete(work, ["fscache", ""]) == COMMANDS
    assert complete(work, ["fscache", "pr"]) == ["prune"]
    assert complete(work, ["fscache", "--ve"]) == ["--version"]
    assert set(complete(work, ["fscache", "ls", "--"])) == {"--sort", "--json", "--cache",
                                                             "--help"}
    assert complete(work, ["fscache", "ls", "--sort", ""]) == ["lru", "size", "name"]
    assert complete(work, ["fscache", "ls", "--sort", "=", "s"]) == ["size"]
    assert "--move" in complete(work, ["fscache", "store", "--"])
    assert "--max-size" in complete(work, ["fscache", "init", "--"])
    assert "--volatile" in complete(work, ["fscache", "init", "--"])
    # Entry names, from FSCACHE_DIR or from --cache on the line.
    assert complete(work, ["fscache", "load", ""], stored.path) == ["tree"]
    assert complete(work, ["fscache", "rm", "tree", ""], stored.path) == ["tree"]
    assert complete(work, ["fscache", "--cache", other.path, "export", ""], stored.path) == \
        ["elsewhere"]
    assert complete(work, ["fscache", "export", "--cache", other.path, "e"]) == ["elsewhere"]
    # After load's NAME comes a command.
    assert "true" in complete(work, ["fscache", "load", "tree", "--", "tru"], stored.path)
    assert "true" in complete(work, ["fscache", "load", "tree", "tru"], stored.path)
    assert complete(work, ["fscache", "config", ""]) == ["get", "set"]
    assert complete(work, ["fscache", "config", "set", ""]) == KEYS
    assert complete(work, ["fscache", "help", "ex"]) == ["export"]
    # store's PATH is a path.
    write(os.path.join(work, "compl-dir", "f"), "")
    assert complete(work, ["fscache", "store", "x", os.path.join(work, "compl-")]) == \
        [os.path.join(work, "compl-dir")]
    assert complete(work, ["fscache", "--cache", os.path.join(work, "compl-")]) == \
        [os.path.join(work, "compl-dir")]


def test_completion_knows_every_command(work):
    assert ok(run(work, "__complete", "commands")).split() == COMMANDS


# ---- the tour of `make run` -------------------------------------------------


def test_tour(work):
    tour = os.path.join(SOURCE_ROOT, "tools", "fscache-tour.sh")
    env = base_env(work, TMPDIR=work)
    steps = ("init", "store --no-progress fscache-tour-sample", "ls",
             "load fscache-tour-sample -- ls -l {}", "info fscache-tour-sample",
             "manifest fscache-tour-sample", "verify fscache-tour-sample", "pin fscache-tour-sample",
             "ensure -v fscache-tour-built -- sh -c 'date > {}/built-at'", "ls --sort=lru",
             "prune --all --dry-run", "stats")

    # Without a cache folder: one of its own, gone afterwards; the user's
    # cache ($XDG_CACHE_HOME/fscache) untouched.
    proc = subprocess.run(["sh", tour, TOOL], env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    out = ok(proc)
    for step in steps:
        assert f"\n$ fscache {step}" in out, step
    assert "a cache of its own" in out and "removed at the end" in out
    assert "Created the cache" in out and "Stored “fscache-tour-sample”" in out
    assert "data.bin" in out and "main.c -> src/main.c" in out
    assert "Kept fscache-tour-sample: it is pinned" in out
    assert re.search(r"^Tree digest: [0-9a-f]{64}$", out, re.M)
    assert "“fscache-tour-sample”: intact" in out
    assert "never runs" not in out.split("\n$ fscache ensure -v fscache-tour-built -- sh -c "
                                         "'echo never runs")[-1]
    assert text(proc.stderr).count("fscache: Building fscache-tour-built") == 1
    assert [n for n in os.listdir(work) if n.startswith("fscache-tour.")] == []
    assert not os.path.exists(os.path.join(work, "xdg-cache"))

    # A cache named, created by the tour: removed with what the tour added.
    cache_dir = os.path.join(work, "tour-cache")
    ok(subprocess.run(["sh", tour, TOOL, cache_dir], env=env, stdin=subprocess.DEVNULL,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120))
    assert not os.path.exists(cache_dir)

    # An existing cache: its settings and entries stay, the tour's go.
    cache = Cache(work, cache_dir, max_size="64M")
    store_sized(work, cache, "mine", 4096)
    out = ok(subprocess.run(["sh", tour, TOOL, cache_dir], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120))
    assert "\n$ fscache init" not in out and "\n$ fscache info\n" in out
    assert cache.names() == ["mine"]
    assert ok(cache.run("config", "get", "maximum-size")) == "64MiB\n"
    assert [n for n in os.listdir(work) if n.startswith("fscache-tour.")] == []
