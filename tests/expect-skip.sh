#!/bin/sh
# tests/expect-skip.sh VAR=VALUE TEST_EXE — run TEST_EXE with VAR=VALUE hiding
# its reference tool (e.g. LITC_PYTHON=none, PATH=/nonexistent) and pass only
# when it exits 77, CTest's "skipped" (tests/harness.h SKIP): a test whose
# reference is missing must never report a pass. Registered in CTest as
# <test>-skips-without-reference.
usage="usage: expect-skip.sh VAR=VALUE TEST_EXE"
hide=${1:?$usage}
exe=${2:?$usage}
env "$hide" "$exe" >/dev/null 2>&1
rc=$?
if [ "$rc" -ne 77 ]; then
    echo "expect-skip: $exe with $hide exited $rc, expected 77 (skipped)" >&2
    exit 1
fi
echo "expect-skip: $exe with $hide exited 77 (skipped)"
