#!/usr/bin/env bash
# The omnivox CLI: a good run writes its outputs; bad configuration exits 2 with one clear line.
set -u
OMNIVOX="$1"
DATA="$2"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fail=0
check() {  # check NAME EXPECTED_CODE GREP_PATTERN -- command...
  local name="$1" want="$2" pattern="$3"
  shift 4
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL $name: exit $got, want $want"; cat "$WORK/err"; fail=1; return
  fi
  if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$WORK/out" "$WORK/err"; then
    echo "FAIL $name: output lacks '$pattern'"; cat "$WORK/out" "$WORK/err"; fail=1; return
  fi
  echo "ok   $name"
}

check good-run 0 "Omnivox run report" -- "$OMNIVOX" run --campaign "$DATA/small_campaign.json" --out "$WORK/out1" --quiet
for f in calls.csv calls.jsonl metrics.json summary.json; do
  [ -s "$WORK/out1/$f" ] || { echo "FAIL good-run: missing $f"; fail=1; }
done
check realtime-run 0 "finished                     yes" -- "$OMNIVOX" run --campaign "$DATA/small_campaign.json" --realtime --speed 20000 --out "$WORK/rt" --quiet
check import-errors-reported 0 "small_contacts.csv:5" -- "$OMNIVOX" run --campaign "$DATA/small_campaign.json" --out "$WORK/out2" --quiet

printf '{"id": "x", "agnets": 3}' >"$WORK/typo.json"
check unknown-key 2 "field 'agnets': unknown key" -- "$OMNIVOX" run --campaign "$WORK/typo.json" --out "$WORK/o"
printf '{"id": "x", ' >"$WORK/broken.json"
check bad-json 2 "not valid JSON" -- "$OMNIVOX" run --campaign "$WORK/broken.json" --out "$WORK/o"
printf '{"id": "x", "agents": -4, "contacts": {"file": "c.csv"}}' >"$WORK/neg.json"
check bad-value 2 "field 'agents'" -- "$OMNIVOX" run --campaign "$WORK/neg.json" --out "$WORK/o"
printf '{"id": "x", "contacts": {"file": "nope.csv"}}' >"$WORK/missing.json"
check missing-contacts 2 "nope.csv" -- "$OMNIVOX" run --campaign "$WORK/missing.json" --out "$WORK/o"
check missing-campaign 2 "cannot open" -- "$OMNIVOX" run --campaign "$WORK/none.json"
check no-subcommand 2 "" -- "$OMNIVOX"

# Twilio's published signature example, then the same request with one changed digit.
TWILIO_PARAMS=(--param CallSid=CA1234567890ABCDE --param Caller=+14158675310 --param Digits=1234
               --param From=+14158675310 --param To=+18005551212)
check twilio-signature-valid 0 "matched URL: https://example.com/myapp.php?foo=1&bar=2" -- \
  "$OMNIVOX" twilio verify-signature --token 12345 --url "https://example.com/myapp.php?foo=1&bar=2" \
  --signature "L/OH5YylLD5NRKLltdqwSvS0BnU=" "${TWILIO_PARAMS[@]}"
check twilio-signature-tampered 1 "valid: no" -- \
  "$OMNIVOX" twilio verify-signature --token 12345 --url "https://example.com/myapp.php?foo=1&bar=3" \
  --signature "L/OH5YylLD5NRKLltdqwSvS0BnU=" "${TWILIO_PARAMS[@]}"

# Storage: a SQLite run, resumed (not re-imported) by a second run, and its status as JSON.
check sqlite-run 0 "wrote" -- "$OMNIVOX" run --campaign "$DATA/small_campaign.json" \
  --storage "sqlite:$WORK/s.db" --out "$WORK/s1" --quiet
check sqlite-resume 0 "resuming campaign small" -- "$OMNIVOX" run \
  --campaign "$DATA/small_campaign.json" --storage "sqlite:$WORK/s.db" --out "$WORK/s2" --quiet
check status-json 0 '"campaigns":\[{"id":"small"' -- "$OMNIVOX" status --storage "sqlite:$WORK/s.db" --json
check status-bad-url 2 "storage URL" -- "$OMNIVOX" status --storage "mysql://x"

# Status only reads: a mistyped SQLite path is an error, and no empty database is left behind.
check status-missing-db 2 "no database at '$WORK/typo.db'" -- \
  "$OMNIVOX" status --storage "sqlite:$WORK/typo.db"
[ ! -e "$WORK/typo.db" ] || { echo "FAIL status-missing-db: status created $WORK/typo.db"; fail=1; }

