"""Ctrl-C stops a long run promptly with KeyboardInterrupt, with a built-in or a Python pacing
policy: a child process runs run_for(1000 h) and gets SIGINT. Its campaign never runs out of
work (every call is busy and retried a second later): uninterrupted, the run takes over 10 s."""

import os
import signal
import subprocess
import sys
import time

import pytest

CHILD = r"""
import datetime as dt, sys, time
import omnivox

class Progressive(omnivox.PacingPolicy):
    def decide(self, snapshot):
        return max(0, snapshot.agents_idle - snapshot.calls_pending)

f = omnivox.parse_campaign_json('''{
  "id": "long", "dial_mode": "PROGRESSIVE", "agents": 20, "max_attempts": 0,
  "retry": {"BUSY": 1}, "simulation": {"p_live": 0, "p_machine": 0, "p_busy": 1, "p_invalid": 0},
  "start": "2026-05-04T13:00:00Z", "call_window": "00:00-24:00"
}''')
sim = omnivox.Simulation(f.simulation, f.start)
sim.engine.add_campaign(f.campaign)
for i in range(2000):
    sim.engine.add_contact("long", omnivox.Contact(numbers=[f"+1212{2000000 + i}"]))
sim.add_agents("long", 20)
if sys.argv[1] == "python":
    sim.engine.set_pacing_policy("long", Progressive())
sim.engine.start_campaign("long")
print("running", flush=True)
start = time.monotonic()
try:
    sim.engine.run_for(dt.timedelta(hours=1000))
except KeyboardInterrupt:
    print(f"interrupted after {time.monotonic() - start:.2f} s at {sim.engine.now()}", flush=True)
    raise
print("finished", flush=True)
"""


@pytest.mark.parametrize("policy", ["builtin", "python"])
def test_ctrl_c_stops_a_long_run(policy):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, policy], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert proc.stdout.readline().strip() == "running"
        time.sleep(1.0)  # well inside the run
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "KeyboardInterrupt" in err, err
    assert "interrupted after" in out and "finished" not in out, out
    assert proc.returncode != 0
    print(f"{policy}: exited {took:.2f} s after SIGINT; {out.strip()}")
    assert took < 3.0, f"exited {took:.2f} s after SIGINT"
