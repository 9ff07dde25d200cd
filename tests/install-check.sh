#!/bin/sh
# tests/install-check.sh BUILD_DIR VERSION [LIBDIR] — check that litc is usable
# without and with installing it: build and run a tiny program against the build
# tree through BUILD_DIR/litc.pc (PKG_CONFIG_PATH=BUILD_DIR, no install), then
# install BUILD_DIR into a temporary prefix and build and run it against that
# twice, once through pkg-config and once through a CMake project that calls
# find_package(litc). Registered in CTest as install-check.
set -eu

usage="usage: install-check.sh BUILD_DIR VERSION [LIBDIR (relative to the prefix, default lib)]"
build=${1:?$usage}
version=${2:?$usage}
libdir_rel=${3:-lib}
cc=${CC:-cc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/litc-install-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix

fail() { echo "install-check: FAIL: $*" >&2; exit 1; }

echo "install-check: installing $build into $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }

for f in include/litc/litc.h include/litc/core.h "$libdir_rel/pkgconfig/litc.pc" \
         "$libdir_rel/cmake/litc/litcConfig.cmake" "$libdir_rel/cmake/litc/litcConfigVersion.cmake" \
         "$libdir_rel/cmake/litc/litcTargets.cmake"; do
    [ -f "$prefix/$f" ] || fail "$f was not installed"
done
soname=liblitc.so.$(echo "$version" | cut -d. -f1,2)
for f in liblitc.so "$soname" "liblitc.so.$version"; do
    [ -e "$prefix/$libdir_rel/$f" ] || fail "$libdir_rel/$f was not installed"
done

mkdir -p "$tmp/src"
cat >"$tmp/src/main.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <litc/litc.h>

int main(void) {
    const char *s = lit_status_str(LIT_ERR_NOMEM);
    if (strcmp(s, "out of memory") != 0) {
        fprintf(stderr, "lit_status_str(LIT_ERR_NOMEM) = \"%s\"\n", s);
        return 1;
    }
    if (strcmp(LIT_VERSION_STRING, EXPECTED_VERSION) != 0) {
        fprintf(stderr, "LIT_VERSION_STRING %s, expected %s\n", LIT_VERSION_STRING, EXPECTED_VERSION);
        return 1;
    }
    printf("litc %s: %s\n", LIT_VERSION_STRING, s);
    return 0;
}
C

# 0. The build tree: BUILD_DIR/litc.pc points at BUILD_DIR's liblitc.so (with an
# rpath: no LD_LIBRARY_PATH) and the source tree's headers.
build_abs=$(cd "$build" && pwd)
pc() { PKG_CONFIG_PATH="$build_abs" pkg-config "$@"; }
pc --exists --print-errors litc || fail "PKG_CONFIG_PATH=$build pkg-config cannot find litc"
pcver=$(pc --modversion litc)
[ "$pcver" = "$version" ] || fail "$build/litc.pc: version $pcver, expected $version"
[ "$(pc --variable=libdir litc)" = "$build_abs" ] ||
    fail "$build/litc.pc: libdir is $(pc --variable=libdir litc), expected the build tree $build_abs"
[ -e "$build_abs/liblitc.so" ] || fail "$build/liblitc.so is missing (build the litc_shared target)"
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Werror -DEXPECTED_VERSION="\"$version\"" \
    $(pc --cflags litc) "$tmp/src/main.c" -o "$tmp/main-build-tree" $(pc --libs litc) ||
    fail "compiling against the build tree's litc.pc failed"
env -u LD_LIBRARY_PATH "$tmp/main-build-tree" || fail "program built with the build tree's litc.pc failed"
ldd "$tmp/main-build-tree" | grep -q "$build_abs/liblitc.so" ||
    fail "program built with the build tree's litc.pc does not load $build_abs/liblitc.so"
echo "install-check: build tree pkg-config ok"

# 1. pkg-config (the installed .pc is relocatable, so it points into $prefix).
export PKG_CONFIG_PATH="$prefix/$libdir_rel/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --exists --print-errors litc || fail "pkg-config cannot find litc"
pcver=$(pkg-config --modversion litc)
[ "$pcver" = "$version" ] || fail "pkg-config --modversion litc is $pcver, expected $version"
libdir=$(pkg-config --variable=libdir litc)
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Werror -DEXPECTED_VERSION="\"$version\"" \
    $(pkg-config --cflags litc) "$tmp/src/main.c" -o "$tmp/main-pc" \
    $(pkg-config --libs litc) -Wl,-rpath,"$libdir" ||
    fail "compiling against pkg-config litc failed"
"$tmp/main-pc" || fail "program built with pkg-config failed"
echo "install-check: pkg-config ok"

# 2. CMake: find_package(litc) and the litc::litc target.
cat >"$tmp/src/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.18)
project(litc_install_check LANGUAGES C)
find_package(litc $version EXACT REQUIRED)
if(NOT TARGET litc::litc)
  message(FATAL_ERROR "find_package(litc) did not define litc::litc")
endif()
add_executable(main main.c)
target_compile_definitions(main PRIVATE EXPECTED_VERSION="$version")
target_link_libraries(main PRIVATE litc::litc)
CM
cmake -S "$tmp/src" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release >"$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log" >&2; fail "configuring a find_package(litc) project failed"; }
cmake --build "$tmp/cmake-build" >"$tmp/cmake-build.log" 2>&1 ||
    { cat "$tmp/cmake-build.log" >&2; fail "building a find_package(litc) project failed"; }
# No LD_LIBRARY_PATH: CMake's build-tree RPATH must find the installed library.
"$tmp/cmake-build/main" || fail "program built with find_package(litc) failed"
echo "install-check: find_package ok"
