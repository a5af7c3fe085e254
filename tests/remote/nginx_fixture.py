#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nginx as a WebDAV cache server for the remote-tier tests and benchmarks.

Debian's nginx (built with the DAV module) runs on 127.0.0.1 on a free random
port, with a private configuration, pid file, logs and temporary folders all
inside one test folder, in its own process group, and is stopped by its PID.

As a module (pytest, bench):

    from nginx_fixture import NginxServer, nginx_available

    with NginxServer(tmp_path, basic=("user", "pw")) as srv:
        srv.url             # "http://127.0.0.1:PORT/" (the DAV root)
        srv.root            # the folder it serves: srv.root/cas/<sha256>, …
        srv.requests()      # [Request(method, path, status, bytes_sent, ...)]
        srv.count("PUT", "/cas/")
        srv.kill()          # SIGKILL to the whole group: "the server died"

As a program (the C tests, through tests/remote/fs-test-nginx.c):

    nginx_fixture.py serve DIR [--basic USER:PASSWORD] [--bearer TOKEN]
                               [--limit-rate RATE] [--workers N]

prints "PORT PID" on one line once nginx answers, then waits until its
standard input reaches end of file (the test stopped it, or died), stops
nginx (SIGQUIT to PID, SIGKILL to its group after 10 s) and exits. It exits
77 (the "skipped" status of meson) when nginx is not installed.

