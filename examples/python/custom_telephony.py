#!/usr/bin/python3
"""A campaign whose telephony backend is written in Python.

`ToyProvider` plays a carrier: originate() queues a request to a provider thread (as a real
backend would send an HTTP request or a SIP INVITE) and the thread reports the call's progress
through the engine's CallEventSink from its own thread -- ringing, then answered, busy or no
answer; bridged calls talk for a while and complete. The engine runs on its own threads with a
real clock (sped up), an EventListener plays the agents' dispositions, and the main thread
prints live statistics.

    PYTHONPATH=build/bindings/python /usr/bin/python3 examples/python/custom_telephony.py [--quick]
"""

import argparse
import datetime as dt
import heapq
import random
import sys
import threading
import time
from typing import Dict, List, Optional, Tuple

import omnivox

K = omnivox.CallEventKind


class ToyProvider(omnivox.Telephony):
    """A pretend carrier on a worker thread. Times are in engine-clock seconds; `speed` is the
    clock's speed-up (the thread sleeps speed times less)."""

    def __init__(self, speed: float, seed: int = 1) -> None:
        super().__init__()
        self.speed = speed
        self.rng = random.Random(seed)
        # (due wall time, seq, call_id, kind)
        self.queue: List[Tuple[float, int, int, omnivox.CallEventKind]] = []
        self.seq = 0
        self.live: Dict[int, str] = {}  # call_id -> "ringing" | "answered" | "bridged"
        self.cv = threading.Condition()
        self.running = True
        self.thread = threading.Thread(target=self._run, name="toy-provider", daemon=True)
        self.thread.start()

    # -- engine -> provider (engine thread, GIL held, must not block) --
    def originate(self, request: omnivox.OriginateRequest) -> None:
        with self.cv:
            self.live[request.call_id] = "ringing"
            self._later(0.2, request.call_id, K.INITIATED)
            self._later(1.0, request.call_id, K.RINGING)
            u = self.rng.random()
            ring = self.rng.uniform(3, 15)
            if u < 0.35:
                self._later(ring, request.call_id, K.ANSWERED)
            elif u < 0.45:
                self._later(3, request.call_id, K.BUSY)
            else:
                self._later(request.ring_timeout.total_seconds(), request.call_id, K.NO_ANSWER)

    def bridge(self, call_id: int, agent: int) -> None:
        with self.cv:
            if self.live.get(call_id) == "answered":
                self.live[call_id] = "bridged"
                self._later(0.1, call_id, K.BRIDGED)
                self._later(self.rng.expovariate(1 / 60), call_id, K.COMPLETED)

    def hangup(self, call_id: int) -> None:
        with self.cv:
            state = self.live.get(call_id)
            if state is not None:
                self._later(0.1, call_id, K.CANCELED if state == "ringing" else K.COMPLETED)

    def play(self, call_id: int, message: str) -> None:
        print(f"  [provider] playing to call {call_id}: {message!r}")

    def stop(self) -> None:
        with self.cv:
            self.running = False
            self.cv.notify()

    # -- provider thread --
    def _later(self, seconds: float, call_id: int, kind: omnivox.CallEventKind) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (time.monotonic() + seconds / self.speed, self.seq, call_id,
                                    kind))
        self.cv.notify()

    def _run(self) -> None:
        while True:
            with self.cv:
                while self.running and (not self.queue or self.queue[0][0] > time.monotonic()):
                    self.cv.wait(None if not self.queue else self.queue[0][0] - time.monotonic())
                if not self.running:
                    return
                _, _, call_id, kind = heapq.heappop(self.queue)
                state = self.live.get(call_id)
                if state is None:
                    continue  # already ended
                if kind == K.ANSWERED:
                    if state != "ringing":
                        continue
                    self.live[call_id] = "answered"
                elif kind.ends_call:
                    del self.live[call_id]
            try:
                self.sink.report(call_id, kind)  # from this thread: thread-safe, non-blocking
            except omnivox.StateError:
                return  # the engine is closed


class Agents(omnivox.EventListener):
    """The agents: each call is dispositioned when its wrap-up starts."""

    def __init__(self, seed: int = 2) -> None:
        super().__init__()
        self.engine: Optional[omnivox.Engine] = None
        self.rng = random.Random(seed)
        self.finished = 0

    def on_agent_state(self, change: omnivox.AgentStateChange) -> None:
        if change.to_state == omnivox.AgentState.WRAP_UP and self.engine is not None:
            d = omnivox.Disposition.SALE if self.rng.random() < 0.2 else \
                omnivox.Disposition.NOT_INTERESTED
            self.engine.set_disposition(change.call_id, d)  # applies after this handler

    def on_attempt_finished(self, attempt: omnivox.Attempt) -> None:
        self.finished += 1


def main() -> int:
    ap = argparse.ArgumentParser(description="A campaign with a Python telephony backend")
    ap.add_argument("--quick", action="store_true", help="40 contacts, faster clock")
    args = ap.parse_args()
    contacts, speed = (40, 200.0) if args.quick else (200, 60.0)

    campaign = omnivox.CampaignConfig()
    campaign.id = "toy"
    campaign.dial_mode = omnivox.DialMode.POWER
    campaign.power_lines_per_agent = 1.5
    campaign.compliance = omnivox.ComplianceProfile.none()
    campaign.call_window = omnivox.CallWindow.always()
    campaign.max_attempts = 2
    rules = campaign.retry_rules  # a copy: edit, then assign back
    for d in (omnivox.Disposition.BUSY, omnivox.Disposition.NO_ANSWER):
        rules[d] = omnivox.RetryRule(delay=dt.timedelta(minutes=5))
    campaign.retry_rules = rules

    provider = ToyProvider(speed)
    agents = Agents()
    engine = omnivox.Engine(omnivox.memory_storage(), provider,
                            omnivox.system_clock(speed=speed), listener=agents)
    agents.engine = engine
    with engine:  # closes (stops threads) at the end
        engine.add_campaign(campaign)
        for i in range(contacts):
            engine.add_contact("toy", omnivox.Contact(external_id=f"lead-{i}",
                                                      numbers=[f"+1415555{i:04d}"]))
        for i in range(4):
            engine.set_agent_state(engine.add_agent("toy", f"agent-{i}"),
                                   omnivox.AgentState.AVAILABLE)
        engine.start_campaign("toy")
        engine.start(threads=2)
        deadline = time.monotonic() + (20 if args.quick else 120)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            s = engine.statistics("toy")
            print(f"{s.at:%H:%M:%S} attempts {s.attempts:4d} in flight {s.attempts_in_flight:2d}"
                  f" live {s.live_answers:3d} abandons {s.abandons:2d}"
                  f" final {s.contacts_final}/{s.contacts_total}")
            if s.contacts_final == s.contacts_total and s.attempts_in_flight == 0:
                break
        engine.stop()
        provider.stop()
        s = engine.statistics("toy")
        errors = engine.callback_error_count
    print(f"done: {s.attempts} attempts, {s.connects} connects, "
          f"{s.dispositions[omnivox.Disposition.SALE]} sales, {agents.finished} finished, "
          f"{errors} callback errors")
    ok = errors == 0 and s.attempts > 0 and agents.finished > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
