#!/usr/bin/env bash
# Several engine processes on one storage (the invariants of docs/architecture.md, Invariants), each run by ctest:
#   multinode  three `omnivox run` processes share one PostgreSQL database and run one campaign at
#              wall-clock pace; the invariants (check_invariants.cc) hold over what they wrote.
#   outage     two engines run while the PostgreSQL server is stopped for a few seconds and
#              started again: neither crashes, both resume, the invariants hold.
#   kill9      an engine is killed with SIGKILL mid-campaign (BACKEND sqlite or postgres) and a
#              new engine resumes the campaign: it completes, open attempts are reconciled.
#   staggered  three engines started 2 s apart, each with its own clock from the campaign's
#              start (SPEED 1: wall-clock pace; 20: accelerated, so their clocks disagree by
#              minutes): no contact is dialled twice at once or given one attempt number twice,
#              and no engine closes a call of another live engine.
#   import_kill  `omnivox import` of the 45,211-contact bank campaign killed with SIGKILL at
#              five shares (0.1-0.9) of one whole import's time, then run again: every contact
#              is stored, each once.
#   import_twice two `omnivox import` of the bank campaign at once: each contact stored once.
#   kill9_midrun three engines run one campaign; one is killed with SIGKILL mid-run: the two
#              others close its open calls (reconciliation) without dialling those contacts
#              while the calls are open, finish the campaign, and leave nothing in flight.
#   kill9_pair   as kill9_midrun with four engines, two of them killed at once.
#   governor   three engines on one PostgreSQL campaign with POWER pacing that abandons 6.6 %
#              of live answers alone without a cap; under the 3 % cap, each engine's governor
#              counts the whole campaign's calls (Storage::abandon_counts), and the campaign's
#              audited abandon rate stays at or under 3 %.
#   governor_staggered  the same with each engine started 2 s after the one before, so engines
#              already spending the budget learn of the newcomer only at their next sync.
#   governor_amd  three engines on one PostgreSQL campaign with AMD, under a 3 % cap that counts
#              0.05 abandons per AMD machine result (machine results alone would pass it): each
#              engine suspends AMD on its share of the budget, and the compliance audit of the
#              campaign's records (machine results counted) finds no window over the cap.
#   kill9_random  group commit's crash safety: 20 engines in turn, each killed with SIGKILL at a
#              random moment (seeded) of its run; after each kill the invariants hold (every
#              contact stored once, no contact in two calls at once, no attempt recorded twice),
#              and a last engine, dialling nothing, reconciles: nothing is left in flight.
# Usage: multinode_test.sh SCENARIO BACKEND CLI CHECKER PG_TOOL DATA_DIR [SPEED]
set -euo pipefail
scenario="$1" backend="$2" cli="$3" check="$4" pgtool="$5" data="$6" speed="${7:-1}"
work=$(mktemp -d /tmp/omnivox-multinode-XXXXXX)
chmod 777 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ -d "$work/pg" ]; then "$pgtool" stop "$work/pg" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

campaign="$data/fast_campaign.json"
# 600 contacts: enough that each of kill9_random's engines dials new ones.
case "$scenario" in governor | governor_staggered | kill9_random) campaign="$data/power_campaign.json" ;; esac
[ "$scenario" = governor_amd ] && campaign="$data/power_amd_campaign.json"
if [ "$backend" = postgres ]; then
  "$pgtool" start "$work/pg" >/dev/null
  url=$("$pgtool" createdb "$work/pg" "omnivox_$scenario")
else
  url="sqlite:$work/omnivox.db"
fi

# The wall-clock limit of the engines of the scenarios at wall-clock pace (multinode, outage,
# staggered at speed 1). Their world is the simulated one of fast_campaign.json: ~180 attempts
# holding agents for ~680 s in all (a machine reached without AMD talks to its agent for 20 s,
# half of that), and a contact reached late may need three attempts in a row, each a machine;
# three engines (12 agents) finish in 60-100 s on an idle machine. The limit is well above that,
# so that a loaded 2-core CI machine does not fail the test; a contact left undialled or an
# attempt left open still does (the checker's --closed below), only later.
realtime_limit=240

