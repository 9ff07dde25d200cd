#!/usr/bin/env python3
"""Check that every #include under src/ and include/ goes down the layer map.

The map is the block between the markers `<!-- layers:begin -->` and
`<!-- layers:end -->` in docs/architecture.md: one row per layer, the top
layer first, each row `name/  public headers (comma separated, or -)  what
it holds`; rows indented further continue the description, and a header
list that ends with a comma goes on in the next row's header column. That
block is the only list of layers: the page shows it, this script enforces it.

A file's layer: src/<name>/... is layer <name>; include/litc/<h> is the
layer whose row lists <h>. An include may name its own layer or a lower
one. Also errors: a source directory or public header the map does not
list, an include that resolves to no file of the tree, and a README
architecture table whose layers are not the map's, in the map's order.

Usage: check-layers.py [--root DIR]   (exit 0: clean, 1: violations)
       check-layers.py --self-test    (a bad include must be caught)
"""
import os
import re
import shutil
import sys
import tempfile

BEGIN, END = "<!-- layers:begin -->", "<!-- layers:end -->"
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def read_map(root):
    """[(layer, [headers])] from docs/architecture.md, top layer first."""
    path = os.path.join(root, "docs", "architecture.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        sys.exit(f"{path}: no layer map between {BEGIN} and {END}")
    rows = []
    more = False  # the last row's header list ended with a comma
    for line in text.split(BEGIN, 1)[1].split(END, 1)[0].splitlines():
        m = re.match(r"^ ?([a-z]+)/\s+(.*)$", line)
        if m:
            rows.append((m.group(1), []))
            rest = m.group(2)
        elif more and line.strip():
            rest = line  # the header list goes on in this row
        else:
            continue  # fence, heading row, continuation of the description or blank
        headers = re.split(r"\s{2,}", rest.strip(), maxsplit=1)[0]
        more = headers.endswith(",")
        if headers != "-":
            rows[-1][1].extend(h.strip() for h in headers.split(",") if h.strip())
    if not rows:
        sys.exit(f"{path}: the layer map is empty")
    return rows


def source_files(root):
    for top in ("src", "include"):
        for d, _, names in sorted(os.walk(os.path.join(root, top))):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    yield os.path.join(d, n)


def resolve(root, including, name):
    """The tree file an #include names, or None (a system header)."""
    here = os.path.dirname(including)
    for base in (here, os.path.join(root, "src"), os.path.join(root, "include")):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(p):
            return p
    return None


def check(root):
    rows = read_map(root)
    rank = {name: len(rows) - i for i, (name, _) in enumerate(rows)}  # higher = upper
    header_layer = {h: name for name, hs in rows for h in hs}
    errors = []

    def layer_of(path):
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        parts = rel.split("/")
        if parts[0] == "src" and len(parts) > 2:
            layer = parts[1]
            if layer not in rank:
                errors.append(f"{rel}: directory src/{layer}/ is not a layer of the map "
                              f"(add a row for it to docs/architecture.md)")
                return None
            return layer
        if parts[0] == "include" and len(parts) == 3 and parts[1] == "litc":
            layer = header_layer.get(parts[2])
            if layer is None:
                errors.append(f"{rel}: public header not in the layer map "
                              f"(list it in its layer's row in docs/architecture.md)")
            return layer
        return None

    for path in source_files(root):
        rel = os.path.relpath(path, root)
        mine = layer_of(path)
        if mine is None:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                quoted, name = m.group(1) == '"', m.group(2)
                target = resolve(root, path, name)
                if target is None:
                    if quoted or name.startswith("litc/"):
                        errors.append(f"{rel}:{lineno}: #include \"{name}\" names no file of the tree")
                    continue
                theirs = layer_of(target)
                if theirs is None or rank[theirs] <= rank[mine]:
                    continue
                errors.append(f"{rel}:{lineno}: #include \"{name}\" goes up the layer map: "
                              f"{mine}/ may use only the layers below it, {name} is in {theirs}/ "
                              f"(declare an interface in {mine}/ or lower and supply it from above)")
    errors += check_readme(root, [name for name, _ in rows])
    return errors


def check_readme(root, layers):
    """README's architecture table lists the map's layers in the map's order."""
    path = os.path.join(root, "README.md")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if "## Architecture" not in text:
        return ["README.md: no '## Architecture' section with the layer table"]
    section = text.split("## Architecture", 1)[1]
    rows = re.findall(r"^\| `([a-z]+)/` \|", section.split("\n\n| ", 1)[-1].split("\n\n", 1)[0], re.M)
    if rows != layers:
        return [f"README.md: the architecture table lists {', '.join(rows)}; the layer map in "
                f"docs/architecture.md has {', '.join(layers)} (same layers, same order)"]
    return []


def self_test():
    """Copy src/, include/ and the map, add one upward include: it must be caught."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("src", "include", "docs"):
            shutil.copytree(os.path.join(root, d), os.path.join(tmp, d))
        shutil.copy(os.path.join(root, "README.md"), tmp)
        clean = check(tmp)
        if clean:
            print("self-test: the tree is not clean to begin with:\n" + "\n".join(clean))
            return 1
        bad = os.path.join(tmp, "src", "core", "layer-check-bad.c")
        with open(bad, "w") as f:
            f.write('#include <stdio.h>\n#include "litc/train.h"\n')
        errors = check(tmp)
        want = "src/core/layer-check-bad.c:2: #include \"litc/train.h\" goes up the layer map"
        if len(errors) != 1 or not errors[0].startswith(want):
            print("self-test: expected exactly one error starting with\n  " + want + "\ngot:\n" + "\n".join(errors))
            return 1
        os.remove(bad)
        with open(os.path.join(tmp, "include", "litc", "unlisted.h"), "w") as f:
            f.write("/* a header nobody placed */\n")
        errors = check(tmp)
        if len(errors) != 1 or "include/litc/unlisted.h: public header not in the layer map" not in errors[0]:
            print("self-test: an unlisted public header was not reported:\n" + "\n".join(errors))
            return 1
        os.remove(os.path.join(tmp, "include", "litc", "unlisted.h"))
        readme = os.path.join(tmp, "README.md")
        with open(readme, encoding="utf-8") as f:
            text = f.read()
        with open(readme, "w", encoding="utf-8") as f:  # swap two rows of the table
            f.write(text.replace("| `ops/` |", "| `@@/` |").replace("| `autograd/` |", "| `ops/` |")
                    .replace("| `@@/` |", "| `autograd/` |"))
        errors = check(tmp)
        if len(errors) != 1 or not errors[0].startswith("README.md: the architecture table lists"):
            print("self-test: a README table out of the map's order was not reported:\n" + "\n".join(errors))
            return 1
    print("self-test: an upward include, an unlisted header and a README table out of order are reported")
    return 0


def main(argv):
    if "--self-test" in argv:
        return self_test()
    root = argv[argv.index("--root") + 1] if "--root" in argv else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    errors = check(root)
    for e in errors:
        print(e)
    if errors:
        print(f"{len(errors)} include(s) break the layer map in docs/architecture.md")
        return 1
    print("layer map: every include under src/ and include/ goes down")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
