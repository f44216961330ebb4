#!/bin/sh
# test.sh - install dependencies, build, run the whole test suite,
# including the ASan+UBSan run and a short fuzz pass.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
make -j"$(nproc)" all
make check
