#!/bin/bash
# The engine killed with SIGKILL during SIP calls, then started again on the same storage and
# campaign. kamailio is the trunk (e2e_kamailio.cfg), a SIPp plays people who answer "Hello?" and
# stay on the line TALK_S seconds, three SIPp phones are the agents; `omnivox run --realtime
# --storage sqlite:...` dials them. When calls are up (bridged to agents), the process is killed;
# the same command run again must:
#   - reconcile the attempts the dead process left open (summary.json attempts_reconciled; none
#     left open: omnivox_check_invariants --closed; none dialled twice at once, none recorded
#     twice, every contact accounted for: the checker again) and finish the campaign;
#   - show nothing in flight in `omnivox status --json`;
#   - answer the orphaned dialogs' BYEs from the callees (who hang up after TALK_S) with 481, which
#     ends them at the far end too: the callees' SIPp ends with no call open and none failed.
# The agents' phones keep the legs of the dead process until someone hangs them up (docs/sip.md,
# Faults): the test checks that exactly those stay open and the restarted run's legs ended by BYE.
# Everything on 127.0.0.1: SIP ports 5500-5599, RTP 43000-43999.
# Usage: kill9_test.sh OMNIVOX_CLI CHECK_INVARIANTS
# Environment: KEEP=1 keeps the work folder.
set -u
CLI=$1
CHECK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require_tools sipp kamailio espeak-ng sox "$PY"
sip_work omnivox-sip-kill9
ENGINES=()  # killed with SIGKILL on the way out: no graceful stop to wait for
trap 'for p in "${ENGINES[@]}"; do kill -9 "$p" 2>/dev/null; done; sip_cleanup' EXIT

PROXY_PORT=5500
OMNIVOX_PORT=5510
HUMAN_PORT=5521
AGENT_PORTS=(5531 5532 5533)
AGENT_NAMES=(alice bob carol)
CONTACTS=6
TALK_S=20

make_audio
# Only people are dialled; the other routes of the trunk lead to ports nobody listens on.
start_kamailio $PROXY_PORT $HUMAN_PORT 5522 5523 5524 5525 5599
callee_scenario "$WORK/human.wav" $((TALK_S * 1000)) "$WORK/human.xml"
sipp_uas human $HUMAN_PORT 43600 "$WORK/human.xml"
AGENTS_JSON=""
for i in "${!AGENT_PORTS[@]}"; do
  sipp_agent "${AGENT_NAMES[$i]}" "${AGENT_PORTS[$i]}" $((43700 + 10 * i))
done
sleep 1  # every SIPp listening before the first INVITE

{
  echo "id,phone"
  for n in $(seq 1 $CONTACTS); do printf 'person-%d,+12122010%03d\n' "$n" "$n"; done
} >"$WORK/contacts.csv"
sip_campaign sip-kill9 1 $OMNIVOX_PORT $PROXY_PORT 43000-43499 >"$WORK/campaign.json"
STORAGE="sqlite:$WORK/kill9.sqlite"
run() {  # (run NAME): the same command each time (a short lease, so the successor takes over soon)
  exec env -u OMNIVOX_SIP_USERNAME -u OMNIVOX_SIP_PASSWORD "$CLI" run \
    --campaign "$WORK/campaign.json" --realtime --storage "$STORAGE" --lease-ttl 3 \
    --out "$WORK/out-$1" --for 70 --quiet >"$WORK/$1.out" 2>"$WORK/$1.err"
}
in_flight() {  # attempts in flight according to `omnivox status --json`
  "$CLI" status --storage "$STORAGE" --json >"$WORK/status.json" 2>/dev/null &&
    json_sum "$WORK/status.json" in_flight
}
fail=0

# ---- the first run, killed with calls up ----
start=$(date +%s)
(run victim) &
VICTIM=$!  # omnivox itself: the subshell execs it
ENGINES+=($VICTIM)
up=0
for _ in $(seq 1 150); do
  kill -0 $VICTIM 2>/dev/null || break
  read -r up _ _ <<<"$(sipp_calls human 2>/dev/null)"
  [ "${up:-0}" -ge 3 ] 2>/dev/null && break
  sleep 0.1
done
sleep 2  # AMD decides, the people are bridged to the agents
if ! kill -0 $VICTIM 2>/dev/null || [ "${up:-0}" -lt 3 ]; then
  echo "FAIL: no three calls up in 15 s (callee's SIPp shows ${up:-none})"
  tail -20 "$WORK/victim.err"
  exit 1
fi
kill -9 $VICTIM
wait $VICTIM 2>/dev/null
killed_at=$(($(date +%s) - start))
open_at_kill=$(in_flight)
echo "killed after ${killed_at}s with $open_at_kill attempts in flight in storage"
if ! [ "$open_at_kill" -ge 3 ] 2>/dev/null; then
  echo "FAIL: storage shows $open_at_kill attempts in flight after the kill (3 expected)"
  cat "$WORK/status.json"
  fail=1
fi
if ! "$CHECK" --storage "$STORAGE" --campaign sip-kill9 --contacts $CONTACTS; then
  echo "FAIL: storage invariants right after the kill"
  fail=1
