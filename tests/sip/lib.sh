# Shell functions shared by the SIP shell tests (e2e_test.sh, kill9_test.sh): sourced, not run.
# They use the caller's WORK (a work folder), PIDS (an array of background processes the
# caller's EXIT trap kills) and HERE (tests/sip).
PY=/usr/bin/python3
SCENARIOS=$HERE/scenarios

# require_tools TOOL...: fails the test naming the first tool missing.
require_tools() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null; then
      echo "FAIL: $tool is not installed (bash cmake/bootstrap.sh installs it)"
      exit 1
    fi
  done
}

# sip_work PREFIX: makes WORK and the EXIT trap that kills PIDS and removes WORK (KEEP=1 keeps it).
sip_work() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  PIDS=()
  trap sip_cleanup EXIT
}
sip_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "${KEEP:-0}" = 1 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}

# speak TEXT OUT.wav ENCODING PAD_S: espeak-ng's TEXT as 8 kHz mono, PAD_S seconds of silence after.
speak() {
  espeak-ng -s 160 -w "$WORK/raw.wav" "$1" || return 1
  sox "$WORK/raw.wav" -r 8000 -c 1 -e "$3" -b 8 "$2" pad 0 "$4" 2>/dev/null ||
    sox "$WORK/raw.wav" -r 8000 -c 1 -e "$3" "$2" pad 0 "$4"
}

# make_audio: in WORK, human.wav (a person's "Hello?" then silence) and machine.wav (a voicemail
# greeting), µ-law for SIPp, and our messages safe_harbor.wav and voicemail.wav.
make_audio() {
  speak "Hello?" "$WORK/human.wav" u-law 6 &&
    speak "Hi, you have reached the voicemail of John Smith at Example Company. I cannot take your call right now, please leave a message after the tone." "$WORK/machine.wav" u-law 2 &&
    espeak-ng -s 180 -w "$WORK/raw.wav" "Sorry, this was Omnivox." &&
    sox "$WORK/raw.wav" -r 8000 -c 1 -e signed-integer -b 16 "$WORK/safe_harbor.wav" &&
    espeak-ng -s 180 -w "$WORK/raw.wav" "Please call Omnivox back." &&
    sox "$WORK/raw.wav" -r 8000 -c 1 -e signed-integer -b 16 "$WORK/voicemail.wav" || {
    echo "FAIL: could not make the test audio with espeak-ng and sox"
    exit 1
  }
}

# start_kamailio PROXY HUMAN MACHINE BUSY UNAVAILABLE RING PING_PORT: the trunk
# (e2e_kamailio.cfg) on 127.0.0.1:PROXY routing each number prefix to the SIPp on that port;
# returns once it answers OPTIONS (sent from PING_PORT), fails the test if it never does.
start_kamailio() {
  sed -e "s/@PROXY_PORT@/$1/; s/@HUMAN_PORT@/$2/; s/@MACHINE_PORT@/$3/" \
    -e "s/@BUSY_PORT@/$4/; s/@UNAVAILABLE_PORT@/$5/; s/@RING_PORT@/$6/" \
    "$HERE/e2e_kamailio.cfg" >"$WORK/kamailio.cfg"
  mkdir -p "$WORK/kamailio-run"
  kamailio -f "$WORK/kamailio.cfg" -DD -E -m 32 -M 8 -Y "$WORK/kamailio-run" \
    >"$WORK/kamailio.log" 2>&1 &
  PIDS+=($!)
  if ! $PY - "$1" "$7" <<'EOF'; then
import socket, sys, time
port, ping = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", ping))
s.settimeout(0.2)
for i in range(100):
    s.sendto((f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
              f"Via: SIP/2.0/UDP 127.0.0.1:{ping};branch=z9hG4bK-ping{i}\r\n"
              f"From: <sip:ping@127.0.0.1:{ping}>;tag=ping\r\nTo: <sip:127.0.0.1>\r\n"
              f"Call-ID: ping-{i}\r\nCSeq: {i + 1} OPTIONS\r\nMax-Forwards: 5\r\n"
              "Content-Length: 0\r\n\r\n").encode(), ("127.0.0.1", port))
    try:
        if s.recv(4096).startswith(b"SIP/2.0 200"):
            sys.exit(0)
    except (socket.timeout, ConnectionRefusedError):
        time.sleep(0.1)
sys.exit(1)
EOF
    echo "FAIL: kamailio does not answer on 127.0.0.1:$1"
    cat "$WORK/kamailio.log"
    exit 1
  fi
  sleep 0.5
}

# sipp_uas NAME PORT MEDIA_PORT SCENARIO [more sipp options]: a SIPp UAS in the background, its
# statistics every second in WORK/NAME.stat.csv.
sipp_uas() {
  local name=$1 port=$2 media=$3 scenario=$4
  shift 4
  (cd "$WORK" && exec sipp -sf "$scenario" -i 127.0.0.1 -p "$port" -mi 127.0.0.1 -mp "$media" \
    -nostdin -trace_stat -stf "$WORK/$name.stat.csv" -fd 1 -trace_err \
    -error_file "$WORK/$name.errors.log" "$@" >"$WORK/$name.log" 2>&1) &
  PIDS+=($!)
}

