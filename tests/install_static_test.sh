#!/usr/bin/env bash
# The installed package of a static build (BUILD_SHARED_LIBS=OFF): configures the library alone
# (no tool, tests, benchmarks, examples, bindings or Twilio backend), builds it, installs it, and
# builds a small C host (tests/package/backend_probe.c) against the installed libomnivox.a with
# find_package(omnivox COMPONENTS core), whose omnivoxConfig.cmake finds libomnivox.a's
# dependencies (find_dependency); the host, linked statically with Omnivox, adds a campaign (the
# phone code) and makes a SIP engine (the SIP backend) without any Omnivox shared library.
# Usage: install_static_test.sh SOURCE_DIR WORK_DIR (WORK_DIR/build is kept between runs, so a
# second run rebuilds nothing; ccache serves the compiles of a fresh one).
set -euo pipefail
SOURCE_DIR="$(cd "$1" && pwd)"
mkdir -p "$2"
WORK="$(cd "$2" && pwd)"
start=$SECONDS
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)
cmake -S "$SOURCE_DIR" -B "$WORK/build" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DOMNIVOX_BUILD_TESTS=OFF -DOMNIVOX_BUILD_BENCHMARKS=OFF \
  -DOMNIVOX_BUILD_CLI=OFF -DOMNIVOX_BUILD_EXAMPLES=OFF -DOMNIVOX_BUILD_PYTHON=OFF \
  -DOMNIVOX_BUILD_JAVA=OFF -DOMNIVOX_BUILD_TWILIO=OFF -DOMNIVOX_LTO=OFF >/dev/null
cmake --build "$WORK/build" -j2 >/dev/null
echo "static library built in $((SECONDS - start)) s"
rm -rf "$WORK/prefix" "$WORK/host"
cmake --install "$WORK/build" --prefix "$WORK/prefix" >/dev/null
test -f "$WORK/prefix/lib/libomnivox.a"
if ls "$WORK/prefix/lib"/libomnivox_{postgres,sip,phone}.so* 2>/dev/null; then
  echo "FAIL: a static install has the backend libraries above (they are inside libomnivox.a)"
  exit 1
fi

mkdir -p "$WORK/host"
cat >"$WORK/host/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.22)
project(omnivox_static_host LANGUAGES C CXX)
find_package(omnivox 0.1 REQUIRED COMPONENTS core)
add_executable(host ${OMNIVOX_HOST_SOURCE})
target_link_libraries(host PRIVATE omnivox::omnivox)
CMAKE
cmake -S "$WORK/host" -B "$WORK/host/build" -DCMAKE_PREFIX_PATH="$WORK/prefix" \
  -DOMNIVOX_HOST_SOURCE="$SOURCE_DIR/tests/package/backend_probe.c" -DCMAKE_BUILD_TYPE=Release \
  >/dev/null
cmake --build "$WORK/host/build" >/dev/null
HOST="$WORK/host/build/host"
if readelf -d "$HOST" | grep NEEDED | grep -E "libomnivox"; then
  echo "FAIL: the host needs the Omnivox shared libraries above"
  exit 1
fi
for what in phone sip; do
  OMNIVOX_DATA_DIR="$WORK/prefix/share/omnivox" "$HOST" $what ||
    { echo "FAIL: the statically linked host ($what)"; exit 1; }
done
echo "a C host links the installed static libomnivox through find_package(omnivox COMPONENTS core)"
echo "and runs its phone and SIP code; $((SECONDS - start)) s in all"
