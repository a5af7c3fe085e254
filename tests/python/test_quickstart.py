# SPDX-License-Identifier: LGPL-2.1-or-later
"""The quick starts of docs/quickstart-bindings.md (the README's bindings
section) are cut from the examples the tests run.

Every code block preceded by ``<!-- excerpt: examples/FILE -->`` must be a
run of consecutive lines of that file (indentation removed the same way on
both sides; a trailing ``# noqa`` comment of the file is ignored), so the
README can't show code that the tests do not run. Every example must be
excerpted at least once.
"""

import os
import re
import textwrap

import pytest

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGES = (os.path.join(SRC, "docs", "quickstart-bindings.md"), os.path.join(SRC, "README.md"))
EXAMPLES = ("examples/example.py", "examples/example.js", "examples/example.vala")

BLOCK = re.compile(r"<!-- excerpt: (?P<path>\S+) -->\n(?P<fence>`{3,})[a-z]*\n(?P<body>.*?)\n(?P=fence)\n", re.S)
NOQA = re.compile(r"\s+# noqa\b.*$")


def normalize(lines):
    return textwrap.dedent("\n".join(NOQA.sub("", line).rstrip() for line in lines)).split("\n")


def is_excerpt(body, text):
    want = normalize(body.split("\n"))
    lines = text.split("\n")
    n = len(want)
    return any(normalize(lines[i : i + n]) == want for i in range(len(lines) - n + 1))


def blocks(page=None):
    out = []
    for p in PAGES if page is None else (page,):
        with open(p, encoding="utf-8") as f:
            out += [(p, m["path"], m["body"]) for m in BLOCK.finditer(f.read())]
    return out


@pytest.mark.parametrize("page", PAGES)
def test_page_has_excerpts(page):
    assert blocks(page), "no excerpt in %s" % page


@pytest.mark.parametrize("index", range(len(blocks())))
def test_excerpt_is_from_its_example(index):
    page, path, body = blocks()[index]
    assert path in EXAMPLES, path
    with open(os.path.join(SRC, path), encoding="utf-8") as f:
        text = f.read()
    assert is_excerpt(body, text), "this block of %s is not in %s:\n%s" % (page, path, body)


@pytest.mark.parametrize("page", PAGES)
def test_every_example_is_excerpted(page):
    assert {path for _, path, _ in blocks(page)} == set(EXAMPLES)


def test_checker_rejects_changed_code():
    """The check itself can fail: a changed line is not an excerpt."""
    text = "a = 1\nif a:\n    b = 2\n    c = 3\n"
    assert is_excerpt("    b = 2\n    c = 3", text)
    assert is_excerpt("b = 2\nc = 3", text)
    assert not is_excerpt("b = 2\nc = 4", text)
    assert not is_excerpt("a = 1\nb = 2", text)
