#!/usr/bin/env bash
# Where PREDICTIVE's whole-run loss against the optimum comes from, hour by hour: runs PREDICTIVE
# on every shipped stylised scenario cut at 0.5, 1, 2 and 4 hours and at its own horizon (the
# same seeds, so each cut is the start of the longer runs) under the compliance audit, and
# prints the markdown table of docs/pacing.md ("The start under the governor"): the share of
# the optimum's occupancy in each stretch (from the cumulative occupancies: a stretch's
# occupancy is (occ(b) b - occ(a) a) / (b - a)), the cumulative share and abandon rate at 2 h,
# and the share of the whole run's loss that falls in the first 2 hours.
# Usage: bash benchmarks/predictive_hours.sh [SEEDS] [OMNIVOX] [POLICY]
#        (defaults: 10, ./build/src/cli/omnivox, predictive)
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS="${1:-10}"
OMNIVOX="${2:-./build/src/cli/omnivox}"
POLICY="${3:-predictive}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
for n in 5 10 20 50 100; do
  for p in 25 10; do
    name="stylised-N$n-p$p"
    for h in 0.5 1 2 4 full; do
      hours=()
      [ "$h" != full ] && hours=(--hours "$h")
      "$OMNIVOX" bench-pacing "benchmarks/scenarios/$name.json" --seeds "$SEEDS" "${hours[@]}" \
        --policy "$POLICY" --out "$WORK/$name-$h" >"$WORK/$name-$h.log" 2>&1 || true
    done
  done
done
/usr/bin/python3 - "$WORK" "$SEEDS" <<'PY'
import json, os, sys
work, seeds = sys.argv[1], sys.argv[2]
print("| scenario | hours | 0-0.5 h | 0.5-1 h | 1-2 h | 2-4 h | 4 h-end | whole run | to 2 h "
      f"(abandon rate) | loss in the first 2 h | audit ({seeds} seeds) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for n in (5, 10, 20, 50, 100):
    for p in (25, 10):
        name = f"stylised-N{n}-p{p}"
        cuts, clean = [], True
        for h in ("0.5", "1", "2", "4", "full"):
            path = os.path.join(work, f"{name}-{h}", "summary.json")
            if not os.path.exists(path):
                cuts = None
                break
            s = json.load(open(path))
            x = s["policies"][0]
            clean = clean and s["runs_with_compliance_violations"] == 0
            cuts.append((s["hours"], x["occupancy"], x["abandon_rate"], s["optimum"]["occupancy"]))
        if cuts is None:
            print(f"| {name} | — | run failed | | | | | | | | |")
            continue
        opt = cuts[-1][3]
        cells, prev_h, prev_o = [], 0.0, 0.0
        for h, o, _, _ in cuts:
            cells.append(f"{100 * (o * h - prev_o * prev_h) / (h - prev_h) / opt:.1f} %")
            prev_h, prev_o = h, o
        whole_h, whole_o = cuts[-1][0], cuts[-1][1]
        two_h, two_o, two_a = cuts[2][0], cuts[2][1], cuts[2][2]
        lost_whole = (opt - whole_o) * whole_h
        lost_start = (opt - two_o) * two_h
        share = f"{100 * lost_start / lost_whole:.0f} %" if lost_whole > 0 else "—"
        print(f"| {name} | {whole_h:g} | " + " | ".join(cells) +
              f" | **{100 * whole_o / opt:.1f} %** | {100 * two_o / opt:.1f} % ({100 * two_a:.2f} %) | "
              f"{share} | {'clean' if clean else 'over the cap'} |")
PY
