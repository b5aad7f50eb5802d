#!/usr/bin/env bash
# Installs Omnivox into a temporary prefix and builds examples/cpp against it with
# find_package(omnivox), as a host project would; then runs the example. Then moves the install
# to another prefix and builds a C host (examples/c/c_telephony_host.c) against the moved copy,
# through pkg-config and through find_package(omnivox COMPONENTS c), linking only libomnivox_c,
# and runs it without OMNIVOX_DATA_DIR: the library finds its time-zone map beside itself.
# The backend libraries: find_package(omnivox COMPONENTS core postgres twilio sip) links them;
# the installed core and C library need no libpq, libpqxx, libre or OpenSSL; a C host of the
# moved install makes a SIP engine (libomnivox_c loads the moved libomnivox_sip); the moved
# install's CLI loads libomnivox_postgres from beside its libomnivox, and names the URL and the
# library when it is gone.
set -euo pipefail
BUILD_DIR="$(cd "$1" && pwd)"
SOURCE_DIR="$(cd "$2" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
PREFIX="$TMP/first"
cmake --install "$BUILD_DIR" --prefix "$PREFIX" >/dev/null
test -f "$PREFIX/include/omnivox/engine.h"
test -f "$PREFIX/include/omnivox/omnivox.h"
grep -q "define OMNIVOX_VERSION_STRING \"[0-9]*\.[0-9]*\.[0-9]*\"" "$PREFIX/include/omnivox/version.h"
test -f "$PREFIX/share/omnivox/phone-timezones/map_data.txt"
test -f "$PREFIX/lib/cmake/omnivox/omnivoxConfig.cmake"
test -f "$PREFIX/lib/pkgconfig/omnivox.pc"
test -f "$PREFIX/lib/libomnivox_postgres.so.0"
test -f "$PREFIX/lib/libomnivox_twilio.so.0"
test -f "$PREFIX/lib/libomnivox_sip.so.0"
test -f "$PREFIX/lib/libomnivox_phone.so.0"
cmake -S "$SOURCE_DIR/examples/cpp" -B "$TMP/hello-build" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$TMP/hello-build" >/dev/null
OMNIVOX_DATA_DIR="$PREFIX/share/omnivox" LD_LIBRARY_PATH="$PREFIX/lib" "$TMP/hello-build/hello_campaign"
echo "find_package(omnivox) works"

# A C++ host of the backend components: make_postgres_storage from libomnivox_postgres.
mkdir -p "$TMP/pg-host"
cat >"$TMP/pg-host/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.22)
project(omnivox_pg_host LANGUAGES CXX)
find_package(omnivox 0.1 REQUIRED COMPONENTS core postgres twilio sip phone)
add_executable(pg_host pg_host.cc)
target_link_libraries(pg_host PRIVATE omnivox::postgres omnivox::sip)
CMAKE
cat >"$TMP/pg-host/pg_host.cc" <<'CXX'
#include <cstdio>
#include "omnivox/postgres_storage.h"
#include "omnivox/sip.h"
int main(int argc, char** argv) {
  try {
    omnivox::SipCredentials::from_environment();  // from omnivox::sip (none set: empty)
    omnivox::make_postgres_storage(argv[1]);
  } catch (const omnivox::Error& e) {
    std::printf("%s\n", e.what());
    return 0;
  }
  return 1;
}
CXX
cmake -S "$TMP/pg-host" -B "$TMP/pg-host-build" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$TMP/pg-host-build" >/dev/null
NO_SERVER="postgresql:///omnivox?host=$TMP/no-such-socket-dir"
LD_LIBRARY_PATH="$PREFIX/lib" "$TMP/pg-host-build/pg_host" "$NO_SERVER" | grep -q "postgres storage" ||
  { echo "FAIL: make_postgres_storage from the installed omnivox::postgres"; exit 1; }
echo "find_package(omnivox COMPONENTS core postgres twilio sip phone) works"

# ---- the install moved elsewhere: nothing in it may name the first prefix ----
MOVED="$TMP/moved/prefix"
mkdir -p "$TMP/moved"
mv "$PREFIX" "$MOVED"
if grep -rIl "$PREFIX" "$MOVED"; then
  echo "FAIL: the files above name the install prefix (not relocatable)"
  exit 1
fi
for lib in libomnivox.so.0 libomnivox_c.so.0; do
  if readelf -d "$MOVED/lib/$lib" | grep NEEDED |
    grep -E "lib(pq|pqxx|re|ssl|crypto|phonenumber|protobuf)[-.]"; then
    echo "FAIL: the installed $lib needs the libraries above"
    exit 1
  fi
