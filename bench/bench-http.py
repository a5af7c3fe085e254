#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The remote tier's HTTP client against curl, over loopback, with nginx.

    bench/bench-http.py [BUILDDIR] [--size MIB] [--reps N] [--dir DIR] [--smoke]
                        [--only A,B] [--json FILE]

One nginx (Debian's, tests/remote/nginx_fixture.py, one worker) serves a
folder on tmpfs. Side by side, alternating, N times each (the table shows
medians):

  get        a set of mixed files (by count 70 % up to 16 KiB, 27 % up to
             1 MiB, 3 % up to 16 MiB; SIZE in all) downloaded by bench-http
             (verified GETs, `connections` threads) vs `curl -o` of the same
             bytes as one file
  get-async  the same GETs as async libsoup calls on one thread
  put        the set uploaded (HEAD then PUT: an empty server) vs `curl -T`
  zstd       put and get with zstd, of incompressible (random) and
             compressible (files of /usr) data: time and bytes on the wire
  rps        requests per second of 2,000 blobs of 4 KiB, GET and HEAD, with
             1, 4, 8 and 16 connections
  conns      the mixed GET with 1, 4, 8, 16 connections

Everything lives in DIR (default: a new folder in /dev/shm), removed at the
end. bench/README.md ("Remote tier") has the results and how to read them.
"""

import argparse
import hashlib
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

ALL = ["get", "get-async", "put", "zstd", "rps", "conns"]


def mixed_sizes(total, rng):
    """File sizes like the store_tree scenario of bench/run, adding up to total."""
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


class CompressibleSource:
    """Bytes of real files (/usr/bin, /usr/lib, /usr/share), round robin."""

    def __init__(self):
        self.paths = []
        for top in ("/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/share/doc", "/usr/include"):
            for dirpath, _dirs, files in os.walk(top):
                for f in files:
                    p = os.path.join(dirpath, f)
                    if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p) > 4096:
                        self.paths.append(p)
                if len(self.paths) > 20000:
                    break
        self.paths.sort()
        self.i = 0
        self.buf = b""

    def take(self, n):
        while len(self.buf) < n:
            p = self.paths[self.i % len(self.paths)]
            self.i += 1
            try:
                with open(p, "rb") as f:
                    self.buf += f.read(8 << 20)
            except OSError:
                pass
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def make_set(folder, sizes, compressible, rng):
    """Writes the files; returns [(digest, size, path)]."""
    os.makedirs(folder, exist_ok=True)
    src = CompressibleSource() if compressible else None
    items = []
    for i, s in enumerate(sizes):
        data = src.take(s) if src else rng.randbytes(s)
        p = os.path.join(folder, f"f{i:06d}")
        with open(p, "wb") as f:
            f.write(data)
        items.append((hashlib.sha256(data).hexdigest(), s, p))
    return items


def write_list(path, items, dest_dir=None):
    with open(path, "w") as f:
        for i, (d, s, p) in enumerate(items):
            if dest_dir:
                p = os.path.join(dest_dir, f"f{i:06d}")
            f.write(f"{d} {s} {p}\n")
    return path


def concat(items, path):
    with open(path, "wb") as out:
        for _d, _s, p in items:
            with open(p, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
    return path


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = args.builddir
        self.tool = os.path.join(self.build, "bench", "bench-http")
        self.results = []
        self.rows = []
        self.json = open(args.json, "w") if args.json else None

    def emit(self, rec):
        self.results.append(rec)
        line = json.dumps(rec)
        print(line, flush=True)
        if self.json:
            self.json.write(line + "\n")

    def timed(self, argv):
        """Wall-clock seconds and CPU seconds (user + system) of a command."""
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        _pid, status, ru = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, argv)
        return wall, ru.ru_utime + ru.ru_stime

    def client(self, mode, url, listfile, *extra):
        out = subprocess.run(
            [self.tool, mode, url, listfile, *extra], check=True, capture_output=True, text=True
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    def clear(self, path):
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)

    def clear_cas(self, srv):
        for d in ("cas", "cas.zst", "put"):
            shutil.rmtree(os.path.join(srv.root, d), ignore_errors=True)

    # ---- scenarios ------------------------------------------------------------------

    def put_all(self, srv, listfile, *extra):
        self.clear_cas(srv)
        return self.client("upload", srv.url, listfile, *extra)

    def s_get_put(self, srv, work, items, one, scen):
        reps = self.args.reps
        conns = str(self.args.connections)
        src_list = write_list(os.path.join(work, "src.list"), items)
        out_dir = os.path.join(work, "out")
        dst_list = write_list(os.path.join(work, "dst.list"), items, out_dir)
        total = sum(s for _d, s, _p in items)
        os.link(one, os.path.join(srv.root, "one")) if not os.path.exists(
            os.path.join(srv.root, "one")
        ) else None

        if "put" in scen:
            lib, ref, lib_cpu, ref_cpu = [], [], [], []
            for rep in range(reps):
                for who in ("lib", "curl") if rep % 2 == 0 else ("curl", "lib"):
                    if who == "lib":
                        r = self.put_all(srv, src_list, "-c", conns)
                        r["rep"] = rep
                        self.emit(r)
                        lib.append(r["seconds"])
                        lib_cpu.append(r["cpu_s"])
                    else:
                        self.clear_cas(srv)
                        t, cpu = self.timed(["curl", "-sS", "-f", "-T", one, srv.url + "put/one"])
                        self.emit({"mode": "curl-put", "bytes": total, "seconds": t, "cpu_s": cpu,
                                   "rep": rep})
                        ref.append(t)
                        ref_cpu.append(cpu)
            self.row("put (HEAD+PUT)", items, total, lib, "curl -T", ref, 1.5, cpu=(lib_cpu, ref_cpu))
            lib_nv = []
            for rep in range(reps):
                r = self.put_all(srv, src_list, "-c", conns, "--no-verify")
                self.emit(r)
                lib_nv.append(r["seconds"])
            self.row("put, uploads not hashed", items, total, lib_nv, "curl -T", ref, 1.5)

        self.put_all(srv, src_list, "-c", conns)
        for mode in ("get", "get-async"):
            if mode not in scen:
                continue
            lib, ref, lib_cpu, ref_cpu = [], [], [], []
            for rep in range(reps):
                for who in ("lib", "curl") if rep % 2 == 0 else ("curl", "lib"):
                    if who == "lib":
                        self.clear(out_dir)
                        r = self.client(mode, srv.url, dst_list, "-c", conns)
                        r["rep"] = rep
                        self.emit(r)
                        lib.append(r["seconds"])
                        lib_cpu.append(r["cpu_s"])
                    else:
                        self.clear(out_dir)
                        t, cpu = self.timed(
                            ["curl", "-sS", "-f", "-o", os.path.join(out_dir, "one"), srv.url + "one"]
                        )
                        self.emit({"mode": "curl-get", "bytes": total, "seconds": t, "cpu_s": cpu,
                                   "rep": rep})
                        ref.append(t)
                        ref_cpu.append(cpu)
            label = "get (threads, verified)" if mode == "get" else "get-async (one thread, verified)"
            self.row(label, items, total, lib, "curl -o", ref, 1.5 if mode == "get" else None,
                     cpu=(lib_cpu, ref_cpu))

        if "conns" in scen:
            for c in (1, 4, 8, 16):
                lib = []
                for rep in range(reps):
                    self.clear(out_dir)
                    r = self.client("get", srv.url, dst_list, "-c", str(c))
                    self.emit(r)
                    lib.append(r["seconds"])
                self.row(f"get, {c} connections", items, total, lib, None, None, None)
        self.clear(out_dir)

    def s_zstd(self, srv, work, label, items):
        reps = self.args.reps
        conns = str(self.args.connections)
        src_list = write_list(os.path.join(work, f"{label}.src.list"), items)
        out_dir = os.path.join(work, "out")
        dst_list = write_list(os.path.join(work, f"{label}.dst.list"), items, out_dir)
        total = sum(s for _d, s, _p in items)
        for zargs, name in (([], "plain"), (["--zstd", "--level", "1"], "zstd -1"),
                            (["--zstd", "--level", "3"], "zstd -3")):
            puts, gets, wire = [], [], 0
            for rep in range(reps):
                r = self.put_all(srv, src_list, "-c", conns, *zargs)
                r["data"] = label
                self.emit(r)
                puts.append(r["seconds"])
                wire = r["wire_bytes"]
                self.clear(out_dir)
                g = self.client("get", srv.url, dst_list, "-c", conns, *zargs[:1])
                g["data"] = label
                self.emit(g)
                gets.append(g["seconds"])
            note = f"{wire / total * 100:.0f} % of the bytes on the wire"
            self.row(f"put {label}, {name}", items, total, puts, None, None, None, note)
            self.row(f"get {label}, {name}", items, total, gets, None, None, None, note)
        self.clear(out_dir)

    def s_rps(self, srv, work, rng):
        n = 200 if self.args.smoke else 2000
        items = make_set(os.path.join(work, "small"), [4096] * n, False, rng)
        src_list = write_list(os.path.join(work, "small.src.list"), items)
        out_dir = os.path.join(work, "small-out")
        dst_list = write_list(os.path.join(work, "small.dst.list"), items, out_dir)
        self.put_all(srv, src_list, "-c", "8")
        for c in (1, 4, 8, 16):
            for mode in ("get", "head"):
                vals = []
                for rep in range(self.args.reps):
                    self.clear(out_dir)
                    r = self.client(mode, srv.url, dst_list if mode == "get" else src_list,
                                    "-c", str(c))
                    r["scenario"] = "rps"
                    self.emit(r)
                    vals.append(r["rps"])
                self.rows.append(
                    (f"{mode.upper()} 4 KiB, {c} connections", f"{statistics.median(vals):.0f} req/s",
                     "", "", "", "", f"{n} blobs")
                )

    # ---- output ------------------------------------------------------------------------

    def row(self, label, items, total, lib, ref_name, ref, target, note="", cpu=None):
        m = statistics.median(lib)
        mb = total / m / 1e6
        cells = [label, f"{m:.3f} s ({mb:.0f} MB/s)"]
        if ref:
            r = statistics.median(ref)
            ratio = m / r
            ok = "" if target is None else ("ok" if ratio <= target else "OVER")
            cells += [ref_name, f"{r:.3f} s ({total / r / 1e6:.0f} MB/s)", f"{ratio:.2f}",
                      f"≤{target}" if target else "", ok]
        else:
            cells += ["", "", "", "", ""]
        if not note:
            note = f"{len(items)} files, {total / (1 << 20):.0f} MiB"
        if cpu:
            note += (f"; CPU {statistics.median(cpu[0]):.2f} s vs "
                     f"{statistics.median(cpu[1]):.2f} s")
        cells.append(note)
        self.rows.append(tuple(cells))

    def table(self):
        print()
        print("| scenario | lib (median) | reference | ref (median) | ratio | target | | note |")
        print("|---|---|---|---|---|---|---|---|")
        for r in self.rows:
            if len(r) == 7:
                r = (r[0], r[1], "", "", "", "", "", r[6])
            print("| " + " | ".join(r) + " |")

    def machine(self):
        cpu = ""
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        curl = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
        return {
            "type": "machine",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cpu": cpu,
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "curl": curl,
        }

    def main(self):
        if not nginx_fixture.nginx_available():
            print("bench-http: nginx is not installed: skipped")
            return 77
        if shutil.which("curl") is None:
            print("bench-http: curl is not installed: skipped")
            return 77
        scen = set(self.args.only.split(",")) if self.args.only else set(ALL)
        self.emit(self.machine())
        base = self.args.dir or tempfile.mkdtemp(
            prefix="fscache-bench-http-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
        )
        rng = random.Random(42)
        try:
            work = os.path.join(base, "work")
            os.makedirs(work, exist_ok=True)
            size = (1 << 20) * self.args.size
            with nginx_fixture.NginxServer(os.path.join(base, "nginx"), limit_rate="1k") as srv:
                if scen & {"get", "get-async", "put", "conns"}:
                    items = make_set(os.path.join(work, "mixed"), mixed_sizes(size, rng), False, rng)
                    one = concat(items, os.path.join(work, "one"))
                    self.s_get_put(srv, work, items, one, scen)
                    shutil.rmtree(os.path.join(work, "mixed"))
                    self.clear_cas(srv)
                if "zstd" in scen:
                    zsize = size // 4
                    for label, compressible in (("random", False), ("/usr files", True)):
                        items = make_set(
                            os.path.join(work, "z"), mixed_sizes(zsize, rng), compressible, rng
                        )
                        self.s_zstd(srv, work, label, items)
                        shutil.rmtree(os.path.join(work, "z"))
                        self.clear_cas(srv)
                if "rps" in scen:
                    self.s_rps(srv, work, rng)
        finally:
            if not self.args.dir:
                shutil.rmtree(base, ignore_errors=True)
        self.table()
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("builddir", nargs="?", default=os.path.join(SRC, "build"))
    ap.add_argument("--size", type=int, default=1024, help="MiB of the mixed set (default 1024)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--dir")
    ap.add_argument("--only")
    ap.add_argument("--json")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: a check, not a measurement")
    args = ap.parse_args()
    if args.smoke:
        args.size = min(args.size, 16)
        args.reps = 1
    return Bench(args).main()


if __name__ == "__main__":
    sys.exit(main())