run_engine() {  # run_engine NAME [extra args...]: starts an engine in the background
  local name="$1"
  shift
  "$cli" run --storage "$url" --campaign "$campaign" --realtime --quiet --owner "$name" \
    --out "$work/out-$name" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
}
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done
  exit 1
}
wait_all() {
  local status=0
  for p in "${pids[@]}"; do wait "$p" || status=$?; done
  pids=()
  return $status
}

bank="$data/../../examples/campaigns/bank.json"
bank_contacts=45211
fresh_storage() {  # fresh_storage NAME: sets url to a new, empty database
  if [ "$backend" = postgres ]; then
    url=$("$pgtool" createdb "$work/pg" "omnivox_$1")
  else
    url="sqlite:$work/$1.db"
  fi
}
case "$scenario" in
  import_kill)
    # The kills land at fixed shares of one whole import's time on this machine, so that they
    # fall during the import however fast the machine and the backend are.
    fresh_storage timed
    started=$(date +%s.%N)
    "$cli" import --storage "$url" --campaign "$bank" >"$work/import-timed.log" 2>&1 ||
      fail "the timed import"
    whole=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
    echo "one whole import: $whole s"
    cut_short=0
    for share in 0.1 0.3 0.5 0.7 0.9; do
      delay=$(awk -v w="$whole" -v s="$share" 'BEGIN { printf "%.3f", w * s }')
      fresh_storage "kill_${share/./_}"
      "$cli" import --storage "$url" --campaign "$bank" >"$work/import-killed.log" 2>&1 &
      pid=$!
      sleep "$delay"
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      "$cli" status --storage "$url" --json >"$work/status-killed.json" 2>&1 || true
      "$cli" import --storage "$url" --campaign "$bank" >"$work/import-again.log" 2>&1 ||
        fail "import after a kill at $delay s"
      "$check" --storage "$url" --campaign bank --contacts "$bank_contacts" >"$work/check.txt" ||
        fail "after a kill at $delay s: $(cat "$work/check.txt")"
      if grep -q "completing an unfinished import" "$work/import-again.log"; then
        cut_short=$((cut_short + 1))
        grep -q '"import_complete":false' "$work/status-killed.json" ||
          fail "status did not show the unfinished import: $(cat "$work/status-killed.json")"
      fi
      echo "killed at $delay s, imported again: $(cat "$work/check.txt")"
    done
    # The kills must have cut some imports short, or this proved nothing.
    [ "$cut_short" -gt 0 ] || fail "no kill landed during an import"
    echo "$cut_short imports were cut short and completed"
    echo "1 passed, 0 failed"
    exit 0
    ;;
  import_twice)
    for trial in 1 2 3; do
      fresh_storage "twice_$trial"
      "$cli" import --storage "$url" --campaign "$bank" >"$work/import-1.log" 2>&1 &
      first=$!
      "$cli" import --storage "$url" --campaign "$bank" >"$work/import-2.log" 2>&1 ||
        fail "trial $trial: the second import failed"
      wait "$first" || fail "trial $trial: the first import failed"
      "$check" --storage "$url" --campaign bank --contacts "$bank_contacts" >"$work/check.txt" ||
        fail "trial $trial: $(cat "$work/check.txt")"
      echo "trial $trial, two imports at once: $(cat "$work/check.txt")"
    done
    echo "1 passed, 0 failed"
    exit 0
    ;;
esac

"$cli" import --storage "$url" --campaign "$campaign" >"$work/import.log" 2>&1 ||
  fail "import"

