#!/usr/bin/env bash
# Shows that the build's per-part include views (CMakeLists.txt, omnivox_layer_view) make an upward
# #include a compile error: with the model part's view, its own header and one below it compile
# and the engine's header (above it) is not found.
# Usage: layering_compile_test.sh CXX BUILD_DIR
set -euo pipefail
CXX="$1"
VIEW="$2/layering/model"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf '#include "omnivox/model.h"\n#include "omnivox/types.h"\n' >"$tmp/down.cc"
printf '#include "omnivox/engine.h"\n' >"$tmp/up.cc"
"$CXX" -std=c++20 -fsyntax-only -I"$VIEW/include" -I"$VIEW/src" "$tmp/down.cc"
if "$CXX" -std=c++20 -fsyntax-only -I"$VIEW/include" -I"$VIEW/src" "$tmp/up.cc" 2>"$tmp/err"; then
  echo "FAIL: the model part compiled an #include of omnivox/engine.h"
  exit 1
fi
# GCC and Clang word a missing header differently.
grep -qE "omnivox/engine.h: No such file|'omnivox/engine.h' file not found" "$tmp/err" || { cat "$tmp/err"; exit 1; }
echo "layering: an upward #include does not compile"
