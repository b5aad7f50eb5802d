#!/bin/bash
# Inbound calls over real SIP while the engine dials out: `omnivox run --realtime` with the SIP
# backend serves an inbound queue (DID +15550100200) with two inbound-only agents and dials five
# contacts for a third, outbound-only agent; the agents' phones are SIPp UAS (nailed-up legs),
# SIPp callers INVITE the engine directly, and the trunk is a SIPp UAS answering every number and
# hanging up 4 s later. Everything on 127.0.0.1: SIP ports 27000-27099, RTP 34000-35599.
#
# Timeline (SIPp call durations): two callers at t=0 talk 8 s (both agents busy); at t=2 a third
# caller waits 2 s in the queue and hangs up (an abandon), and a caller dials a number no queue
# serves (404); at t≈9 two more callers talk 2 s to the agents freed by the first two.
#
# Checks: the run's report counts 5 offered, 4 answered, 1 abandoned for the queue; every SIPp
# caller finished its scenario (the unknown number got 404) and none failed; omnivox logged the
# refused number; calls.csv holds the inbound calls with direction "inbound", the answered ones
# with an agent and a bridged time, the abandoned one ABANDONED after its wait; every agent's
# phone saw its one nailed-up call end with BYE; the five contacts were called while the inbound
# calls were served (their times overlap), each bridged to the outbound-only agent, and the run
# finished on its own.
# Usage: inbound_test.sh OMNIVOX_CLI
# Environment: KEEP=1 keeps the work folder.
set -u
CLI=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require_tools sipp "$PY"
# Its ports are fixed: a second run of this test on the machine waits for the first.
exec 8>/tmp/omnivox-sip-inbound-test.lock
if ! flock -w 60 8; then
  echo "FAIL: another run of this test held its ports for 60 s"
  exit 1
fi
sip_work omnivox-sip-inbound

OMNIVOX_PORT=27000
TRUNK_PORT=27050
DID=+15550100200
UNKNOWN=+15550100999
AGENT_PORTS=(27010 27011 27012)
AGENT_NAMES=(ann ben cy)

AGENT_PIDS=()
AGENTS_JSON=""
for i in "${!AGENT_PORTS[@]}"; do
  sipp_agent "${AGENT_NAMES[$i]}" "${AGENT_PORTS[$i]}" $((35000 + 10 * i)) -m 1
  AGENT_PIDS+=("${PIDS[-1]}")
done

# The trunk: every number answers and hangs up 4 s later.
sed -e 's/<pause milliseconds="500"\/>/<pause milliseconds="4000"\/>/' \
  "$SCENARIOS/uas_answer_then_bye.xml" >"$WORK/callee.xml"
sipp_uas trunk $TRUNK_PORT 35500 "$WORK/callee.xml" -m 5
TRUNK_PID=${PIDS[-1]}
# Five contacts, one line for cy: about 22 s of outbound calls, longer than the inbound callers'
# 12 s, so the two overlap and the run ends once the last contact is called.
{
  echo "id,phone"
  for n in 1 2 3 4 5; do echo "out-$n,+1212555010$n"; done
} >"$WORK/contacts.csv"
sip_campaign sip-inbound 1 $OMNIVOX_PORT $TRUNK_PORT 34000-34499 >"$WORK/base.json"
$PY - "$WORK/base.json" "$WORK/campaign.json" "$DID" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["telephony"]["options_interval_s"] = 0
del c["telephony"]["safe_harbor_wav"], c["telephony"]["voicemail_wav"]
c["amd"] = False
c["inbound"] = [{"id": "support", "numbers": [sys.argv[3]], "answer_within_s": 20}]
c["agent_skills"] = [{"agents": 2, "queues": ["support"], "outbound": False}]
json.dump(c, open(sys.argv[2], "w"), indent=2)
EOF

"$CLI" run --campaign "$WORK/campaign.json" --realtime --storage memory --out "$WORK/out" \
  --for 50 --quiet >"$WORK/run.out" 2>"$WORK/run.err" &
RUN_PID=$!
PIDS+=($RUN_PID)

