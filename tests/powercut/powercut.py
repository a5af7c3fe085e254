#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Real power cuts (DESIGN §5.8): a user-mode Linux guest stores entries on
# a disk image (ext4, xfs, btrfs) with the library, printing each name and
# a digest of its tree once the store returned STORED, and is killed at a
# random moment. Killing the guest loses its page cache but keeps what its
# block device wrote to the image: for the guest, a power cut. The next
# boot mounts the image (the file system replays its journal), repairs the
# cache with the library (an idle open, then garbage collection, twice)
# and checks every entry the previous boots printed as stored: present,
# content intact; an entry whose store began but was not printed may be
# there, but whole; cache.size equal to the sum of the object.info sizes
# and to what the library lists; no uuid-* debris in objects/ or stage/,
# nothing left in journal/. Then it stores again, until the next cut. A run
# is a chain of such boots on one image; its last boot only checks. The
# guest side is powercut-guest.c, its PID 1 guest-init.sh.
#
# A volatile cache (no syncs) on the same test must lose entries: the proof
# that the test can see a loss.
#
#   powercut.py --agent BUILD/tests/powercut/powercut-guest [--work DIR]
#               [--figures FILE] [--keep] [--seed N] [RUN...]
#
# RUN is FS:CYCLES or FS-volatile:CYCLES (default: DEFAULT_RUNS, or the
# environment variable FSCACHE_POWERCUT_RUNS, e.g. "ext4:40 xfs:10");
# FSCACHE_POWERCUT_JOBS guests run at a time (default 2). Exits 77
# (skipped) when linux.uml (Debian's user-mode-linux) is absent.

import argparse
import concurrent.futures
import fcntl
import json
import os
import random
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Two chains on ext4, so that two guests at a time finish together.
DEFAULT_RUNS = "ext4:6 ext4:6 xfs:4 btrfs:4 ext4-volatile:3"
MARK = re.compile(rb"@@([^@\n]*)@@")
# When the power goes, counted from the start of the stores of a boot (of
# a volatile run: from its first entry stored).
KILL_MIN, KILL_MAX = 0.1, 2.5
BOOT_TIMEOUT = 180

MKFS = {
    "ext4": (["mkfs.ext4", "-q", "-F"], 128),
    "xfs": (["mkfs.xfs", "-q", "-f"], 320),  # xfsprogs 6 refuses less than 300 MiB
    "btrfs": (["mkfs.btrfs", "-q", "-f"], 256),
}


def find_uml():
    for d in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin", "/usr/sbin"]:
        p = os.path.join(d, "linux.uml")
        if os.access(p, os.X_OK):
            return p
    return None


def find_tool(name):
    for d in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin", "/sbin", "/usr/bin"]:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return None


def wait_unlocked(image, timeout=30):
    """The guest's helper processes may outlive it a moment, image locked."""
    deadline = time.monotonic() + timeout
    with open(image, "r+b") as f:
        while True:
            try:
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.lockf(f, fcntl.LOCK_UN)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("%s is still locked by a dead guest" % image)
                time.sleep(0.05)


class Boot:
    """One boot of the guest and what it said on its console."""

    def __init__(self):
        self.begun = []  # (name, digest), in order
        self.stored = []
        self.result = None
        self.fail = None
        self.halted = False


def boot(uml, link_dir, image, settings, kill_after, kill_from, log):
    """Boots the guest on @image; kills it @kill_after seconds after the
    marker @kill_from (STORING: it starts storing; STORED: its first entry
    is stored), or once it halts. @link_dir: a short folder without spaces
    for what goes on the kernel command line."""
    with open(os.path.join(link_dir, "guest.env"), "w") as f:
        for k, v in settings.items():
            f.write("%s=%s\n" % (k, shlex.quote(v)))
    # pty.legacy_count=0 spares seconds of boot; uml_dir keeps the guest's
    # control socket out of $HOME.
    cmd = [uml, "mem=192M", "rootfstype=hostfs", "rootflags=/", "rw", "quiet",
           "pty.legacy_count=0", "uml_dir=" + link_dir,
           "init=" + os.path.join(link_dir, "init"), "ubd0=" + os.path.join(link_dir, "disk.img"),
           "con=null", "con0=fd:0,fd:1", "PCWORK=" + link_dir]
    env = dict(os.environ)
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize < 512 << 20:
            env["TMPDIR"] = os.path.dirname(image)  # for the guest's memory file
    except OSError:
        env["TMPDIR"] = os.path.dirname(image)
    b = Boot()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True, env=env,
                         cwd=link_dir)
    fd = p.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + BOOT_TIMEOUT
    kill_at = None
    try:
        while True:
            now = time.monotonic()
            if kill_at is not None and now >= kill_at:
                break
            if now >= deadline:
                b.fail = "the guest did not finish in %d s" % BOOT_TIMEOUT
                break
            until = deadline if kill_at is None else min(deadline, kill_at)
            ready, _, _ = select.select([fd], [], [], until - now)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                b.fail = "the guest stopped by itself"
                break
            log.write(chunk)
            buf += chunk
            end = 0
            for m in MARK.finditer(buf):
                end = m.end()
                text = m.group(1).decode("utf-8", "replace")
                log.write(b"[host: +%.2f s: %s]\n" % (time.monotonic() - t0, text[:40].encode()))
                word, _, rest = text.partition(" ")
                if word == kill_from and kill_after is not None and kill_at is None:
                    kill_at = time.monotonic() + kill_after
                if word == "BEGIN":
                    b.begun.append(tuple(rest.split()))
                elif word == "STORED":
                    b.stored.append(tuple(rest.split()))
                elif word == "RESULT":
                    b.result = json.loads(rest)
                elif word == "FAIL":
                    b.fail = text
                elif word == "HALT":
                    b.halted = True
            # A marker never spans lines: keep the unfinished line only.
            buf = buf[end:]
            if b"\n" in buf:
                buf = buf[buf.rindex(b"\n") + 1:]
            if b.fail is not None or b.halted:
                break
    finally:
        # The power cut: the whole process group, helpers included.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        p.stdout.close()
        wait_unlocked(image)
        # What the dead guest left in uml_dir (its pid file, its socket).
        for e in os.listdir(link_dir):
            path = os.path.join(link_dir, e)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
    return b


