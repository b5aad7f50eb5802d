#!/usr/bin/env bash
# What each mode of the abandon governor costs PREDICTIVE (docs/compliance.md, "What each mode
# costs"): every stylised scenario with N = 5, 20 and 100 agents, p = 0.25 and 0.10, run twice
# over the same seeds (common random numbers) under the compliance audit: once in the default
# mode (a risk of 10^-4 per campaign-day that the calls in flight push the rolling rate over the
# cap) and once strict ("abandon_guard_risk": 0 added to the scenario's compliance: attempts
# beyond the free agents only while all of them being abandoned keeps the rate within the cap).
# Prints the markdown table: each mode's occupancy as a share of the optimum, over the whole run
# and after the first WARM_UP hours, strict's cost in points of the optimum (mean of the per-seed
# differences, with its 95 % interval), the highest rolling rate the audit saw, and the audits.
# Usage: bash benchmarks/governor_modes.sh [SEEDS] [OMNIVOX] [WARM_UP]
#        (defaults: 10, ./build/src/cli/omnivox, 2)
source "$(dirname "$0")/pacing_script_setup.sh" "$@"
for n in 5 20 100; do
  for p in 25 10; do
    name="stylised-N$n-p$p"
    /usr/bin/python3 - "benchmarks/scenarios/$name.json" "$WORK/$name-strict.json" <<'PY'
import json, sys
scenario = json.load(open(sys.argv[1]))
scenario["campaign"]["compliance"]["abandon_guard_risk"] = 0
json.dump(scenario, open(sys.argv[2], "w"), indent=2)
PY
    for mode in default strict; do
      file="benchmarks/scenarios/$name.json"
      [ "$mode" = strict ] && file="$WORK/$name-strict.json"
      "$OMNIVOX" bench-pacing "$file" --seeds "$SEEDS" --warm-up "$WARM_UP" --policy predictive \
        --out "$WORK/$name-$mode" >"$WORK/$name-$mode.log" 2>&1 || true
    done
  done
done
/usr/bin/python3 - "$WORK" "$SEEDS" <<'PY'
import csv, json, math, os, sys
work, seeds = sys.argv[1], int(sys.argv[2])
# Student t quantiles, two-sided 95 %, by degrees of freedom.
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
       9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
       17: 2.110, 18: 2.101, 19: 2.093}

def load(name, mode):
    d = os.path.join(work, f"{name}-{mode}")
    summary = json.load(open(os.path.join(d, "summary.json")))
    runs = {int(r["seed"]): r for r in csv.DictReader(open(os.path.join(d, "runs.csv")))}
    return summary, runs

def mean_ci(xs):
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, float("nan")
    var = sum((x - m) ** 2 for x in xs) / (len(xs) - 1)
    return m, T95.get(len(xs) - 1, 1.96) * math.sqrt(var / len(xs))

print(f"| scenario | default: of optimum (after warm-up) | strict: of optimum (after warm-up) | "
      f"strict's cost, points (after warm-up) | highest rolling rate (default / strict) | "
      f"audit ({seeds} seeds) |")
print("|---|---|---|---|---|---|")
for n in (5, 20, 100):
    for p in (25, 10):
        name = f"stylised-N{n}-p{p}"
        try:
            (sd, rd), (ss, rs) = load(name, "default"), load(name, "strict")
        except (OSError, ValueError) as e:
            print(f"| {name} | run failed: {e} | | | | |")
            continue
        opt = sd["optimum"]["occupancy"]
        pd, ps = sd["policies"][0], ss["policies"][0]
        common = sorted(set(rd) & set(rs))
        cost = mean_ci([100 * (float(rd[k]["occupancy"]) - float(rs[k]["occupancy"])) / opt
                        for k in common])
        cost_w = mean_ci([100 * (float(rd[k]["occupancy_after_warm_up"]) -
                                 float(rs[k]["occupancy_after_warm_up"])) / opt for k in common])
        clean = (sd["runs_with_compliance_violations"] == 0 and
                 ss["runs_with_compliance_violations"] == 0)
        print(f"| {name} | {100 * pd['occupancy'] / opt:.1f} % "
              f"({100 * pd['occupancy_after_warm_up'] / opt:.1f} %) | "
              f"{100 * ps['occupancy'] / opt:.1f} % ({100 * ps['occupancy_after_warm_up'] / opt:.1f} %) | "
              f"{cost[0]:.2f} ± {cost[1]:.2f} ({cost_w[0]:.2f} ± {cost_w[1]:.2f}) | "
              f"{100 * pd['max_rolling_abandon_rate']:.2f} % / "
              f"{100 * ps['max_rolling_abandon_rate']:.2f} % | "
              f"{'clean' if clean else 'VIOLATIONS'} |")
PY
