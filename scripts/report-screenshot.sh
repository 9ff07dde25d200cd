#!/usr/bin/env bash
# scripts/report-screenshot.sh — regenerate docs/report.png, the README's
# picture of the HTML run report (litc/report.h).
#
#   scripts/report-screenshot.sh [BUILD_DIR]     (default: build)
#
# Builds test-html-report in BUILD_DIR, runs its --demo mode (a real 8-epoch
# fit of a tiny linear regression with the HTMLReport logger on the Trainer,
# plus a synthetic learning-rate-finder curve) into a temporary folder, and
# screenshots that report.html with headless Chromium at 1200x1200 into
# docs/report.png. Needs chromium (scripts/deps.sh installs it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    echo "report-screenshot.sh: chromium not found; run scripts/deps.sh (Debian package \"chromium\")" >&2
    exit 1
fi

[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target test-html-report -j2 >/dev/null

tmp=$(mktemp -d /tmp/litc-report-shot-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
report=$("$build/test-html-report" --demo "$tmp")
# --hide-scrollbars: the page is taller than the window; a scrollbar would
# only narrow the picture.
timeout 120 "$chromium" --headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars \
    --user-data-dir="$tmp/profile" --window-size=1200,1200 \
    --screenshot="$root/docs/report.png" "file://$report" >/dev/null 2>"$tmp/chromium.log" || {
    echo "report-screenshot.sh: chromium failed:" >&2
    tail -5 "$tmp/chromium.log" >&2
    exit 1
}
echo "wrote $root/docs/report.png from $report"