case "$scenario" in
  multinode)
    for n in 1 2 3; do run_engine "node-$n" --speed 1 --lease-ttl 10 --for "$realtime_limit"; done
    wait_all || fail "an engine exited with an error"
    for n in 1 2 3; do
      echo "node-$n: $(grep -o '"attempts":[0-9]*' "$work/out-node-$n/summary.json" | head -1)"
      grep -q '"attempts":[1-9]' "$work/out-node-$n/summary.json" || fail "node-$n dialed nothing"
    done
    ;;
  outage)
    for n in 1 2; do run_engine "node-$n" --speed 1 --lease-ttl 10 --for "$realtime_limit"; done
    sleep 4
    "$pgtool" stop "$work/pg" >/dev/null
    sleep 3
    "$pgtool" start "$work/pg" >/dev/null
    wait_all || fail "an engine exited with an error after the outage"
    ;;
  kill9)
    run_engine victim --speed 4 --lease-ttl 3
    sleep 4
    kill -9 "${pids[0]}"
    wait "${pids[0]}" 2>/dev/null || true
    pids=()
    "$check" --storage "$url" --campaign fast >"$work/mid.txt" || fail "invariants after the kill"
    echo "after kill -9: $(cat "$work/mid.txt")"
    run_engine survivor --speed 4 --lease-ttl 3 --for 120
    wait_all || fail "the restarted engine exited with an error"
    grep -q '"finished":true' "$work/out-survivor/summary.json" || fail "campaign not finished"
    grep -q '"attempts_reconciled":[1-9]' "$work/out-survivor/summary.json" ||
      fail "no open attempt was reconciled (was anything in flight at the kill?)"
    ;;
  kill9_midrun | kill9_pair)
    # kill9_midrun: node-2 of three is killed; kill9_pair: node-2 and node-3 of four, at once.
    nodes="1 2 3" victims="2" survivors="1 3"
    if [ "$scenario" = kill9_pair ]; then nodes="1 2 3 4" victims="2 3" survivors="1 4"; fi
    declare -A pid_of=()
    for n in $nodes; do
      run_engine "node-$n" --speed 4 --lease-ttl 1 --for 120
      pid_of[$n]=$!
    done
    sleep 3
    for n in $victims; do kill -9 "${pid_of[$n]}" || fail "node-$n ended before its kill"; done
    for n in $victims; do wait "${pid_of[$n]}" 2>/dev/null || true; done
    pids=()
    for n in $survivors; do pids+=("${pid_of[$n]}"); done
    wait_all || fail "a surviving engine exited with an error"
    reconciled=0 finished=0
    for n in $survivors; do
      grep -q '"attempts_reconciled":[1-9]' "$work/out-node-$n/summary.json" &&
        reconciled=$((reconciled + 1))
      grep -q '"finished":true' "$work/out-node-$n/summary.json" && finished=$((finished + 1))
    done
    [ "$reconciled" -gt 0 ] || fail "no surviving engine closed the killed engines' calls"
    [ "$finished" -gt 0 ] || fail "campaign not finished"
    "$check" --storage "$url" --campaign fast --closed >"$work/final.txt" ||
      fail "after the kill: $(cat "$work/final.txt")"
    echo "$scenario/$backend: $(cat "$work/final.txt")"
    echo "1 passed, 0 failed"
    exit 0
    ;;
  governor_amd)
    for n in 1 2 3; do run_engine "node-$n" --speed 10 --lease-ttl 10 --for 150; done
    wait_all || fail "an engine exited with an error"
    suspended=0
    for n in 1 2 3; do
      grep -q '"attempts":[1-9]' "$work/out-node-$n/summary.json" || fail "node-$n dialed nothing"
      s=$(grep -o '"amd_suspended":[0-9]*' "$work/out-node-$n/summary.json" | head -1 | cut -d: -f2)
      suspended=$((suspended + ${s:-0}))
    done
    "$check" --storage "$url" --campaign power_amd --closed --audit-cap \
      >"$work/final.txt" || fail "governor_amd: $(cat "$work/final.txt")"
    grep -q "AMD machines [1-9]" "$work/final.txt" || fail "no machine result: $(cat "$work/final.txt")"
    [ "$suspended" -gt 0 ] || fail "no engine suspended AMD: $(cat "$work/final.txt")"
    echo "$scenario/$backend: AMD suspended on $suspended answers; $(cat "$work/final.txt")"
    echo "1 passed, 0 failed"
    exit 0
    ;;
  governor | governor_staggered)
    # Staggered: each engine comes 2 s (20 virtual s) after the one before, while the others
    # already spend the budget, so they learn of it only at their next sync.
    for n in 1 2 3; do
      run_engine "node-$n" --speed 10 --lease-ttl 10 --for 150
      if [ "$scenario" = governor_staggered ] && [ "$n" -lt 3 ]; then sleep 2; fi
    done
    wait_all || fail "an engine exited with an error"
    for n in 1 2 3; do
      echo "node-$n: $(grep -o '"attempts":[0-9]*' "$work/out-node-$n/summary.json" | head -1)"
      grep -q '"attempts":[1-9]' "$work/out-node-$n/summary.json" || fail "node-$n dialed nothing"
    done
    "$check" --storage "$url" --campaign power --closed --max-abandon-rate 0.03 \
      >"$work/final.txt" || fail "governor: $(cat "$work/final.txt")"
    grep -q "live answers [1-9]" "$work/final.txt" || fail "no live answers: $(cat "$work/final.txt")"
    echo "$scenario/$backend: $(cat "$work/final.txt")"
    echo "1 passed, 0 failed"
    exit 0
    ;;
  kill9_random)
    RANDOM=17  # fixed seed: the same kill moments every run
    # Each engine's accelerated clock starts at its campaign file's "start": successive engines
    # start a virtual minute apart (each lives under 7 virtual seconds), so the attempts of all
    # of them lie on one timeline and the checker's overlap test compares like with like.
    cp "$data/power_contacts.csv" "$work/"
    starting_at() {  # starting_at MINUTE SOURCE: SOURCE with its start moved to 10:MINUTE
      sed "s/\"start\": \"2026-05-04T10:00:00Z\"/\"start\": \"2026-05-04T10:$(printf %02d "$1"):00Z\"/" "$2"
    }
    base_campaign="$campaign"
    for trial in $(seq 1 20); do
      starting_at "$trial" "$base_campaign" >"$work/victim-$trial.json"
      campaign="$work/victim-$trial.json"
      # 0.20 to 1.69 s into the run: some during start-up and reconciliation, most with calls
      # in flight and writes buffered.
      ms=$((200 + RANDOM % 150 * 10))
      delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
      run_engine "victim-$trial" --speed 4 --lease-ttl 1
      sleep "$delay"
      kill -9 "${pids[0]}" 2>/dev/null || fail "engine $trial ended before its kill"
      wait "${pids[0]}" 2>/dev/null || true
      pids=()
      "$check" --storage "$url" --campaign power --contacts 600 >"$work/mid.txt" ||
        fail "invariants after kill $trial at $delay s: $(cat "$work/mid.txt")"
      echo "kill $trial at $delay s: $(cat "$work/mid.txt")"
    done
    grep -q "was open from an earlier engine" "$work"/victim-*.log ||
      fail "no engine found an open attempt of a killed one (did the kills land mid-call?)"
    # A last engine reconciles the last victim's calls and dials nothing (its copy of the
    # campaign has the call window closed): then nothing may be left in flight.
    starting_at 21 "$base_campaign" |
      sed 's/"call_window": "00:00-24:00"/"call_window": "22:00-23:00"/' >"$work/closed.json"
    campaign="$work/closed.json"
    run_engine survivor --speed 4 --lease-ttl 1 --for 4
    wait_all || fail "the restarted engine exited with an error"
    grep -q '"attempts_reconciled":[1-9]' "$work/out-survivor/summary.json" ||
      fail "the last engine reconciled nothing (was anything in flight at the last kill?)"
    "$check" --storage "$url" --campaign power --contacts 600 --closed >"$work/final.txt" ||
      fail "after the last engine: $(cat "$work/final.txt")"
    echo "kill9_random/$backend: $(cat "$work/final.txt")"
    echo "1 passed, 0 failed"
    exit 0
    ;;
  staggered)
    for n in 1 2 3; do
      run_engine "node-$n" --speed "$speed" --lease-ttl 10 --for "$realtime_limit"
      sleep 2
    done
    wait_all || fail "an engine exited with an error"
    for n in 1 2 3; do
      grep -q '"attempts_reconciled":0' "$work/out-node-$n/summary.json" ||
        fail "node-$n closed calls of a live engine as a dead one's"
    done
    ;;
  *)
    echo "unknown scenario $scenario" >&2
    exit 2
    ;;
esac

"$check" --storage "$url" --campaign fast --closed >"$work/final.txt" || {
  cat "$work/final.txt"
  fail "invariants"
}
echo "$scenario/$backend: $(cat "$work/final.txt")"
"$cli" status --storage "$url" --campaign fast --json >"$work/status.json" || fail "status"
grep -q '"final":120' "$work/status.json" || fail "status does not show 120 final contacts: $(cat "$work/status.json")"
echo "1 passed, 0 failed"
