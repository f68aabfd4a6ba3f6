#!/bin/sh
# test.sh - the README's test command: installs dependencies, builds and runs
# every test (make check).  Extra arguments go to make, e.g. V=1.
set -e
cd "$(dirname "$0")/.."
sh scripts/build.sh
make -C _build -j"$(nproc)" check "$@"
