#!/usr/bin/env bash
# The backend libraries (docs/architecture.md, "Libraries"): libomnivox and libomnivox_c need
# neither libpqxx / libpq nor OpenSSL, and hold no libpqxx or Boost.Beast code; those are
# libomnivox_postgres's and libomnivox_twilio's. With the CLI given: a PostgreSQL URL opened by
# a program that did not link libomnivox_postgres loads it from beside libomnivox, and without
# that library the error names the URL and the missing library.
# Usage: backend_libraries_test.sh LIBOMNIVOX LIBOMNIVOX_C LIBOMNIVOX_POSTGRES LIBOMNIVOX_TWILIO
#                                  [OMNIVOX_CLI]
set -euo pipefail
CORE="$1" CLIB="$2" PG="$3" TWILIO="$4" CLI="${5:-}"
fail() { echo "FAIL: $*"; exit 1; }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

for lib in "$CORE" "$CLIB"; do
  list="$(needed "$lib")"
  echo "$(basename "$lib") needs $(echo "$list" | wc -l) libraries: $(echo $list)"
  bad="$(echo "$list" | grep -E '^lib(pq|pqxx-[0-9.]+|ssl|crypto)\.so' || true)"
  [ -z "$bad" ] || fail "$lib needs $bad"
  code="$(nm -C "$lib" | grep -cE 'pqxx::|boost::beast::' || true)"
  [ "$code" = 0 ] || fail "$lib holds $code libpqxx / Boost.Beast symbols"
done
needed "$PG" | grep -q '^libpqxx' || fail "$PG does not link libpqxx"
needed "$PG" | grep -qx 'libomnivox.so.0' || fail "$PG does not link libomnivox"
needed "$TWILIO" | grep -q '^libssl' || fail "$TWILIO does not link OpenSSL"
echo "the core and the C library need no libpq, libpqxx or OpenSSL; the backends do"

[ -n "$CLI" ] || exit 0
if needed "$CLI" | grep -q 'libomnivox_postgres'; then
  fail "$CLI links libomnivox_postgres: it would not show that open_storage loads it"
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# A socket directory that does not exist: libpq fails at once, no network.
URL="postgresql://dialer:secret@/omnivox?host=$TMP/no-such-socket-dir"
SHOWN="postgresql://dialer:***@/omnivox?host=$TMP/no-such-socket-dir"
if "$CLI" status --storage "$URL" >"$TMP/out" 2>"$TMP/err"; then
  fail "status on an unreachable PostgreSQL succeeded"
fi
grep -q "postgres storage" "$TMP/err" || { cat "$TMP/err"; fail "the backend did not run"; }
grep -q "secret" "$TMP/err" && fail "the password is shown"
echo "a PostgreSQL URL loads libomnivox_postgres from beside libomnivox: $(head -c 200 "$TMP/err")"

# The core alone in a directory (found first through LD_LIBRARY_PATH): no backend beside it.
mkdir "$TMP/lib"
cp "$(readlink -f "$CORE")" "$TMP/lib/libomnivox.so.0"
if LD_LIBRARY_PATH="$TMP/lib" "$CLI" status --storage "$URL" >"$TMP/out" 2>"$TMP/err"; then
  fail "status without the backend library succeeded"
fi
grep -qF "storage URL '$SHOWN': no PostgreSQL backend" "$TMP/err" &&
  grep -q "libomnivox_postgres.so.0" "$TMP/err" ||
  { cat "$TMP/err"; fail "unexpected error without the backend library"; }
echo "without it: $(cat "$TMP/err")"