def run_one(uml, tmp, agent, work, label, fs, volatile, cycles, rng, out):
    """A chain of cycles on one image; returns its figures."""
    fig = {"label": label, "cycles": 0, "stored": 0, "lost": 0, "torn": 0, "problems": 0,
           "entries": 0, "checks": 0, "seconds": 0.0}
    mkfs, mib = MKFS[fs]
    if find_tool(mkfs[0]) is None:
        fig["skipped"] = "%s is not installed" % mkfs[0]
        return fig
    t0 = time.monotonic()
    try:
        run_cycles(uml, tmp, agent, work, fs, volatile, cycles, rng, out, label, fig)
    except Exception as e:  # reported with the figures
        fig["error"] = "%s: %s" % (type(e).__name__, e)
    fig["seconds"] = time.monotonic() - t0
    return fig


def run_cycles(uml, tmp, agent, work, fs, volatile, cycles, rng, out, label, fig):
    mkfs, mib = MKFS[fs]
    rdir = os.path.join(work, label.replace(" ", "-").replace("#", ""))
    scratch = os.path.join(rdir, "scratch")  # the guest mounts its tmpfs here
    os.makedirs(scratch)
    image = os.path.join(rdir, "disk.img")
    with open(image, "wb") as f:
        f.truncate(mib << 20)
    subprocess.run(mkfs + [image], check=True, stdout=subprocess.DEVNULL)
    # The kernel command line splits at spaces: its paths are links in a
    # folder of our own.
    link_dir = os.path.join(tmp, os.path.basename(rdir))
    os.makedirs(link_dir)
    os.symlink(os.path.join(HERE, "guest-init.sh"), os.path.join(link_dir, "init"))
    os.symlink(image, os.path.join(link_dir, "disk.img"))
    expected = os.path.join(rdir, "expected.txt")
    open(expected, "w").close()
    # Every entry printed, in the order printed: name -> [kind, digest],
    # kind "stored" or "begun" (a store that began, cut before STORED).
    entries = {}
    with open(os.path.join(rdir, "console.log"), "ab") as log:
        for cycle in range(cycles + 1):
            last = cycle == cycles
            settings = {
                "PC_FSTYPE": fs,
                "PC_AGENT": agent,
                "PC_SCRATCH": scratch,
                "PC_EXPECTED": expected,
                "PC_CYCLE": str(cycle),
                "PC_INIT": "1" if cycle == 0 else "0",
                "PC_VOLATILE": "1" if volatile else "0",
                "PC_CHECK": "0" if cycle == 0 else "1",
                "PC_STORE": "0" if last else "1",
            }
            log.write(b"\n==== %s boot %d ====\n" % (label.encode(), cycle))
            kill_after = None if last else rng.uniform(KILL_MIN, KILL_MAX)
            # A volatile run must have printed something to lose.
            b = boot(uml, link_dir, image, settings, kill_after,
                     "STORED" if volatile else "STORING", log)
            if b.fail is None and b.halted and not last:
                b.fail = "the guest stopped storing by itself"
            if b.fail is not None:
                raise RuntimeError("%s, boot %d: %s (console: %s)"
                                   % (label, cycle, b.fail, os.path.join(rdir, "console.log")))
            if cycle > 0:
                r = b.result
                if r is None:
                    raise RuntimeError("%s, boot %d: no check result" % (label, cycle))
                fig["checks"] += 1
                # Each lost entry counts once, at the check after its cut.
                newly_lost = [n for n in r["lost"] if n in entries]
                fig["lost"] += len(newly_lost)
                fig["torn"] += len(r["torn"])
                fig["problems"] += len(r["problems"])
                if (not volatile and (newly_lost or r["torn"])) or r["problems"]:
                    out.append({"run": label, "boot": cycle, "lost": r["lost"],
                                "torn": r["torn"], "problems": r["problems"],
                                "before-repair": r.get("before-repair")})
                for n in newly_lost + r["torn"]:
                    entries.pop(n, None)
                # An entry whose store was cut but that a repair kept,
                # whole, must stay too (durable caches).
                for n in r["kept"]:
                    if not volatile and n in entries:
                        entries[n][0] = "stored"
                fig["entries"] = r["entries"]
            if not last:
                fig["cycles"] += 1
                fig["stored"] += len(b.stored)
                for n, d in b.begun:
                    entries[n] = ["begun", d]
                for n, d in b.stored:
                    entries[n] = ["stored", d]
                with open(expected, "w") as f:
                    for n, (kind, d) in entries.items():
                        f.write("%s %s %s\n" % (kind, n, d))