done
HOST_SOURCE="$SOURCE_DIR/examples/c/c_telephony_host.c"
run_host() {  # the host must link libomnivox_c and not the C++ library
  local host="$1"
  if readelf -d "$host" | grep NEEDED | grep -q "libomnivox\.so"; then
    echo "FAIL: $host links the C++ library"
    exit 1
  fi
  readelf -d "$host" | grep NEEDED | grep -q "libomnivox_c\.so" ||
    { echo "FAIL: $host does not link libomnivox_c"; exit 1; }
  env -u OMNIVOX_DATA_DIR LD_LIBRARY_PATH="$MOVED/lib" "$host" >"$TMP/host.out"
}
PC_CFLAGS_LIBS="$(PKG_CONFIG_PATH="$MOVED/lib/pkgconfig" pkg-config --cflags --libs omnivox)"
# shellcheck disable=SC2086
cc -std=c99 -Wall -Werror -pedantic "$HOST_SOURCE" $PC_CFLAGS_LIBS -o "$TMP/host-pc"
run_host "$TMP/host-pc"
echo "pkg-config omnivox works from a moved prefix ($PC_CFLAGS_LIBS)"
# shellcheck disable=SC2086
cc -std=c99 -Wall -Werror -pedantic "$SOURCE_DIR/tests/package/backend_probe.c" \
  $PC_CFLAGS_LIBS -o "$TMP/probe"
for what in sip phone; do
  LD_LIBRARY_PATH="$MOVED/lib" "$TMP/probe" $what ||
    { echo "FAIL: libomnivox_c of the moved install loading libomnivox_$what"; exit 1; }
done
echo "a C host of the moved install makes a SIP engine and a campaign (libomnivox_c loads"
echo "libomnivox_sip and libomnivox_phone)"
cmake -S "$SOURCE_DIR/tests/package/c_host" -B "$TMP/c-host-build" -DCMAKE_PREFIX_PATH="$MOVED" \
  -DOMNIVOX_C_HOST_SOURCE="$HOST_SOURCE" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$TMP/c-host-build" >/dev/null
run_host "$TMP/c-host-build/c_host"
echo "find_package(omnivox COMPONENTS c) works from a moved prefix"

# The map the library loads is the moved install's: spoil it and the engine names that file.
echo "+1 Not/AZone" >>"$MOVED/share/omnivox/phone-timezones/map_data.txt"
if env -u OMNIVOX_DATA_DIR LD_LIBRARY_PATH="$MOVED/lib" "$TMP/host-pc" 2>"$TMP/host.err" >/dev/null; then
  echo "FAIL: the host ran on a spoiled map: it did not load the moved install's"
  exit 1
fi
grep -q "$MOVED/lib/.*phone-timezones/map_data.txt" "$TMP/host.err" ||
  { echo "FAIL: unexpected error:"; cat "$TMP/host.err"; exit 1; }
echo "the moved install's library loads the moved install's time-zone map"

# A PostgreSQL URL: the backend is loaded from beside the moved libomnivox; without it, a clear
# error naming the URL and the library.
if [ -x "$MOVED/bin/omnivox" ]; then
  NO_SERVER="postgresql:///omnivox?host=$TMP/no-such-socket-dir"
  if LD_LIBRARY_PATH="$MOVED/lib" "$MOVED/bin/omnivox" status --storage "$NO_SERVER" \
    2>"$TMP/pg.err" >/dev/null || ! grep -q "postgres storage: open" "$TMP/pg.err"; then
    echo "FAIL: the moved CLI did not reach the PostgreSQL backend:"; cat "$TMP/pg.err"; exit 1
  fi
  rm "$MOVED"/lib/libomnivox_postgres.so*
  if LD_LIBRARY_PATH="$MOVED/lib" "$MOVED/bin/omnivox" status --storage "$NO_SERVER" \
    2>"$TMP/pg.err" >/dev/null ||
    ! grep -qF "storage URL '$NO_SERVER': no PostgreSQL backend" "$TMP/pg.err" ||
    ! grep -q "$MOVED/lib/libomnivox_postgres.so.0" "$TMP/pg.err"; then
    echo "FAIL: unexpected error without libomnivox_postgres:"; cat "$TMP/pg.err"; exit 1
  fi
  echo "a PostgreSQL URL loads the moved install's libomnivox_postgres; without it: $(cat "$TMP/pg.err")"
fi
