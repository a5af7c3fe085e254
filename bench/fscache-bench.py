#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""libfscache's load/store/stage per operation through PyGObject.

Usage: fscache-bench.py SCENARIO DIR [ARGS...] (bench/run sets
GI_TYPELIB_PATH, LD_LIBRARY_PATH and PYTHONPATH for the uninstalled
library). Prints one JSON line per result, like fscache-bench.

  load_hit DIR N COUNT   (DIR prepared by `fscache-bench prepare_load`)
  store_small DIR N
  stage DIR N

The operations are written the way a Python user writes them: with the
overrides' context managers when they exist (`with cache.load(name):`),
else with explicit calls.
"""

import ctypes
import json
import os
import sys
import time

import gi

gi.require_version("FsCache", "1")
gi.require_version("Gio", "2.0")
from gi.repository import FsCache, Gio  # noqa: E402

FILE_DATA = bytes((ord("a") + i % 26) for i in range(4096))


def name(prefix, i):
    return "%s%06u" % (prefix, i)


def open_cache(path, unlimited=False):
    """Opens the cache at @path; with @unlimited, configures a new one as
    fscache-bench does: no size limit, volatile (commits don't sync)."""
    cache = FsCache.Cache.new_for_path("bench", path, None)
    if unlimited:
        info = FsCache.CacheInfo.new()
        info.set_maximum_size(0xFFFFFFFFFFFFFFFF)
        if hasattr(info, "set_volatile"):
            info.set_volatile(True)
        cache.set_info(info, None)
    return cache


def settle(path):
    """syncfs() of @path's file system before a timed loop, as the C
    programs do (not timed)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        ctypes.CDLL(None, use_errno=True).syncfs(fd)
    finally:
        os.close(fd)


def emit(scenario, samples, wall_ns, **extra):
    samples.sort()
    n = len(samples)
    out = {"prog": "python", "scenario": scenario, "n": n}
    if n:
        out.update(
            median_ns=samples[n // 2],
            p90_ns=samples[min(n * 9 // 10, n - 1)],
            mean_ns=sum(samples) // n,
            min_ns=samples[0],
            max_ns=samples[-1],
        )
    out["wall_s"] = wall_ns / 1e9
    out.update(extra)
    print(json.dumps(out), flush=True)


def has_context_manager(obj):
    return hasattr(obj, "__enter__") and hasattr(obj, "__exit__")


def write_file(entry):
    with open(os.path.join(entry.get_path(), "file"), "xb") as f:
        f.write(FILE_DATA)


def load_hit(path, n, count):
    cache = open_cache(path)
    names = [name("entry-", i) for i in range(count)]
    probe = cache.load(names[0], None)
    style = "with" if has_context_manager(probe) else "calls"
    probe.release()
    del probe

    def one(nm):
        if style == "with":
            with cache.load(nm, None):
                pass
        else:
            cache.load(nm, None).release()

    for nm in names:  # warm up
        one(nm)
    settle(path)
    samples = []
    start = time.perf_counter_ns()
    for i in range(n):
        t0 = time.perf_counter_ns()
        one(names[i % count])
        samples.append(time.perf_counter_ns() - t0)
    emit("load_hit", samples, time.perf_counter_ns() - start, style=style)


def commit(entry):
    res = entry.commit(None)
    # (ok, status) or status, depending on how PyGObject maps the gboolean.
    status = res[-1] if isinstance(res, tuple) else res
    if status != FsCache.CacheCommitStatus.STORED:
        raise RuntimeError("commit did not store: %r" % (status,))


def store_small(path, n):
    cache = open_cache(path, unlimited=True)
    probe = cache.store("probe", None)
    style = "with" if has_context_manager(probe) else "calls"
    probe.release()
    del probe

    def one(nm):
        if style == "with":
            with cache.store(nm, None) as entry:
                write_file(entry)
            if entry.status != FsCache.CacheCommitStatus.STORED:
                raise RuntimeError("commit did not store: %r" % (entry.status,))
        else:
            entry = cache.store(nm, None)
            write_file(entry)
            commit(entry)
            entry.release()

    settle(path)
    samples = []
    start = time.perf_counter_ns()
    for i in range(n):
        t0 = time.perf_counter_ns()
        one(name("stored-", i))
        samples.append(time.perf_counter_ns() - t0)
    emit("store_small", samples, time.perf_counter_ns() - start, style=style)


def stage(path, n):
    cache = open_cache(path, unlimited=True)
    probe = cache.stage(None)
    style = "with" if has_context_manager(probe) else "calls"
    probe.release()
    del probe

    def one():
        if style == "with":
            with cache.stage(None):
                pass
        else:
            cache.stage(None).release()

    for _ in range(n // 10 + 1):
        one()
    settle(path)
    samples = []
    start = time.perf_counter_ns()
    for _ in range(n):
        t0 = time.perf_counter_ns()
        one()
        samples.append(time.perf_counter_ns() - t0)
    emit("stage", samples, time.perf_counter_ns() - start, style=style)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    scenario, path = argv[1], argv[2]
    args = [int(a) for a in argv[3:]]
    if scenario == "load_hit":
        load_hit(path, *(args or [20000, 100]))
    elif scenario == "store_small":
        store_small(path, *(args or [2000]))
    elif scenario == "stage":
        stage(path, *(args or [2000]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