def main():
    ap = argparse.ArgumentParser(
        description="Power cuts of a user-mode Linux guest storing entries.")
    ap.add_argument("--agent", required=True,
                    help="powercut-guest, the guest side, from the build tree")
    ap.add_argument("--work", help="work folder (default: a new one in the current folder)")
    ap.add_argument("--figures", help="write the figures here too")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--seed", type=int)
    ap.add_argument("runs", nargs="*")
    args = ap.parse_args()

    if args.figures:
        try:
            os.unlink(args.figures)  # never a stale one
        except FileNotFoundError:
            pass
    uml = find_uml()
    if uml is None:
        text = "== power-cut test skipped: linux.uml (Debian's user-mode-linux) is not installed\n"
        print(text, end="")
        if args.figures:
            with open(args.figures, "w") as f:
                f.write(text)
        return 77
    runs = args.runs or os.environ.get("FSCACHE_POWERCUT_RUNS", DEFAULT_RUNS).split()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    work = os.path.abspath(args.work or "powercut-work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    agent = os.path.abspath(args.agent)
    print("power-cut test: %s, seed %d, work folder %s" % (" ".join(runs), seed, work), flush=True)

    jobs = max(1, int(os.environ.get("FSCACHE_POWERCUT_JOBS", "2")))
    tmp = tempfile.mkdtemp(prefix="fscache-uml-")
    specs = []
    for i, spec in enumerate(runs):
        fs, _, n = spec.partition(":")
        volatile = fs.endswith("-volatile")
        fs = fs.removesuffix("-volatile")
        if fs not in MKFS:
            ap.error("unknown file system in %r" % spec)
        label = "%s%s" % (fs, " volatile" if volatile else "")
        same = sum(1 for x in specs if x[0].split(" #")[0] == label)
        if same:
            label += " #%d" % (same + 1)
        specs.append((label, fs, volatile, int(n or 10), random.Random(seed + i)))

    failures = []

    def one(spec):
        label, fs, volatile, n, rng = spec
        fig = run_one(uml, tmp, agent, work, label, fs, volatile, n, rng, failures)
        print("  %-15s %s" % (fig["label"], json.dumps(fig)), flush=True)
        return fig

    # Guests spend much of their time waiting: two at a time, even on two
    # busy cores, take little more than one.
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            figures = list(pool.map(one, specs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ok = True
    lines = ["== power-cut figures (user-mode Linux guest killed while storing; seed %d)" % seed]
    total = {"cycles": 0, "stored": 0, "lost": 0, "torn": 0}
    volatile_lost = 0
    volatile_runs = 0
    for fig in figures:
        if "skipped" in fig:
            lines.append("  %-15s skipped: %s" % (fig["label"], fig["skipped"]))
            if fig["label"].startswith("ext4"):
                ok = False  # e2fsprogs is in the Makefile's packages
            continue
        if "error" in fig:
            lines.append("  %-15s FAILED after %d cycles: %s"
                         % (fig["label"], fig["cycles"], fig["error"]))
            ok = False
        volatile = "volatile" in fig["label"]
        lines.append("  %-15s %3d cycles, %4d entries stored, %3d lost, %3d torn, "
                     "%d check problems, %d entries at the end (%.0f s)%s"
                     % (fig["label"], fig["cycles"], fig["stored"], fig["lost"], fig["torn"],
                        fig["problems"], fig["entries"], fig["seconds"],
                        "  <- no syncs: losses expected" if volatile else ""))
        if volatile:
            volatile_runs += 1
            volatile_lost += fig["lost"]
            if fig["problems"]:
                ok = False
        else:
            for k in total:
                total[k] += fig[k]
            if fig["lost"] or fig["torn"] or fig["problems"] or fig["stored"] == 0:
                ok = False
    lines.append("  durable total  %3d cycles, %4d entries stored, %3d lost, %3d torn"
                 % (total["cycles"], total["stored"], total["lost"], total["torn"]))
    if volatile_runs and volatile_lost == 0:
        lines.append("  FAILED: the volatile cache lost nothing: this test can't see a loss")
        ok = False
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.figures:
        with open(args.figures, "w") as f:
            f.write(text)
    for f in failures:
        print(json.dumps(f, indent=1), file=sys.stderr)
    if ok and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    elif not ok:
        print("the images and consoles are in %s" % work, file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
