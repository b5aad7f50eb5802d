#!/usr/bin/env python3
"""Tests of `omnivox serve` over HTTP on 127.0.0.1 (ports 18000-18099): one case per argument.

Usage: serve_test.py OMNIVOX_BINARY CASE [OMNIVOX_PG_CLUSTER]
  api          the API round trip on a simulated campaign (create, upload, agents, start, calls,
               contacts, callbacks, DNC, census, statistics, pause, stop, delete) and its errors
  auth         every route without a token, with a wrong token, another tenant's token and a
               read-only token on control routes: all refused (401 / 404 / 403); tokens revoked
  metrics      /metrics passes `promtool check metrics` and has the families docs/serve.md lists;
               a Prometheus server (port 18060) scrapes it with a read token
  events       Server-Sent Events resumed with Last-Event-ID: no gap, no duplicate
  limits       body limits (413), the rate limit (429), TLS, SIGTERM exits in order
  twilio       a Twilio campaign's webhooks on the same listener: forged ones refused (403),
               signed ones taken, another tenant's path 404
  postgres     `--storage postgresql://...` on a throwaway cluster (port 18310; the cluster tool
               is the third argument): tokens from `omnivox token create`, a started campaign,
               401 / 403; a restart on the same database keeps the campaign (running, its call
               records) and the tokens; a revocation from another process is refused
Uses only the standard library. Every wait is bounded.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

BINARY = sys.argv[1]
CASE = sys.argv[2]
PORTS = {"api": 18010, "auth": 18020, "metrics": 18030, "events": 18040, "limits": 18050,
         "twilio": 18070, "postgres": 18310}
PORT = PORTS[CASE]
WORK = tempfile.mkdtemp(prefix="omnivox-serve-test-")
DB = "sqlite:" + os.path.join(WORK, "serve.db")

CAMPAIGN = {
    "id": "demo",
    "name": "serve test",
    "dial_mode": "PROGRESSIVE",
    "agents": 4,
    "time_zone": "UTC",
    "call_window": "00:00-24:00",
    "compliance": {"base": "NONE", "name": "TEST", "abandon_cap": 0.03, "hold_window_s": 2},
    "caller_ids": ["+351210000000"],
    "default_region": "PT",
    "contacts": {"phone_columns": ["phone"], "id_column": "id"},
    "simulation": {"seed": 7, "answer_delay_s": {"lognormal": [3, 1]},
                   "wrap_up_s": {"lognormal": [2, 1]}, "talk_s": {"lognormal": [5, 2]}},
}


def contacts_csv(n, first=0):
    rows = ["id,phone"]
    for i in range(first, first + n):
        rows.append(f"c{i},+3519123{i:05d}")
    return "\n".join(rows) + "\n"


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def omnivox(*args):
    out = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        fail(f"omnivox {' '.join(args)}: exit {out.returncode}: {out.stderr}")
    return out.stdout.strip()


def token(tenant, scope):
    return omnivox("token", "create", "--storage", DB, "--tenant", tenant, "--scope", scope)


class Server:
    def __init__(self, *extra, port=PORT, tls=None, storage=DB, env=None):
        self.port = port
        self.tls = tls
        args = [BINARY, "serve", "--storage", storage, "--listen", f"127.0.0.1:{port}",
                "--speed", "5", "--drain-timeout", "2", *extra]
        if tls:
            args += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        self.log = open(os.path.join(WORK, f"serve-{port}.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **(env or {})))
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail(f"omnivox serve exited {self.proc.returncode}: {self.logs()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        fail("omnivox serve did not listen within 20 s")

    def logs(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                fail("omnivox serve did not stop within 30 s of SIGTERM")
        return self.proc.returncode


def request(method, path, token=None, body=None, content_type="application/json", port=PORT,
            headers=None, tls=False):
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=ctx)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        h["Content-Type"] = content_type
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = raw.decode("utf-8", "replace")
    return r.status, payload


def ok(method, path, token, body=None, content_type="application/json", expect=(200, 201)):
    status, payload = request(method, path, token, body, content_type)
    check(status in expect, f"{method} {path}: {status} {payload}")
    return payload


def wait_for(what, predicate, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    fail(f"timed out waiting for {what}")


def running_campaign(control):
    ok("POST", "/v1/campaigns", control, CAMPAIGN)
    report = ok("POST", "/v1/campaigns/demo/contacts?list=main", control, contacts_csv(60),
                "text/csv")
    check(report["rows_loaded"] == 60, f"import report {report}")
    for agent in range(4):
        ok("PUT", f"/v1/campaigns/demo/agents/{agent}/state", control, {"state": "AVAILABLE"})
    ok("POST", "/v1/campaigns/demo/start", control)


def case_api():
    control = token("acme", "control")
    server = Server()
    try:
        running_campaign(control)
        status, err = request("POST", "/v1/campaigns", control, CAMPAIGN)
        check(status == 409 and err["error"]["code"] == "campaign_exists", f"duplicate: {err}")
        status, err = request("POST", "/v1/campaigns", control, {"id": "x", "dial_mode": "NOPE"})
        check(status == 400 and err["error"]["field"] == "dial_mode", f"bad field: {err}")
        status, err = request("POST", "/v1/campaigns", control, "{not json")
        check(status == 400 and err["error"]["code"] == "invalid_json", f"bad json: {err}")
        bad = ok("POST", "/v1/campaigns/demo/contacts?list=extra", control,
                 "id,phone\nz1,not-a-number\n", "text/csv")
        check(bad["rows_rejected"] == 1 and bad["errors"][0]["line"] == 2, f"report {bad}")
        one = ok("POST", "/v1/campaigns/demo/contacts", control,
                 {"external_id": "solo", "numbers": ["+351912399999"], "priority": 5,
                  "attributes": {"name": "Ana"}})
        check(one["priority"] == 5 and one["attributes"]["name"] == "Ana", f"contact {one}")
        status, err = request("POST", "/v1/campaigns/demo/contacts", control,
                              {"numbers": ["12345"]})
        check(status == 400 and err["error"]["field"] == "numbers[0]", f"bad number: {err}")
        stats = wait_for("attempts", lambda: (lambda s: s if s["attempts"] >= 5 else None)(
            ok("GET", "/v1/campaigns/demo/statistics", control)))
        check(stats["agents_by_state"]["LOGGED_OUT"] == 0, f"agents {stats}")
        page = wait_for("call records", lambda: (lambda p: p if len(p["calls"]) >= 3 else None)(
            ok("GET", "/v1/campaigns/demo/calls?limit=100", control)))
        first = ok("GET", "/v1/campaigns/demo/calls?limit=2", control)
        check(len(first["calls"]) == 2 and first["next_after"] == first["calls"][1]["call_id"],
              f"page {first}")
        second = ok("GET", f"/v1/campaigns/demo/calls?limit=2&after={first['next_after']}",
                    control)
        check(second["calls"][0]["call_id"] > first["calls"][1]["call_id"], "pages in order")
        call = page["calls"][0]
        future = ok("GET", "/v1/campaigns/demo/calls?from=2100-01-01T00:00:00Z", control)
        check(future["calls"] == [], "time filter")
        status, err = request("GET", "/v1/campaigns/demo/calls?disposition=NOPE", control)
        check(status == 400 and err["error"]["field"] == "disposition", f"{err}")
        contact = ok("GET", f"/v1/campaigns/demo/contacts/{call['contact_id']}", control)
        check(contact["calls"] and "reason" in contact["eligibility"], f"contact {contact}")
        patched = ok("PATCH", f"/v1/campaigns/demo/contacts/{call['contact_id']}", control,
                     {"priority": 9})
        check(patched["priority"] == 9, f"patch {patched}")
        cb = ok("POST", "/v1/campaigns/demo/callbacks", control,
                {"contact_id": one["id"], "at": "2100-01-01T10:00:00Z", "agent_id": 1})
        check(cb["status"] == "CALLBACK", f"callback {cb}")
        cbs = ok("GET", "/v1/campaigns/demo/callbacks", control)
        check(any(c["contact_id"] == one["id"] for c in cbs["callbacks"]), f"callbacks {cbs}")
        ok("POST", "/v1/dnc", control, {"list": "demo", "number": "+351912300001"})
        removed = ok("DELETE", "/v1/dnc/demo/%2B351912300001", control)
        check(removed["removed"], f"dnc removal {removed}")
        status, err = request("DELETE", "/v1/dnc/demo/%2B351912300001", control)
        check(status == 404 and err["error"]["code"] == "not_on_list", f"removed twice: {err}")
        status, err = request("POST", "/v1/dnc", control, {"list": "nope", "number": "+351912300001"})
        check(status == 404, f"dnc on an unknown campaign: {status}")
        census = ok("GET", "/v1/campaigns/demo/census", control)
        check(sum(census["by_reason"].values()) >= 61, f"census {census}")
        agents = ok("GET", "/v1/campaigns/demo/agents", control)
        check(len(agents["agents"]) == 4 and "totals" in agents, f"agents {agents}")
        ok("PUT", "/v1/campaigns/demo/agents/2/state", control,
           {"state": "PAUSED", "reason": "coaching"})
        agent = [a for a in ok("GET", "/v1/campaigns/demo/agents", control)["agents"]
                 if a["id"] == 2][0]
        check(agent["pause_reason"] == "coaching" or agent["state"] != "PAUSED", f"{agent}")
        status, err = request("PUT", "/v1/campaigns/demo/agents/99/state", control,
                              {"state": "AVAILABLE"})
        check(status == 404, f"unknown agent: {status} {err}")
        added = ok("POST", "/v1/campaigns/demo/agents", control, {"name": "extra"})
        check(added["name"] == "extra", f"agent {added}")
        status, err = request("POST", "/v1/campaigns/demo/calls/999999/disposition", control,
                              {"disposition": "SALE"})
        check(status == 404, f"disposition of an unknown call: {status}")
        status, err = request("DELETE", "/v1/campaigns/demo", control)
        check(status == 409 and err["error"]["code"] == "campaign_running", f"{err}")
        ok("POST", "/v1/campaigns/demo/pause", control)
        check(ok("GET", "/v1/campaigns/demo", control)["state"] == "paused", "paused")
        # Restart: the campaign is served again, paused as it was.
        check(server.stop() == 128 + signal.SIGTERM, "exit code 143 on SIGTERM")
        server = Server()
        check(ok("GET", "/v1/campaigns/demo", control)["state"] == "paused", "state kept")
        ok("POST", "/v1/campaigns/demo/stop", control)
        wait_for("no call in flight", lambda: request("DELETE", "/v1/campaigns/demo",
                                                      control)[0] == 200)
        status, _ = request("GET", "/v1/campaigns/demo", control)
        check(status == 404, "deleted")
    finally:
        server.stop()
    print("api: ok")


def fill(path, ids):
    out = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            out.append(str(ids[part[1:-1]]))
        else:
            out.append(part)
    return "/".join(out)


def case_auth():
    control = token("acme", "control")
    read = token("acme", "read")
    other = token("globex", "control")
    server = Server()
    try:
        running_campaign(control)
        ok("POST", "/v1/campaigns", other, dict(CAMPAIGN, id="theirs"))
        routes = [line.split() for line in omnivox("serve", "--routes").splitlines()]
        check(len(routes) >= 25, f"route table {routes}")
        ids = {"id": "demo", "agent": 0, "contact": 1, "call": 1, "path": "index.html",
               "list": "demo", "number": "%2B351912300001"}
        tried = 0
        for method, path, auth in routes:
            if auth == "signed":  # a provider's webhook: its signature, case twilio
                continue
            url = fill(path, ids)
            if auth == "public":
                status, _ = request(method, url)
                check(status == 200, f"{method} {url} (public): {status}")
                continue
            body = {} if method in ("POST", "PUT", "PATCH") else None
            for who, tok, expected in (("no token", None, {401}),
                                       ("a wrong token", "ovx_" + "0" * 48, {401}),
                                       ("a malformed header", "", {401})):
                status, err = request(method, url, tok, body)
                check(status in expected, f"{method} {url} with {who}: {status} {err}")
                check(err["error"]["code"] in ("unauthorized", "invalid_token"), f"{err}")
            if "{id}" in path:
                status, err = request(method, url, other, body)
                check(status == 404, f"{method} {url} with another tenant's token: {status}")
                # and the other tenant's campaign is not this tenant's
                status, _ = request(method, fill(path, dict(ids, id="theirs")), control, body)
                check(status == 404, f"{method} {path} on another tenant's campaign: {status}")
            if auth == "control":
                status, err = request(method, url, read, body)
                check(status == 403 and err["error"]["code"] == "insufficient_scope",
                      f"{method} {url} with a read token: {status} {err}")
            else:
                status, _ = request(method, url, read) if path != "/v1/events" else (200, None)
                check(status in (200, 404), f"{method} {url} with a read token: {status}")
            tried += 1
        listed = ok("GET", "/v1/campaigns", other)
        check([c["id"] for c in listed["campaigns"]] == ["theirs"], f"tenant isolation {listed}")
        # A revoked token is refused at once (the server reloads tokens on a miss) or within 5 s.
        listing = omnivox("token", "list", "--storage", DB, "--tenant", "acme")
        check("ovx_" not in listing, "token list never shows a token")
        read_id = [line.split()[0] for line in listing.splitlines()[1:] if " read " in line][0]
        omnivox("token", "revoke", "--storage", DB, "--tenant", "acme", "--id", read_id)
        wait_for("revocation", lambda: request("GET", "/v1/campaigns", read)[0] == 401, 10)
        print(f"auth: ok ({tried} protected routes)")
    finally:
        server.stop()


def case_metrics():
    control = token("acme", "control")
    read = token("acme", "read")
    server = Server()
    try:
        running_campaign(control)
        wait_for("attempts", lambda: ok("GET", "/v1/campaigns/demo/statistics", read)["attempts"]
                 >= 5)
        time.sleep(2)
        status, text = request("GET", "/metrics", read)
        check(status == 200, f"/metrics: {status}")
        for family in ("omnivox_attempts_total", "omnivox_calls_active", "omnivox_agents",
                       "omnivox_dial_level", "omnivox_abandon_ratio",
                       "omnivox_post_dial_delay_seconds_bucket",
                       "omnivox_connect_delay_seconds_count", "omnivox_amd_verdicts_total",
                       "omnivox_leases_held", "omnivox_telephony_errors_total",
                       "omnivox_storage_errors_total"):
            check(family in text, f"/metrics lacks {family}")
        path = os.path.join(WORK, "metrics.txt")
        with open(path, "w") as f:
            f.write(text)
        promtool = shutil.which("promtool")
        if not promtool:
            fail("promtool not found (Debian package prometheus; cmake/bootstrap.sh installs it)")
        with open(path) as f:
            out = subprocess.run([promtool, "check", "metrics"], stdin=f, capture_output=True,
                                 text=True, timeout=60)
        check(out.returncode == 0, f"promtool check metrics: {out.stdout} {out.stderr}")
        scraped = scrape_with_prometheus(read)
        print(f"metrics: ok (promtool check metrics passed; Prometheus scraped {scraped})")
    finally:
        server.stop()


def scrape_with_prometheus(read):
    """A Prometheus server scrapes /metrics with the read token; returns omnivox_agents' value
    for AVAILABLE as Prometheus stored it."""
    prometheus = shutil.which("prometheus")
    if not prometheus:
        fail("prometheus not found (Debian package prometheus; cmake/bootstrap.sh installs it)")
    config = os.path.join(WORK, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"""global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: omnivox
    authorization: {{credentials: "{read}"}}
    static_configs: [{{targets: ["127.0.0.1:{PORT}"]}}]
