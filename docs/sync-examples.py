#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Keep the examples quoted in docs/bindings.md equal to examples/*.

The examples are programs the tests run (examples/example.py, example.js,
example.vala); bindings.md shows them verbatim, each between two markers:

    <!-- example: examples/example.py -->
    ```python
    ...the file...
    ```
    <!-- end example -->

  sync-examples.py --check SRCDIR    fail when a quote differs from its file,
                                     a quoted file is missing, or an example
                                     file is not quoted
  sync-examples.py --update SRCDIR   rewrite the quotes from the files
"""

import argparse
import os
import re
import sys

EXAMPLES = ("examples/example.py", "examples/example.js", "examples/example.vala")
LANGUAGES = {".py": "python", ".js": "js", ".vala": "vala"}

BLOCK = re.compile(
    r"(?P<open><!-- example: (?P<path>[^ ]+) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- end example -->)",
    re.S,
)


def fenced(path, text):
    """The markdown code block that shows @text, a file's content."""
    fence = "```"
    while fence in text:
        fence += "`"
    lang = LANGUAGES.get(os.path.splitext(path)[1], "")
    if not text.endswith("\n"):
        text += "\n"
    return f"{fence}{lang}\n{text}{fence}\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--update", action="store_true")
    parser.add_argument("srcdir")
    args = parser.parse_args()

    page_path = os.path.join(args.srcdir, "docs", "bindings.md")
    with open(page_path, encoding="utf-8") as f:
        page = f.read()

    problems = []
    quoted = set()

    def replace(match):
        path = match.group("path")
        quoted.add(path)
        try:
            with open(os.path.join(args.srcdir, path), encoding="utf-8") as f:
                want = fenced(path, f.read())
        except FileNotFoundError:
            problems.append(f"docs/bindings.md quotes {path}, which does not exist")
            return match.group(0)
        if match.group("body") != want:
            problems.append(f"docs/bindings.md: the quote of {path} differs from the file")
        return match.group("open") + want + match.group("close")

    updated = BLOCK.sub(replace, page)

    for path in EXAMPLES:
        if os.path.exists(os.path.join(args.srcdir, path)) and path not in quoted:
            problems.append(f"{path} exists but docs/bindings.md does not quote it")

    if args.update:
        if updated != page:
            with open(page_path, "w", encoding="utf-8") as f:
                f.write(updated)
            print(f"updated {page_path}")
        for p in problems:
            if "does not quote" in p or "does not exist" in p:
                print(p, file=sys.stderr)
        return 0

    for p in problems:
        print("FAIL:", p)
    if problems:
        print("run: docs/sync-examples.py --update .", file=sys.stderr)
        return 1
    print(f"the {len(quoted)} quoted examples match their files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
