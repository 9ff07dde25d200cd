#!/usr/bin/env bash
# scripts/deps.sh — install the Debian 12 packages litc needs, and only those
# that are missing.
#
#   scripts/deps.sh              build + test dependencies (what `make test` needs,
#                                the references its tests compare against included:
#                                PyTorch, NumPy, Chromium, and safetensors +
#                                tensorboard from PyPI in a virtual environment,
#                                /opt/litc-ref-venv), so no test is skipped
#   scripts/deps.sh --reference  also the tools used to generate test fixtures and
#                                to run the side-by-side benchmarks (`make bench`):
#                                scikit-learn, and Lightning (PyPI) in the venv for
#                                bench-trainer
#
# Idempotent: when nothing is missing it prints nothing and exits 0. When
# packages are missing it runs `apt-get update` once and then
# `apt-get install -y --no-install-recommends <missing>` as root; as any other
# user it prints the exact command to run and exits 1. Then it fetches the
# examples' text corpus (scripts/fetch-data.sh: data/shakespeare.txt).
set -euo pipefail

usage() {
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
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
# decodes the screenshot); clang with compiler-rt for the libFuzzer targets
# (fuzz-*; without them the fuzz tests are not built); python3 with PyTorch
# and NumPy for test-checkpoint-interop (PyTorch reads a litc checkpoint), the
# hostile corpus runner, and the venv below. A test whose reference is missing
# exits 77 and CTest lists it as skipped.
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
    python3
    python3-torch
    python3-numpy
    python3-venv
)
# Reference tools: fixture generation and benchmarks only, never `make test`.
if [ "$reference" = 1 ]; then
    packages+=(python3-sklearn)
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

# PyPI references in a venv that sees Debian's packages (torch, numpy):
# safetensors (test-safetensors: Python reads a litc file) and tensorboard
# (test-loggers: tensorboard's EventAccumulator reads litc's events file) for
# `make test`; Lightning for bench-trainer's reference with --reference.
# Created once, quietly skipped when it already works.
ensure_reference_venv() {
    local venv=/opt/litc-ref-venv
    local pips=(safetensors tensorboard) imports="safetensors, tensorboard"
    if [ "$reference" = 1 ]; then
        pips+=('lightning==2.0.9')
        imports+=", lightning"
    fi
    "$venv/bin/python" -c "import $imports" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps.sh: for the Python references of test-safetensors and test-loggers (skipped without them) run as root, or:" >&2
        echo "    python3 -m venv --system-site-packages $venv && $venv/bin/pip install ${pips[*]}" >&2
        return 0
    fi
    echo "deps.sh: creating $venv with ${pips[*]} (PyPI)"
    [ -x "$venv/bin/python" ] || python3 -m venv --system-site-packages "$venv"
    "$venv/bin/pip" install -q "${pips[@]}" ||
        echo "deps.sh: could not install ${pips[*]}; the tests that need them are listed as skipped" >&2
}

if [ "${#missing[@]}" -eq 0 ]; then
    ensure_reference_venv
    "$(dirname "${BASH_SOURCE[0]}")/fetch-data.sh"
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
ensure_reference_venv
"$(dirname "${BASH_SOURCE[0]}")/fetch-data.sh"
