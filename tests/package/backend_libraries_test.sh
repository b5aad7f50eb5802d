#!/usr/bin/env bash
# The backend libraries (docs/architecture.md, "Libraries"): libomnivox and libomnivox_c need
# neither libpqxx / libpq, libre, OpenSSL, libphonenumber, protobuf nor ICU, and hold no libpqxx,
# Boost.Beast or SIP backend code; those are libomnivox_postgres's, libomnivox_twilio's,
# libomnivox_sip's and libomnivox_phone's. A C host (PROBE, linked with libomnivox_c alone) that
# makes a SIP engine loads libomnivox_sip from beside libomnivox_c, and one that adds a campaign
# with a default region libomnivox_phone; without them, or with one of another version
# (SIP_OTHER), the error says so and names the paths tried. With the CLI given: a PostgreSQL URL opened by a program that did
# not link libomnivox_postgres loads it from beside libomnivox, and without that library the
# error names the URL and the missing library.
# Usage: backend_libraries_test.sh LIBOMNIVOX LIBOMNIVOX_C LIBOMNIVOX_POSTGRES LIBOMNIVOX_TWILIO
#                                  LIBOMNIVOX_SIP LIBOMNIVOX_PHONE PROBE SIP_OTHER [OMNIVOX_CLI]
set -euo pipefail
CORE="$1" CLIB="$2" PG="$3" TWILIO="$4" SIP="$5" PHONE="$6" PROBE="$7" SIP_OTHER="$8"
CLI="${9:-}"
fail() { echo "FAIL: $*"; exit 1; }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

for lib in "$CORE" "$CLIB"; do
  list="$(needed "$lib")"
  echo "$(basename "$lib") needs $(echo "$list" | wc -l) libraries: $(echo $list)"
  bad="$(echo "$list" |
    grep -E '^lib(pq|pqxx-[0-9.]+|re|ssl|crypto|phonenumber|protobuf|geocoding|icu[a-z0-9]+)\.so' ||
    true)"
  [ -z "$bad" ] || fail "$lib needs $bad"
  code="$(nm -C "$lib" | grep -cE 'pqxx::|boost::beast::|omnivox::SipTelephony::' || true)"
  [ "$code" = 0 ] || fail "$lib holds $code libpqxx / Boost.Beast / SIP backend symbols"
done
needed "$PG" | grep -q '^libpqxx' || fail "$PG does not link libpqxx"
needed "$PG" | grep -qx 'libomnivox.so.0' || fail "$PG does not link libomnivox"
needed "$TWILIO" | grep -q '^libssl' || fail "$TWILIO does not link OpenSSL"
needed "$SIP" | grep -qx 'libre.so.0' || fail "$SIP does not link libre"
needed "$SIP" | grep -qx 'libomnivox.so.0' || fail "$SIP does not link libomnivox"
needed "$PHONE" | grep -q '^libphonenumber' || fail "$PHONE does not link libphonenumber"
needed "$PHONE" | grep -q '^libprotobuf' || fail "$PHONE does not link libprotobuf"
needed "$PHONE" | grep -q '^libomnivox' && fail "$PHONE links an Omnivox library"
exports="$(nm -D --defined-only "$PHONE" | awk '$2 == "T" {print $3}')"
[ "$exports" = omnivox_phone_backend_v1 ] || fail "$PHONE exports functions beside its entry point"
echo "the core and the C library need no libpq, libpqxx, libre, OpenSSL, libphonenumber or"
echo "protobuf; the backends do"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# The SIP backend and the phone library from a C host: loaded from beside libomnivox_c.
needed "$PROBE" | grep -qE 'libomnivox_(sip|phone)' && fail "$PROBE links a backend library"
"$PROBE" sip >"$TMP/out" || { cat "$TMP/out"; fail "a SIP engine from libomnivox_c failed"; }
echo "a SIP engine of the C API loads libomnivox_sip from beside libomnivox_c"
"$PROBE" phone >"$TMP/out" || { cat "$TMP/out"; fail "a campaign from libomnivox_c failed"; }
echo "a campaign's default region loads libomnivox_phone from beside libomnivox_c"
# libomnivox_c alone in a directory (found first through LD_LIBRARY_PATH): nothing beside it.
mkdir "$TMP/c"
cp "$(readlink -f "$CLIB")" "$TMP/c/libomnivox_c.so.0"
# refused MODE WHAT TEXT: the probe's MODE fails from $TMP/c, its message holding TEXT.
refused() {
  if LD_LIBRARY_PATH="$TMP/c" "$PROBE" "$1" >"$TMP/out"; then fail "$2: the probe succeeded"; fi
  grep -qF "$3" "$TMP/out" || { cat "$TMP/out"; fail "$2: unexpected error"; }
  echo "$2: $(cat "$TMP/out")"
}
refused phone "without libomnivox_phone" "phone numbers: no phone library: the backend library \
libomnivox_phone.so.0 was not found (install the omnivox phone component beside libomnivox, or \
link omnivox::phone): $TMP/c/libomnivox_phone.so.0"
refused sip "without libomnivox_sip" "SIP telephony: no SIP backend: the backend library \
libomnivox_sip.so.0 was not found (install the omnivox sip component beside libomnivox, or link \
omnivox::sip): $TMP/c/libomnivox_sip.so.0"
# A libomnivox_sip of another version beside it: refused, naming both versions.
cp "$SIP_OTHER" "$TMP/c/libomnivox_sip.so.0"
refused sip "another version" "$TMP/c/libomnivox_sip.so.0 is Omnivox 0.0.0-other"

[ -n "$CLI" ] || exit 0
if needed "$CLI" | grep -q 'libomnivox_postgres'; then
  fail "$CLI links libomnivox_postgres: it would not show that open_storage loads it"
fi
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
