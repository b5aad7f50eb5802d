#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy's checks) over the library's sources, using the compile commands
# of a build directory configured with CMAKE_EXPORT_COMPILE_COMMANDS=ON (the presets set it).
# Usage: cmake/clang_tidy.sh [BUILD_DIR] [FILES...]; exits non-zero when clang-tidy reports.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
shift || true
if [ ! -f "$build/compile_commands.json" ]; then
  echo "clang_tidy: $build/compile_commands.json missing (configure with a preset first)" >&2
  exit 2
fi
if [ "$#" -eq 0 ]; then
  mapfile -t files < <(git ls-files 'src/*.cc')
else
  files=("$@")
fi
status=0
for f in "${files[@]}"; do
  clang-tidy --quiet -p "$build" "$f" 2>/dev/null | grep -E "warning:|error:" && status=1 || true
done
exit $status
