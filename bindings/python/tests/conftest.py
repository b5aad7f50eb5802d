"""Shared fixtures of the omnivox Python tests (run by ctest as python.pytest)."""

import datetime as dt
import os
import pathlib

import pytest

import omnivox

SOURCE_DIR = pathlib.Path(os.environ.get("OMNIVOX_SOURCE_DIR",
                                         pathlib.Path(__file__).resolve().parents[3]))
BANK_JSON = SOURCE_DIR / "examples" / "campaigns" / "bank.json"
BANK_CSV = SOURCE_DIR / "examples" / "data" / "bank-full.csv"
UTC = dt.timezone.utc
MONDAY_9 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def small_bank_csv(tmp_path):
    """The first 300 rows of the bank data set (same columns)."""
    lines = BANK_CSV.read_text(encoding="utf-8").splitlines(keepends=True)[:301]
    path = tmp_path / "bank-300.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def small_bank(small_bank_csv):
    """bank.json with its contacts (and replay data) cut to 300 rows."""
    f = omnivox.load_campaign_file(str(BANK_JSON))
    f.contacts_path = str(small_bank_csv)
    f.replay_path = str(small_bank_csv)
    return f


def open_campaign(campaign_id="c1", mode=omnivox.DialMode.PROGRESSIVE):
    """A campaign dialable at any hour (no compliance window) for engine tests."""
    c = omnivox.CampaignConfig()
    c.id = campaign_id
    c.dial_mode = mode
    c.compliance = omnivox.ComplianceProfile.none()
    c.call_window = omnivox.CallWindow.always()
    c.max_attempts = 1
    return c


class ScriptedTelephony(omnivox.Telephony):
    """A telephony backend in Python over the engine clock: every call is initiated, rings for
    `ring_s`, and then is answered (every `answer_every`-th call) or ends NO_ANSWER; a bridged
    call talks `talk_s` and completes."""

    def __init__(self, ring_s=5.0, talk_s=30.0, answer_every=2):
        super().__init__()
        self.ring_s, self.talk_s, self.answer_every = ring_s, talk_s, answer_every
        self.originated = []
        self.answered = set()
        self.ended = set()

    def originate(self, request):
        K = omnivox.CallEventKind
        call = request.call_id
        self.originated.append(call)
        self.sink.report(call, K.INITIATED)  # delivered after originate() returns
        self.schedule(self.ring_s / 2, lambda: self._report(call, K.RINGING))
        if len(self.originated) % self.answer_every == 0:
            self.schedule(self.ring_s, lambda: self._answer(call))
        else:
            self.schedule(self.ring_s, lambda: self._end(call, K.NO_ANSWER))

    def _report(self, call, kind):
        if call not in self.ended:
            self.sink.report(call, kind)

    def _answer(self, call):
        if call not in self.ended:
            self.answered.add(call)
            self.sink.report(call, omnivox.CallEventKind.ANSWERED)

    def _end(self, call, kind):
        if call not in self.ended:
            self.ended.add(call)
            self.sink.report(call, kind)

    def bridge(self, call_id, agent):
        self.sink.report(call_id, omnivox.CallEventKind.BRIDGED)
        self.schedule(self.talk_s, lambda: self._end(call_id, omnivox.CallEventKind.COMPLETED))

    def hangup(self, call_id):
        kind = (omnivox.CallEventKind.COMPLETED if call_id in self.answered
                else omnivox.CallEventKind.CANCELED)
        self._end(call_id, kind)

    def play(self, call_id, message):
        pass


class Dispositioner(omnivox.EventListener):
    """Plays the agents: a call's agent dispositions it SALE when wrap-up starts, and records
    every event kind it hears."""

    def __init__(self, disposition=omnivox.Disposition.SALE):
        super().__init__()
        self.engine = None
        self.disposition = disposition
        self.counts = {"call": 0, "agent": 0, "pacing": 0, "finished": 0}
        self.finished = []

    def on_call_state(self, change):
        self.counts["call"] += 1

    def on_agent_state(self, change):
        self.counts["agent"] += 1
        if change.to_state == omnivox.AgentState.WRAP_UP and self.engine is not None:
            self.engine.set_disposition(change.call_id, self.disposition)

    def on_pacing_decision(self, decision):
        self.counts["pacing"] += 1

    def on_attempt_finished(self, attempt):
        self.counts["finished"] += 1
        self.finished.append(attempt)


def vm_rss_kb():
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")
