# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fscache tool's remote tier against a real nginx.

Two caches on one machine stand for two machines. store pushes after its
commit, load pulls on a miss, push and pull transfer explicitly; a remote
that fails never fails a store or a load (one warning, exit 0 or 3), and
fails an explicit push or pull (exit 1). Several real processes pull the
same entry into one cache at once. Run by meson (suite remote), which sets
FSCACHE_TOOL.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

TOOL = os.environ.get("FSCACHE_TOOL", "")
pytestmark = pytest.mark.skipif(not os.access(TOOL, os.X_OK), reason="FSCACHE_TOOL not set")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_MISS = 0, 1, 2, 3


def run(cache, *args, env=None, check=None, timeout=120):
    full_env = dict(os.environ)
    for var in ("FSCACHE_REMOTE_TOKEN", "FSCACHE_REMOTE_USER", "FSCACHE_REMOTE_PASSWORD"):
        full_env.pop(var, None)
    # A remote that fails is reported, never a warning that kills a
    # program run with fatal warnings.
    full_env["G_DEBUG"] = "fatal-warnings,fatal-criticals"
    full_env.update(env or {})
    proc = subprocess.run([TOOL, "--cache", str(cache), *args], env=full_env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)
    if check is not None:
        assert proc.returncode == check, (args, proc.returncode, proc.stdout, proc.stderr)
    return proc


def warnings_of(proc):
    return [line for line in proc.stderr.splitlines() if line.startswith("fscache: warning:")]


def init(path, url, *more):
    run(path, "init", "--max-size", "1G", "--remote", url, *more, check=EXIT_OK)
    return path


def make_tree(root, n=12):
    os.makedirs(root / "d")
    for i in range(n):
        (root / "d" / f"f{i:02}").write_bytes(os.urandom(20_000 + i))
    (root / "empty").write_bytes(b"")
    os.symlink("d/f00", root / "link")
    os.chmod(root / "d" / "f01", 0o600)
    return root


def leftovers(cache):
    found = []
    for area in ("objects", "stage", "journal"):
        d = cache / area
        if d.is_dir():
            found += [f"{area}/{n}" for n in os.listdir(d) if n.startswith("uuid-")]
    return found


def consistent(cache):
    total = 0
    objects = cache / "objects"
    for name in os.listdir(objects):
        info = objects / name / "object.info"
        if info.exists():
            total += json.loads(info.read_text())["size"]
    return int((cache / "cache.size").read_text()) == total


def test_store_pushes_and_load_pulls(tmp_path, nginx):
    a = init(tmp_path / "a", nginx.url)
    b = init(tmp_path / "b", nginx.url)
    src = make_tree(tmp_path / "src")

    out = run(a, "store", "tree", str(src), check=EXIT_OK).stdout
    assert "Stored “tree”" in out and f"Pushed “tree” to {nginx.url}" in out
    assert nginx.count("PUT", "/ac/") == 1

    proc = run(b, "load", "tree", "--", "sh", "-c", "cat {}/d/f03 | sha256sum", check=EXIT_OK)
    expected = subprocess.run(["sha256sum"], input=(src / "d" / "f03").read_bytes(),
                              capture_output=True).stdout.decode()
    assert proc.stdout.split()[0] == expected.split()[0]
    assert warnings_of(proc) == []
    ls = json.loads(run(b, "ls", "--json", check=EXIT_OK).stdout)
    assert [e["name"] for e in ls["entries"]] == ["tree"]
    assert leftovers(b) == [] and consistent(b)

    # --no-remote: a miss stays a miss.
    before = nginx.count()
    proc = run(b, "load", "--no-remote", "other", "--", "true", check=EXIT_MISS)
    assert nginx.count() == before


