#!/usr/bin/env bash
# Runs PREDICTIVE and the VICIdial baseline on every shipped stylised scenario under the
# compliance audit and prints the markdown table of docs/pacing.md ("PREDICTIVE against the
# optimum"): occupancy with its 95 % interval over the seeds, the share of the optimum, the
# abandon rate, the highest rolling rate the audit saw and the audit's verdict — over the whole
# run, and after the first WARM_UP hours (the steady state the optimum, a long-run average,
# describes; bench-pacing --warm-up). "known parameters" is PREDICTIVE told the model's p and
# mean times from the start (predictive:p=,attempt=,handle=): what learning them costs. "reach"
# is what a run could reach whose first WARM_UP hours are those of PREDICTIVE with known
# parameters and every later hour at the optimum: the start under the abandon governor, which
# allows calls beyond the free agents only as the history of live answers builds the abandon
# budget (docs/compliance.md), with nothing lost to learning and nothing left after it.
# Usage: bash benchmarks/predictive_table.sh [SEEDS] [OMNIVOX] [WARM_UP]
#        (defaults: 10, ./build/src/cli/omnivox, 2)
source "$(dirname "$0")/pacing_script_setup.sh" "$@"
for n in 5 10 20 50 100; do
  for p in 25 10; do
    name="stylised-N$n-p$p"
    known="predictive:p=0.$p,attempt=20,handle=120"
    "$OMNIVOX" bench-pacing "benchmarks/scenarios/$name.json" --seeds "$SEEDS" --warm-up "$WARM_UP" \
      --policy predictive --policy vicidial --policy "$known" --out "$WORK/$name" \
      >"$WORK/$name.log" 2>&1 || true
  done
done
/usr/bin/python3 - "$WORK" "$SEEDS" "$WARM_UP" <<'PY'
import json, os, sys
work, seeds, warm_up = sys.argv[1], sys.argv[2], float(sys.argv[3])
print(f"| scenario | hours | optimum | PREDICTIVE occupancy | of optimum | after warm-up | "
      f"abandon rate | highest rolling rate | known parameters (after warm-up) | reach | "
      f"VICIdial of optimum (after warm-up) | audit ({seeds} seeds) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for n in (5, 10, 20, 50, 100):
    for p in (25, 10):
        name = f"stylised-N{n}-p{p}"
        path = os.path.join(work, name, "summary.json")
        if not os.path.exists(path):
            print(f"| {name} | — | — | run failed | — | — | — | — | — | — | — | — |")
            continue
        s = json.load(open(path))
        by = {x["policy"]: x for x in s["policies"]}
        pr, vi = by["predictive"], by["vicidial"]
        kn = next(x for x in s["policies"] if x["policy"].startswith("predictive:"))
        # Whole run = first hours + the rest, each weighted by its length: the first hours of
        # known-parameter PREDICTIVE, the rest at 100 % of the optimum.
        rest = (s["hours"] - warm_up) / s["hours"]
        reach = kn["fraction_of_optimum"] + rest * (1 - kn["fraction_of_optimum_after_warm_up"])
        audit = "clean" if s["runs_with_compliance_violations"] == 0 else \
            f"{s['runs_with_compliance_violations']} runs over"
        print(f"| {name} | {s['hours']:g} | {s['optimum']['occupancy']:.4f} | "
              f"{pr['occupancy']:.4f} ± {pr['occupancy_ci95']:.4f} | "
              f"{100 * pr['fraction_of_optimum']:.1f} % | "
              f"**{100 * pr['fraction_of_optimum_after_warm_up']:.1f} %** | "
              f"{100 * pr['abandon_rate']:.2f} % | "
              f"{100 * pr['max_rolling_abandon_rate']:.2f} % | "
              f"{100 * kn['fraction_of_optimum']:.1f} % "
              f"({100 * kn['fraction_of_optimum_after_warm_up']:.1f} %) | {100 * reach:.1f} % | "
              f"{100 * vi['fraction_of_optimum']:.1f} % "
              f"({100 * vi['fraction_of_optimum_after_warm_up']:.1f} %) | {audit} |")
PY
