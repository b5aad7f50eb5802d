#!/usr/bin/env bash
# The C library exports exactly the C API: every function omnivox.h declares with OMNIVOX_C_API,
# and no other symbol (no C++, Boost or Abseil symbol a host's own copies could clash with).
# Usage: exports_test.sh LIBOMNIVOX_C OMNIVOX_H
set -euo pipefail
LIB="$1"
HEADER="$2"
exported="$(nm -D --defined-only "$LIB" | awk '{print $3}' | sort -u)"
# The first name followed by "(" after each OMNIVOX_C_API is the function's.
declared="$(grep -A3 '^OMNIVOX_C_API' "$HEADER" | tr '\n' ' ' | sed 's/OMNIVOX_C_API/\n/g' |
  sed -n 's/^[^(]*\b\(omnivox_[a-z0-9_]*\)[[:space:]]*(.*/\1/p' | sort -u)"
status=0
others="$(grep -v '^omnivox_' <<<"$exported" || true)"
if [ -n "$others" ]; then
  echo "FAIL: $(wc -l <<<"$others") exported symbols outside the C API, e.g.:"
  head -20 <<<"$others"
  status=1
fi
missing="$(comm -23 <(echo "$declared") <(echo "$exported"))"
if [ -n "$missing" ]; then
  echo "FAIL: declared in omnivox.h but not exported:"
  echo "$missing"
  status=1
fi
extra="$(comm -13 <(echo "$declared") <(grep '^omnivox_' <<<"$exported"))"
if [ -n "$extra" ]; then
  echo "FAIL: exported but not declared in omnivox.h:"
  echo "$extra"
  status=1
fi
[ "$status" -eq 0 ] && echo "exports: the $(wc -l <<<"$exported") functions of omnivox.h, nothing else"
exit "$status"