""")
    log = open(os.path.join(WORK, "prometheus.log"), "w")
    proc = subprocess.Popen([prometheus, "--config.file", config, "--storage.tsdb.path",
                             os.path.join(WORK, "tsdb"), "--web.listen-address",
                             "127.0.0.1:18060"], stdout=log, stderr=subprocess.STDOUT)
    try:
        query = "/api/v1/query?query=omnivox_agents%7Bstate%3D%22AVAILABLE%22%7D"

        def scraped():
            try:
                status, body = request("GET", query, port=18060)
            except OSError:
                return None
            if status != 200 or not body["data"]["result"]:
                return None
            return body["data"]["result"]

        result = wait_for("a Prometheus scrape", scraped, 45)
        status, up = request("GET", "/api/v1/query?query=up", port=18060)
        check(up["data"]["result"][0]["value"][1] == "1", f"up: {up}")
        return f"omnivox_agents{{state=AVAILABLE}} = {result[0]['value'][1]}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


class EventReader(threading.Thread):
    """Reads a Server-Sent Events stream; collects (id, event, data)."""

    def __init__(self, tok, last_id=None, path="/v1/events"):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=30)
        headers = f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
        if last_id is not None:
            headers += f"Last-Event-ID: {last_id}\r\n"
        self.sock.sendall((headers + "\r\n").encode())
        self.events = []
        self.status = None
        self.stop_after = None
        self.start()

    def run(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
                if self.status is None and b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    self.status = int(head.split()[1])
                while b"\n\n" in buf:
                    block, buf = buf.split(b"\n\n", 1)
                    fields = {}
                    for line in block.decode().split("\n"):
                        if ":" in line and not line.startswith(":"):
                            k, v = line.split(":", 1)
                            fields[k] = v.strip()
                    if "id" in fields:
                        self.events.append((int(fields["id"]), fields.get("event"),
                                            fields.get("data")))
                    if self.stop_after and len(self.events) >= self.stop_after:
                        return
        except OSError:
            return

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.join(5)


def case_events():
    control = token("acme", "control")
    read = token("acme", "read")
    server = Server()
    try:
        continuous = EventReader(read)
        running_campaign(control)
        first = EventReader(read)
        wait_for("30 events", lambda: len(first.events) >= 30)
        first.close()
        seen = list(first.events)
        last = seen[-1][0]
        time.sleep(2)  # events go on while the client is away
        resumed = EventReader(read, last_id=last)
        wait_for("events after the resume", lambda: len(resumed.events) >= 30)
        resumed.close()
        ids = [e[0] for e in seen] + [e[0] for e in resumed.events]
        check(len(ids) == len(set(ids)), "no event twice")
        check(all(b == a + 1 for a, b in zip(ids, ids[1:])),
              f"consecutive ids across the resume (around {last})")
        kinds = {e[1] for e in continuous.events}
        check({"call", "agent", "statistics"} <= kinds, f"kinds of events {kinds}")
        all_ids = [e[0] for e in continuous.events]
        check(all(b == a + 1 for a, b in zip(all_ids, all_ids[1:])), "continuous stream")
        check(set(e[0] for e in resumed.events) <= set(all_ids) or all_ids[-1] < ids[-1],
              "the resumed stream is the continuous stream's")
        continuous.close()
        # Per campaign, and an unknown campaign refused.
        status, _ = request("GET", "/v1/events?campaign=nope", read)
        check(status == 404, f"events of an unknown campaign: {status}")
        print(f"events: ok ({len(ids)} events, resumed after {last})")
    finally:
        server.stop()


def case_limits():
    control = token("acme", "control")
    server = Server("--rate-limit", "20")
    try:
        big = json.dumps(dict(CAMPAIGN, name="x" * (70 * 1024)))
        status, err = request("POST", "/v1/campaigns", control, big)
        check(status == 413, f"a 70 KiB JSON body: {status} {err}")
        time.sleep(3)
        statuses = [request("GET", "/v1/campaigns", control)[0] for _ in range(80)]
        check(429 in statuses and statuses[0] == 200, f"rate limit: {statuses}")
        status, err = request("GET", "/nope")
        check(status == 404 and err["error"]["code"] == "not_found", f"{err}")
        status, err = request("DELETE", "/healthz")
        check(status == 405, f"wrong method: {status}")
    finally:
        check(server.stop() == 143, "exit 143")
    cert, key = os.path.join(WORK, "cert.pem"), os.path.join(WORK, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   capture_output=True, check=True, timeout=60)
    server = Server(port=PORT + 1, tls=(cert, key))
    try:
        status, body = request("GET", "/healthz", port=PORT + 1, tls=True)
        check(status == 200, f"TLS healthz: {status}")
        status, body = request("GET", "/v1/campaigns", control, port=PORT + 1, tls=True)
        check(status == 200, f"TLS API: {status}")
    finally:
        server.stop()
    print("limits: ok")


def twilio_signature(auth_token, url, params):
    import base64
    import hashlib
    import hmac
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
                            ).decode()


def case_twilio():
    import re
    import urllib.parse
    control = token("acme", "control")
    auth_token = "test-auth-token"
    public = "https://dialer.example.com"
    server = Server(env={"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": auth_token})
    try:
        file = dict(CAMPAIGN, id="tw", telephony={"backend": "twilio", "public_url": public})
        created = ok("POST", "/v1/campaigns", control, file)
        check(created["telephony"] == "twilio", f"{created}")
        target = "/twilio/acme/tw/twilio/status?call=1"
        params = [("CallSid", "CA" + "1" * 32), ("CallStatus", "ringing"),
                  ("SequenceNumber", "0")]
        body = urllib.parse.urlencode(params)
        form = "application/x-www-form-urlencoded"
        status, _ = request("POST", target, body=body, content_type=form)
        check(status == 403, f"unsigned webhook: {status}")
        status, _ = request("POST", target, body=body, content_type=form,
                            headers={"X-Twilio-Signature": "AAAA"})
        check(status == 403, f"forged webhook: {status}")
        good = twilio_signature(auth_token, public + target, params)
        status, answer = request("POST", target, body=body, content_type=form,
                                 headers={"X-Twilio-Signature": good})
        check(status == 200, f"signed webhook: {status} {answer}")
        status, _ = request("POST", target, body=body, content_type=form,
                            headers={"X-Twilio-Signature": good})
        check(status == 200, f"the same webhook again (a retry): {status}")
        status, _ = request("POST", "/twilio/globex/tw/twilio/status?call=1", body=body,
                            content_type=form, headers={"X-Twilio-Signature": good})
        check(status == 404, f"another tenant's path: {status}")
        status, _ = request("POST", "/twilio/acme/demo/twilio/status?call=1", body=body,
                            content_type=form, headers={"X-Twilio-Signature": good})
        check(status == 404, f"a campaign that is not there: {status}")
        # An inbound call to a queue's number reaches the number's voice URL: it is queued (no
        # agent has the queue's skill here) and held by TwiML that fetches the call's own voice
        # URL; Twilio's repeat of the request gets the same call.
        inbound = dict(CAMPAIGN, id="tw2", telephony={"backend": "twilio", "public_url": public},
                       inbound=[{"id": "help", "numbers": ["+15550100001"]}])
        ok("POST", "/v1/campaigns", control, inbound)
        target = "/twilio/acme/tw2/twilio/inbound"
        params = [("CallSid", "CA" + "2" * 32), ("From", "+12125550101"),
                  ("To", "+15550100001"), ("CallStatus", "ringing")]
        body = urllib.parse.urlencode(params)
        signed = {"X-Twilio-Signature": twilio_signature(auth_token, public + target, params)}
        status, answer = request("POST", target, body=body, content_type=form, headers=signed)
        text = answer if isinstance(answer, str) else str(answer)
        held = re.search(r"<Redirect[^>]*>" + re.escape(public) +
                         r"/twilio/acme/tw2/twilio/voice\?call=(\d+)</Redirect>", text)
        check(status == 200 and held, f"inbound call: {status} {text}")
        check(int(held.group(1)) >= 2 ** 55, f"inbound call id {held.group(1)}")
        status, again = request("POST", target, body=body, content_type=form, headers=signed)
        again = again if isinstance(again, str) else str(again)
        check(status == 200 and held.group(0) in again, f"inbound call again: {status} {again}")
        print("twilio: ok")
    finally:
        server.stop()


def postgres_url(conninfo):
    """The cluster tool's libpq keyword string as a postgresql:// URL."""
    kv = dict(part.split("=", 1) for part in conninfo.split())
    user = kv["user"] + "@" if kv.get("user") else ""
    return f"postgresql://{user}{kv['host']}:{kv['port']}/{kv['dbname']}"


