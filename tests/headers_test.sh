#!/usr/bin/env bash
# Every public header compiles on its own, so it includes what it uses: each as C++20, and the C
# API header also as strict C99.
# Usage: headers_test.sh CXX CC INCLUDE_DIR
set -euo pipefail
cxx="$1" cc="$2" include_dir="$3"
check_one() {  # check_one HEADER: compiles a file that includes only HEADER
  printf '#include "%s"\n' "$1" |
    "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Wno-unused-parameter -Werror -I"$include_dir" -x c++ - ||
    { echo "FAIL: $1 does not compile on its own"; return 1; }
}
export -f check_one
export cxx include_dir
headers=$(cd "$include_dir" && find omnivox -name '*.h' | sort)
echo "$headers" | xargs -P 2 -I{} bash -c 'check_one "$1"' _ {}
printf '#include "omnivox/omnivox.h"\n' |
  "$cc" -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$include_dir" -x c -
echo "$(echo "$headers" | wc -l) headers compile on their own"
