#!/bin/bash
# End to end over real SIP: `omnivox run --realtime` with the SIP backend dials a few hundred
# numbers through kamailio (the trunk), which routes each number by its prefix to a SIPp playing
# one kind of called party (e2e_kamailio.cfg), and bridges the people who answer to agents whose
# phones are SIPp instances too. Everything on 127.0.0.1: SIP ports 5160-5399, RTP 40000-41999.
#
# Checks, from calls.csv, the SQLite storage and SIPp's own statistics:
#   - every number's outcome matches its prefix: person -> COMPLETED by an agent (or ABANDONED
#     after the safe-harbor message), machine -> MACHINE (AMD), 486 -> BUSY, 404 ->
#     INVALID_NUMBER, 503 (500 once through the proxy) -> FAILED and retried until the attempt cap,
#     ringing -> NO_ANSWER after our CANCEL; the final SIP code is in provider_code;
#   - the storage invariants (omnivox_check_invariants): no contact dialed twice at once, none
#     lost, no attempt left open;
#   - no call left open anywhere: `omnivox status` shows none in flight, every SIPp callee has
#     no call open, every agent's phone took exactly one call and saw it hung up (BYE);
#   - Ctrl-C: a second campaign of people only, four lines for one agent, interrupted by SIGINT
#     after 7 s, exits 130 with its outputs written, every call ended COMPLETED or ABANDONED
#     (some ABANDONED) and none left open.
# Usage: e2e_test.sh OMNIVOX_CLI CHECK_INVARIANTS [CONTACTS_PER_KIND]
# Environment: KEEP=1 keeps the work folder.
set -u
CLI=$1
CHECK=$2
PER_KIND=${3:-40}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require_tools sipp kamailio espeak-ng sox "$PY"
sip_work omnivox-sip-e2e

PROXY_PORT=5160
OMNIVOX_PORT=5170
HUMAN_PORT=5201
MACHINE_PORT=5202
BUSY_PORT=5203
UNAVAILABLE_PORT=5205
RING_PORT=5206
AGENT_PORTS=(5301 5302 5303 5304)
AGENT_NAMES=(alice bob carol dave)

# ---- audio: a person's "Hello?" then silence, a machine's greeting, our messages ----
make_audio

# ---- the trunk and the called population ----
start_kamailio $PROXY_PORT $HUMAN_PORT $MACHINE_PORT $BUSY_PORT $UNAVAILABLE_PORT $RING_PORT 5399
callee_scenario "$WORK/human.wav" 5000 "$WORK/human.xml"
callee_scenario "$WORK/machine.wav" 12000 "$WORK/machine.xml"
sipp_uas human $HUMAN_PORT 41000 "$WORK/human.xml"
sipp_uas machine $MACHINE_PORT 41100 "$WORK/machine.xml"
sipp_uas busy $BUSY_PORT 41200 "$SCENARIOS/uas_reject_486.xml"
sipp_uas unavailable $UNAVAILABLE_PORT 41300 "$SCENARIOS/uas_reject_503.xml"
sipp_uas ring $RING_PORT 41400 "$SCENARIOS/uas_ring_forever.xml"
AGENT_PIDS=()
AGENTS_JSON=""
for i in "${!AGENT_PORTS[@]}"; do
  sipp_agent "${AGENT_NAMES[$i]}" "${AGENT_PORTS[$i]}" $((41500 + 10 * i)) -m 1
  AGENT_PIDS+=("${PIDS[-1]}")
done
sleep 1  # every SIPp listening before the first INVITE

