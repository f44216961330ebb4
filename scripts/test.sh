#!/bin/sh
# test.sh - on a fresh Debian 12: install what is needed, build, and run
# the whole test suite: every layer against the normal build and again
# against the ASan+UBSan build, then each libFuzzer target briefly.
# The last line is "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc)
make -j"$jobs" all unit
make -j"$jobs" SAN=1 all unit
make -j"$jobs" fuzz-build
make exim-static                # Exim with the module compiled in (about a minute the first time)
MAILSEAL_BUILDS="build build/san" MAILSEAL_FUZZ_SECONDS=${FUZZ_SECONDS:-15} tests/run
