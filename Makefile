# litc — top-level entry points. The build itself is CMake (CMakeLists.txt);
# this file only strings the steps together.
#
#   make demo      install missing deps, build, train the MLP example (litc fit --config ...)
#   make test      install missing deps, build, run the ASan+UBSan suite and
#                  then the main suite (ends with CTest's summary line)
#   make bench     install deps + reference tools, build, run build/bench-*
#   make build     configure + build into build/
#   make install   install liblitc.so, headers, litc.pc, CMake package
#                  (PREFIX=/usr/local by default; DESTDIR is honoured)
#   make deps      install missing Debian packages (scripts/deps.sh)
#   make clean     remove build/ and build-asan/
#
# Variables: BUILD_TYPE (RelWithDebInfo), WERROR (ON), PREFIX (/usr/local),
# JOBS (nproc), CTEST_JOBS (2), CMAKE_ARGS (extra -D options for both builds).

BUILD_DIR  ?= build
ASAN_DIR   ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
WERROR     ?= ON
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_JOBS ?= 2
CMAKE_ARGS ?=

CMAKE ?= cmake
CTEST ?= ctest

# No "Entering directory" chatter from the make that CMake runs underneath.
MAKEFLAGS += --no-print-directory

.PHONY: all deps deps-reference configure build asan test demo bench install clean help

all: build

help:
	@sed -n '4,15p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@scripts/deps.sh

deps-reference:
	@scripts/deps.sh --reference

configure: deps
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	    -DLITC_WERROR=$(WERROR) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)

build: configure
	$(CMAKE) --build $(BUILD_DIR) -j$(JOBS)

# Sanitizer build: AddressSanitizer + UndefinedBehaviorSanitizer, debug
# checks on (no NDEBUG), same warnings-as-errors.
asan: deps
	$(CMAKE) -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DLITC_SANITIZE=ON \
	    -DLITC_NATIVE=ON -DLITC_WERROR=$(WERROR) $(CMAKE_ARGS)
	$(CMAKE) --build $(ASAN_DIR) -j$(JOBS)

# The sanitizer suite runs first and the main suite last, so the last line
# printed is the main suite's CTest summary.
test: build asan
	$(CTEST) --test-dir $(ASAN_DIR) --output-on-failure -j$(CTEST_JOBS)
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j$(CTEST_JOBS)

demo: build
	./$(BUILD_DIR)/litc fit --config examples/mlp-digits/config.yaml

# Each benchmark validates its result, times it and prints the ratio to the
# PyTorch reference measured in the same run (needs the reference tools).
bench: deps-reference build
	@set -e; found=0; \
	for b in $(BUILD_DIR)/bench-*; do \
	    [ -x "$$b" ] || continue; found=1; \
	    echo "==> $$b"; "$$b"; \
	done; \
	[ $$found = 1 ] || echo "no benchmarks built (bench/bench-*.c)"

install: build
	$(CMAKE) --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
