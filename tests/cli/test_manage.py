# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fscache tool for people who run a cache: stats, pin/unpin, info NAME,
prune by age and count, ensure (real processes building one entry once),
rm --force, load --miss-status, names quoted in ls and in the completion,
and the progress bar's rate, sync phase and free columns.

Run by meson (suite cli) with the helpers of test_cli.py.
"""

import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import termios
import time

import pytest

from test_cli import (  # noqa: F401 - fixtures are found by name
    EXIT_MISS,
    EXIT_OK,
    EXIT_USAGE,
    TOOL,
    Cache,
    assert_error,
    base_env,
    cache,
    complete,
    json_of,
    ok,
    run,
    store_sized,
    text,
    work,
    write,
)

pytestmark = pytest.mark.skipif(not os.access(TOOL, os.X_OK), reason="FSCACHE_TOOL not set")


def age(cache, name, seconds_ago):
    when = time.time() - seconds_ago
    os.utime(os.path.join(cache.path, "objects", name, "object.lock"), (when, when))


# ---- stats ------------------------------------------------------------------


def test_stats(work, cache):
    first = cache.json("stats")
    assert first["hits"] == 0 and first["since"] is None and first["hit-ratio"] == 0
    store_sized(work, cache, "a", 4096)
    ok(cache.run("load", "a", "--", "true"))
    ok(cache.run("load", "a", "--", "true"))
    assert cache.run("load", "b", "--", "true").returncode == EXIT_MISS
    # store looks first without counting a miss; info NAME is a look too
    ok(cache.run("info", "a"))
    stats = cache.json("stats")
    assert (stats["hits"], stats["misses"], stats["stored"]) == (2, 1, 1)
    assert stats["hit-ratio"] == pytest.approx(2 / 3)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stats["since"])
    assert set(stats) >= {"cache", "exists", "too-large", "no-space", "incompatible",
                          "evicted", "evicted-bytes", "removed", "remote-hits",
                          "remote-misses", "remote-errors", "remote-bytes-up",
                          "remote-bytes-down"}
    out = ok(cache.run("stats"))
    assert re.search(r"^Hits: +2$", out, re.M) and re.search(r"^Hit ratio: +66\.7%$", out, re.M)
    assert re.search(r"^Since: .* ago\)$", out, re.M)

    assert ok(cache.run("stats", "--zero")) == f"Zeroed the statistics of {cache.path}\n"
    zeroed = cache.json("stats")
    assert zeroed["hits"] == zeroed["stored"] == 0 and zeroed["since"] is not None


# ---- pin, unpin, ls, info NAME, rm ------------------------------------------


def test_pin_unpin(work, cache):
    for name in ("a", "b"):
        store_sized(work, cache, name, 4096)
    assert ok(cache.run("pin", "a")) == ""
    assert ok(cache.run("pin", "-v", "a")) == "Pinned a\n"
    listed = {e["name"]: e["pinned"] for e in cache.json("ls")["entries"]}
    assert listed == {"a": True, "b": False}
    out = ok(cache.run("ls")).splitlines()
    assert out[1].endswith("  pinned") and not out[2].endswith("pinned")
    assert "osbuild does not know pins" in out[3]
    assert cache.json("info", "a")["pinned"] is True

    proc = cache.run("pin", "a", "nope", "--json")
    assert proc.returncode == EXIT_MISS
    assert json.loads(proc.stdout) == {
        "pinned": ["a"],
        "errors": [{"name": "nope", "error": "miss",
                    "message": f"No entry “nope” in {cache.path}"}]}
    assert cache.json("unpin", "a", "nope") == {"unpinned": ["a", "nope"], "errors": []}
    assert cache.json("info", "a")["pinned"] is False

    # rm removes a pinned entry, and its pin.
    ok(cache.run("pin", "b"))
    ok(cache.run("rm", "b"))
    assert not os.path.exists(os.path.join(cache.path, "pins", "b"))


def test_info_entry(work, cache):
    store_sized(work, cache, "a", 10_000)
    info = cache.json("info", "a")
    assert set(info) == {"cache", "name", "size", "created", "last-used", "creation-boot-id",
                         "this-boot", "pinned", "in-use", "has-manifest", "tree-digest"}
    assert info["name"] == "a" and info["size"] == cache.json("ls")["entries"][0]["size"]
    assert info["this-boot"] is True and info["in-use"] is False
    assert info["has-manifest"] is True and re.fullmatch(r"[0-9a-f]{64}", info["tree-digest"])
    assert info["tree-digest"] == cache.json("ls")["entries"][0]["tree-digest"]
    out = ok(cache.run("info", "a"))
    assert re.search(r"^Entry: +a$", out, re.M) and re.search(r"^In use: +no$", out, re.M)
    assert re.search(r"\(this boot\)$", out, re.M)
    # In use while `load` runs a command on it.
    held = ok(cache.run("load", "a", "--", TOOL, "--cache", cache.path, "info", "a", "--json"))
    assert json.loads(held)["in-use"] is True
    assert_error(cache.run("info", "nope"), EXIT_MISS, "No entry “nope”")
    assert_error(cache.run("info", "uuid-x"), EXIT_USAGE, "Invalid entry name")


def test_rm_force(work, cache):
    store_sized(work, cache, "a", 4096)
    proc = cache.run("rm", "--force", "a", "nope")
    assert ok(proc) == "Removed “a”\n" and text(proc.stderr) == ""
    assert cache.json("rm", "-f", "nope") == {"removed": [], "errors": []}


def test_load_miss_status(work, cache):
    store_sized(work, cache, "a", 4096)
    assert cache.run("load", "nope", "--", "true").returncode == EXIT_MISS
    assert cache.run("load", "--miss-status", "200", "nope", "--", "true").returncode == 200
    assert cache.run("load", "--miss-status", "200", "a", "--", "sh", "-c", "exit 3").returncode == 3
    assert "--miss-status" in ok(cache.run("load", "--help"))
    assert "3, or N with --miss-status N" in ok(cache.run("load", "--help")).replace("\n", " ")


# ---- prune ------------------------------------------------------------------


def test_prune_older_than_and_max_entries(work, cache):
    for name, days in (("ten", 10), ("nine", 9), ("eight-pinned", 8), ("one", 1), ("now", 0)):
        store_sized(work, cache, name, 4096)
        age(cache, name, days * 24 * 3600)
    ok(cache.run("pin", "eight-pinned"))

    lines = ok(cache.run("prune", "--older-than", "7d", "--dry-run")).splitlines()
    assert lines[0].startswith("Would remove ten (") and lines[1].startswith("Would remove nine (")
    assert lines[2:] == ["Kept eight-pinned: it is pinned", lines[3]]
    assert lines[3].startswith("Would remove 2 entries (")
    assert len(cache.names()) == 5

    result = cache.json("prune", "--older-than", "1w")
    assert [e["name"] for e in result["removed"]] == ["ten", "nine"]
    assert [(e["name"], e["reason"]) for e in result["skipped"]] == [("eight-pinned", "pinned")]
    assert result["target"] is None and result["older-than"] == 7 * 24 * 3600
    assert result["entries"] == 2 and result["dry-run"] is False
    assert sorted(cache.names()) == ["eight-pinned", "now", "one"]

    out = ok(cache.run("prune", "--max-entries", "2", "-v"))
    assert "Removed one (" in out and "Kept eight-pinned: it is pinned" in out
    assert sorted(cache.names()) == ["eight-pinned", "now"]

    assert cache.json("prune", "--all")["entries"] == 1
    assert cache.names() == ["eight-pinned"]
    assert "Nothing could be pruned" in ok(cache.run("prune", "--all"))


@pytest.mark.parametrize("duration", ["7", "1.5d", "0s", "7d ", "-1d", "d", "3y", "7D", ""])
def test_prune_bad_durations(work, cache, duration):
    assert_error(cache.run("prune", "--older-than", duration), EXIT_USAGE, "--older-than")


@pytest.mark.parametrize("duration,seconds", [("2s", 2), ("30m", 1800), ("12h", 43200),
                                              ("7d", 604800), ("1h30m", 5400), ("2w", 1209600)])
def test_prune_durations(work, cache, duration, seconds):
    assert cache.json("prune", "--older-than", duration, "--dry-run")["older-than"] == seconds


def test_prune_skips_entries_in_use(work, cache):
    store_sized(work, cache, "busy", 4096)
    out = ok(cache.run("load", "busy", "--", TOOL, "--cache", cache.path, "prune", "--all"))
    assert "Kept busy: it is in use" in out
    assert cache.names() == ["busy"]


# ---- ensure -----------------------------------------------------------------


def test_ensure_builds_once(work, cache):
    log = os.path.join(work, "builds")
    builder = f"echo $$ >> {log}; sleep 0.5; echo made > {{}}/file"
    procs = [subprocess.Popen([TOOL, "--cache", cache.path, "ensure", "toolchain", "--", "sh",
                               "-c", builder], env=base_env(work), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(5)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == EXIT_OK, err
    with open(log) as f:
        assert len(f.read().split()) == 1
    with open(os.path.join(cache.data("toolchain"), "file")) as f:
        assert f.read() == "made\n"
    # There now: CMD is not run.
    ok(cache.run("ensure", "toolchain", "--", "false"))
    assert cache.json("stats")["stored"] == 1


def test_ensure_environment_and_failure(work, cache):
    out = ok(cache.run("ensure", "-v", "t", "--", "sh", "-c",
                       'test "$FSCACHE_ENTRY" = "$1" && test "$FSCACHE_ENTRY_NAME" = t && '
                       'touch "$FSCACHE_ENTRY/ok"', "sh", "{}"))
    assert out == ""
    assert os.path.exists(os.path.join(cache.data("t"), "ok"))

    proc = cache.run("ensure", "u", "--", "sh", "-c", "touch {}/half; exit 9")
    assert proc.returncode == 9
    assert "u" not in cache.names()
    proc = cache.run("ensure", "v", "--", "no-such-command-here")
    assert proc.returncode == 127 and "v" not in cache.names()
    assert os.listdir(os.path.join(cache.path, "journal", "flight")) == []


def test_ensure_declined(work):
    small = Cache(work, max_size="16K")
    proc = small.run("ensure", "big", "--", "sh", "-c", "head -c 100000 /dev/zero > {}/f")
    assert_error(proc, 1, "larger than the maximum size")


def test_ensure_waits_then_takes_over(work, cache):
    """A builder killed mid-build hands over to a waiter, which builds."""
    log = os.path.join(work, "builds")
    first = subprocess.Popen([TOOL, "--cache", cache.path, "ensure", "t", "--", "sh", "-c",
                              f"echo first >> {log}; sleep 60"],
                             env=base_env(work), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    deadline = time.monotonic() + 30
    while not os.path.exists(log):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # A second ensure can't build now: it would have to wait.
    assert_error(cache.run("ensure", "--timeout", "1s", "t", "--", "true"), 1, "Timed out")
    second = subprocess.Popen([TOOL, "--cache", cache.path, "ensure", "-v", "t", "--", "sh", "-c",
                               f"echo second >> {log}; touch {{}}/done"],
                              env=base_env(work), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.3)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert "Building t" in text(err)
    with open(log) as f:
        assert f.read().split() == ["first", "second"]
    assert cache.names() == ["t"]


def test_ensure_interrupted_wait(work, cache):
    holder = subprocess.Popen([TOOL, "--cache", cache.path, "ensure", "t", "--", "sleep", "60"],
                              env=base_env(work), start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        flight = os.path.join(cache.path, "journal", "flight")
        while not (os.path.isdir(flight) and os.listdir(flight)):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        waiter = subprocess.Popen([TOOL, "--cache", cache.path, "ensure", "t", "--", "true"],
                                  env=base_env(work), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        time.sleep(0.3)
        waiter.send_signal(signal.SIGTERM)
        out, err = waiter.communicate(timeout=30)
        assert waiter.returncode == 128 + signal.SIGTERM
        assert "Interrupted while waiting for t" in text(err)
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()


# ---- names quoted, completed quoted -----------------------------------------


NAMES = {"a b": "'a b'", "new\nline": "'new'$'\\n''line'", "it's": '"it\'s"',
         "plain-1.0": "plain-1.0", "$HOME": "'$HOME'", "tab\there": "'tab'$'\\t''here'"}


def test_ls_quotes_names(work, cache):
    for name in NAMES:
        store_sized(work, cache, name, 4096)
    lines = ok(cache.run("ls")).splitlines()
    assert len(lines) == 1 + len(NAMES) + 1  # one line per entry, whatever its name
    shown = {line.split("  ")[0].rstrip() for line in lines[1:-1]}
    assert shown == set(NAMES.values())
    # Pasted in a shell, a quoted name is the name again.
    for name, quoted in NAMES.items():
        assert ok(subprocess.run(["bash", "-c", f"printf %s {quoted}"], stdout=subprocess.PIPE)) \
            == name
    assert {e["name"] for e in cache.json("ls")["entries"]} == set(NAMES)


def test_completion_quotes_names(work, cache):
    for name in ("a b", "a c", "new\nline", "plain"):
        store_sized(work, cache, name, 4096)
    assert complete(work, ["fscache", "rm", "a"], cache.path) == ["a\\ b", "a\\ c"]
    assert complete(work, ["fscache", "rm", "a\\ b"], cache.path) == ["a\\ b"]
    assert complete(work, ["fscache", "info", "p"], cache.path) == ["plain"]
    assert complete(work, ["fscache", "pin", "$"], cache.path) == ["$'new\\nline'"]
    assert complete(work, ["fscache", "ensure", "pl"], cache.path) == ["plain"]


# ---- progress ---------------------------------------------------------------


def run_on_narrow_pty(work, columns, *args):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
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
    return proc.returncode, text(seen)


def test_progress_rate_sync_and_free_columns(work, cache):
    src = os.path.join(work, "src")
    for i in range(8):
        write(os.path.join(src, f"f{i}"), os.urandom(4 * 1024 * 1024))
    status, terminal = run_on_narrow_pty(work, 70, "--cache", cache.path, "store", "t", src)
    assert status == 0
    frames = [f.replace("\x1b[K", "") for f in terminal.split("\r") if f.strip()]
    assert frames and all(len(f) <= 70 - 3 for f in frames), frames
    assert any("syncing…" in f for f in frames), frames
    assert frames[-1].startswith("Storing t [") and "100%" in frames[-1]
    assert "syncing" not in frames[-1]