# ---- contacts: PER_KIND numbers of each kind, interleaved ----
KINDS=(human machine busy invalid unavailable ring)
{
  echo "id,phone"
  for n in $(seq 1 "$PER_KIND"); do
    for k in "${!KINDS[@]}"; do
      printf '%s-%04d,+121220%d%04d\n' "${KINDS[$k]}" "$n" $((k + 1)) "$n"
    done
  done
} >"$WORK/contacts.csv"
TOTAL=$((PER_KIND * ${#KINDS[@]}))

sip_campaign sip-e2e 2 $OMNIVOX_PORT $PROXY_PORT 40000-40999 >"$WORK/campaign.json"
# The main run paces predictively under a 3 % abandon cap (the Ctrl-C run below keeps POWER's
# fixed lines per agent).
sed -e 's/"dial_mode": "POWER"/"dial_mode": "PREDICTIVE"/' \
  -e 's/"compliance": "NONE"/"compliance": {"base": "NONE", "name": "e2e", "abandon_cap": 0.03}/' \
  "$WORK/campaign.json" >"$WORK/campaign-predictive.json"

# ---- the run ----
start=$(date +%s)
env -u OMNIVOX_SIP_USERNAME -u OMNIVOX_SIP_PASSWORD "$CLI" run --campaign "$WORK/campaign-predictive.json" \
  --realtime --storage "sqlite:$WORK/e2e.sqlite" --out "$WORK/out" --for 240 --quiet \
  >"$WORK/run.out" 2>"$WORK/run.err"
rc=$?
elapsed=$(($(date +%s) - start))
cat "$WORK/run.out"
echo "omnivox run: exit $rc after ${elapsed}s"
fail=0
if [ $rc -ne 0 ] || ! grep -q "yes (nothing left to dial)" "$WORK/run.out"; then
  echo "FAIL: the run did not finish (exit $rc)"
  tail -30 "$WORK/run.err"
  fail=1
fi

# ---- outcomes by prefix ----
$PY - "$WORK/out/calls.csv" "$PER_KIND" <<'EOF' || fail=1
import collections, csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
per_kind = int(sys.argv[2])
kinds = {"1": "human", "2": "machine", "3": "busy", "4": "invalid", "5": "unavailable",
         "6": "ring"}
by_number = collections.defaultdict(list)
for r in rows:
    by_number[r["number"]].append(r)
problems = []
def bad(number, why, attempts):
    problems.append(f"{number} ({kinds[number[7]]}): {why}: " + "; ".join(
        f"{a['disposition']}/{a['fail_reason']}/amd={a['amd']}/code={a['provider_code']}"
        f"/agent={a['agent']}" for a in attempts))
counts = collections.Counter()
for number, attempts in sorted(by_number.items()):
    kind = kinds.get(number[7])
    outcome = [(a["disposition"], a["provider_code"]) for a in attempts]
    counts[(kind, tuple(sorted(set(d for d, _ in outcome))))] += 1
    if kind == "human":
        ok = len(attempts) == 1 and (
            (outcome[0][0] == "COMPLETED" and attempts[0]["agent"] != "" and
             attempts[0]["bridged_at"] != "") or outcome[0][0] == "ABANDONED")
        if not ok: bad(number, "expected one attempt, COMPLETED by an agent or ABANDONED", attempts)
    elif kind == "machine":
        if not (len(attempts) == 1 and outcome[0][0] == "MACHINE" and attempts[0]["amd"] == "MACHINE"):
            bad(number, "expected one attempt, MACHINE by AMD", attempts)
    elif kind == "busy":
        if outcome != [("BUSY", "486")]: bad(number, "expected BUSY with code 486", attempts)
    elif kind == "invalid":
        if outcome != [("INVALID_NUMBER", "404")]:
            bad(number, "expected INVALID_NUMBER with code 404", attempts)
    elif kind == "unavailable":
        # A proxy turns a 503 from downstream into 500 (RFC 3261 section 16.7, step 6).
        if (len(attempts) != 2 or any(d != "FAILED" or c not in ("500", "503") for d, c in outcome)
                or any(a["fail_reason"] != "network" for a in attempts)):
            bad(number, "expected two attempts (retried), FAILED/network with code 500 or 503",
                attempts)
    elif kind == "ring":
        if not (len(attempts) == 1 and outcome[0][0] == "NO_ANSWER" and outcome[0][1] in ("487", "408", "480")):
            bad(number, "expected NO_ANSWER after our CANCEL (487)", attempts)
    else:
        bad(number, "a number nobody asked for", attempts)
missing = per_kind * len(kinds) - len(by_number)
for (kind, dispositions), n in sorted(counts.items()):
    print(f"  {kind:12s} {'/'.join(dispositions):28s} {n}")
print(f"  {len(rows)} attempts to {len(by_number)} numbers")
if missing:
    problems.append(f"{missing} numbers never dialed")
for p in problems[:40]:
    print("FAIL outcome:", p)
if len(problems) > 40:
    print(f"FAIL outcome: ... {len(problems) - 40} more")
sys.exit(1 if problems else 0)
EOF

# ---- storage invariants and status ----
if ! "$CHECK" --storage "sqlite:$WORK/e2e.sqlite" --campaign sip-e2e --closed --contacts "$TOTAL"; then
  echo "FAIL: storage invariants"
  fail=1
fi
"$CLI" status --storage "sqlite:$WORK/e2e.sqlite" --json >"$WORK/status.json" 2>&1
in_flight=$(json_sum "$WORK/status.json" in_flight)
echo "  omnivox status: attempts in flight $in_flight"
if [ "$in_flight" != 0 ]; then
  echo "FAIL: omnivox status shows attempts in flight (or none reported)"
  cat "$WORK/status.json"
  fail=1
fi

# ---- Ctrl-C with people waiting: one agent, four lines, abandons ----
# A second campaign dials only people, four lines for one agent's phone, with a short hold
# window: the people no agent takes are ABANDONED (safe-harbor message, then BYE). SIGINT
# mid-run must stop dialing, end every call in progress, write the outputs and exit 130.
sipp_uas agent-erin 5305 41600 "$SCENARIOS/uas_answer.xml" -m 1 -rtp_echo
ERIN_PID=${PIDS[-1]}
{
  echo "id,phone"
  for n in $(seq 5001 5030); do echo "stop-$n,+1212201$n"; done
} >"$WORK/contacts-stop.csv"
sed -e 's/"id": "sip-e2e"/"id": "sip-e2e-stop"/; s/"power_lines_per_agent": 2/"power_lines_per_agent": 4/' \
  -e 's/"hold_window_s": 2/"hold_window_s": 0.5/; s/contacts.csv/contacts-stop.csv/' \
  -e "s|\"agents\": \[.*\]|\"agents\": [{\"id\": \"erin\", \"uri\": \"sip:erin@127.0.0.1:5305\"}]|" \
  "$WORK/campaign.json" >"$WORK/campaign-stop.json"
"$CLI" run --campaign "$WORK/campaign-stop.json" --realtime --storage "sqlite:$WORK/stop.sqlite" \
  --out "$WORK/out-stop" --for 120 --quiet >"$WORK/run-stop.out" 2>"$WORK/run-stop.err" &
RUN_PID=$!
PIDS+=($RUN_PID)
sleep 7
kill -INT $RUN_PID
for _ in $(seq 1 600); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
if kill -0 $RUN_PID 2>/dev/null; then
  echo "FAIL sigint: omnivox still running 60 s after SIGINT"
  kill -9 $RUN_PID
  fail=1
fi
wait $RUN_PID
rc=$?
if [ $rc -ne 130 ] || ! grep -q "no (interrupted)" "$WORK/run-stop.out"; then
  echo "FAIL sigint: exit $rc (130 expected) or no interrupted report"
  cat "$WORK/run-stop.out"
  tail -20 "$WORK/run-stop.err"
  fail=1
fi
$PY - "$WORK/out-stop/calls.csv" <<'EOF' || fail=1
import collections, csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
d = collections.Counter(r["disposition"] for r in rows)
print("  after SIGINT:", len(rows), "attempts,", dict(d))
problems = []
if not rows:
    problems.append("no attempt made before SIGINT")
if set(d) - {"COMPLETED", "ABANDONED"}:
    problems.append("people whose call is neither COMPLETED nor ABANDONED")
if d["ABANDONED"] == 0:
    problems.append("four lines for one agent and no ABANDONED call")
for p in problems:
    print("FAIL sigint:", p)
sys.exit(1 if problems else 0)
EOF
if ! "$CHECK" --storage "sqlite:$WORK/stop.sqlite" --campaign sip-e2e-stop --closed --contacts 30; then
  echo "FAIL sigint: storage invariants"
  fail=1
fi
AGENT_PIDS+=("$ERIN_PID")
AGENT_NAMES+=(erin)

# ---- no call left open at the far ends ----
sleep 2
for name in human machine busy unavailable ring; do
  open_calls=$(sipp_calls $name)
  echo "  sipp $name: open, successful, failed calls: $open_calls"
  read -r open_now ok failed <<<"$open_calls"
  if [ "${open_now:-x}" != 0 ] || [ "${failed:-x}" != 0 ]; then
    echo "FAIL: sipp $name has calls open or failed"
    head -20 "$WORK/$name.errors.log" 2>/dev/null
    fail=1
  fi
done
for i in "${!AGENT_PIDS[@]}"; do
  pid=${AGENT_PIDS[$i]}
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "FAIL: agent ${AGENT_NAMES[$i]}'s phone is still on the line"
    fail=1
  else
    wait "$pid"
    code=$?
    if [ $code -ne 0 ]; then
      echo "FAIL: agent ${AGENT_NAMES[$i]}'s phone: sipp exit $code (one call, ended by BYE, expected)"
      tail -5 "$WORK/agent-${AGENT_NAMES[$i]}.log"
      fail=1
    fi
  fi
done

if [ $fail -ne 0 ]; then
  echo "--- omnivox stderr (last lines)"
  tail -40 "$WORK/run.err"
  exit 1
fi
echo "PASS: $TOTAL contacts over real SIP in ${elapsed}s"
