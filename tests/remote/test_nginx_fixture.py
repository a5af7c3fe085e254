# SPDX-License-Identifier: LGPL-2.1-or-later
"""The nginx fixture itself: what the remote-tier tests rely on.

A private server on 127.0.0.1 that stores PUTs (full paths created),
answers GET and HEAD, counts requests in its access log, checks basic and
bearer credentials, limits /slow/, fails /e404/ and /e500/, dies when told
to, and leaves no process behind; the program form prints "PORT PID" and
stops nginx when its stdin closes.
"""

import base64
import http.client
import os
import signal
import subprocess
import sys
import time

import pytest

import nginx_fixture

HERE = os.path.dirname(os.path.abspath(__file__))


def request(srv, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def group_members(pgid):
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


def test_put_get_head_and_counts(nginx):
    assert nginx.url.startswith("http://127.0.0.1:")
    assert request(nginx, "HEAD", "/cas/abc")[0] == 404
    assert request(nginx, "PUT", "/cas/abc", body=b"hello")[0] == 201
    assert request(nginx, "PUT", "/deep/er/path/x", body=b"x")[0] == 201
    assert request(nginx, "PUT", "/cas/abc", body=b"hello!")[0] == 204
    assert request(nginx, "GET", "/cas/abc") == (200, b"hello!")
    assert request(nginx, "HEAD", "/cas/abc")[0] == 200
    with open(os.path.join(nginx.root, "cas", "abc"), "rb") as f:
        assert f.read() == b"hello!"
    # The access log, complete as soon as the answers arrived.
    assert nginx.count("PUT", "/cas/") == 2
    assert nginx.count("PUT") == 3
    assert nginx.count("HEAD", "/cas/", status=404) == 1
    assert nginx.count("GET", "/cas/abc") == 1
    assert nginx.count_by_path("PUT")[("PUT", "/cas/abc")] == 2
    r = [x for x in nginx.requests() if x.method == "GET"][0]
    assert r.status == 200 and r.bytes_sent == 6


def test_error_locations(nginx):
    assert request(nginx, "GET", "/e404/cas/x")[0] == 404
    assert request(nginx, "PUT", "/e500/cas/x", body=b"x")[0] == 500
    assert request(nginx, "HEAD", "/e503/cas/x")[0] == 503
    assert not os.path.exists(os.path.join(nginx.root, "e500"))


def test_slow_location(nginx_factory):
    srv = nginx_factory(limit_rate="8k")
    data = os.urandom(24 * 1024)
    assert request(srv, "PUT", "/cas/big", body=data)[0] == 201
    t0 = time.monotonic()
    assert request(srv, "GET", "/slow/cas/big") == (200, data)
    # nginx sends a first burst, then at most 8 KiB a second.
    assert time.monotonic() - t0 > 1.0
    assert request(srv, "GET", "/cas/big") == (200, data)


def test_basic_auth(nginx_factory):
    srv = nginx_factory(basic=("alice", "pa:ss"))
    good = "Basic " + base64.b64encode(b"alice:pa:ss").decode()
    bad = "Basic " + base64.b64encode(b"alice:nope").decode()
    assert request(srv, "PUT", "/cas/a", body=b"a")[0] == 401
    assert request(srv, "PUT", "/cas/a", body=b"a", headers={"Authorization": bad})[0] == 401
    assert request(srv, "PUT", "/cas/a", body=b"a", headers={"Authorization": good})[0] == 201
    assert request(srv, "GET", "/slow/cas/a")[0] == 401
    assert request(srv, "GET", "/slow/cas/a", headers={"Authorization": good}) == (200, b"a")


def test_bearer(nginx_factory):
    srv = nginx_factory(bearer="T0K3N")
    assert request(srv, "HEAD", "/cas/a")[0] == 401
    assert request(srv, "HEAD", "/cas/a", headers={"Authorization": "Bearer nope"})[0] == 401
    assert request(srv, "HEAD", "/cas/a", headers={"Authorization": "Bearer T0K3N"})[0] == 404
    assert request(srv, "GET", "/e500/a", headers={"Authorization": "Bearer T0K3N"})[0] == 500


def test_stop_leaves_nothing(nginx_factory):
    srv = nginx_factory()
    pid = srv.pid
    assert alive(pid) and len(group_members(pid)) >= 2  # master and a worker
    srv.stop()
    assert not alive(pid)
    assert group_members(pid) == []


def test_kill(nginx_factory):
    srv = nginx_factory()
    pid, port = srv.pid, srv.port
    srv.kill()
    assert group_members(pid) == []
    with pytest.raises(OSError):
        request(type("S", (), {"port": port}), "GET", "/")


def test_runs_as_current_user(nginx):
    # As root, the workers must not drop to nobody (every PUT would fail).
    assert request(nginx, "PUT", "/a/b/c", body=b"x")[0] == 201
    st = os.stat(os.path.join(nginx.root, "a", "b", "c"))
    assert st.st_uid == os.geteuid()


def test_program(tmp_path):
    if not nginx_fixture.nginx_available():
        pytest.skip("nginx is not installed")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "nginx_fixture.py"), "serve", str(tmp_path),
         "--bearer", "xyz"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    port, pid = (int(x) for x in proc.stdout.readline().split())
    srv = type("S", (), {"port": port})
    assert request(srv, "HEAD", "/x", headers={"Authorization": "Bearer xyz"})[0] == 404
    assert alive(pid)
    proc.stdin.close()  # end of file: the fixture stops nginx
    assert proc.wait(timeout=60) == 0
    assert not alive(pid)
    assert group_members(pid) == []


def test_program_dies_with_its_test(tmp_path):
    """A test process that dies closes the pipe: nginx does not outlive it."""
    if not nginx_fixture.nginx_available():
        pytest.skip("nginx is not installed")
    reader, writer = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "nginx_fixture.py"), "serve", str(tmp_path)],
        stdin=reader, stdout=subprocess.PIPE, text=True,
    )
    os.close(reader)
    pid = int(proc.stdout.readline().split()[1])
    os.close(writer)
    assert proc.wait(timeout=60) == 0
    assert group_members(pid) == []


def test_program_skips_without_nginx(tmp_path, monkeypatch):
    env = dict(os.environ, PATH="/nonexistent")
    code = (
        "import sys, nginx_fixture as n\n"
        "n.NGINX_CANDIDATES = ()\n"
        "sys.exit(n.main(['serve', sys.argv[1]]))\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=HERE, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 77, r.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_program_killed(tmp_path, sig):
    """Killed from outside (timeout(1), a CI job cancelled): nginx stops too."""
    if not nginx_fixture.nginx_available():
        pytest.skip("nginx is not installed")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "nginx_fixture.py"), "serve", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    pid = int(proc.stdout.readline().split()[1])
    proc.send_signal(sig)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 30
    while group_members(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_members(pid) == []