# callee_scenario AUDIO TALK_MS OUT.xml: e2e_callee_answers.xml streaming AUDIO, hanging up
# after TALK_MS.
callee_scenario() {
  sed -e "s|@AUDIO@|$1|; s|@TALK_MS@|$2|" "$SCENARIOS/e2e_callee_answers.xml" >"$3"
}

# sipp_calls NAME: "open successful failed" calls of SIPp NAME, from its latest statistics.
sipp_calls() {
  $PY - "$WORK/$1.stat.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=";"))
head, last = rows[0], rows[-1]
col = lambda name: last[head.index(name)]
print(col("CurrentCall"), col("SuccessfulCall(C)"), col("FailedCall(C)"))
EOF
}

# sipp_agent NAME PORT MEDIA_PORT [more sipp options]: an agent's phone (answers, echoes RTP,
# waits for BYE), appended to AGENTS_JSON (the campaign's agents).
sipp_agent() {
  local name=$1 port=$2 media=$3
  shift 3
  sipp_uas "agent-$name" "$port" "$media" "$SCENARIOS/uas_answer.xml" -rtp_echo "$@"
  AGENTS_JSON+="${AGENTS_JSON:+, }{\"id\": \"$name\", \"uri\": \"sip:$name@127.0.0.1:$port\"}"
}

# sip_campaign ID LINES_PER_AGENT OMNIVOX_PORT PROXY_PORT RTP_PORTS: on stdout, a POWER campaign
# over SIP through the trunk at PROXY_PORT, AMD on, the agents of AGENTS_JSON, contacts.csv,
# FAILED retried once 2 s later, every other outcome final.
sip_campaign() {
  cat <<EOF
{
  "id": "$1",
  "dial_mode": "POWER",
  "power_lines_per_agent": $2,
  "time_zone": "UTC",
  "call_window": "00:00-24:00",
  "agent_shift": "00:00-24:00",
  "compliance": "NONE",
  "max_attempts": 2,
  "retry": {
    "FAILED": {"delay_s": 2},
    "BUSY": {"final": true}, "NO_ANSWER": {"final": true}, "MACHINE": {"final": true},
    "ABANDONED": {"final": true}, "CANCELED": {"final": true}
  },
  "ring_timeout_s": 3,
  "hold_window_s": 2,
  "amd": true,
  "caller_ids": ["+12125550100"],
  "contacts": {"file": "contacts.csv"},
  "telephony": {
    "backend": "sip",
    "listen": "127.0.0.1:$3",
    "trunk": "sip:127.0.0.1:$4",
    "rtp_ports": "$5",
    "calls_per_second": 40,
    "options_interval_s": 5,
    "agents": [$AGENTS_JSON],
    "safe_harbor_wav": "safe_harbor.wav",
    "voicemail_wav": "voicemail.wav"
  }
}
EOF
}

# json_sum FILE KEY: the sum of every KEY's value anywhere in the JSON document FILE ("none"
# when there is no KEY).
json_sum() {
  $PY - "$1" "$2" <<'EOF'
import json, sys
def find(o, key):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == key:
                yield v
            yield from find(v, key)
    elif isinstance(o, list):
        for v in o:
            yield from find(v, key)
values = list(find(json.load(open(sys.argv[1])), sys.argv[2]))
print(sum(values) if values else "none")
EOF
}

# sipp_uac NAME PORT MEDIA_PORT TARGET_PORT SCENARIO [more sipp options]: a SIPp UAC sending
# calls to 127.0.0.1:TARGET_PORT in the background, its statistics in WORK/NAME.stat.csv; its pid
# is PIDS[-1].
sipp_uac() {
  local name=$1 port=$2 media=$3 target=$4 scenario=$5
  shift 5
  (cd "$WORK" && exec sipp "127.0.0.1:$target" -sf "$scenario" -i 127.0.0.1 -p "$port" \
    -mi 127.0.0.1 -mp "$media" -nostdin -trace_stat -stf "$WORK/$name.stat.csv" -fd 1 \
    -trace_err -error_file "$WORK/$name.errors.log" "$@" >"$WORK/$name.log" 2>&1) &
  PIDS+=($!)
}

# wait_pid PID SECONDS: waits at most SECONDS for PID to end; its exit code, or 124 if it runs on.
wait_pid() {
  local i
  for i in $(seq 1 $(($2 * 10))); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$1" 2>/dev/null; then return 124; fi
  wait "$1"
}

# sip_verdict MESSAGE: when a check failed (fail != 0), omnivox's last stderr lines (WORK/run.err)
# and exit 1; else "PASS: MESSAGE".
sip_verdict() {
  if [ "$fail" -ne 0 ]; then
    echo "--- omnivox stderr (last lines)"
    tail -40 "$WORK/run.err"
    exit 1
  fi
  echo "PASS: $1"
}
