#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz for a bounded time, two at a time (2 cores).
# Usage: tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS_PER_TARGET] [PARALLEL]
#   BUILD_DIR: a build with OMNIVOX_BUILD_FUZZERS=ON (the asan preset: build-asan).
# Each target starts from a temporary copy of its seed corpus and regressions (the repository's
# corpus is never modified). A crash, leak, UB report or timeout fails the run: the reproducer is
# kept under BUILD_DIR/fuzz-artifacts/<target>/ and the command to replay it is printed; copy it
# into tests/fuzz/regressions/<target>/ once the bug is fixed (docs/hardening.md#fuzzing).
set -uo pipefail
build_dir="$(cd "${1:?usage: run_fuzzers.sh BUILD_DIR [SECONDS] [PARALLEL]}" && pwd)"
seconds="${2:-60}"
parallel="${3:-2}"
# A fixed seed by default: the same commit explores the same inputs in the same order, so what CI
# finds can be found again here by running at least as long. OMNIVOX_FUZZ_SEED=0 picks a random
# seed (explore further locally).
seed="${OMNIVOX_FUZZ_SEED:-1}"
here="$(cd "$(dirname "$0")" && pwd)"
targets=(import_csv campaign_json twilio_webhook call_state_machine storage_url wav_amd serve_router)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run_one() {
  local t="$1" bin="$build_dir/tests/fuzz/omnivox_fuzz_$1"
  local artifacts="$build_dir/fuzz-artifacts/$t"
  mkdir -p "$work/$t/corpus" "$artifacts"
  cp "$here/corpus/$t/"* "$work/$t/corpus/" 2>/dev/null
  find "$here/regressions/$t" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$work/$t/corpus/" \;
  if [ ! -x "$bin" ]; then
    echo "fuzz: $t: $bin not built (configure with the asan preset)" >"$work/$t/log"
    return 1
  fi
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$bin" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work/$t/corpus" >"$work/$t/log" 2>&1
}

pids=()
names=()
failed=0
finish() {  # waits for the oldest running target and reports it
  local pid="${pids[0]}" t="${names[0]}"
  pids=("${pids[@]:1}")
  names=("${names[@]:1}")
  if wait "$pid"; then
    echo "fuzz: $t: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t/log" |
      grep -o '[0-9]*$') runs in ${seconds}s, corpus $(ls "$work/$t/corpus" | wc -l) inputs)"
  else
    failed=1
    echo "fuzz: $t: FAILED; last lines of its log:"
    tail -n 60 "$work/$t/log"
    for a in "$build_dir/fuzz-artifacts/$t/"*; do
      [ -e "$a" ] || continue
      echo "fuzz: $t: reproducer: $a"
      echo "fuzz: $t: replay it: $build_dir/tests/fuzz/omnivox_fuzz_$t $a"
    done
  fi
}
for t in "${targets[@]}"; do
  if [ "${#pids[@]}" -ge "$parallel" ]; then finish; fi
  run_one "$t" &
  pids+=("$!")
  names+=("$t")
done
while [ "${#pids[@]}" -gt 0 ]; do finish; done
exit "$failed"
