#!/bin/sh
# build.sh - installs dependencies, then configures (once) and builds
# innominatus out of tree in ./_build, with ./_inst as the install prefix.
set -e
cd "$(dirname "$0")/.."
top=$PWD
sh scripts/deps.sh
[ -x configure ] || autoreconf -fi
mkdir -p _build
cd _build
[ -f Makefile ] || ../configure --prefix="$top/_inst" --enable-werror
make -j"$(nproc)"