# Options that would never stop, or wrap around, are refused before anything runs.
for bad in "--for nan" "--for -1" "--for 0" "--for inf" "--realtime --speed nan" \
           "--lease-ttl nan" "--seed -1" "--seed 18446744073709551616"; do
  # shellcheck disable=SC2086  # $bad is an option and its value
  check "bad-option ${bad// /_}" 2 "got '${bad##* }'" -- "$OMNIVOX" run \
    --campaign "$DATA/small_campaign.json" --out "$WORK/o" --quiet $bad
done

printf '{"id": "x", "caller_ids": ["notanumber"]}' >"$WORK/callerid.json"
check bad-caller-id 2 "field 'caller_ids\[0\]': 'notanumber' is not an E.164 phone number" -- \
  "$OMNIVOX" run --campaign "$WORK/callerid.json" --out "$WORK/o"

# An output folder that cannot be written fails before anything is imported or dialed.
touch "$WORK/a-file"
check out-not-writable 2 "a-file/out: cannot create the output folder" -- \
  "$OMNIVOX" run --campaign "$DATA/small_campaign.json" --out "$WORK/a-file/out" --quiet
if grep -q "^import" "$WORK/err"; then echo "FAIL out-not-writable: imported first"; fail=1; fi

# calls.csv quotes ids holding a comma, a quote or a line break: one record per attempt.
{ echo 'id,phone'; echo '"c,1",+351912000001'; echo '"q""x",+351912000002';
  printf '"l1\nl2",+351912000003\n'; } >"$WORK/quoted_contacts.csv"
sed -e "s|small_contacts.csv|$WORK/quoted_contacts.csv|" -e 's|"US"|"PT"|' \
  "$DATA/small_campaign.json" >"$WORK/quoted.json"
check csv-quoting 0 "wrote" -- "$OMNIVOX" run --campaign "$WORK/quoted.json" --out "$WORK/q" --quiet
records=$(awk '{ quotes += gsub(/"/, "&") } quotes % 2 == 0 { n++ } END { print n }' "$WORK/q/calls.csv")
attempts=$(wc -l <"$WORK/q/calls.jsonl")
if [ "$records" -ne $((attempts + 1)) ] || ! grep -q '^[0-9]*,[0-9]*,"c,1",' "$WORK/q/calls.csv"; then
  echo "FAIL csv-quoting: $records CSV records for $attempts attempts"; cat "$WORK/q/calls.csv"; fail=1
fi

# SIGINT stops dialing, lets the calls in progress end, writes the outputs and exits 130.
{ echo 'id,phone'; for i in $(seq 0 399); do printf 's%d,+35191200%04d\n' "$i" "$i"; done; } \
  >"$WORK/sig_contacts.csv"
cat >"$WORK/sig.json" <<EOF
{"id": "sig", "dial_mode": "POWER", "power_lines_per_agent": 2, "agents": 20,
 "start": "2026-05-04T10:00:00Z", "time_zone": "Europe/Lisbon", "call_window": "00:00-24:00",
 "compliance": "NONE", "max_attempts": 3, "ring_timeout_s": 20, "default_region": "PT",
 "contacts": {"file": "$WORK/sig_contacts.csv"},
 "simulation": {"seed": 5, "p_live": 0.5, "talk_s": {"exponential": 120}, "wrap_up_s": 20},
 "max_duration_days": 1}
EOF
"$OMNIVOX" run --campaign "$WORK/sig.json" --realtime --speed 50 --out "$WORK/sig" --quiet \
  >"$WORK/out" 2>"$WORK/err" &
pid=$!
sleep 2
kill -INT "$pid"
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null
wait "$pid"
got=$?
open_rows=$(awk -F, 'NR > 1 && ($8 == "" || $8 == "NONE")' "$WORK/sig/calls.csv" 2>/dev/null | wc -l)
if [ "$got" -ne 130 ]; then
  echo "FAIL sigint: exit $got, want 130"; cat "$WORK/err"; fail=1
elif ! grep -q "no (interrupted)" "$WORK/out" || [ ! -s "$WORK/sig/calls.csv" ]; then
  echo "FAIL sigint: no report or no calls.csv"; cat "$WORK/out" "$WORK/err"; fail=1
elif [ "$open_rows" -ne 0 ]; then
  echo "FAIL sigint: $open_rows attempts left without a disposition"; fail=1
else
  echo "ok   sigint"
fi

if [ "$fail" -ne 0 ]; then exit 1; fi
echo "all CLI checks passed"
