#!/usr/bin/env python3
"""Benchmark of `omnivox serve` on loopback: API latency at a fixed request rate and events
delivered to many Server-Sent Events clients, while a simulated campaign runs.

Usage: serve_bench.py OMNIVOX_BINARY [--duration S] [--rate N] [--sse N] [--port P]
  --duration  seconds of load (default 60)
  --rate      API requests per second, open loop: each request is sent at its scheduled time
              (default 1000), spread over 4 client processes with a keep-alive connection each
  --sse       Server-Sent Events clients on the tenant's stream (default 100)
  --port      listening port (default 18400)
  --speed     the simulated campaign's pace (default 10): more events per second
Prints p50 / p99 / max latency (from each request's scheduled time, so a server that falls
behind is charged for the wait), non-2xx answers, and for the event clients the events received
per second in all, with every client's sequence numbers checked (consecutive: no gap, no
duplicate). Standard library only; the server runs with --storage memory.
"""
import argparse
import http.client
import json
import multiprocessing as mp
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time

CAMPAIGN = {
    "id": "bench", "dial_mode": "PROGRESSIVE", "agents": 50, "time_zone": "UTC",
    "call_window": "00:00-24:00",
    "compliance": {"base": "NONE", "name": "BENCH", "abandon_cap": 0.03, "hold_window_s": 2},
    "caller_ids": ["+351210000000"], "default_region": "PT",
    "contacts": {"phone_columns": ["phone"], "id_column": "id"},
    "simulation": {"seed": 3, "answer_delay_s": {"lognormal": [4, 2]},
                   "wrap_up_s": {"lognormal": [3, 1]}},
}
# What a dashboard polls. The census (a pass over every contact's eligibility, ~4 ms for 20,000
# contacts) is a report, asked for now and then: not in the mix.
PATHS = ["/v1/campaigns/bench/statistics", "/v1/campaigns", "/v1/campaigns/bench",
         "/v1/campaigns/bench/calls?limit=10", "/v1/campaigns/bench/agents"]


def call(port, token, method, path, body=None, ctype="application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = ctype
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status} {data[:300]}")
    return json.loads(data)


def load_worker(port, token, rate, start, duration, offset, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": "Bearer " + token}
    interval = 1.0 / rate
    latencies, errors, n = [], 0, 0
    t = start + offset
    while t < start + duration:
        now = time.perf_counter()
        if t > now:
            time.sleep(t - now)
        try:
            conn.request("GET", PATHS[n % len(PATHS)], headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status >= 300:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies.append(time.perf_counter() - t)
        n += 1
        t += interval
    out.put((latencies, errors))


def sse_worker(port, token, clients, start, duration, out):
    sel = selectors.DefaultSelector()
    state = []
    for i in range(clients):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(f"GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
                  .encode())
        s.setblocking(False)
        st = {"buf": b"", "ids": 0, "last": None, "gaps": 0, "dups": 0, "head": False}
        state.append(st)
        sel.register(s, selectors.EVENT_READ, st)
    end = start + duration
    while time.perf_counter() < end:
        for key, _ in sel.select(timeout=0.2):
            st = key.data
            try:
                chunk = key.fileobj.recv(1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(key.fileobj)
                continue
            buf = st["buf"] + chunk
            if not st["head"] and b"\r\n\r\n" in buf:
                buf = buf.split(b"\r\n\r\n", 1)[1]
                st["head"] = True
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    if line.startswith(b"id: "):
                        seq = int(line[4:])
                        if st["last"] is not None:
                            if seq <= st["last"]:
                                st["dups"] += 1
                            elif seq != st["last"] + 1:
                                st["gaps"] += 1
                        st["last"] = seq
                        st["ids"] += 1
            st["buf"] = buf
    out.put([(s["ids"], s["gaps"], s["dups"]) for s in state])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--sse", type=int, default=100)
    ap.add_argument("--port", type=int, default=18400)
    ap.add_argument("--speed", type=float, default=10)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="omnivox-serve-bench-")
    tokens = os.path.join(work, "tokens")
    server = subprocess.Popen([a.binary, "serve", "--storage", "memory", "--listen",
                               f"127.0.0.1:{a.port}", "--token-file", tokens, "--speed", str(a.speed),
                               "--rate-limit", "1000000", "--drain-timeout", "1"],
                              stderr=open(os.path.join(work, "serve.log"), "w"))
    try:
        deadline = time.time() + 20
        while not os.path.exists(tokens) or os.path.getsize(tokens) == 0:
            if time.time() > deadline or server.poll() is not None:
                sys.exit("omnivox serve did not start")
            time.sleep(0.1)
        time.sleep(0.5)
        control = [l.split()[1] for l in open(tokens) if l.startswith("control")][0]
        read = [l.split()[1] for l in open(tokens) if l.startswith("read")][0]
        call(a.port, control, "POST", "/v1/campaigns", json.dumps(CAMPAIGN))
        rows = "id,phone\n" + "".join(f"c{i},+3519123{i:05d}\n" for i in range(20000))
        call(a.port, control, "POST", "/v1/campaigns/bench/contacts", rows, "text/csv")
        for agent in range(CAMPAIGN["agents"]):
            call(a.port, control, "PUT", f"/v1/campaigns/bench/agents/{agent}/state",
                 json.dumps({"state": "AVAILABLE"}))
        call(a.port, control, "POST", "/v1/campaigns/bench/start", "")
        start = time.perf_counter() + 2
        q = mp.Queue()
        workers = 4
        procs = [mp.Process(target=load_worker,
                            args=(a.port, read, a.rate / workers, start, a.duration,
                                  i / a.rate, q)) for i in range(workers)]
        procs.append(mp.Process(target=sse_worker,
                                args=(a.port, read, a.sse, start, a.duration, q)))
        for p in procs:
            p.start()
        results = [q.get(timeout=a.duration + 120) for _ in procs]
        for p in procs:
            p.join(30)
        latencies, errors, sse = [], 0, None
        for r in results:
            if isinstance(r, tuple):
                latencies += r[0]
                errors += r[1]
            else:
                sse = r
        latencies.sort()
        pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
        events = sum(s[0] for s in sse)
        stats = call(a.port, read, "GET", "/v1/campaigns/bench/statistics")
        result = {
            "duration_s": a.duration, "requests": len(latencies),
            "requests_per_s": len(latencies) / a.duration, "errors": errors,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": latencies[-1] * 1000,
            "sse_clients": a.sse, "events_received": events,
            "events_per_s_all_clients": events / a.duration,
            "events_per_s_per_client": events / a.duration / a.sse,
            "sse_gaps": sum(s[1] for s in sse), "sse_duplicates": sum(s[2] for s in sse),
            "campaign_attempts": stats["attempts"],
        }
        print(json.dumps(result, indent=2))
        return 0 if errors == 0 and result["sse_gaps"] == 0 and result["sse_duplicates"] == 0 \
            else 1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
