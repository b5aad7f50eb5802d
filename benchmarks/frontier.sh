#!/usr/bin/env bash
# Runs one scenario at several abandon caps and plots the occupancy-abandon frontier.
# Usage: bash benchmarks/frontier.sh [SCENARIO.json] [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIO="${1:-benchmarks/scenarios/stylised-N20-p25.json}"
OUT="${2:-docs/images/frontier.png}"
WORK="$(mktemp -d)"
mkdir -p "$(dirname "$OUT")"
for cap in 0.01 0.02 0.03 0.05 0.08; do
  ./build/src/cli/omnivox bench-pacing "$SCENARIO" --cap "$cap" --seeds 3 \
    --policy progressive --policy power:1.5 --policy threshold:k=1.4,c=1 \
    --policy expected_availability --policy vicidial --policy predictive \
    --out "$WORK/cap-$cap" >/dev/null
done
/usr/bin/python3 benchmarks/plot_frontier.py "$OUT" "$WORK"/cap-*/summary.json
rm -rf "$WORK"
