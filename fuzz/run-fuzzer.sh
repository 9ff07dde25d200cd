#!/bin/sh
# fuzz/run-fuzzer.sh FUZZER SEED_CORPUS WORK_DIR SECONDS [DICT] — run a libFuzzer
# target for a bounded time on a fresh copy of its seed corpus (the fuzzer adds
# the inputs it finds to the copy, never to the committed seeds). Crash inputs
# land in WORK_DIR as crash-* and fail the run. Registered in CTest by
# add_litc_fuzzer (cmake/LitcFuzz.cmake).
set -eu
fuzzer=${1:?usage: run-fuzzer.sh FUZZER SEED_CORPUS WORK_DIR SECONDS [DICT]}
seeds=${2:?}
work=${3:?}
seconds=${4:?}
dict=${5:-}
rm -rf "$work"
mkdir -p "$work/corpus"
cp "$seeds"/* "$work/corpus/"
set -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$work/"
[ -n "$dict" ] && set -- "$@" -dict="$dict"
exec "$fuzzer" "$@" "$work/corpus"
