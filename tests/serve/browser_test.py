#!/usr/bin/python3
"""The live campaign page in a real browser: headless Chromium (Debian chromium and
chromium-driver) driven by Selenium (python3-selenium) against `omnivox serve` on 127.0.0.1
(ports 18500-18999) with memory storage and a simulated campaign.

Usage: browser_test.py OMNIVOX_BINARY ARTIFACT_DIR CONTACTS_CSV
Checks that the numbers move, the agent table fills, the chart draws (a canvas of non-zero size)
and that Pause and Start change the campaign's state (read back through the API); a read token
leaves the buttons disabled. Saves ARTIFACT_DIR/serve_browser.png. Exits 77 (skipped) only when
the binary has no `serve` command; a missing browser is a failure. Every wait is bounded.
"""
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BINARY, ARTIFACTS, CONTACTS = sys.argv[1], sys.argv[2], sys.argv[3]
AGENTS = 5
CAMPAIGN = {
    "id": "browser",
    "name": "browser test",
    "dial_mode": "PROGRESSIVE",
    "agents": AGENTS,
    "time_zone": "UTC",
    "call_window": "00:00-24:00",
    "compliance": {"base": "NONE", "name": "TEST", "abandon_cap": 0.03, "hold_window_s": 2},
    "caller_ids": ["+351210000000"],
    "default_region": "PT",
    "contacts": {"phone_columns": ["phone"], "id_column": "id"},
    "simulation": {"seed": 5, "p_live": 0.5, "answer_delay_s": {"lognormal": [4, 1]},
                   "wrap_up_s": {"lognormal": [5, 2]}, "talk_s": {"lognormal": [20, 8]}},
}


def fail(message):
    print("FAIL:", message, flush=True)
    sys.exit(1)


