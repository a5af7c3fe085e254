# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every shell command of the README works as written.

The ```sh blocks of README.md, and of docs/quickstart-bindings.md (the
README's bindings section as a page of its own), are run in the order they
come, each as one `sh -e` script, the way a newcomer runs them: from the top
of the source folder after a build. The commands are read from the pages
themselves, so an edit of the README is tested as it is written. Each block
runs twice, as a reader may run it again: the second time finds what the
first left (the cache, out/, ./example).

The source folder is stood for by a scratch folder: a symbolic link to each
top-level file and folder of the source, and `build` a link to the build
folder of this test run. HOME, XDG_CACHE_HOME and TMPDIR point into it and
FSCACHE_DIR, GI_TYPELIB_PATH, LD_LIBRARY_PATH, PYTHONPATH and
PKG_CONFIG_PATH are unset, so the commands must find the build themselves,
and nothing they write (a cache, out/, ./example) lands outside it. apt-get
and sudo are stubs that fail: a test never installs packages.

A command is left out only by a comment before its block, in the README's
source where readers of the source see it, naming the command (the line
without its comment) and why:

    <!-- readme-test: not run: make check — it is the test suite, which runs this test -->

A command that runs the test suite (make check, meson test) must be left
out so: the test fails rather than run the suite inside itself.

Blocks that need what this build or machine lacks (introspection, gjs,
valac, a build configured as `make` expects, the Debian packages `make`
would install) are skipped, and say why.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

SRC = os.environ.get("FSCACHE_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("FSCACHE_BUILD_ROOT", "")
PAGES = ("README.md", os.path.join("docs", "quickstart-bindings.md"))

BLOCK = re.compile(r"(?P<notes>(?:<!-- readme-test: [^\n]*-->\n)*)```sh\n(?P<body>.*?)^```$",
                   re.S | re.M)
NOT_RUN = re.compile(r"<!-- readme-test: not run: (?P<line>.+?) — (?P<why>.+?) -->")
RUNS_THE_SUITE = re.compile(r"^\s*(make\b.*\bcheck\b|meson\s+test\b|\.ci/run\b)")
# Set in the scripts' environment: a test run inside a script skips.
NESTED = "FSCACHE_README_TEST_RUNNING"


def command(line):
    """A line of a block without its trailing comment."""
    return re.sub(r"\s+#.*$", "", line).strip()


def page_blocks(page):
    with open(os.path.join(SRC, page), encoding="utf-8") as f:
        content = f.read()
    found = []
    for m in BLOCK.finditer(content):
        not_run = {n["line"]: n["why"] for n in NOT_RUN.finditer(m["notes"])}
        line = content.count("\n", 0, m.start("body")) + 1
        found.append((f"{page}:{line}", m["body"], not_run))
    return found


def all_blocks():
    """The blocks of every page, each once (the bindings page repeats the
    README's block), in the order a reader meets them."""
    seen = set()
    blocks = []
    for page in PAGES:
        for where, body, not_run in page_blocks(page):
            if body not in seen:
                seen.add(body)
                blocks.append((where, body, not_run))
    return blocks


BLOCKS = all_blocks()


def test_the_pages_have_shell_blocks():
    assert [b for b in BLOCKS if b[0].startswith("README.md:")], "no ```sh block in README.md"


def test_reader_is_not_fooled():
    """The reader finds blocks and their notes; a note names a line of its block."""
    text = ("x\n<!-- readme-test: not run: b — why -->\n```sh\na\nb\n```\n"
            "```python\nc\n```\n```sh\nd # e\n```\n")
    found = [(m["body"], {n["line"]: n["why"] for n in NOT_RUN.finditer(m["notes"])})
             for m in BLOCK.finditer(text)]
    assert found == [("a\nb\n", {"b": "why"}), ("d # e\n", {})]
    assert command("make check   # the suite") == "make check"
    assert RUNS_THE_SUITE.match("make check") and RUNS_THE_SUITE.match("meson test -C build")
    assert not RUNS_THE_SUITE.match("make run")
    for where, body, not_run in BLOCKS:
        commands = [command(line) for line in body.splitlines()]
        for line in not_run:
            assert line in commands, f"{where}: the note names no command of its block: {line}"
        for line in commands:
            assert line in not_run or not RUNS_THE_SUITE.match(line), \
                f"{where}: {line!r} runs the test suite, which runs this test: leave it out " \
                "with a <!-- readme-test: not run: ... --> note"


