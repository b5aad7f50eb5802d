#!/usr/bin/env bash
# The research bench as a test: every shipped scenario runs with every policy it lists under a
# compliance audit (no call outside a window, on a holiday, under the ring minimum, inside a
# repeat window, or past the abandon cap); and PREDICTIVE beats the VICIdial baseline's
# occupancy on the bank replay and the noon-drop day, at an abandon rate at or under the cap;
# and after its warm-up PREDICTIVE is near the optimum on the stylised model.
set -euo pipefail
OMNIVOX="$1"
SCENARIOS="$2"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

for scenario in "$SCENARIOS"/*.json; do
  name="$(basename "$scenario" .json)"
  # Short runs: the audit is about every call, not about the long-run averages.
  "$OMNIVOX" bench-pacing "$scenario" --seeds 1 --hours 1 --out "$WORK/$name" >"$WORK/$name.log" 2>&1 || {
    echo "FAIL $name: compliance audit or run failed"; cat "$WORK/$name.log"; exit 1; }
  echo "ok   $name: audit clean"
done

# Blended scenarios report their inbound queue and each agent group's occupancy.
/usr/bin/python3 - "$WORK/blend-support-line/summary.json" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1]))["policies"]:
    groups = {g["group"]: g for g in p["occupancy_by_group"]}
    assert set(groups) == {"inbound-only", "blended"}, groups
    assert groups["inbound-only"]["agents"] == 10 and groups["blended"]["agents"] == 20, groups
    assert all(0 < g["occupancy"] <= 1 for g in groups.values()), groups
    assert 0 < p["inbound_service_level"] <= 1 and 0 <= p["inbound_abandon_rate"] < 1, p
PY
echo "ok   blend-support-line: inbound service level and occupancy per agent group reported"

# The optimum's reference where a model applies: the hold-window model fitted by the scenario's
# means on the small team, fitted to a progressive run's measured means on the bank replay (a
# replay world); the noon drop's two stretches are checked below.
/usr/bin/python3 - "$WORK/small-team/summary.json" "$WORK/bank-replay/summary.json" <<'PY'
import json, sys
team, bank = (json.load(open(p)) for p in sys.argv[1:3])
assert team["optimum"]["model"].startswith("hold-window"), team["optimum"]
assert team["optimum"]["stretches"][0]["hold_window_s"] == 2, team["optimum"]
assert all(0 < p["fraction_of_optimum"] < 1.2 for p in team["policies"]), team["policies"]
assert "progressive run" in bank["optimum"]["model"], bank["optimum"]
fit = bank["optimum"]["stretches"][0]
assert 0 < fit["p"] < 1 and fit["attempt_mean_s"] > 0 and fit["handle_mean_s"] > 0, fit
assert all(0 < p["fraction_of_optimum"] < 1.2 for p in bank["policies"]), bank["policies"]
PY
echo "ok   small-team, bank-replay: of optimum against the hold-window model fitted to each"

# AMD under a profile with a hold window (amd-ofcom-N10): measured against the AMD and
# hold-window model fitted by its means.
/usr/bin/python3 - "$WORK/amd-ofcom-N10/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["optimum"]["model"].startswith("AMD and hold-window"), s["optimum"]
fit = s["optimum"]["stretches"][0]
assert fit["hold_window_s"] == 2 and fit["amd_mean_s"] > 0, fit
assert fit["counted_abandons_per_machine"] == 0.05, fit
assert all(0 < p["fraction_of_optimum"] < 1.2 for p in s["policies"]), s["policies"]
# Answers put through unclassified at the cap, a run's mean for every policy.
assert all(p["amd_suspended"] >= 0 for p in s["policies"]), s["policies"]
PY
/usr/bin/python3 - "$WORK/small-team/summary.json" <<'PY'
import json, sys
assert all("amd_suspended" not in p for p in json.load(open(sys.argv[1]))["policies"])
PY
echo "ok   amd-ofcom-N10: of optimum against the AMD and hold-window model fitted by its means, AMD suspensions reported"

# AMD (amd-stylised-N10, where the AMD model is exact): the simulator's progressive occupancy
# (20 fixed seeds) agrees with the model's, within its 95 % interval and 0.002; PREDICTIVE over
# full days is measured against the AMD optimum with its audit clean (the run exits 1 otherwise).
"$OMNIVOX" bench-pacing "$SCENARIOS/amd-stylised-N10.json" --seeds 20 --policy progressive \
  --out "$WORK/amd-progressive" >"$WORK/amd-progressive.log" 2>&1
"$OMNIVOX" bench-pacing "$SCENARIOS/amd-stylised-N10.json" --seeds 3 --policy predictive \
  --out "$WORK/amd-predictive" >"$WORK/amd-predictive.log" 2>&1 || {
  echo "FAIL amd-stylised-N10: predictive's audit or run failed"; cat "$WORK/amd-predictive.log"; exit 1; }
/usr/bin/python3 - "$WORK/amd-progressive/summary.json" "$WORK/amd-predictive/summary.json" <<'PY'
import json, sys
prog, pred = (json.load(open(p)) for p in sys.argv[1:3])
assert prog["optimum"]["model"].startswith("AMD model"), prog["optimum"]
fit = prog["optimum"]["stretches"][0]
assert fit["amd_mean_s"] == 2 and abs(fit["answered_share"] - 0.4) < 1e-12, fit
p = prog["policies"][0]
print(f"     amd-stylised-N10: progressive {p['occupancy']:.4f} ± {p['occupancy_ci95']:.4f}, "
      f"model {fit['progressive_occupancy']:.4f}")
assert abs(p["occupancy"] - fit["progressive_occupancy"]) <= p["occupancy_ci95"] + 0.002, p
q = pred["policies"][0]
print(f"     amd-stylised-N10: predictive {q['occupancy']:.4f} "
      f"({100 * q['fraction_of_optimum']:.1f} % of the optimum), highest rolling abandon rate in the audit "
      f"{100 * q['max_rolling_abandon_rate']:.2f} %")
assert 0.9 < q["fraction_of_optimum"] < 1.05, q
assert q["runs_with_compliance_violations"] == 0, q
# The rate the cap counts (abandons plus the profile's estimate per machine result) within it.
assert 0.01 < q["counted_abandon_rate"] <= pred["abandon_cap"], q
PY
echo "ok   amd-stylised-N10: progressive agrees with the AMD model, predictive measured against it"

compare() {  # compare SCENARIO SEEDS
  local name="$1" seeds="$2"
  "$OMNIVOX" bench-pacing "$SCENARIOS/$name.json" --seeds "$seeds" --policy vicidial \
    --policy predictive --out "$WORK/cmp-$name" >"$WORK/cmp-$name.log" 2>&1
  /usr/bin/python3 - "$WORK/cmp-$name/summary.json" "$name" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
by = {p["policy"]: p for p in summary["policies"]}
v, p = by["vicidial"], by["predictive"]
cap = summary["abandon_cap"]
print(f"     {sys.argv[2]}: predictive {p['occupancy']:.4f} at {100*p['abandon_rate']:.2f}% vs "
      f"vicidial {v['occupancy']:.4f} at {100*v['abandon_rate']:.2f}% (cap {100*cap:.1f}%)")
assert p["occupancy"] > v["occupancy"], "predictive does not beat the VICIdial baseline"
assert p["abandon_rate"] <= cap, "predictive's abandon rate is over the cap"
if sys.argv[2] == "noon-drop":  # one optimum per stretch of p_live, each policy per stretch
    assert [s["to_h"] for s in summary["optimum"]["stretches"]] == [3, 12], summary["optimum"]
    assert all(len(x["stretches"]) == 2 for x in summary["policies"]), summary["policies"]
PY
  echo "ok   $name: predictive beats vicidial within the cap"
}
compare bank-replay 2
compare noon-drop 3

# The steady state on the stylised model (after a 2 h warm-up, 10 fixed seeds): PREDICTIVE's
# occupancy interval lies above 98.5 % of the optimum (measured: 99.3 %, docs/pacing.md).
"$OMNIVOX" bench-pacing "$SCENARIOS/stylised-N20-p25.json" --seeds 10 --warm-up 2 \
  --policy predictive --out "$WORK/steady" >"$WORK/steady.log" 2>&1
/usr/bin/python3 - "$WORK/steady/summary.json" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
p = summary["policies"][0]
optimum = summary["optimum"]["occupancy"]
low = p["occupancy_after_warm_up"] - p["occupancy_after_warm_up_ci95"]
print(f"     stylised-N20-p25 after warm-up: {p['occupancy_after_warm_up']:.4f} "
      f"(95 % interval from {low:.4f}), optimum {optimum:.4f}")
assert low >= 0.985 * optimum, "PREDICTIVE's steady state is below 98.5 % of the optimum"
PY
echo "ok   stylised-N20-p25: predictive's steady state within 1.5 % of the optimum"
echo "all bench checks passed"
