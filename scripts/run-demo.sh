#!/bin/sh
# run-demo.sh - on a fresh Debian 12: install what is needed, build,
# and run the demo (the main job).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
make -j"$(nproc)" all
make demo