def case_postgres():
    global DB
    pg_tool = sys.argv[3]
    pg_dir = tempfile.mkdtemp(prefix="omnivox-serve-pg-")  # its own: the tool gives it to postgres
    server = None
    try:
        conninfo = subprocess.run([pg_tool, "createdb", pg_dir, "omnivox_serve"],
                                  capture_output=True, text=True, timeout=120)
        check(conninfo.returncode == 0, f"omnivox_pg_cluster createdb: {conninfo.stderr}")
        DB = postgres_url(conninfo.stdout.strip())
        control, read = token("acme", "control"), token("acme", "read")
        server = Server(storage=DB)
        running_campaign(control)
        wait_for("call records", lambda: len(calls(control)) >= 3)
        status, _ = request("GET", "/v1/campaigns", "ovx_" + "0" * 48)
        check(status == 401, f"wrong token: {status}")
        status, err = request("POST", "/v1/campaigns/demo/pause", read)
        check(status == 403, f"read token on a control route: {status} {err}")
        check(ok("GET", "/v1/campaigns/demo", read)["state"] == "running", "read token reads")
        before = calls(control)
        check(server.stop() == 128 + signal.SIGTERM, "exit code 143 on SIGTERM")
        # Same database, a new process: campaign and tokens come back from PostgreSQL.
        server = Server(storage=DB)
        listed = ok("GET", "/v1/campaigns", read)
        check([c["id"] for c in listed["campaigns"]] == ["demo"], f"campaign kept: {listed}")
        check(ok("GET", "/v1/campaigns/demo", control)["state"] == "running", "state kept")
        after = calls(control)  # statistics count this process's attempts; records are stored
        check(before <= after, f"call records kept: {len(before)} before, {len(after)} after")
        status, _ = request("GET", "/v1/campaigns", "ovx_" + "0" * 48)
        check(status == 401, f"wrong token after the restart: {status}")
        status, _ = request("POST", "/v1/campaigns/demo/pause", read)
        check(status == 403, f"read token on a control route after the restart: {status}")
        listing = omnivox("token", "list", "--storage", DB, "--tenant", "acme")
        read_id = [line.split()[0] for line in listing.splitlines()[1:] if " read " in line][0]
        omnivox("token", "revoke", "--storage", DB, "--tenant", "acme", "--id", read_id)
        check([line.split()[4] for line in omnivox("token", "list", "--storage", DB).splitlines()
               if line.startswith(read_id)] == ["yes"], "listed as revoked")
        wait_for("revocation", lambda: request("GET", "/v1/campaigns", read)[0] == 401, 15)
        ok("POST", "/v1/campaigns/demo/pause", control)
        check(ok("GET", "/v1/campaigns/demo", control)["state"] == "paused", "paused")
        check(server.stop() == 128 + signal.SIGTERM, "exit code 143 on the second SIGTERM")
        print("postgres: ok")
    finally:
        if server:
            server.stop()
        subprocess.run([pg_tool, "stop", pg_dir], capture_output=True, timeout=120)
        shutil.rmtree(pg_dir, ignore_errors=True)


def calls(token):
    return {c["call_id"] for c in ok("GET", "/v1/campaigns/demo/calls?limit=1000", token)["calls"]}


try:
    {"postgres": case_postgres, "twilio": case_twilio, "api": case_api, "auth": case_auth, "metrics": case_metrics, "events": case_events,
     "limits": case_limits}[CASE]()
finally:
    shutil.rmtree(WORK, ignore_errors=True)
