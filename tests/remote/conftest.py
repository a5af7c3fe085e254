# SPDX-License-Identifier: LGPL-2.1-or-later
"""pytest fixtures of the remote tier: a real nginx per test.

    def test_something(nginx):            # nginx with the defaults
        nginx.url, nginx.root, nginx.count("PUT", "/cas/")

    def test_other(nginx_factory):        # several, or with options
        srv = nginx_factory(basic=("user", "pw"), limit_rate="4k")

Skips the test when nginx is not installed. See nginx_fixture.py.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nginx_fixture  # noqa: E402


@pytest.fixture
def nginx_factory(tmp_path):
    if not nginx_fixture.nginx_available():
        pytest.skip("nginx is not installed")
    servers = []

    def make(**options):
        srv = nginx_fixture.NginxServer(tmp_path / f"nginx-{len(servers)}", **options)
        servers.append(srv)
        return srv.start()

    yield make
    for srv in servers:
        srv.stop()


@pytest.fixture
def nginx(nginx_factory):
    return nginx_factory()
