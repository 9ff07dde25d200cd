# cmake/LitcFuzz.cmake — libFuzzer targets built with clang, whatever compiler
# builds the rest of litc.
#
#   add_litc_fuzzer(<name> <source>
#                   [SOURCES <library sources...>]   added to LITC_FUZZ_CORE_SOURCES
#                   [ALL_SOURCES]                    all of src/**/*.c instead (with OpenMP and
#                                                    OpenBLAS): targets that run the Trainer
#                   [CORPUS <seed dir>]              default: fuzz/corpus/<name without "fuzz-">
#                   [DICT <dictionary>]
#                   [SECONDS <n>])                   default: LITC_FUZZ_SECONDS (20)
#
# compiles <source> and the named library sources with
# `clang -fsanitize=fuzzer,address,undefined` into ${CMAKE_BINARY_DIR}/fuzz/<name>
# (target <name>, part of `all`) and registers the CTest test <name>, which runs it for
# SECONDS on a copy of the seed corpus (fuzz/run-fuzzer.sh). The library
# sources are compiled directly (not liblitc.a, which gcc built without the
# sanitizers and coverage): list what the target needs beyond the core
# (status, assert, log, crc32c, the byte buffer, the file opener).
#
# When clang is missing, or cannot link -fsanitize=fuzzer (no compiler-rt),
# nothing is added and a one-line message says so: the gcc build and the rest
# of the suite are unaffected. Sanitizer builds (LITC_SANITIZE) build the
# fuzzers but register no fuzz tests, so `make test` runs each one once.

set(LITC_FUZZ_SECONDS 20 CACHE STRING "Seconds each fuzz-* CTest test fuzzes")
set(LITC_FUZZ_CORE_SOURCES
  ${CMAKE_SOURCE_DIR}/src/core/status.c
  ${CMAKE_SOURCE_DIR}/src/core/assert.c
  ${CMAKE_SOURCE_DIR}/src/core/log.c
  ${CMAKE_SOURCE_DIR}/src/core/crc32c.c
  ${CMAKE_SOURCE_DIR}/src/core/buf.c
  ${CMAKE_SOURCE_DIR}/src/core/file.c
  ${CMAKE_SOURCE_DIR}/src/core/str.c)

find_program(LITC_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14)
set(LITC_FUZZ_OK OFF)
if(LITC_CLANG)
  set(_probe_dir ${CMAKE_BINARY_DIR}/CMakeFiles/litc-fuzz-probe)
  file(MAKE_DIRECTORY ${_probe_dir})
  file(WRITE ${_probe_dir}/probe.c
    "#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
  execute_process(
    COMMAND ${LITC_CLANG} -fsanitize=fuzzer,address,undefined ${_probe_dir}/probe.c -o ${_probe_dir}/probe
    RESULT_VARIABLE _probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(_probe_rc EQUAL 0)
    set(LITC_FUZZ_OK ON)
    message(STATUS "litc: libFuzzer targets with ${LITC_CLANG}")
  else()
    message(STATUS "litc: ${LITC_CLANG} cannot link -fsanitize=fuzzer (install libclang-rt-dev); no fuzz targets")
  endif()
else()
  message(STATUS "litc: clang not found; no fuzz targets (apt-get install clang)")
endif()

function(add_litc_fuzzer name source)
  if(NOT LITC_FUZZ_OK)
    return()
  endif()
  cmake_parse_arguments(F "ALL_SOURCES" "CORPUS;DICT;SECONDS" "SOURCES" ${ARGN})
  set(_srcs ${LITC_FUZZ_CORE_SOURCES})
  set(_extra_flags)
  if(F_ALL_SOURCES)
    file(GLOB_RECURSE _srcs ${CMAKE_SOURCE_DIR}/src/*.c)
    set(_extra_flags -fopenmp -Wno-unknown-pragmas -Wno-pass-failed)  # gcc tuning pragmas
  endif()
  foreach(s ${F_SOURCES})
    get_filename_component(s ${s} ABSOLUTE BASE_DIR ${CMAKE_SOURCE_DIR})
    list(APPEND _srcs ${s})
  endforeach()
  file(GLOB _headers ${CMAKE_SOURCE_DIR}/include/litc/*.h)
  if(NOT F_CORPUS)
    string(REGEX REPLACE "^fuzz-" "" _short ${name})
    set(F_CORPUS ${CMAKE_SOURCE_DIR}/fuzz/corpus/${_short})
  endif()
  if(NOT F_SECONDS)
    set(F_SECONDS ${LITC_FUZZ_SECONDS})
  endif()
  get_filename_component(source ${source} ABSOLUTE BASE_DIR ${CMAKE_SOURCE_DIR})
  # Not ${CMAKE_BINARY_DIR}/<name>: a file named like its target confuses make.
  set(out ${CMAKE_BINARY_DIR}/fuzz/${name})
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  # Include dirs and flags of jansson and libyaml (the third-party libraries
  # the file layer needs: checkpoints, configs) from pkg-config.
  set(_inc -I${CMAKE_SOURCE_DIR}/include -I${CMAKE_SOURCE_DIR}/src)
  set(_pkgs JANSSON YAML)
  if(F_ALL_SOURCES)
    list(APPEND _pkgs OPENBLAS)
  endif()
  set(_libs)
  foreach(p ${_pkgs})
    foreach(d ${${p}_INCLUDE_DIRS})
      list(APPEND _inc -I${d})
    endforeach()
    foreach(d ${${p}_LIBRARY_DIRS})
      list(APPEND _libs -L${d})
    endforeach()
    list(APPEND _libs ${${p}_LDFLAGS})
  endforeach()
  list(APPEND _libs -lpthread -lm)
  add_custom_command(OUTPUT ${out}
    COMMAND ${LITC_CLANG} -std=gnu11 -g -O1 -fno-omit-frame-pointer
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
            -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
            -Wall -Wextra -Wno-unused-parameter ${_extra_flags}
            ${_inc} ${source} ${_srcs} ${_libs} -o ${out}
    DEPENDS ${source} ${_srcs} ${_headers}
    COMMENT "Building libFuzzer target ${name} with clang"
    VERBATIM)
  add_custom_target(${name} ALL DEPENDS ${out})
  if(NOT LITC_SANITIZE)
    set(_dict_arg)
    if(F_DICT)
      get_filename_component(F_DICT ${F_DICT} ABSOLUTE BASE_DIR ${CMAKE_SOURCE_DIR})
      set(_dict_arg ${F_DICT})
    endif()
    add_test(NAME ${name}
      COMMAND sh ${CMAKE_SOURCE_DIR}/fuzz/run-fuzzer.sh ${out} ${F_CORPUS}
              ${CMAKE_BINARY_DIR}/fuzz-work/${name} ${F_SECONDS} ${_dict_arg})
    # A crash leaves fuzz-work/<name>/crash-*: reproduce with `<fuzzer> <file>`.
    math(EXPR _timeout "${F_SECONDS} + 120")
    set_tests_properties(${name} PROPERTIES TIMEOUT ${_timeout} LABELS fuzz)
  endif()
endfunction()
