#!/usr/bin/env bash
# scripts/deps.sh — install the Debian 12 packages litc needs, and only those
# that are missing.
#
#   scripts/deps.sh              build + test dependencies (what `make test` needs)
#   scripts/deps.sh --reference  also the reference tools (PyTorch, NumPy,
#                                scikit-learn) used to generate test fixtures and
#                                to run the side-by-side benchmarks (`make bench`),
#                                and Lightning + safetensors from PyPI in a virtual
#                                environment (/opt/litc-ref-venv) for bench-trainer
#                                and test-safetensors' Python reader check
#
# Idempotent: when nothing is missing it prints nothing and exits 0. When
# packages are missing it runs `apt-get update` once and then
# `apt-get install -y --no-install-recommends <missing>` as root; as any other
# user it prints the exact command to run and exits 1.
set -euo pipefail

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
}

reference=0
for arg in "$@"; do
    case "$arg" in
        --reference) reference=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "deps.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

# Build and test: C toolchain, CTest, pkg-config; OpenBLAS (OpenMP variant,
# plus the libopenblas-dev meta package for openblas.pc); libyaml; jansson
# (JSON: safetensors headers and checkpoint metadata); Open MPI; headless
# Chromium and zlib for test-html-report (it renders the HTML run report and
# decodes the screenshot; without them that test skips its rendering part);
# clang with compiler-rt for the libFuzzer targets (fuzz-*; without them the
# fuzz tests are not built).
packages=(
    build-essential
    cmake
    pkg-config
    libopenblas-openmp-dev
    libopenblas-dev
    libyaml-dev
    libjansson-dev
    libopenmpi-dev
    openmpi-bin
    chromium
    zlib1g-dev
    clang
    libclang-rt-14-dev
)
# Reference tools: fixture generation and benchmarks only, never `make test`.
if [ "$reference" = 1 ]; then
    packages+=(python3-torch python3-numpy python3-sklearn python3-venv)
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps.sh: dpkg-query not found; this script knows Debian 12 only." >&2
    echo "deps.sh: install the equivalents of: ${packages[*]}" >&2
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing+=("$p")
    fi
done

# Lightning (PyPI) for the trainer-overhead reference: a venv that sees
# Debian's packages; created once, quietly skipped when it already works.
ensure_lightning_venv() {
    local venv=/opt/litc-ref-venv
    [ "$reference" = 1 ] || return 0
    "$venv/bin/python" -c 'import lightning, safetensors' >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps.sh: for bench-trainer's Lightning reference run as root, or:" >&2
        echo "    python3 -m venv --system-site-packages $venv && $venv/bin/pip install 'lightning==2.0.9' safetensors" >&2
        return 0
    fi
    echo "deps.sh: creating $venv with lightning and safetensors (PyPI)"
    [ -x "$venv/bin/python" ] || python3 -m venv --system-site-packages "$venv"
    "$venv/bin/pip" install -q 'lightning==2.0.9' safetensors ||
        echo "deps.sh: could not install lightning/safetensors; bench-trainer skips its Lightning column, test-safetensors its Python reader check" >&2
}

if [ "${#missing[@]}" -eq 0 ]; then
    ensure_lightning_venv
    exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    {
        echo "deps.sh: missing Debian packages: ${missing[*]}"
        echo "deps.sh: run as root (or with sudo):"
        echo
        echo "    apt-get update && $cmd"
        echo
    } >&2
    exit 1
fi

echo "deps.sh: installing missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends "${missing[@]}"
ensure_lightning_venv
