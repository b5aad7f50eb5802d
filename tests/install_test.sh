#!/usr/bin/env bash
# Installs Omnivox into a temporary prefix and builds examples/cpp against it with
# find_package(omnivox), as a host project would; then runs the example.
set -euo pipefail
BUILD_DIR="$1"
SOURCE_DIR="$2"
PREFIX="$(mktemp -d)"
trap 'rm -rf "$PREFIX"' EXIT
cmake --install "$BUILD_DIR" --prefix "$PREFIX" >/dev/null
test -f "$PREFIX/include/omnivox/engine.h"
test -f "$PREFIX/include/omnivox/omnivox.h"
grep -q "define OMNIVOX_VERSION_STRING \"[0-9]*\.[0-9]*\.[0-9]*\"" "$PREFIX/include/omnivox/version.h"
test -f "$PREFIX/share/omnivox/phone-timezones/map_data.txt"
test -f "$PREFIX/lib/cmake/omnivox/omnivoxConfig.cmake"
cmake -S "$SOURCE_DIR/examples/cpp" -B "$PREFIX/hello-build" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$PREFIX/hello-build" >/dev/null
OMNIVOX_DATA_DIR="$PREFIX/share/omnivox" LD_LIBRARY_PATH="$PREFIX/lib" "$PREFIX/hello-build/hello_campaign"
echo "find_package(omnivox) works"
