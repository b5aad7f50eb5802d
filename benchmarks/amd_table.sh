#!/usr/bin/env bash
# Runs the shipped scenarios with answering-machine detection (amd-stylised-N10: the stylised
# world with AMD and no hold window, where the AMD model is exact; amd-ofcom-N10: a realistic
# world under UK_OFCOM with its 2 s hold window, against the AMD and hold-window model fitted by
# its means) under the compliance audit and prints the markdown table of docs/pacing.md ("AMD
# with a hold window"): each policy's occupancy with its 95 % interval over the seeds, its share
# of the optimum over the whole run and after the first WARM_UP hours, its abandons proper, the
# rate the cap counts (abandons plus the profile's estimate per machine result), the highest
# counted rolling rate the audit saw and the runs the audit flagged.
# Usage: bash benchmarks/amd_table.sh [SEEDS] [OMNIVOX] [WARM_UP]
#        (defaults: 10, ./build/src/cli/omnivox, 2)
source "$(dirname "$0")/pacing_script_setup.sh" "$@"
SCENARIOS="amd-stylised-N10 amd-ofcom-N10"
for name in $SCENARIOS; do
  "$OMNIVOX" bench-pacing "benchmarks/scenarios/$name.json" --seeds "$SEEDS" --warm-up "$WARM_UP" \
    --policy progressive --policy vicidial --policy expected_availability --policy predictive \
    --out "$WORK/$name" >"$WORK/$name.log" 2>&1 || true
done
/usr/bin/python3 - "$WORK" "$SEEDS" "$WARM_UP" $SCENARIOS <<'PY'
import json, os, sys
work, seeds, warm_up, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
names_of = {"progressive": "progressive", "vicidial": "VICIdial",
            "expected_availability": "expected availability", "predictive": "**PREDICTIVE**"}
print(f"| scenario | optimum (model) | policy | occupancy | of optimum | after the {warm_up} h "
      f"warm-up | abandons proper | rate the cap counts | highest counted rolling rate | "
      f"audit ({seeds} seeds) |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
for name in names:
    path = os.path.join(work, name, "summary.json")
    if not os.path.exists(path):
        print(f"| {name} | run failed | | | | | | | | |")
        continue
    s = json.load(open(path))
    optimum = f"{s['optimum']['occupancy']:.4f} ({s['optimum']['model']})"
    for p in s["policies"]:
        audit = ("clean" if p["runs_with_compliance_violations"] == 0
                 else f"{p['runs_with_compliance_violations']} runs over")
        print(f"| {name} | {optimum} | {names_of.get(p['policy'], p['policy'])} | "
              f"{p['occupancy']:.4f} ± {p['occupancy_ci95']:.4f} | "
              f"{100 * p['fraction_of_optimum']:.1f} % | "
              f"{100 * p['fraction_of_optimum_after_warm_up']:.1f} % | "
              f"{100 * p['abandon_rate']:.2f} % | {100 * p['counted_abandon_rate']:.2f} % | "
              f"{100 * p['max_rolling_abandon_rate']:.3f} % | {audit} |")
        name, optimum = "", ""
PY
