#!/usr/bin/env bash
# The C library's ABI against the release baseline abi/omnivox-c.abi (libabigail's abidiff):
# fails on any change to a function, struct or enum of the baseline that docs/c-api.md's ABI
# policy does not allow (abi/omnivox-c.suppr lists what it allows); new functions are fine.
#   abi_check.sh check LIBOMNIVOX_C SOURCE_DIR BUILD_DIR
#   abi_check.sh update LIBOMNIVOX_C SOURCE_DIR BUILD_DIR   (at a release: write a new baseline)
set -euo pipefail
MODE="$1"
LIB="$2"
SOURCE_DIR="$(cd "$3" && pwd)"
BUILD_DIR="$4"
BASELINE="$SOURCE_DIR/abi/omnivox-c.abi"
HEADERS=(--headers-dir "$SOURCE_DIR/include/omnivox" --headers-dir "$BUILD_DIR/include/omnivox")
if ! command -v abidiff >/dev/null; then
  echo "abidiff not found: install abigail-tools (cmake/bootstrap.sh does)"
  exit 1
fi
if [ "$MODE" = update ]; then
  # Only the exported functions and the types of the public headers; no paths of this machine.
  abidw --exported-interfaces-only "${HEADERS[@]}" --drop-private-types --no-corpus-path \
    --no-show-locs --no-comp-dir-path --type-id-style hash "$LIB" |
    sed "s|path='$SOURCE_DIR/|path='|" >"$BASELINE"
  echo "wrote $BASELINE"
  exit 0
fi
set +e
abidiff --no-added-syms --drop-private-types --suppressions "$SOURCE_DIR/abi/omnivox-c.suppr" \
  --hd2 "$SOURCE_DIR/include/omnivox" --hd2 "$BUILD_DIR/include/omnivox" "$BASELINE" "$LIB"
status=$?
set -e
# abidiff's status bits: 1 error, 2 usage error, 4 ABI change, 8 incompatible ABI change.
if [ "$status" -ne 0 ]; then
  echo "FAIL: the C ABI differs from the baseline (abidiff status $status)"
  exit 1
fi
echo "the C ABI is compatible with the baseline $(grep -o "soname='[^']*'" "$BASELINE")"
