#!/usr/bin/env bash
# Calls per second of the SIP backend against SIPp, and the bridge delay of a nailed-up agent leg.
# Usage: benchmarks/sip_cps.sh [BUILD_DIR]   (figures in benchmarks/README.md, "SIP")
set -euo pipefail
BUILD=${1:-build}
BENCH=$BUILD/benchmarks/omnivox_sip_cps_bench
HERE=$(cd "$(dirname "$0")" && pwd)
SCEN=$HERE/../tests/sip/scenarios
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# SIPp as the far end: the built-in UAS (180, 200, waits for BYE), -m calls then it exits.
cps_round() {  # cps calls hold_ms
  (cd "$WORK" && exec sipp -sn uas -i 127.0.0.1 -p 25901 -mi 127.0.0.1 -mp 25950 -m "$2" \
      -timeout 120s -nostdin -max_socket 2000 >/dev/null 2>&1) &
  local pid=$!; PIDS+=("$pid"); sleep 0.5
  "$BENCH" cps --trunk-port 25901 --calls "$2" --cps "$1" --hold-ms "$3" || true
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}
for rate in 50 100 200 400 800; do cps_round "$rate" $((rate * 10)) 1000; done

# Bridge delay: a customer answering with AMD on, bridged on the verdict to an agent phone
# echoing RTP.
# A person answering: "Hello?", then silence while waiting for the caller (AMD: HUMAN).
espeak-ng -w "$WORK/speech.wav" "Hello?" >/dev/null 2>&1
sox "$WORK/speech.wav" -r 8000 -c 1 -e u-law "$WORK/greeting.wav" pad 0.2 4
mkdir -p "$WORK/agent"
(cd "$WORK/agent" && exec sipp -sf "$SCEN/uas_answer.xml" -i 127.0.0.1 -p 25902 -mi 127.0.0.1 -mp 25960 \
    -rtp_echo -m 1 -timeout 120s -nostdin >/dev/null 2>&1) & PIDS+=($!)
(cd "$WORK" && exec sipp -sf "$SCEN/uas_answer_stream.xml" -i 127.0.0.1 -p 25903 -mi 127.0.0.1 \
    -mp 25970 -m 50 -timeout 120s -nostdin >/dev/null 2>&1) & PIDS+=($!)
sleep 0.5
"$BENCH" bridge --trunk-port 25903 --agent-port 25902 --calls 50