def wait_for(what, check, timeout=30.0, every=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    fail(f"timed out after {timeout:.0f} s waiting for {what}")


def free_port():
    ports = list(range(18500, 19000))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    fail("no free port in 18500-18999")


class Api:
    def __init__(self, port, token):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token

    def call(self, method, path, body=None, content_type="application/json"):
        data = None
        headers = {"Authorization": "Bearer " + self.token}
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.loads(res.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")


def has_serve():
    try:
        r = subprocess.run([BINARY, "serve", "--help"], capture_output=True, timeout=20)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def main():
    if not os.path.exists(BINARY) or not has_serve():
        print("SKIP: no omnivox binary with the serve command at", BINARY)
        sys.exit(77)
    # Debian's packages; CI installs them (cmake/bootstrap.sh): their absence fails the test.
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    work = tempfile.mkdtemp(prefix="omnivox-browser-test-")
    token_file = os.path.join(work, "tokens")
    port = free_port()
    log = open(os.path.join(work, "serve.log"), "w")
    server = subprocess.Popen(
        [BINARY, "serve", "--storage", "memory", "--listen", f"127.0.0.1:{port}",
         "--token-file", token_file, "--speed", "10", "--drain-timeout", "2"],
        stdout=log, stderr=subprocess.STDOUT)
    driver = None
    try:
        def tokens():
            if server.poll() is not None:
                fail(f"omnivox serve exited with {server.returncode}")
            try:
                with open(token_file) as f:
                    pairs = dict(line.split() for line in f if line.strip())
                return pairs if "control" in pairs and "read" in pairs else None
            except OSError:
                return None
        t = wait_for("the token file", tokens, timeout=20)
        control = Api(port, t["control"])
        wait_for("the server", lambda: control.call("GET", "/v1/campaigns")[0] == 200, timeout=20)

        status, body = control.call("POST", "/v1/campaigns", CAMPAIGN)
        if status != 201:
            fail(f"create campaign: {status} {body}")
        with open(CONTACTS, encoding="utf-8") as f:
            csv = "".join(f.readline() for _ in range(401))  # header and 400 contacts
        status, body = control.call("POST", "/v1/campaigns/browser/contacts", csv, "text/csv")
        if status != 200 or body["rows_loaded"] != 400:
            fail(f"upload contacts: {status} {body}")
        for agent in range(AGENTS):
            status, body = control.call("PUT", f"/v1/campaigns/browser/agents/{agent}/state",
                                        {"state": "AVAILABLE"})
            if status != 200:
                fail(f"log agent {agent} in: {status} {body}")
        status, body = control.call("POST", "/v1/campaigns/browser/start")
        if status != 200:
            fail(f"start: {status} {body}")

        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                    "--disable-gpu", "--window-size=1400,1200"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        driver.set_page_load_timeout(30)
        base = f"http://127.0.0.1:{port}/"

        # A read token: the numbers show, the buttons stay disabled.
        driver.get(base + "#token=" + t["read"])
        wait_for("the read token's page", lambda: driver.find_element(By.ID, "attempts").text
                 not in ("", "–"))
        scope = wait_for("the scope", lambda: driver.find_element(By.ID, "scope").text)
        if scope != "read token":
            fail(f"scope shown for a read token: {scope!r}")
        if driver.find_element(By.ID, "start").is_enabled() or \
                driver.find_element(By.ID, "pause").is_enabled():
            fail("a read token enabled Start or Pause")

        # A control token.
        driver.get("about:blank")
        driver.get(base + "#token=" + t["control"] + "&campaign=browser")

        def attempts():
            text = driver.find_element(By.ID, "attempts").text
            return int(text) if text.isdigit() else None
        first = wait_for("the attempts count", attempts)
        wait_for("the attempts count to move", lambda: (attempts() or 0) > first, timeout=30)
        wait_for("a live event stream", lambda: driver.find_element(By.ID, "live").text == "live")

        # The table is redrawn every second: read it in one script call, not element by element.
        def agent_states():
            states = driver.execute_script(
                "return [...document.querySelectorAll('#agents tbody tr')]"
                ".map(r => r.cells[1].textContent)")
            return states if len(states) == AGENTS else None
        states = wait_for("the agent table", agent_states)
        if any(s not in ("AVAILABLE", "RESERVED", "ON_CALL", "WRAP_UP", "PAUSED") for s in states):
            fail(f"agent states: {states}")

        def handled():
            text = driver.execute_script(
                "const c = document.querySelectorAll('#agents tfoot td');"
                "return c.length > 3 ? c[3].textContent : '';")
            return text.isdigit() and int(text) > 0
        wait_for("calls handled by the agents", handled, timeout=40)

        def chart():
            for c in driver.find_elements(By.CSS_SELECTOR, "#chart canvas"):
                if c.size["width"] > 0 and c.size["height"] > 0:
                    return c.size
            return None
        size = wait_for("the chart's canvas", chart)
        for table in ("dispositions", "calls", "results", "census"):
            driver.find_element(By.ID, table)

        def campaign_state():
            return control.call("GET", "/v1/campaigns/browser")[1]["state"]
        pause = driver.find_element(By.ID, "pause")
        wait_for("Pause enabled", pause.is_enabled)
        pause.click()
        wait_for("the campaign paused", lambda: campaign_state() == "paused", timeout=15)
        wait_for("the page showing paused",
                 lambda: driver.find_element(By.ID, "campaign-state").text == "paused", timeout=15)
        start = driver.find_element(By.ID, "start")
        wait_for("Start enabled", start.is_enabled)
        start.click()
        wait_for("the campaign running", lambda: campaign_state() == "running", timeout=15)
        wait_for("the page showing running",
                 lambda: driver.find_element(By.ID, "campaign-state").text == "running", timeout=15)

        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.join(ARTIFACTS, "serve_browser.png")
        driver.save_screenshot(shot)
        # Refused requests are logged as "network" errors (the page's scope probe is one): only
        # script errors count.
        errors = [e for e in driver.get_log("browser")
                  if e.get("level") == "SEVERE" and e.get("source") != "network"]
        if errors:
            fail(f"browser console errors: {errors}")
        print(f"browser test: attempts moved from {first} to {attempts()}, {AGENTS} agents "
              f"({', '.join(states)}), chart {size['width']}x{size['height']}, pause and start "
              f"applied; screenshot {shot}")
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


if __name__ == "__main__":
    main()
