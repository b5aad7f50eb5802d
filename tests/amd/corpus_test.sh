#!/usr/bin/env bash
# ctest amd.corpus: builds an 80-file corpus (tests/amd/make_corpus.sh, variants 2000 on, apart
# from the 0–299 the defaults were tuned on) and checks the detector's defaults on it through
# `omnivox amd classify --corpus DIR --json`: accuracy >= 90 %, people taken for machines <= 5 %.
# Also: a file that is not a WAV, or is missing, is an error naming it with exit code 2.
# Usage: corpus_test.sh OMNIVOX_BINARY
set -uo pipefail
omnivox="${1:?usage: corpus_test.sh OMNIVOX_BINARY}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "amd.corpus: FAIL: $*" >&2; exit 1; }

bash "$here/make_corpus.sh" "$work/corpus" 80 2000 2>"$work/make.err" ||
  { cat "$work/make.err" >&2; fail "make_corpus.sh failed"; }
"$omnivox" amd classify --corpus "$work/corpus" >"$work/table.txt" || fail "classify --corpus failed"
cat "$work/table.txt"
"$omnivox" amd classify --corpus "$work/corpus" --json >"$work/out.json" ||
  fail "classify --corpus --json failed"
# One JSON object; the figures are plain JSON numbers (Boost.JSON may write 9.75E-1).
field() { grep -o "\"$1\":[-0-9.eE+]*" "$work/out.json" | head -1 | cut -d: -f2; }
files="$(field files)"
accuracy="$(field accuracy)"
pam="$(field people_as_machine)"
median="$(field median_decision_time_ms)"
[ -n "$files" ] && [ -n "$accuracy" ] && [ -n "$pam" ] && [ -n "$median" ] ||
  fail "JSON lacks a figure: $(head -c 300 "$work/out.json")"
echo "amd.corpus: files $files accuracy $accuracy people_as_machine $pam median ${median} ms"
awk -v n="$files" 'BEGIN { exit !(n + 0 >= 60) }' || fail "only $files files"
awk -v a="$accuracy" 'BEGIN { exit !(a + 0 >= 0.90) }' || fail "accuracy $accuracy < 0.90"
awk -v p="$pam" 'BEGIN { exit !(p + 0 <= 0.05) }' || fail "people as machines $pam > 0.05"

# Errors: exit code 2 and the file named.
printf 'not a wav' >"$work/bad.wav"
"$omnivox" amd classify "$work/bad.wav" 2>"$work/err.txt"
rc=$?
[ "$rc" -eq 2 ] || fail "a bad file gave exit code $rc, expected 2"
grep -q "bad.wav: not a RIFF/WAVE file" "$work/err.txt" || fail "bad file message: $(cat "$work/err.txt")"
"$omnivox" amd classify "$work/missing.wav" 2>"$work/err.txt"
rc=$?
[ "$rc" -eq 2 ] || fail "a missing file gave exit code $rc, expected 2"
grep -q "missing.wav" "$work/err.txt" || fail "missing file message: $(cat "$work/err.txt")"
# One verdict for a file, as text and as JSON.
one="$(ls "$work/corpus/fax/"*.wav | head -1)"
"$omnivox" amd classify "$one" | grep -q "FAX" || fail "fax file not FAX"
"$omnivox" amd classify "$one" --json | grep -q '"verdict":"FAX"' || fail "fax file JSON"
echo "amd.corpus: ok"