# Every agent's leg up (each phone has its one call open) before the first caller.
for _ in $(seq 1 100); do
  up=0
  for name in "${AGENT_NAMES[@]}"; do
    [ -s "$WORK/agent-$name.stat.csv" ] && read -r open_now _ _ <<<"$(sipp_calls "agent-$name")" &&
      [ "$open_now" = 1 ] && up=$((up + 1))
  done
  [ $up = ${#AGENT_NAMES[@]} ] && break
  sleep 0.1
done
fail=0
if [ $up != ${#AGENT_NAMES[@]} ]; then
  echo "FAIL: the agents' phones were not called within 10 s"
  fail=1
fi

CALLER=$SCENARIOS/uac_inbound_caller.xml
sipp_uac talk-long 27020 35100 $OMNIVOX_PORT "$CALLER" -s "$DID" -m 2 -l 2 -r 10 -d 8000
LONG_PID=${PIDS[-1]}
sleep 2
sipp_uac abandon 27021 35200 $OMNIVOX_PORT "$CALLER" -s "$DID" -m 1 -d 2000
ABANDON_PID=${PIDS[-1]}
sipp_uac unknown 27022 35300 $OMNIVOX_PORT "$SCENARIOS/uac_inbound_refused.xml" -s "$UNKNOWN" \
  -m 1
UNKNOWN_PID=${PIDS[-1]}
wait_pid $LONG_PID 20
sleep 0.5 # the agents' wrap-up ends (disposed at once by `omnivox run`)
sipp_uac talk-short 27023 35400 $OMNIVOX_PORT "$CALLER" -s "$DID" -m 2 -l 2 -r 10 -d 2000
SHORT_PID=${PIDS[-1]}
for pid in $ABANDON_PID $UNKNOWN_PID $SHORT_PID; do wait_pid "$pid" 20; done
for name in talk-long abandon unknown talk-short; do
  read -r open_now ok failed <<<"$(sipp_calls $name)"
  echo "  sipp $name: open $open_now, successful $ok, failed $failed"
  want=1
  case $name in talk-*) want=2 ;; esac
  if [ "$open_now" != 0 ] || [ "$ok" != "$want" ] || [ "$failed" != 0 ]; then
    echo "FAIL: sipp $name: $want successful calls expected"
    head -20 "$WORK/$name.errors.log" 2>/dev/null
    fail=1
  fi
done

if ! wait_pid $RUN_PID 45; then
  echo "FAIL: omnivox run failed or did not end"
  fail=1
fi
if ! grep -q "yes (nothing left to dial)" "$WORK/run.out"; then
  echo "FAIL: the run did not finish its contacts"
  fail=1
fi
wait_pid $TRUNK_PID 5
read -r open_now ok failed <<<"$(sipp_calls trunk)"
echo "  sipp trunk: open $open_now, successful $ok, failed $failed"
if [ "$open_now" != 0 ] || [ "$ok" != 5 ] || [ "$failed" != 0 ]; then
  echo "FAIL: the trunk did not take the five outbound calls"
  fail=1
fi
cat "$WORK/run.out"
line=$(grep "inbound support" "$WORK/run.out")
if ! [[ $line =~ 5\ offered,\ 4\ answered,\ 1\ abandoned ]]; then
  echo "FAIL: expected 5 offered, 4 answered, 1 abandoned: $line"
  fail=1
fi
if ! grep -q "inbound INVITE to $UNKNOWN from .* refused (404)" "$WORK/run.err"; then
  echo "FAIL: the refused number is not in omnivox's log"
  fail=1
fi

$PY - "$WORK/out/calls.csv" <<'EOF' || fail=1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
inbound = [r for r in rows if r.get("direction") == "inbound"]
problems = []
if "direction" not in (rows[0] if rows else {"direction": 0}):
    problems.append("calls.csv has no direction column")
answered = [r for r in inbound if r["disposition"] == "COMPLETED"]
abandoned = [r for r in inbound if r["disposition"] == "ABANDONED"]
print(f"  calls.csv: {len(inbound)} inbound calls, {len(answered)} COMPLETED, "
      f"{len(abandoned)} ABANDONED")
if len(inbound) != 5 or len(answered) != 4 or len(abandoned) != 1:
    problems.append("expected 5 inbound calls: 4 COMPLETED, 1 ABANDONED")
for r in inbound:
    if r["queue"] != "support" or r["caller_id"] != "+15550100200":
        problems.append(f"call {r['call_id']}: queue {r['queue']}, dialled {r['caller_id']}")
for r in answered:
    if not r["agent"] or not r["bridged_at"]:
        problems.append(f"call {r['call_id']}: answered without an agent or bridged time")
for r in abandoned:
    if r["agent"] or r["bridged_at"] or not r["wait_s"] or not 1.0 <= float(r["wait_s"]) <= 4.0:
        problems.append(f"call {r['call_id']}: abandoned with an agent or a wait outside 1-4 s")
outbound = [r for r in rows if r.get("direction") == "outbound"]
print(f"  calls.csv: {len(outbound)} outbound calls: "
      + ", ".join(sorted(set(r["disposition"] for r in outbound))))
if len(outbound) != 5 or any(r["disposition"] != "COMPLETED" or not r["bridged_at"]
                             for r in outbound):
    problems.append("expected 5 outbound calls COMPLETED after a bridge")
agents_in = {r["agent"] for r in answered}
if {r["agent"] for r in outbound} & agents_in or len({r["agent"] for r in outbound}) != 1:
    problems.append("outbound calls not all with the one outbound-only agent")
if inbound and outbound:
    # ISO 8601 UTC strings compare in time order.
    if not (min(r["created_at"] for r in outbound) < max(r["ended_at"] for r in inbound) and
            min(r["created_at"] for r in inbound) < max(r["ended_at"] for r in outbound)):
        problems.append("the outbound calls did not overlap the inbound ones")
for p in problems:
    print("FAIL calls.csv:", p)
sys.exit(1 if problems else 0)
EOF

for i in "${!AGENT_PIDS[@]}"; do
  if ! wait_pid "${AGENT_PIDS[$i]}" 5; then
    echo "FAIL: agent ${AGENT_NAMES[$i]}'s phone: its one call did not end with BYE"
    tail -5 "$WORK/agent-${AGENT_NAMES[$i]}.log"
    fail=1
  fi
done

sip_verdict "inbound calls over real SIP while dialling out: 4 answered by agents, 1 abandon, unknown number refused, 5 outbound calls bridged"