fi
# The attempts left open (no disposition: the storage's open-attempt index), for later.
$PY -c 'import sqlite3, sys
print(" ".join(str(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(
    "select call_id from attempts where disposition = 0 order by call_id")))' \
  "$WORK/kill9.sqlite" >"$WORK/open-at-kill.txt"
echo "  open attempts (call ids): $(cat "$WORK/open-at-kill.txt")"

# ---- the same run again ----
(run survivor) &
ENGINES+=($!)
wait $!
rc=$?
elapsed=$(($(date +%s) - start))
cat "$WORK/survivor.out"
echo "restarted run: exit $rc, campaign over ${elapsed}s after the first start"
if [ $rc -ne 0 ] || ! grep -q "yes (nothing left to dial)" "$WORK/survivor.out"; then
  echo "FAIL: the restarted run did not finish the campaign (exit $rc)"
  tail -30 "$WORK/survivor.err"
  fail=1
fi
reconciled=$(json_sum "$WORK/out-survivor/summary.json" attempts_reconciled 2>/dev/null)
echo "  attempts reconciled by the restarted run: $reconciled"
if [ "$reconciled" != "$open_at_kill" ]; then
  echo "FAIL: ${reconciled:-no} attempts reconciled, $open_at_kill were open at the kill"
  fail=1
fi
if ! "$CHECK" --storage "$STORAGE" --campaign sip-kill9 --closed --contacts $CONTACTS; then
  echo "FAIL: storage invariants after the restart"
  fail=1
fi
now=$(in_flight)
echo "  omnivox status: $now attempts in flight"
if [ "$now" != 0 ]; then
  echo "FAIL: omnivox status shows attempts in flight after the campaign"
  cat "$WORK/status.json"
  fail=1
fi
# Every attempt recorded once; the orphans closed (COMPLETED if storage knew the call was
# bridged, ABANDONED if answered, else FAILED/unknown and dialled again by retry.FAILED); every
# person ends with a COMPLETED attempt, none dialled more than max_attempts times.
$PY - "$WORK/out-survivor/calls.csv" "$CONTACTS" $(cat "$WORK/open-at-kill.txt") <<'EOF' || fail=1
import collections, csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
contacts, orphans = int(sys.argv[2]), set(sys.argv[3:])
problems = []
ids = collections.Counter(r["call_id"] for r in rows)
problems += [f"call {i} recorded {n} times" for i, n in ids.items() if n > 1]
by_contact = collections.defaultdict(list)
for r in rows:
    by_contact[r["contact_id"]].append(r)
    if r["call_id"] in orphans:
        print(f"  orphan call {r['call_id']} (contact {r['contact_id']}): closed as "
              f"{r['disposition']}/{r['fail_reason']}")
        if r["disposition"] not in ("COMPLETED", "ABANDONED", "FAILED"):
            problems.append(f"orphan call {r['call_id']} closed as {r['disposition']}")
problems += [f"orphan call {i} missing from calls.csv" for i in orphans - set(ids)]
if len(by_contact) != contacts:
    problems.append(f"{len(by_contact)} contacts in calls.csv, {contacts} expected")
for contact, attempts in sorted(by_contact.items()):
    attempts.sort(key=lambda r: int(r["attempt_number"]))
    if len(attempts) > 2 or attempts[-1]["disposition"] != "COMPLETED":
        problems.append(f"contact {contact}: " + ", ".join(
            f"{a['attempt_number']}:{a['disposition']}" for a in attempts))
print(f"  {len(rows)} attempts for {len(by_contact)} contacts")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
EOF

# ---- the far ends ----
# The orphaned callees hang up TALK_S after their answer: wait for their BYEs (481 from us).
for _ in $(seq 1 $((TALK_S * 10))); do
  read -r open_now _ _ <<<"$(sipp_calls human)"
  [ "${open_now:-x}" = 0 ] && break
  sleep 0.1
done
read -r open_now ok failed <<<"$(sipp_calls human)"
echo "  callees: open, successful, failed calls: $open_now $ok $failed"
if [ "${open_now:-x}" != 0 ] || [ "${failed:-x}" != 0 ]; then
  echo "FAIL: calls open or failed at the callees' SIPp"
  head -20 "$WORK/human.errors.log" 2>/dev/null
  fail=1
fi
for name in "${AGENT_NAMES[@]}"; do
  for _ in $(seq 1 50); do  # SIPp writes its statistics once a second
    read -r open_now ok failed <<<"$(sipp_calls "agent-$name")"
    [ "${ok:-x}" = 1 ] && break
    sleep 0.1
  done
  echo "  agent $name's phone: open, successful, failed calls: $open_now $ok $failed"
  # One leg of the dead process left open, one of the restarted run ended by its BYE.
  if [ "${open_now:-x}" != 1 ] || [ "${ok:-x}" != 1 ] || [ "${failed:-x}" != 0 ]; then
    echo "FAIL: agent $name's phone: 1 open (the dead process's leg) and 1 ended call expected"
    fail=1
  fi
done

if [ $fail -ne 0 ]; then
  echo "--- omnivox stderr, first run (last lines)"
  tail -20 "$WORK/victim.err"
  echo "--- omnivox stderr, restarted run (last lines)"
  tail -40 "$WORK/survivor.err"
  exit 1
fi
echo "PASS: killed with $open_at_kill calls up, reconciled, $CONTACTS contacts done in ${elapsed}s"