The locations of the server (the same for every option):

    /            the DAV root (GET HEAD PUT DELETE MKCOL COPY MOVE), folder DIR/root
    /slow/       the same folder, each response at most RATE bytes/s (limit_rate;
                 default 1k)
    /e404/       every request answers 404
    /e500/       every request answers 500
    /e503/       every request answers 503
    /__alive     204, not logged (the fixture's readiness probe)
    /__sync      204, logged: see NginxServer.sync()

With basic or bearer (a check of
the Authorization header), every location but /__alive asks for the
credentials and answers 401 without them.

With one worker (the default), NginxServer.sync() makes the access log
exact as soon as the answers arrived; requests() and count() call it.
nginx dies with the thread that started it (PR_SET_PDEATHSIG), so a test
killed from outside leaves no server behind.

The access log (DIR/access.log) has one line per request, space-separated:
method, path, status, body bytes sent, request length, connection serial
number, request number on that connection, and request time.
"""

import argparse
import base64
import collections
import ctypes
import hashlib
import os
import pwd
import grp
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/bin/nginx")
START_DEADLINE_S = 30.0
STOP_GRACE_S = 10.0
SKIP = 77
PR_SET_PDEATHSIG = 1

Request = collections.namedtuple(
    "Request", "method path status bytes_sent request_length connection conn_requests request_time"
)


def nginx_path():
    """The nginx executable, or None when it is not installed."""
    for p in NGINX_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    found = shutil.which("nginx")
    return found


def nginx_available():
    return nginx_path() is not None


def _die_with_parent():
    """In the child before exec: SIGTERM (nginx's fast shutdown: the master
    stops its workers) when the thread that started nginx dies, however it
    dies, so that a test killed from outside leaves no server behind."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _live_members(pgid):
    """The processes of group @pgid that are not zombies."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().split(")")[-1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _quote(s):
    """A string as an nginx configuration token (double-quoted)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class NginxServer:
    def __init__(
        self,
        workdir,
        basic=None,
        bearer=None,
        limit_rate="1k",
        workers=1,
    ):
        self.workdir = os.path.abspath(str(workdir))
        self.root = os.path.join(self.workdir, "root")
        self.access_log = os.path.join(self.workdir, "access.log")
        self.error_log = os.path.join(self.workdir, "error.log")
        self.conf = os.path.join(self.workdir, "nginx.conf")
        self.pid_file = os.path.join(self.workdir, "nginx.pid")
        self.basic = basic
        self.bearer = bearer
        self.limit_rate = limit_rate
        self.workers = workers
        self.port = None
        self.proc = None

    # ---- configuration ------------------------------------------------------

    def _config(self, port):
        lines = ["daemon off;", "master_process on;", f"worker_processes {self.workers};"]
        if os.geteuid() == 0:
            # As root the workers would otherwise drop to nobody, and every PUT into a
            # folder made by the test would fail with 500.
            user = pwd.getpwuid(os.geteuid()).pw_name
            group = grp.getgrgid(os.getegid()).gr_name
            lines.append(f"user {user} {group};")
        d = self.workdir
        lines += [
            f"pid {d}/nginx.pid;",
            f"error_log {d}/error.log info;",
            "events { worker_connections 1024; }",
            "http {",
            "  default_type application/octet-stream;",
            "  log_format fixture '$request_method $uri $status $body_bytes_sent $request_length "
            "$connection $connection_requests $request_time';",
            f"  access_log {d}/access.log fixture;",
            f"  client_body_temp_path {d}/tmp/body;",
            f"  proxy_temp_path {d}/tmp/proxy;",
            f"  fastcgi_temp_path {d}/tmp/fastcgi;",
            f"  uwsgi_temp_path {d}/tmp/uwsgi;",
            f"  scgi_temp_path {d}/tmp/scgi;",
            "  sendfile on;",
            "  tcp_nopush on;",
            "  keepalive_requests 100000;",
            "  server {",
            f"    listen 127.0.0.1:{port};",
            "    server_name localhost;",
            f"    root {d}/root;",
            "    client_max_body_size 0;",
            "    location = /__alive { access_log off; auth_basic off; return 204; }",
            "    location = /__sync { auth_basic off; return 204; }",
        ]
        if self.basic:
            lines += ['    auth_basic "fscache";', f"    auth_basic_user_file {d}/htpasswd;"]
        # The bearer check goes in each location: at the server level it would run
        # before the location of the probe is chosen.
        check = ""
        if self.bearer:
            token = _quote("Bearer " + self.bearer)
            check = f"if ($http_authorization != {token}) {{ return 401; }} "
        dav = (
            "dav_methods PUT DELETE MKCOL COPY MOVE; create_full_put_path on; "
            "dav_access user:rw group:r all:r;"
        )
        lines += [
            f"    location / {{ {check}{dav} }}",
            f"    location /slow/ {{ {check}alias {d}/root/; {dav} limit_rate {self.limit_rate}; }}",
            f"    location /e404/ {{ {check}return 404; }}",
            f"    location /e500/ {{ {check}return 500; }}",
            f"    location /e503/ {{ {check}return 503; }}",
            "  }",
            "}",
        ]
        return "\n".join(lines) + "\n"

    # ---- life -----------------------------------------------------------------

    def start(self):
        exe = nginx_path()
        if exe is None:
            raise FileNotFoundError("nginx is not installed")
        os.makedirs(self.root, exist_ok=True)
        os.makedirs(os.path.join(self.workdir, "tmp"), exist_ok=True)
        if self.basic:
            user, password = self.basic
            # {SHA}: nginx reads a {PLAIN} password only up to a colon.
            sha = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
            with open(os.path.join(self.workdir, "htpasswd"), "w") as f:
                f.write(f"{user}:{{SHA}}{sha}\n")
        last_error = ""
        for _attempt in range(8):
            port = _free_port()
            with open(self.conf, "w") as f:
                f.write(self._config(port))
            for p in (self.pid_file,):
                if os.path.exists(p):
                    os.unlink(p)
            err = open(os.path.join(self.workdir, "nginx.stderr"), "ab")
            # -e: the error log from the first line on (the built-in default is
            # stderr, but be explicit); -p: relative paths inside the folder.
            self.proc = subprocess.Popen(
                [exe, "-p", self.workdir + "/", "-c", self.conf, "-e", self.error_log],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            err.close()
            if self._wait_ready(port):
                self.port = port
                return self
            last_error = self._tail_error_log()
            self._reap()
            if "Address already in use" not in last_error:
                break
        raise RuntimeError(f"nginx did not start: {last_error}")

    def _probe(self, port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"GET /__alive HTTP/1.0\r\nHost: localhost\r\n\r\n")
                data = s.recv(64)
                return data.startswith(b"HTTP/1.1 204")
        except OSError:
            return False

    def _wait_ready(self, port):
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            # The pid file is written after the listening socket is bound: a probe
            # before it could reach another program that owns the port.
            if os.path.exists(self.pid_file) and self._probe(port):
                return True
            time.sleep(0.02)
        return False

    def _tail_error_log(self):
        out = []
        for p in (self.error_log, os.path.join(self.workdir, "nginx.stderr")):
            try:
                with open(p, errors="replace") as f:
                    out += [l.strip() for l in f if "[emerg]" in l or "[alert]" in l]
            except OSError:
                pass
        return "; ".join(out[-3:])

    def _reap(self):
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self._killpg(signal.SIGKILL)
            self.proc.wait()

    def _killpg(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def stop(self):
        """SIGQUIT (graceful) to the master by its PID, then SIGKILL to the group."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGQUIT)
            except ProcessLookupError:
                pass
        self._reap()
        # Workers of a master that died some other way.
        self._killpg(signal.SIGKILL)
        self.proc = None

    def kill(self):
        """The server dies at once: SIGKILL to master and workers."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        self._killpg(signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        # A SIGKILL is delivered when the process next runs: on a busy
        # machine a worker can outlive its master by a moment.
        deadline = time.monotonic() + 30
        while _live_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.005)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- the access log ---------------------------------------------------------

    def sync(self):
        """Waits until every request answered so far is in the access log.

        nginx writes a request's log line after its response went out, so a
        client can see the answer before the line exists. One worker handles
        requests one event at a time: once the line of a new request to
        /__sync is there, the lines of every request answered before it are.
        """
        before = self._count_sync_lines()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"GET /__sync HTTP/1.0\r\nHost: localhost\r\n\r\n")
            while s.recv(4096):
                pass
        deadline = time.monotonic() + START_DEADLINE_S
        while self._count_sync_lines() <= before and time.monotonic() < deadline:
            time.sleep(0.005)

    def _count_sync_lines(self):
        try:
            with open(self.access_log) as f:
                return sum(1 for line in f if line.split()[1:2] == ["/__sync"])
        except FileNotFoundError:
            return 0

    def requests(self, sync=True):
        """The access log's lines (after sync() while the server runs)."""
        if sync and self.proc is not None and self.proc.poll() is None:
            self.sync()
        out = []
        try:
            with open(self.access_log) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) != 8 or parts[1] == "/__sync":
                        continue
                    out.append(
                        Request(
                            parts[0],
                            parts[1],
                            int(parts[2]),
                            int(parts[3]),
                            int(parts[4]),
                            int(parts[5]),
                            int(parts[6]),
                            float(parts[7]),
                        )
                    )
        except FileNotFoundError:
            pass
        return out

    def count(self, method=None, prefix="/", status=None):
        """Requests with this method (any if None) whose path starts with prefix."""
        return sum(
            1
            for r in self.requests()
            if (method is None or r.method == method)
            and r.path.startswith(prefix)
            and (status is None or r.status == status)
        )

    def count_by_path(self, method=None):
        c = collections.Counter()
        for r in self.requests():
            if method is None or r.method == method:
                c[(r.method, r.path)] += 1
        return c