def test_store_json_and_no_remote(tmp_path, nginx):
    a = init(tmp_path / "a", nginx.url)
    src = make_tree(tmp_path / "src")
    result = json.loads(run(a, "store", "--json", "t", str(src), check=EXIT_OK).stdout)
    assert result["status"] == "stored"
    assert result["remote"]["blobs-sent"] == 13 and result["remote"]["remote"] == nginx.url
    result = json.loads(run(a, "store", "--json", "--no-remote", "u", str(src),
                            check=EXIT_OK).stdout)
    assert result["remote"] is None
    assert nginx.count("PUT", "/ac/") == 1


def test_push_and_pull_json(tmp_path, nginx):
    a = init(tmp_path / "a", nginx.url)
    b = init(tmp_path / "b", nginx.url)
    src = make_tree(tmp_path / "src")
    run(a, "store", "--no-remote", "t1", str(src), check=EXIT_OK)
    (src / "d" / "f05").write_bytes(os.urandom(30_000))
    run(a, "store", "--no-remote", "t2", str(src), check=EXIT_OK)

    pushed = json.loads(run(a, "push", "--json", "t1", "t2", check=EXIT_OK).stdout)
    e1, e2 = pushed["entries"]
    assert (e1["name"], e1["blobs-sent"], e1["blobs-skipped"]) == ("t1", 13, 0)
    # The second differs in one file: that file and its manifest.
    assert (e2["name"], e2["blobs-sent"], e2["blobs-skipped"]) == ("t2", 2, 11)
    assert 30_000 <= e2["bytes-sent"] < 40_000

    pulled = json.loads(run(b, "pull", "--json", "t1", "t2", check=EXIT_OK).stdout)
    p1, p2 = pulled["entries"]
    assert p1["status"] == "stored" and p1["blobs-received"] == 13
    assert p2["status"] == "stored" and p2["blobs-received"] == 2 and p2["blobs-copied"] == 11
    assert 30_000 <= p2["bytes-received"] < 40_000
    assert p1["tree-digest"] == e1["tree-digest"] and p2["tree-digest"] == e2["tree-digest"]

    again = json.loads(run(b, "pull", "--json", "t1", check=EXIT_OK).stdout)
    assert again["entries"][0]["status"] == "exists"
    out = run(b, "pull", "t1", check=EXIT_OK).stdout
    assert "nothing pulled" in out

    proc = run(b, "pull", "--json", "t1", "missing", check=EXIT_MISS)
    assert json.loads(proc.stdout)["entries"][1]["name"] == "missing"
    assert "error" in json.loads(proc.stdout)["entries"][1]


def test_stats_count_the_remote(tmp_path, nginx):
    a = init(tmp_path / "a", nginx.url)
    b = init(tmp_path / "b", nginx.url)
    src = make_tree(tmp_path / "src")

    # A store that pushes: bytes up, and no load counted for the push.
    stored = json.loads(run(a, "store", "--json", "t", str(src), check=EXIT_OK).stdout)
    sent = stored["remote"]["bytes-sent"]
    assert sent > 12 * 20_000
    stats = json.loads(run(a, "stats", "--json", check=EXIT_OK).stdout)
    assert stats["remote-bytes-up"] == sent
    assert (stats["stored"], stats["hits"], stats["misses"]) == (1, 0, 0)

    # A load that pulls, and one that the remote can't serve.
    run(b, "load", "t", "--", "true", check=EXIT_OK)
    run(b, "load", "missing", "--", "true", check=EXIT_MISS)
    stats = json.loads(run(b, "stats", "--json", check=EXIT_OK).stdout)
    assert (stats["hits"], stats["misses"]) == (0, 2)
    assert (stats["remote-hits"], stats["remote-misses"], stats["remote-errors"]) == (1, 1, 0)
    assert stats["remote-bytes-down"] > 12 * 20_000
    assert stats["remote-bytes-up"] == 0
    # --no-remote asks nothing: a miss, no remote miss.
    run(b, "load", "--no-remote", "other", "--", "true", check=EXIT_MISS)
    stats = json.loads(run(b, "stats", "--json", check=EXIT_OK).stdout)
    assert (stats["misses"], stats["remote-misses"]) == (3, 1)
    # The pull's bytes, as `pull --json` counts them.
    run(b, "rm", "t", check=EXIT_OK)
    run(b, "stats", "--zero", check=EXIT_OK)
    pulled = json.loads(run(b, "pull", "--json", "t", check=EXIT_OK).stdout)["entries"][0]
    stats = json.loads(run(b, "stats", "--json", check=EXIT_OK).stdout)
    assert stats["remote-bytes-down"] == pulled["bytes-received"]
    assert stats["remote-hits"] == 1
    text = run(b, "stats", check=EXIT_OK).stdout
    assert any(line.split() == ["Remote", "hits:", "1"] for line in text.splitlines()), text


