#!/bin/bash
# Inbound call records in the simulator: examples/campaigns/blend.json (a support line blended
# with a predictive campaign, one simulated day) run by `omnivox run` on SQLite storage.
# Checks: calls.csv has a direction column; its inbound rows are the queue's calls the report
# counts (every one ended: abandoned ones ABANDONED with no agent, answered ones COMPLETED with an
# agent and a bridged time), their mean wait is the report's ASA, and their queue and dialled
# number are the file's; the outbound rows are the campaign's attempts; the SQLite database holds
# the same inbound records under the queue's id. Then the same day cut at 10:24, calls still on
# the line: calls.csv also has the records the engine writes as it ends (every call the report
# counts, some ended at the cut).
# Usage: blend_records_test.sh OMNIVOX_CLI EXAMPLES_DIR
set -u
CLI=$1
EXAMPLES=$2
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/omnivox-blend-records.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if ! "$CLI" run --campaign "$EXAMPLES/campaigns/blend.json" --storage "sqlite:$WORK/blend.db" \
  --out "$WORK/out" --quiet >"$WORK/run.out" 2>"$WORK/run.err"; then
  echo "FAIL: omnivox run failed"
  tail -20 "$WORK/run.err"
  exit 1
fi
grep -E "attempts|inbound support" "$WORK/run.out"
$PY - "$WORK/run.out" "$WORK/out/calls.csv" "$WORK/blend.db" <<'EOF'
import csv, re, sqlite3, sys
report = open(sys.argv[1]).read()
m = re.search(r"inbound support +(\d+) offered, (\d+) answered, (\d+) abandoned .*ASA ([\d.]+) s",
              report)
attempts = int(re.search(r"\n  attempts +(\d+)", report).group(1))
offered, answered, abandoned, asa = int(m[1]), int(m[2]), int(m[3]), float(m[4])
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
problems = []
if not rows or "direction" not in rows[0]:
    sys.exit("FAIL: calls.csv has no direction column")
inbound = [r for r in rows if r["direction"] == "inbound"]
outbound = [r for r in rows if r["direction"] == "outbound"]
done = [r for r in inbound if r["disposition"] == "COMPLETED"]
gone = [r for r in inbound if r["disposition"] == "ABANDONED"]
waits = [float(r["wait_s"]) for r in done]
mean_wait = sum(waits) / len(waits) if waits else 0
print(f"  calls.csv: {len(outbound)} outbound, {len(inbound)} inbound ({len(done)} COMPLETED, "
      f"{len(gone)} ABANDONED, mean wait {mean_wait:.2f} s)")
if len(outbound) != attempts:
    problems.append(f"{len(outbound)} outbound rows, the report counts {attempts} attempts")
if (len(inbound), len(done), len(gone)) != (offered, answered, abandoned):
    problems.append(f"inbound rows {len(inbound)}/{len(done)}/{len(gone)}, the report counts "
                    f"{offered} offered, {answered} answered, {abandoned} abandoned")
if offered < 500 or abandoned == 0:
    problems.append("expected hundreds of inbound calls and some abandons in the blended day")
if abs(mean_wait - asa) > 0.05 + 0.001 * asa:
    problems.append(f"mean wait of answered rows {mean_wait:.3f} s, report's ASA {asa} s")
for r in inbound:
    if r["queue"] != "support" or r["caller_id"] != "+351210000100" or r["contact_id"] != "0":
        problems.append(f"call {r['call_id']}: queue {r['queue']}, dialled {r['caller_id']}")
        break
for r in done:
    if not r["agent"] or not r["bridged_at"]:
        problems.append(f"call {r['call_id']}: COMPLETED without an agent or bridged time")
        break
for r in gone:
    if r["agent"] or r["bridged_at"] or float(r["wait_s"]) < 0:
        problems.append(f"call {r['call_id']}: ABANDONED with an agent or a negative wait")
        break
if any(r["queue"] or r["wait_s"] for r in outbound):
    problems.append("outbound rows with a queue or a wait")
db = sqlite3.connect(sys.argv[3])
stored = db.execute("SELECT COUNT(*), SUM(disposition = (SELECT disposition FROM attempts "
                    "WHERE call_id = ?)) FROM attempts WHERE campaign_id = 'support'",
                    (int(gone[0]["call_id"]) if gone else 0,)).fetchone()
print(f"  SQLite: {stored[0]} records under queue 'support'")
if stored[0] != len(inbound) or stored[1] != len(gone):
    problems.append(f"SQLite holds {stored[0]} inbound records ({stored[1]} abandoned), "
                    f"calls.csv {len(inbound)} ({len(gone)})")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
EOF
rc=$?
[ $rc -eq 0 ] || exit $rc

# The day cut while calls are queued or with an agent.
mkdir -p "$WORK/cut/campaigns"
ln -s "$EXAMPLES/data" "$WORK/cut/data"
sed 's/"max_duration_days": 1,/"max_duration_days": 0.1,/' "$EXAMPLES/campaigns/blend.json" \
  >"$WORK/cut/campaigns/blend.json"
if ! "$CLI" run --campaign "$WORK/cut/campaigns/blend.json" --out "$WORK/cut/out" --quiet \
  >"$WORK/cut.out" 2>"$WORK/cut.err"; then
  echo "FAIL: omnivox run of the cut day failed"
  tail -20 "$WORK/cut.err"
  exit 1
fi
grep -E "period|inbound support" "$WORK/cut.out"
$PY - "$WORK/cut.out" "$WORK/cut/out/calls.csv" <<'EOF'
import csv, re, sys
report = open(sys.argv[1]).read()
offered = int(re.search(r"inbound support +(\d+) offered", report).group(1))
end = re.search(r"→ (\d{4}-\d\d-\d\d \d\d:\d\d)", report).group(1).replace(" ", "T")
inbound = [r for r in csv.DictReader(open(sys.argv[2], newline="")) if r["direction"] == "inbound"]
at_end = [r for r in inbound if r["ended_at"].startswith(end + ":00.000")]
print(f"  cut at {end}: {len(inbound)} inbound rows, {len(at_end)} ended by the engine's end")
if end != "2026-05-04T10:24":
    sys.exit(f"FAIL: the cut day ended at {end}, not 10:24")
if len(inbound) != offered:
    sys.exit(f"FAIL: {len(inbound)} inbound rows in calls.csv, the report counts {offered} offered")
if not at_end:
    sys.exit("FAIL: no inbound call was on the line at the cut: the case is not tested")
EOF
rc=$?
[ $rc -eq 0 ] && echo "PASS: inbound records of the blended day (and of one cut short) in calls.csv and SQLite"
exit $rc
