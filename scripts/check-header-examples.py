#!/usr/bin/env python3
"""scripts/check-header-examples.py — keep the headers' usage examples and
their compiled copies in tests/test-header-examples.c in step (CTest test
header-examples-match).

    python3 scripts/check-header-examples.py [REPO_ROOT]
    python3 scripts/check-header-examples.py --self-test   # the check catches what it should

Every public header with an "Intended usage:" block in its opening comment
is either covered (named in the "Covered so far:" paragraph of
tests/test-header-examples.c, which compiles and runs a copy of the example)
or listed in NOT_YET below. For a covered header,
every code line of the example (the block's lines indented by 5+ spaces,
`// comments` dropped; lines with "..." and `for (each ...)` are prose) must
appear verbatim, whitespace aside, in the test: an example edited in the
header without its copy fails here, and a copy that no longer compiles fails
the build. Exit 1 with one line per problem.
"""
import os
import re
import sys

# Headers whose examples are not compiled yet (none today: keep it so).
NOT_YET = set()


def norm(s):
    return re.sub(r"\s+", " ", s).strip()


def example_lines(path):
    """(line number, code) of the header's Intended usage block."""
    lines = open(path, encoding="utf-8").read().splitlines()
    start = next((k for k, l in enumerate(lines) if "Intended usage" in l), None)
    if start is None:
        return None
    out = []
    # The "Intended usage ..." sentence may run over several lines: the
    # example starts after the first blank comment line.
    while start + 1 < len(lines) and lines[start + 1].strip() != "*":
        start += 1
    for k in range(start + 1, len(lines)):
        m = re.match(r"^ \*(\s*)(.*)$", lines[k])
        if not m or lines[k].startswith(" */"):
            break
        indent, code = m.group(1), m.group(2)
        if code and len(indent) < 5:
            break  # prose again: the block ended
        code = re.sub(r"//.*$", "", code).strip()
        if code and "..." not in code and not code.startswith("for (each"):
            out.append((k + 1, code))
    return out


def self_test(root):
    """The check must catch an example edited without its copy, and a new
    header whose example nobody copied: run it on a scratch copy of each."""
    import shutil
    import subprocess
    import tempfile
    failures = 0
    for case in ("edited", "new"):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(os.path.join(root, "include"), os.path.join(tmp, "include"))
            os.mkdir(os.path.join(tmp, "tests"))
            shutil.copy(os.path.join(root, "tests", "test-header-examples.c"), os.path.join(tmp, "tests"))
            if case == "edited":
                h = os.path.join(tmp, "include", "litc", "optim.h")
                text = open(h, encoding="utf-8").read()
                open(h, "w", encoding="utf-8").write(text.replace("ap.lr = 3e-4;", "ap.lr = 1e-3;", 1))
                want = "optim.h"
            else:
                open(os.path.join(tmp, "include", "litc", "zz-new.h"), "w").write(
                    "/*\n * litc/zz-new.h\n *\n * Intended usage:\n *\n *     lit_zz_new();\n */\n")
                want = "zz-new.h"
            r = subprocess.run([sys.executable, __file__, tmp], capture_output=True, text=True)
            ok = r.returncode == 1 and want in r.stdout
            print("%s self-test %s: %s" % ("ok  " if ok else "FAIL", case, r.stdout.strip().splitlines()[0]))
            failures += not ok
    return 1 if failures else 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--self-test":
        return self_test(os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    test_path = os.path.join(root, "tests", "test-header-examples.c")
    test = open(test_path, encoding="utf-8").read()
    test_norm = norm(test)
    inc = os.path.join(root, "include", "litc")
    # The headers the test names in its "Covered so far:" paragraph.
    m = re.search(r"Covered so far:(.*?)\*/", test, re.S)
    covered_list = set(re.findall(r"(?<![\w-])([a-z][a-z0-9-]*\.h)\b", m.group(1))) if m else set()
    problems = []
    for h in sorted(os.listdir(inc)):
        if not h.endswith(".h"):
            continue
        lines = example_lines(os.path.join(inc, h))
        if lines is None:
            continue
        covered = h in covered_list
        if not covered:
            if h not in NOT_YET:
                problems.append("include/litc/%s: its usage example is not in %s (copy it there, or list the header "
                                "in NOT_YET)" % (h, os.path.relpath(test_path, root)))
            continue
        if h in NOT_YET:
            problems.append("include/litc/%s is covered by the test now: remove it from NOT_YET" % h)
        for line, code in lines:
            if norm(code) not in test_norm:
                problems.append("include/litc/%s:%d: example line not in the test's copy: %s" % (h, line, code))
    for p in problems:
        print(p)
    print("%s: %d problem(s)" % ("FAILED" if problems else "header examples match", len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
