#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pushing and pulling whole entries against curl, over loopback, with nginx.

    bench/bench-remote.py [BUILDDIR] [--size MIB] [--reps N] [--dir DIR] [--smoke]
                          [--json FILE] [--zstd] [--content random|text]

One nginx (Debian's, tests/remote/nginx_fixture.py, one worker) serves a
folder on tmpfs; the caches are on tmpfs too, volatile (no syncs). An entry
of mixed files (by count 70 % up to 16 KiB, 27 % up to 1 MiB, 3 % up to
16 MiB; SIZE in all, in folders of 20 files) is stored in cache A. Side by
side, alternating, N times each (the table shows medians):

  push      `fscache push` of the entry to an empty server (a HEAD and a PUT
            per file content, the manifest, the ac document; uploads
            hashed) vs `curl -T` of the same bytes as one file
  write-through  the push right after the commit, in the process that stored
            the entry (fs_cache_store_tree() then fs_cache_push(), timed
            alone, through GObject introspection): not hashed again
            (libfscache/fs-remote-push.c says why), vs `curl -T`
  push-again  the same push when the server has everything (HEADs only)
  pull      `fscache pull` of the entry into an empty cache B (each file
            checked while it streams, then the local commit) vs `curl -o`
            of the one file
  pull-diff B holds the entry; `fscache pull` of a second entry that
            differs from it in one file (1 MiB): the bytes that move

--zstd: both caches have remote-zstd on (blobs go to cas.zst/, compressed
with zstd -3 on the way up); --content text: the files are slices of a
text of random words (zstd makes about a third of it) instead of random
bytes. The curl side always moves the plain bytes.

Both sides are whole processes: the tool's time includes its start, reading
cache.info, the manifest, the commit. Requests and bytes per entry come from
the tool's --json and nginx's access log. bench/README.md ("Remote tier:
push and pull") has the results.
"""

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "remote"))
import nginx_fixture  # noqa: E402


def mixed_sizes(total, rng):
    """The file sizes of bench-http.py's mixed set, adding up to total."""
    sizes = []
    left = total
    while left > 0:
        r = rng.random()
        if r < 0.70:
            s = rng.randint(1, 16 * 1024)
        elif r < 0.97:
            s = rng.randint(16 * 1024, 1 << 20)
        else:
            s = rng.randint(1 << 20, 16 << 20)
        s = min(s, left)
        sizes.append(s)
        left -= s
    return sizes


def text_pool(rng, size=4 << 20):
    """size bytes of lines of random words: compressible as source or logs
    are, without whole files that repeat (slices start anywhere)."""
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 10)))
             for _ in range(2000)]
    out = bytearray()
    while len(out) < size:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
        out += line.encode() + b"\n"
    return bytes(out[:size])


def make_tree(root, sizes, rng, content="random"):
    pool = text_pool(rng) if content == "text" else None
    paths = []
    for i, s in enumerate(sizes):
        d = os.path.join(root, f"d{i // 20:04d}")
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, f"f{i:06d}")
        with open(p, "wb") as f:
            if pool is None:
                f.write(rng.randbytes(s))
            else:
                left = s
                while left > 0:
                    start = rng.randrange(len(pool))
                    chunk = pool[start:start + left]
                    f.write(chunk)
                    left -= len(chunk)
        paths.append(p)
    return paths


def concat(paths, out):
    with open(out, "wb") as o:
        for p in paths:
            with open(p, "rb") as f:
                shutil.copyfileobj(f, o, 1 << 20)
    return out