def test_ensure_pulls_then_builds_and_pushes(tmp_path, nginx):
    a = init(tmp_path / "a", nginx.url)
    b = init(tmp_path / "b", nginx.url)
    src = make_tree(tmp_path / "src")
    run(a, "store", "t", str(src), check=EXIT_OK)

    # On the remote: pulled, CMD (which would fail) never runs.
    proc = run(b, "ensure", "-v", "t", "--", "false", check=EXIT_OK)
    assert warnings_of(proc) == [] and "in the cache" in proc.stderr
    assert (b / "objects" / "t" / "data" / "d" / "f03").read_bytes() == \
        (src / "d" / "f03").read_bytes()
    stats = json.loads(run(b, "stats", "--json", check=EXIT_OK).stdout)
    assert (stats["remote-hits"], stats["misses"], stats["hits"]) == (1, 1, 0)

    # Nowhere: built here, then pushed, and A loads it from the remote.
    puts = nginx.count("PUT", "/ac/")
    proc = run(b, "ensure", "-v", "u", "--", "sh", "-c", "echo built > {}/f", check=EXIT_OK)
    assert warnings_of(proc) == [] and "Pushed" in proc.stderr and proc.stdout == ""
    assert nginx.count("PUT", "/ac/") == puts + 1
    proc = run(a, "load", "u", "--", "cat", "{}/f", check=EXIT_OK)
    assert proc.stdout == "built\n"

    # --no-remote: the server hears nothing.
    before = nginx.count()
    run(b, "ensure", "--no-remote", "v", "--", "true", check=EXIT_OK)
    run(b, "ensure", "--no-remote", "v", "--", "false", check=EXIT_OK)
    assert nginx.count() == before

    # A remote that is down: one warning, built all the same.
    nginx.kill()
    proc = run(b, "ensure", "w", "--", "true", check=EXIT_OK)
    assert len(warnings_of(proc)) == 2, proc.stderr  # the pull, then the push
    assert (b / "objects" / "w").is_dir() and leftovers(b) == [] and consistent(b)


