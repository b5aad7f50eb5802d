#!/usr/bin/env bash
# Cross-language equality: the same scenario (a campaign file in simulation, fixed seed) run
# through C++, C, Python and Java must give the same attempts, dispositions and statistics.
# Each runner writes "A <call_id> <contact_id> <attempt_number> <DISPOSITION> <ended_at_ms>" per
# finished attempt, in callback order, then one "S ..." statistics line; the files must be equal.
# Usage: compare.sh CAMPAIGN_JSON NAME=COMMAND... (COMMAND is word-split; it gets CAMPAIGN OUT)
set -euo pipefail
campaign="$1"
shift
work=$(mktemp -d /tmp/omnivox-xlang-XXXXXX)
trap 'rm -rf "$work"' EXIT
first=""
for spec in "$@"; do
  name="${spec%%=*}"
  read -r -a cmd <<<"${spec#*=}"
  start=$(date +%s)
  "${cmd[@]}" "$campaign" "$work/$name.txt"
  lines=$(wc -l <"$work/$name.txt")
  echo "$name: $lines lines in $(($(date +%s) - start)) s; $(tail -1 "$work/$name.txt")"
  if [ "$lines" -lt 2 ]; then
    echo "FAIL: $name wrote no attempts" >&2
    exit 1
  fi
  if [ -z "$first" ]; then
    first="$name"
  elif ! cmp -s "$work/$first.txt" "$work/$name.txt"; then
    echo "FAIL: $name differs from $first:" >&2
    diff "$work/$first.txt" "$work/$name.txt" | head -10 >&2
    exit 1
  fi
done
echo "1 passed, 0 failed ($# languages agree)"