class Bench:
    def __init__(self, args):
        self.args = args
        self.tool = os.path.join(args.builddir, "tools", "fscache")
        self.rows = []
        self.json = open(args.json, "w") if args.json else None
        self.env = dict(os.environ, no_proxy="127.0.0.1", NO_PROXY="127.0.0.1")
        for var in ("FSCACHE_REMOTE_TOKEN", "FSCACHE_REMOTE_USER", "FSCACHE_REMOTE_PASSWORD"):
            self.env.pop(var, None)

    def emit(self, rec):
        line = json.dumps(rec)
        print(line, flush=True)
        if self.json:
            self.json.write(line + "\n")

    def timed_cpu(self, argv):
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
        _pid, status, ru = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        out = proc.stdout.read()
        err = proc.stderr.read()
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{argv} failed: {err.decode(errors='replace')}")
        return wall, ru.ru_utime + ru.ru_stime, out

    def fscache(self, cache, *args):
        return [self.tool, "--cache", cache, *args]

    def init(self, cache, url):
        shutil.rmtree(cache, ignore_errors=True)
        subprocess.run(self.fscache(cache, "init", "--max-size", "unlimited", "--volatile",
                                    "--remote", url, "--remote-connections",
                                    str(self.args.connections), "--json",
                                    *(["--remote-zstd"] if self.args.zstd else [])),
                       check=True, stdout=subprocess.DEVNULL, env=self.env)

    def clear_server(self, srv):
        for d in ("cas", "cas.zst", "ac", "put"):
            shutil.rmtree(os.path.join(srv.root, d), ignore_errors=True)

    def row(self, label, total, lib, ref_name, ref, target, note):
        if self.args.zstd or self.args.content != "random":
            label += f" [{'zstd, ' if self.args.zstd else ''}{self.args.content}]"
        m = statistics.median(lib)
        cells = [label, f"{m:.3f} s ({total / m / 1e6:.0f} MB/s)" if total else f"{m:.3f} s"]
        if ref:
            r = statistics.median(ref)
            ratio = m / r
            verdict = "" if target is None else ("ok" if ratio <= target else "OVER")
            cells += [ref_name, f"{r:.3f} s ({total / r / 1e6:.0f} MB/s)", f"{ratio:.2f}",
                      f"≤{target}" if target else "", verdict]
        else:
            cells += ["", "", "", "", ""]
        cells.append(note)
        self.rows.append(cells)

    def main(self):
        if not nginx_fixture.nginx_available() or shutil.which("curl") is None:
            print("bench-remote: nginx or curl is not installed: skipped")
            return 77
        reps = self.args.reps
        base = self.args.dir or tempfile.mkdtemp(
            prefix="fscache-bench-remote-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        rng = random.Random(42)
        try:
            with nginx_fixture.NginxServer(os.path.join(base, "nginx")) as srv:
                self.run(srv, base, rng, reps)
        finally:
            if not self.args.dir:
                shutil.rmtree(base, ignore_errors=True)
        print()
        print("| scenario | fscache (median) | reference | ref (median) | ratio | target | | note |")
        print("|---|---|---|---|---|---|---|---|")
        for r in self.rows:
            print("| " + " | ".join(r) + " |")
        return 0

    def run(self, srv, base, rng, reps):
        tree = os.path.join(base, "tree")
        sizes = mixed_sizes((1 << 20) * self.args.size, rng)
        paths = make_tree(tree, sizes, rng, self.args.content)
        total = sum(sizes)
        one = concat(paths, os.path.join(base, "one"))
        a, b = os.path.join(base, "a"), os.path.join(base, "b")
        self.init(a, srv.url)
        subprocess.run(self.fscache(a, "store", "--no-remote", "tree", tree), check=True,
                       stdout=subprocess.DEVNULL, env=self.env)
        desc = f"{len(sizes)} files, {total / (1 << 20):.0f} MiB"
        only = set(self.args.only.split(",")) if self.args.only else None

        def wanted(name):
            return only is None or name in only

        if wanted("push"):
            self.push(srv, a, one, total, desc, reps)
        if wanted("write-through"):
            self.write_through(srv, base, tree, one, total, desc, reps)
        self.clear_server(srv)
        subprocess.run(self.fscache(a, "push", "tree"), check=True, stdout=subprocess.DEVNULL,
                       env=self.env)
        if wanted("push-again"):
            self.push_again(a, reps)
        if wanted("pull"):
            self.pull(srv, b, one, total, desc, base, reps)
        if wanted("pull-diff"):
            self.pull_diff(srv, a, b, tree, paths, rng, reps)

    def push(self, srv, a, one, total, desc, reps):
        # push, against curl -T
        lib, ref, lib_cpu, ref_cpu, last = [], [], [], [], None
        for rep in range(reps):
            for who in ("lib", "curl") if rep % 2 == 0 else ("curl", "lib"):
                self.clear_server(srv)
                if who == "lib":
                    t, cpu, out = self.timed_cpu(self.fscache(a, "push", "--json", "tree"))
                    last = json.loads(out)["entries"][0]
                    lib.append(t)
                    lib_cpu.append(cpu)
                    self.emit({"scenario": "push", "seconds": t, "cpu_s": cpu, "rep": rep, **last})
                else:
                    t, cpu, _ = self.timed_cpu(["curl", "-sS", "-f", "-T", one, srv.url + "put/one"])
                    ref.append(t)
                    ref_cpu.append(cpu)
                    self.emit({"scenario": "curl-put", "seconds": t, "cpu_s": cpu, "rep": rep})
        self.row("push (HEAD + PUT per content, hashed)", total, lib, "curl -T", ref, 1.5,
                 f"{desc}; {last['requests']} requests, {last['bytes-sent']} bytes sent; "
                 f"CPU {statistics.median(lib_cpu):.2f} s vs {statistics.median(ref_cpu):.2f} s")

    WRITE_THROUGH = r"""
import json, resource, sys, time
import gi
gi.require_version("FsCache", "1")
from gi.repository import FsCache, Gio
cache_dir, url, tree, connections = sys.argv[1:5]
cache = FsCache.Cache.new_for_path("org.fscache.Bench", cache_dir, None)
info = FsCache.CacheInfo.new()
info.set_unlimited()
info.set_volatile(True)
info.set_remote_url(url)
info.set_remote_connections(int(connections))
cache.set_info(info, None)
ok, status = cache.store_tree("tree", Gio.File.new_for_path(tree), 0, None, None, None)
assert status == FsCache.CacheCommitStatus.STORED
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.monotonic()
t = cache.push("tree", None, None, None)
wall = time.monotonic() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
print(json.dumps({"seconds": wall, "cpu_s": cpu, "requests": t.get_requests(),
                  "bytes-sent": t.get_bytes_sent(), "blobs-sent": t.get_blobs_sent()}))
"""

    def write_through(self, srv, base, tree, one, total, desc, reps):
        env = dict(self.env,
                   GI_TYPELIB_PATH=os.path.join(self.args.builddir, "introspection"),
                   LD_LIBRARY_PATH=os.path.join(self.args.builddir, "libfscache"))
        cache = os.path.join(base, "wt")
        lib, ref, lib_cpu, ref_cpu = [], [], [], []
        for rep in range(reps):
            for who in ("lib", "curl") if rep % 2 == 0 else ("curl", "lib"):
                self.clear_server(srv)
                if who == "lib":
                    shutil.rmtree(cache, ignore_errors=True)
                    out = subprocess.run(["/usr/bin/python3", "-c", self.WRITE_THROUGH, cache,
                                          srv.url, tree, str(self.args.connections)], env=env,
                                         check=True,
                                         capture_output=True, text=True).stdout
                    rec = json.loads(out.strip().splitlines()[-1])
                    lib.append(rec["seconds"])
                    lib_cpu.append(rec["cpu_s"])
                    self.emit({"scenario": "write-through", "rep": rep, **rec})
                else:
                    t, cpu, _ = self.timed_cpu(["curl", "-sS", "-f", "-T", one, srv.url + "put/one"])
                    ref.append(t)
                    ref_cpu.append(cpu)
                    self.emit({"scenario": "curl-put", "seconds": t, "cpu_s": cpu, "rep": rep})
        shutil.rmtree(cache, ignore_errors=True)
        self.row("push right after the commit (not hashed again)", total, lib, "curl -T", ref,
                 1.5, f"{desc}; {rec['requests']} requests; the push alone, in the storing "
                 f"process; CPU {statistics.median(lib_cpu):.2f} s vs "
                 f"{statistics.median(ref_cpu):.2f} s")

    def push_again(self, a, reps):
        # push again: the server has it
        again = []
        for rep in range(reps):
            t, _cpu, out = self.timed_cpu(self.fscache(a, "push", "--json", "tree"))
            rec = json.loads(out)["entries"][0]
            again.append(t)
            self.emit({"scenario": "push-again", "seconds": t, "rep": rep, **rec})
        self.row("push again (all on the server)", 0, again, None, None, None,
                 f"{rec['requests']} requests (HEADs and the ac GET), {rec['bytes-sent']} bytes "
                 "sent")

    def pull(self, srv, b, one, total, desc, base, reps):
        # pull, against curl -o
        one_url = srv.url + "one"
        if not os.path.exists(os.path.join(srv.root, "one")):
            os.link(one, os.path.join(srv.root, "one"))
        out_file = os.path.join(base, "one.out")
        lib, ref, lib_cpu, ref_cpu = [], [], [], []
        for rep in range(reps):
            for who in ("lib", "curl") if rep % 2 == 0 else ("curl", "lib"):
                if who == "lib":
                    self.init(b, srv.url)
                    t, cpu, out = self.timed_cpu(self.fscache(b, "pull", "--json", "tree"))
                    last = json.loads(out)["entries"][0]
                    assert last["status"] == "stored", last
                    lib.append(t)
                    lib_cpu.append(cpu)
                    self.emit({"scenario": "pull", "seconds": t, "cpu_s": cpu, "rep": rep, **last})
                else:
                    if os.path.exists(out_file):
                        os.unlink(out_file)
                    t, cpu, _ = self.timed_cpu(["curl", "-sS", "-f", "-o", out_file, one_url])
                    ref.append(t)
                    ref_cpu.append(cpu)
                    self.emit({"scenario": "curl-get", "seconds": t, "cpu_s": cpu, "rep": rep})
        self.row("pull (GET per content, verified, committed)", total, lib, "curl -o", ref, 1.5,
                 f"{desc}; {last['requests']} requests, {last['bytes-received']} bytes "
                 f"received; CPU {statistics.median(lib_cpu):.2f} s vs "
                 f"{statistics.median(ref_cpu):.2f} s")
        if os.path.exists(out_file):
            os.unlink(out_file)

    def pull_diff(self, srv, a, b, tree, paths, rng, reps):
        # pull of an entry that differs in one file from one B holds
        changed = paths[len(paths) // 2]
        with open(changed, "wb") as f:
            f.write(rng.randbytes(1 << 20))
        subprocess.run(self.fscache(a, "store", "tree2", tree), check=True,
                       stdout=subprocess.DEVNULL, env=self.env)
        diff = []
        for rep in range(reps):
            self.init(b, srv.url)
            subprocess.run(self.fscache(b, "pull", "tree"), check=True, stdout=subprocess.DEVNULL,
                           env=self.env)
            gets = srv.count("GET", "/cas/")
            t, _cpu, out = self.timed_cpu(self.fscache(b, "pull", "--json", "tree2"))
            rec = json.loads(out)["entries"][0]
            rec["cas-gets"] = srv.count("GET", "/cas/") - gets
            diff.append(t)
            self.emit({"scenario": "pull-diff", "seconds": t, "rep": rep, **rec})
        self.row("pull of an entry differing in one file (1 MiB)", 0, diff, None, None, None,
                 f"{rec['blobs-received']} blobs ({rec['cas-gets']} GETs of cas/) and "
                 f"{rec['bytes-received']} bytes received (file, manifest, ac), "
                 f"{rec['blobs-copied']} files ({rec['bytes-copied']} bytes) copied locally; "
                 f"{rec['requests']} requests")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("builddir", nargs="?", default=os.path.join(SRC, "build"))
    ap.add_argument("--size", type=int, default=1024, help="MiB of the entry (default 1024)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--connections", type=int, default=8, help="remote-connections (default 8)")
    ap.add_argument("--dir")
    ap.add_argument("--json")
    ap.add_argument("--only",
                    help="scenarios to run: push,write-through,push-again,pull,pull-diff")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: a check, not a measurement")
    ap.add_argument("--zstd", action="store_true", help="remote-zstd on in both caches")
    ap.add_argument("--content", choices=("random", "text"), default="random",
                    help="file contents: random bytes (default) or compressible text")
    args = ap.parse_args()
    if args.smoke:
        args.size = min(args.size, 8)
        args.reps = 1
    return Bench(args).main()


if __name__ == "__main__":
    sys.exit(main())
