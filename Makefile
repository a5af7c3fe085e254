# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A thin wrapper around meson for the commands of the README:
#
#   make run     install what is missing, build, run the demo
#   make check   install what is missing, build, run the test suite
#
# meson and ninja do the real work; this file only strings the steps
# together so that a fresh Debian 12 machine needs nothing else.
#
# Variables you may set on the command line:
#   BUILDDIR=dir          meson build folder                 (default: build)
#   CACHE=dir             cache folder for `make run`        (default: a temporary one,
#                                                             removed afterwards)
#   MESON_SETUP_ARGS=...  extra options for `meson setup`    (e.g. -Db_sanitize=address)
#   MESON_TEST_ARGS=...   extra options for `meson test`     (e.g. --suite python)

BUILDDIR ?= build
CACHE ?=
MESON_SETUP_ARGS ?=
MESON_TEST_ARGS ?=

# Debian packages needed to build and test (see TOOLCHAIN.md), plus the
# file-system tools and strace used by some tests, user-mode Linux for the
# power-cut test (tests/powercut), and for the remote tier libsoup, libcrypto,
# libzstd, and nginx and curl for its tests and benchmarks.
DEB_PACKAGES := \
	meson ninja-build pkg-config gettext libglib2.0-dev libjson-glib-dev \
	gobject-introspection libgirepository1.0-dev gir1.2-glib-2.0 gir1.2-json-1.0 \
	valac gi-docgen python3-gi python3-pytest gjs valgrind clang libclang-rt-14-dev \
	xfsprogs btrfs-progs e2fsprogs strace user-mode-linux \
	libsoup-3.0-dev libssl-dev libzstd-dev nginx curl

# Run apt-get through sudo unless we already are root.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Every recipe runs in one shell, which stops at the first failing command.
.ONESHELL:
.SHELLFLAGS := -ec
SHELL := /bin/sh

.PHONY: all help deps build run check bench clean

all: build

help:
	@echo "make deps    install the Debian packages that are missing"
	@echo "make build   configure (once) and build in $(BUILDDIR)/"
	@echo "make run     deps + build + a tour of the fscache tool, in a cache of its own (CACHE=dir: in that"
	@echo "             cache; the tour removes what it adds either way)"
	@echo "make check   deps + build + run the tests, then print 'N passed, N failed'"
	@echo "make bench   run the benchmarks (bench/run)"
	@echo "make clean   remove $(BUILDDIR)/"

# Install only the packages dpkg does not report as installed, so that a
# machine that has everything does not need network access nor root.
deps:
	@missing=""
	for p in $(DEB_PACKAGES); do
	  if ! dpkg-query -W -f='$${db:Status-Abbrev}' "$$p" 2>/dev/null | grep -q '^ii'; then
	    missing="$$missing $$p"
	  fi
	done
	if [ -z "$$missing" ]; then
	  echo "deps: all Debian packages are installed"
	  exit 0
	fi
	echo "deps: installing:$$missing"
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y --no-install-recommends $$missing

# Configure the build folder when it is not configured yet (or a previous
# setup was interrupted), make sure warnings are errors, then build.
build:
	@if [ ! -f "$(BUILDDIR)/build.ninja" ]; then
	  if [ -f "$(BUILDDIR)/meson-private/coredata.dat" ]; then
	    meson setup --reconfigure "$(BUILDDIR)" -Dwerror=true $(MESON_SETUP_ARGS)
	  else
	    meson setup "$(BUILDDIR)" -Dwerror=true $(MESON_SETUP_ARGS)
	  fi
	elif ! grep -q '"name": "werror", "value": true' \
	       "$(BUILDDIR)/meson-info/intro-buildoptions.json" 2>/dev/null; then
	  meson configure "$(BUILDDIR)" -Dwerror=true
	fi
	ninja -C "$(BUILDDIR)"

# The main job: a short tour of the tool, in a temporary cache of its own
# unless CACHE= names one; it removes what it added either way.
run: deps build
	sh tools/fscache-tour.sh "$(BUILDDIR)/tools/fscache" $(if $(CACHE),'$(CACHE)')

# Run the whole suite; the last line of output is the count CI looks for.
# A stale log must not be counted, hence the rm before the run.
# Besides the suite: the C tests under gcc ASan+UBSan and under valgrind,
# the Python tests with the ASan runtime (.ci/sanitize-and-valgrind.sh), a
# clang -Dwerror=true build, and the clang-format check of the tree. Each
# may skip (77) when its tool is missing; any other failure fails the run.
check: deps build
	@rm -f "$(BUILDDIR)/meson-logs/testlog.json"
	status=0
	meson test -C "$(BUILDDIR)" --print-errorlogs $(MESON_TEST_ARGS) || status=$$?
	.ci/sanitize-and-valgrind.sh "$(BUILDDIR)" || status=$$?
	.ci/clang-werror-build.sh "$(BUILDDIR)" || { rc=$$?; [ $$rc -eq 77 ] || status=$$rc; }
	.ci/check-format.sh || { rc=$$?; [ $$rc -eq 77 ] || status=$$rc; }
	cat "$(BUILDDIR)"/tests/stress/figures-*.txt "$(BUILDDIR)"/tests/fuzz/figures-fuzz.txt \
	    "$(BUILDDIR)"/tests/powercut/figures-powercut.txt \
	    "$(BUILDDIR)"/meson-logs/sanitize-figures.txt 2>/dev/null || true
	.ci/summarize --status "$$status" "$(BUILDDIR)/meson-logs/testlog.json"

# The benchmarks: the library against the system-call floor (bench/README.md).
bench: build
	@if [ -x bench/run ]; then
	  bench/run "$(BUILDDIR)"
	else
	  echo "bench: no bench/run yet, nothing to measure"
	fi

clean:
	rm -rf "$(BUILDDIR)"
