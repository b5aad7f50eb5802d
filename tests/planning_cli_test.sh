#!/usr/bin/env bash
# The planner commands (omnivox erlang b|c|a, omnivox optimum): every answer is one valid JSON
# object (no Infinity or NaN) on stdout with exit 0, or one clear error naming the option with
# exit 2, promptly, for inputs a hostile user would try.
set -u
OMNIVOX="$1"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fail=0
# Strict JSON (Python's parser accepts Infinity and NaN unless told not to), then a Python
# expression over the object `d` that must hold.
STRICT_JSON='import json, sys
def reject(name): raise ValueError("not JSON: " + name)
d = json.loads(open(sys.argv[1]).read(), parse_constant=reject)
if not eval(sys.argv[2]): sys.exit("false: " + sys.argv[2])'

json_ok() {  # json_ok NAME PYTHON_CONDITION -- command...: exit 0, strict JSON, condition holds
  local name="$1" condition="$2"
  shift 3
  timeout 60 "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  if [ "$got" -ne 0 ]; then
    echo "FAIL $name: exit $got, want 0"; cat "$WORK/err"; fail=1; return
  fi
  if ! python3 -c "$STRICT_JSON" "$WORK/out" "$condition" 2>"$WORK/why"; then
    echo "FAIL $name"; cat "$WORK/out" "$WORK/why"; fail=1; return
  fi
  echo "ok   $name"
}

refused() {  # refused NAME PATTERN -- command...: exit 2, nothing on stdout, stderr names PATTERN
  local name="$1" pattern="$2"
  shift 3
  timeout 60 "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  if [ "$got" -ne 2 ]; then
    echo "FAIL $name: exit $got, want 2"; cat "$WORK/out" "$WORK/err"; fail=1; return
  fi
  if [ -s "$WORK/out" ] || ! grep -q -- "$pattern" "$WORK/err"; then
    echo "FAIL $name: want only an error naming '$pattern'"; cat "$WORK/out" "$WORK/err"
    fail=1; return
  fi
  echo "ok   $name"
}

json_ok erlang-b-huge-traffic 'd["blocking"] == 1 and abs(d["carried_erlangs"] - 100) < 1e-9' -- \
  "$OMNIVOX" erlang b --lines 100 --traffic 1e20
json_ok erlang-b-blocking 'abs(d["traffic_erlangs"] - 8.108) < 5e-4' -- \
  "$OMNIVOX" erlang b --lines 15 --blocking 0.01
json_ok erlang-c-unstable-waits-null 'd["asa_s"] is None and d["mean_wait_of_waiting_s"] is None' -- \
  "$OMNIVOX" erlang c --calls-per-interval 1e12 --aht-s 1e9 --agents 5
json_ok erlang-a-inf-patience-is-c 'd["patience_s"] is None and d["p_abandon"] == 0' -- \
  "$OMNIVOX" erlang a --calls-per-interval 360 --aht-s 240 --agents 55 --patience-s inf
for agents in 200 300 1000 100000; do
  json_ok "erlang-a-agents-$agents" '0 <= d["p_wait"] < 1e-100 and d["service_level"] == 1' -- \
    "$OMNIVOX" erlang a --calls-per-interval 100 --aht-s 180 --patience-s 300 --agents "$agents"
done
json_ok optimum-small '0.80 < d["occupancy"] < 0.81' -- \
  "$OMNIVOX" optimum --agents 10 --p 0.25
json_ok optimum-zero-cap-lambda-null 'd["lambda"] is None and d["abandon_rate"] == 0' -- \
  "$OMNIVOX" optimum --agents 5 --p 0.3 --cap 0

refused erlang-c-calls-overflow "--calls-per-interval" -- \
  "$OMNIVOX" erlang c --calls-per-interval 1e300 --aht-s 1e300 --agents 5
refused erlang-c-aht-overflow "--aht-s" -- \
  "$OMNIVOX" erlang c --calls-per-interval 100 --aht-s 1e300 --agents 5
refused erlang-c-interval-zero "--interval-s" -- \
  "$OMNIVOX" erlang c --calls-per-interval 100 --aht-s 180 --agents 5 --interval-s 0
refused erlang-c-nan "--answer-within-s" -- \
  "$OMNIVOX" erlang c --calls-per-interval 100 --aht-s 180 --agents 5 --answer-within-s nan
refused erlang-b-lines-huge "--lines" -- "$OMNIVOX" erlang b --lines 2000000000 --traffic 5
refused erlang-b-lines-exponent "--lines" -- "$OMNIVOX" erlang b --lines 2e9 --blocking 0.01
refused erlang-b-traffic-inf "--traffic" -- "$OMNIVOX" erlang b --lines 10 --traffic inf
refused erlang-b-blocking-one "--blocking" -- "$OMNIVOX" erlang b --lines 10 --blocking 1
refused erlang-c-agents-huge "--agents" -- \
  "$OMNIVOX" erlang c --calls-per-interval 100 --aht-s 180 --agents 2000000000
refused erlang-a-patience-huge "--patience-s" -- \
  "$OMNIVOX" erlang a --calls-per-interval 100 --aht-s 180 --agents 5 --patience-s 1e300
refused erlang-a-queue-too-long "patience_s" -- \
  "$OMNIVOX" erlang a --calls-per-interval 1e12 --interval-s 1 --aht-s 1 --agents 5 \
  --patience-s 1e9
refused optimum-p-tiny "p_live" -- "$OMNIVOX" optimum --agents 10 --p 1e-300
refused optimum-p-small "p_live" -- "$OMNIVOX" optimum --agents 10 --p 1e-5
refused optimum-p-zero "--p" -- "$OMNIVOX" optimum --agents 10 --p 0
refused optimum-cap-one "--cap" -- "$OMNIVOX" optimum --agents 10 --p 0.3 --cap 1
refused optimum-attempt-huge "attempt_mean_s" -- \
  "$OMNIVOX" optimum --agents 10 --p 0.3 --attempt-mean-s 1e300

if [ "$fail" -ne 0 ]; then exit 1; fi
echo "all planner CLI checks passed"