# ---- the program ----------------------------------------------------------------


def _serve(args):
    if not nginx_available():
        print("nginx is not installed", file=sys.stderr)
        return SKIP
    basic = tuple(args.basic.split(":", 1)) if args.basic else None
    srv = NginxServer(
        args.dir, basic=basic, bearer=args.bearer, limit_rate=args.limit_rate, workers=args.workers
    )
    try:
        srv.start()
    except (OSError, RuntimeError) as e:
        print(f"nginx-fixture: {e}", file=sys.stderr)
        return 1
    # Stopped from outside (timeout(1) signals its whole group): stop nginx
    # properly on the way out.
    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    sys.stdout.write(f"{srv.port} {srv.pid}\n")
    sys.stdout.flush()
    # Until stdin closes (the test's teardown, or the test process died), or
    # nginx ends by itself (the test killed it).
    try:
        while srv.proc.poll() is None:
            r, _, _ = select.select([sys.stdin], [], [], 0.2)
            if r and not os.read(sys.stdin.fileno(), 4096):
                break
    finally:
        if srv.proc is not None and srv.proc.poll() is not None:
            srv._killpg(signal.SIGKILL)
        else:
            srv.stop()
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run nginx until stdin closes")
    s.add_argument("dir")
    s.add_argument("--basic", metavar="USER:PASSWORD")
    s.add_argument("--bearer", metavar="TOKEN")
    s.add_argument("--limit-rate", default="1k")
    s.add_argument("--workers", default="1")
    args = ap.parse_args(argv)
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
