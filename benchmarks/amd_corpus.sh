#!/usr/bin/env bash
# Answering-machine detection on a synthesised corpus (docs/amd.md): builds N files with
# tests/amd/make_corpus.sh (default 300, variants from FIRST, default 0: the set the defaults
# were tuned on; FIRST=1000 gives a held-out set) and prints the confusion matrix, accuracy,
# people taken for machines and median decision time for the default thresholds and for each
# voice detector alone.
# Usage: benchmarks/amd_corpus.sh [OMNIVOX_BINARY] [N] [FIRST]
#   OMNIVOX_BINARY defaults to build/src/cli/omnivox. Set AMD_CORPUS_DIR to keep the corpus.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
omnivox="${1:-$root/build/src/cli/omnivox}"
n="${2:-300}"
first="${3:-0}"
if [ -n "${AMD_CORPUS_DIR:-}" ]; then
  corpus="$AMD_CORPUS_DIR"
else
  corpus="$(mktemp -d)"
  trap 'rm -rf "$corpus"' EXIT
fi
start=$(date +%s.%N)
bash "$root/tests/amd/make_corpus.sh" "$corpus" "$n" "$first" 2>/dev/null
echo "corpus built in $(echo "$(date +%s.%N) - $start" | bc) s"
echo "== defaults (speexdsp VAD and energy gate)"
start=$(date +%s.%N)
"$omnivox" amd classify --corpus "$corpus"
echo "classified in $(echo "$(date +%s.%N) - $start" | bc) s"
for vad in energy speex; do
  echo "== --vad $vad"
  "$omnivox" amd classify --corpus "$corpus" --vad "$vad" | head -5
done
