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

# Twilio's published signature example (issue 6), then the same request with one changed digit.
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

if [ "$fail" -ne 0 ]; then exit 1; fi
echo "all CLI checks passed"