def start_slow_pull(cache, name):
    """`fscache pull NAME` through a slow remote, returned once it is
    downloading (its anonymous entry is in the cache)."""
    env = dict(os.environ)
    for var in ("FSCACHE_REMOTE_TOKEN", "FSCACHE_REMOTE_USER", "FSCACHE_REMOTE_PASSWORD"):
        env.pop(var, None)
    proc = subprocess.Popen([TOOL, "--cache", str(cache), "pull", "--no-progress", name], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not leftovers(cache):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    return proc


def test_interrupted_pull_leaves_nothing(tmp_path, nginx_factory):
    srv = nginx_factory(limit_rate="64k")
    a = init(tmp_path / "a", srv.url)
    src = tmp_path / "src"
    os.makedirs(src)
    (src / "big").write_bytes(os.urandom(4 << 20))
    (src / "small").write_bytes(b"small\n")
    run(a, "store", "e", str(src), check=EXIT_OK)
    # B reads through /slow/ (64 KiB/s): a minute for the big file.
    b = init(tmp_path / "b", srv.url + "slow/")

    # ^C or a kill: the pull stops, removes what it fetched, exits 128 + N.
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = start_slow_pull(b, "e")
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 128 + sig, (proc.returncode, out, err)
        assert leftovers(b) == [] and consistent(b)
        assert os.listdir(b / "objects") == []

    # Killed outright, the pull can't clean up: its anonymous entry is
    # debris that the next gc removes (its process is gone).
    proc = start_slow_pull(b, "e")
    proc.kill()
    proc.communicate(timeout=120)
    run(b, "gc", check=EXIT_OK)
    assert leftovers(b) == [] and consistent(b)
    assert os.listdir(b / "objects") == []


def test_remote_down(tmp_path, nginx):
    a = init(tmp_path / "a", nginx.url)
    b = init(tmp_path / "b", nginx.url)
    src = make_tree(tmp_path / "src")
    run(a, "store", "tree", str(src), check=EXIT_OK)
    nginx.kill()

    # store: committed locally, one warning, exit 0.
    proc = run(a, "store", "other", str(src), check=EXIT_OK)
    assert len(warnings_of(proc)) == 1 and nginx.url in warnings_of(proc)[0]
    assert "Stored “other”" in proc.stdout
    # load: a miss, one warning naming the remote and the reason.
    proc = run(b, "load", "tree", "--", "true", check=EXIT_MISS)
    assert len(warnings_of(proc)) == 1
    assert nginx.url in warnings_of(proc)[0] and "refused" in warnings_of(proc)[0]
    # The statistics tell a remote that failed from one that lacks the entry.
    stats = json.loads(run(b, "stats", "--json", check=EXIT_OK).stdout)
    assert (stats["misses"], stats["remote-misses"], stats["remote-errors"]) == (1, 0, 1)
    stats = json.loads(run(a, "stats", "--json", check=EXIT_OK).stdout)
    assert stats["remote-errors"] == 1  # the push of "other"
    assert leftovers(b) == [] and consistent(b)
    # push and pull: failures with the reason.
    proc = run(a, "push", "tree", check=EXIT_FAILURE)
    assert "refused" in proc.stderr
    proc = run(b, "pull", "tree", check=EXIT_FAILURE)
    assert "refused" in proc.stderr


def test_read_only_sends_nothing(tmp_path, nginx):
    a = init(tmp_path / "a", nginx.url, "--remote-mode", "read-only")
    src = make_tree(tmp_path / "src")
    proc = run(a, "store", "tree", str(src), check=EXIT_OK)
    assert "Pushed" not in proc.stdout and warnings_of(proc) == []
    proc = run(a, "push", "tree", check=EXIT_FAILURE)
    assert "read-only" in proc.stderr
    assert nginx.count("PUT") == 0 and nginx.count() == 0


def test_concurrent_pulls(tmp_path, nginx):
    """Several processes load the same missing entry into one cache at once:
    one entry, exact accounting, no debris, and every process gets it."""
    a = init(tmp_path / "a", nginx.url)
    b = init(tmp_path / "b", nginx.url)
    src = make_tree(tmp_path / "src", n=40)
    run(a, "store", "tree", str(src), check=EXIT_OK)

    env = dict(os.environ, G_DEBUG="fatal-warnings,fatal-criticals")
    procs = [subprocess.Popen([TOOL, "--cache", str(b), "load", "tree", "--", "sh", "-c",
                               "test -f {}/d/f39"], env=env, stderr=subprocess.PIPE, text=True)
             for _ in range(6)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert all(code == EXIT_OK for code, _ in results), results
    ls = json.loads(run(b, "ls", "--json", check=EXIT_OK).stdout)
    assert [e["name"] for e in ls["entries"]] == ["tree"]
    assert leftovers(b) == [] and consistent(b)
    assert int((b / "cache.size").read_text()) == ls["entries"][0]["size"]


def test_concurrent_ensures_pull_once(tmp_path, nginx_factory):
    """Five `fscache ensure` of one name that the remote has, at once, in one
    cache: one of them pulls (one download), the others wait for its pull
    as they would for a build; nobody runs the build command."""
    srv = nginx_factory(limit_rate="128k")
    a = init(tmp_path / "a", srv.url)
    src = make_tree(tmp_path / "src")
    run(a, "store", "t", str(src), check=EXIT_OK)
    # B reads through /slow/ (128 KiB/s): the pull lasts about two seconds.
    b = init(tmp_path / "b", srv.url + "slow/")
    builds = tmp_path / "builds"

    env = dict(os.environ, G_DEBUG="fatal-warnings,fatal-criticals")
    procs = [subprocess.Popen([TOOL, "--cache", str(b), "ensure", "t", "--", "sh", "-c",
                               f"echo $$ >> {builds}"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(5)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert all(code == EXIT_OK for code, _ in results), results
    assert not builds.exists()
    assert srv.count("GET", "/slow/ac/") == 1
    stats = json.loads(run(b, "stats", "--json", check=EXIT_OK).stdout)
    assert (stats["remote-hits"], stats["misses"], stats["hits"]) == (1, 1, 4)
    assert (b / "objects" / "t" / "data" / "d" / "f03").read_bytes() == \
        (src / "d" / "f03").read_bytes()
    assert leftovers(b) == [] and consistent(b)


def test_config_and_info(tmp_path, nginx):
    c = tmp_path / "c"
    run(c, "init", check=EXIT_OK)
    assert run(c, "config", "get", "remote", check=EXIT_OK).stdout == "unset\n"
    run(c, "config", "set", "remote", nginx.url, check=EXIT_OK)
    run(c, "config", "set", "remote-namespace", "ci", check=EXIT_OK)
    run(c, "config", "set", "remote-timeout", "7", check=EXIT_OK)
    run(c, "config", "set", "remote-connections", "4", check=EXIT_OK)
    run(c, "config", "set", "remote-zstd", "on", check=EXIT_OK)
    creds = tmp_path / "token"
    creds.write_text("bearer SECRET-TOKEN\n")
    run(c, "config", "set", "remote-credentials-file", str(creds), check=EXIT_OK)
    config = json.loads(run(c, "config", "get", "--json", check=EXIT_OK).stdout)
    assert config["remote"] == nginx.url and config["remote-mode"] == "read-write"
    assert config["remote-namespace"] == "ci" and config["remote-timeout"] == 7
    assert config["remote-connections"] == 4 and config["remote-zstd"] is True
    assert config["remote-credentials-file"] == str(creds)
    info = run(c, "info", check=EXIT_OK).stdout
    assert f"{nginx.url} (read-write, namespace “ci”)" in info
    assert "SECRET-TOKEN" not in (c / "cache.info").read_text()

    # Refused values: usage errors, nothing written.
    for key, value in (("remote", "ftp://x/"), ("remote", "http://user:pw@host/"),
                       ("remote-mode", "sometimes"), ("remote-timeout", "0"),
                       ("remote-connections", "65"), ("remote-credentials-file", "rel/path")):
        proc = run(c, "config", "set", key, value, check=EXIT_USAGE)
        assert key in proc.stderr
    assert "pw@" not in (c / "cache.info").read_text()
    run(c, "config", "set", "remote", "", check=EXIT_OK)
    assert "Remote:" in run(c, "info", check=EXIT_OK).stdout
    assert json.loads(run(c, "config", "get", "--json", "remote").stdout) is None


def test_credentials_from_the_environment(tmp_path, nginx_factory):
    srv = nginx_factory(bearer="TOKEN-abc123")
    a = init(tmp_path / "a", srv.url)
    src = make_tree(tmp_path / "src", n=2)
    proc = run(a, "store", "tree", str(src), check=EXIT_OK)
    assert len(warnings_of(proc)) == 1 and "credentials" in warnings_of(proc)[0]
    proc = run(a, "push", "tree", env={"FSCACHE_REMOTE_TOKEN": "TOKEN-abc123"}, check=EXIT_OK)
    assert "Pushed" in proc.stdout
    assert "TOKEN-abc123" not in (a / "cache.info").read_text()