@pytest.fixture(scope="module")
def scratch():
    """A folder that stands for the source folder after a build, and the
    environment of a newcomer's shell there."""
    if not BUILD or not os.path.isdir(BUILD):
        pytest.skip("FSCACHE_BUILD_ROOT is not set (run through meson test)")
    if os.environ.get(NESTED):
        pytest.skip("run by a command of the README itself")
    root = tempfile.mkdtemp(prefix="fscache-readme-")
    top = os.path.join(root, "libfscache")
    os.mkdir(top)
    for name in os.listdir(SRC):
        if name not in (".git", "build"):
            os.symlink(os.path.join(SRC, name), os.path.join(top, name))
    os.symlink(BUILD, os.path.join(top, "build"))
    stubs = os.path.join(root, "stubs")
    os.mkdir(stubs)
    for tool in ("apt-get", "sudo"):
        path = os.path.join(stubs, tool)
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"#!/bin/sh\necho 'readme test: {tool} is not run in a test' >&2\nexit 1\n")
        os.chmod(path, 0o755)
    for sub in ("home", "tmp"):
        os.mkdir(os.path.join(root, sub))

    env = {k: v for k, v in os.environ.items()
           if k not in ("FSCACHE_DIR", "GI_TYPELIB_PATH", "LD_LIBRARY_PATH", "PYTHONPATH",
                        "PKG_CONFIG_PATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
           and not k.startswith("FSCACHE_")}
    env.update({NESTED: "1"})
    env.update(HOME=os.path.join(root, "home"), XDG_CACHE_HOME=os.path.join(root, "home", ".cache"),
               TMPDIR=os.path.join(root, "tmp"), LC_ALL="C.UTF-8",
               PATH=stubs + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"))
    yield top, env
    shutil.rmtree(root, ignore_errors=True)


def build_option(name):
    with open(os.path.join(BUILD, "meson-info", "intro-buildoptions.json"), encoding="utf-8") as f:
        for option in json.load(f):
            if option["name"] == name:
                return option["value"]
    return None


def why_not_runnable(body, top, env):
    """Why the block can't run on this build or machine, or None."""
    words = set(re.findall(r"[\w.-]+", body))
    for program in ("make", "meson", "gjs", "valac"):
        if program in words and shutil.which(program, path=env["PATH"]) is None:
            return f"{program} is not installed"
    if re.search(r"^make run\b", body, re.M):
        # make run = deps + build + the tour: here it must neither install
        # packages nor reconfigure the build folder of this test run.
        if build_option("werror") is not True:
            return "the build folder is not configured with -Dwerror=true: make would reconfigure it"
        deps = subprocess.run(["make", "-s", "deps"], cwd=top, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if deps.returncode != 0:
            return "Debian packages are missing, which make would install: " + deps.stdout.decode()
    if "meson devenv" in body:
        if os.environ.get("FSCACHE_INTROSPECTION") != "true":
            return "the build has no introspection (-Dintrospection=false)"
        if build_option("b_sanitize") not in (None, "none"):
            return "a sanitizer build: its library runs only under the sanitizer's runtime"
    return None


def tree_files(root):
    """The relative paths of what a tree holds (links not followed)."""
    out = set()
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            out.add(os.path.relpath(os.path.join(parent, name), root))
    return out


@pytest.mark.parametrize("where,body,not_run", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_block_runs_as_written(scratch, where, body, not_run):
    top, env = scratch
    reason = why_not_runnable(body, top, env)
    if reason:
        pytest.skip(f"{where}: {reason}")
    lines = body.splitlines()
    for line in lines:
        assert command(line) in not_run or not RUNS_THE_SUITE.match(command(line)), \
            f"{where}: {line!r} would run the test suite inside itself"
    script = "\n".join(f": not run, {not_run[command(line)]}" if command(line) in not_run
                       else line for line in lines)
    for run in ("first", "second"):
        proc = subprocess.run(["sh", "-e", "-x", "-c", script], cwd=top, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=600)
        output = proc.stdout.decode("utf-8", "replace")
        print(output)
        assert proc.returncode == 0, \
            f"{where}: the block failed the {run} time (status {proc.returncode}):\n{output}"

        # What `fscache load NAME -- cp -a ... DEST` copies out is the tree
        # that `fscache store NAME PATH` stored: DEST is that tree, not a
        # folder of it.
        stored = dict(re.findall(r"^fscache store (\S+) (\S+)", body, re.M))
        for name, dest in re.findall(r"^fscache load (\S+) -- cp -a \S+ (\S+)", body, re.M):
            if name in stored:
                assert tree_files(os.path.join(top, dest)) == \
                    tree_files(os.path.realpath(os.path.join(top, stored[name]))), \
                    f"{where}: after the {run} run, {dest} is not a copy of {stored[name]}"
