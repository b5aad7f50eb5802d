"""Callbacks from engine threads into Python: errors reach the host and the engine goes on;
misuse is an error, not a crash; a long real-clock run with owned engine threads neither
deadlocks nor leaks."""

import datetime as dt
import gc
import threading
import time

import pytest

import omnivox
from conftest import MONDAY_9, Dispositioner, ScriptedTelephony, open_campaign, vm_rss_kb


def simple_engine(listener=None, telephony=None, clock=None):
    tel = telephony or ScriptedTelephony()
    engine = omnivox.Engine(omnivox.memory_storage(), tel,
                            clock or omnivox.VirtualClock(MONDAY_9), listener=listener)
    if listener is not None and hasattr(listener, "engine"):
        listener.engine = engine
    engine.add_campaign(open_campaign())
    for i in range(20):
        engine.add_contact("c1", omnivox.Contact(external_id=str(i),
                                                 numbers=[f"+1212555{i:04d}"]))
    for i in range(2):
        engine.set_agent_state(engine.add_agent("c1", f"a{i}"), omnivox.AgentState.AVAILABLE)
    return engine, tel


def test_listener_that_raises_reaches_the_host_and_the_engine_goes_on():
    class Faulty(Dispositioner):
        def on_call_state(self, change):
            super().on_call_state(change)
            if change.to_state == omnivox.CallState.RINGING:
                raise ValueError(f"boom on call {change.call_id}")

    logged = []
    listener = Faulty()
    opts = omnivox.EngineOptions()
    opts.log_sink = lambda level, message: logged.append(message)
    engine = omnivox.Engine(omnivox.memory_storage(), ScriptedTelephony(),
                            omnivox.VirtualClock(MONDAY_9), listener=listener, options=opts)
    listener.engine = engine
    engine.raise_callback_errors = False  # count and log only: the run goes on to the end
    engine.add_campaign(open_campaign())
    for i in range(20):
        engine.add_contact("c1", omnivox.Contact(numbers=[f"+1212555{i:04d}"]))
    for i in range(2):
        engine.set_agent_state(engine.add_agent("c1", f"a{i}"), omnivox.AgentState.AVAILABLE)
    engine.start_campaign("c1")
    assert engine.run_until_done(dt.timedelta(hours=3))
    s = engine.statistics("c1")
    assert s.attempts == 20 and s.contacts_final == 20  # the engine went on
    assert engine.callback_error_count == 20
    err = engine.last_callback_error()
    assert isinstance(err, omnivox.CallbackError)
    assert isinstance(err.__cause__, ValueError) and "boom" in str(err.__cause__)
    assert err.where == "EventListener.on_call_state"
    assert any("ValueError: boom" in m for m in logged)
    engine.clear_callback_errors()
    assert engine.callback_error_count == 0 and engine.last_callback_error() is None
    engine.close()


def test_telephony_that_raises_fails_the_attempt_and_the_engine_goes_on():
    class Flaky(ScriptedTelephony):
        def originate(self, request):
            if request.call_id % 3 == 0:
                raise RuntimeError("provider down")
            super().originate(request)

        def bridge(self, call_id, agent):
            super().bridge(call_id, agent)
            self.schedule(1, lambda: 1 / 0)  # a timer callback that raises

    listener = Dispositioner()
    engine, tel = simple_engine(listener, telephony=Flaky())
    engine.raise_callback_errors = False
    engine.start_campaign("c1")
    assert engine.run_until_done(dt.timedelta(hours=3))
    s = engine.statistics("c1")
    assert s.attempts == 20 and s.contacts_final == 20
    failed = s.dispositions[omnivox.Disposition.FAILED]
    assert failed == len([c for c in range(1, 21) if c % 3 == 0])
    attempts = engine.storage.attempts("c1")
    assert {a.fail_reason for a in attempts if a.disposition == omnivox.Disposition.FAILED} \
        == {omnivox.FailReason.CONFIG}
    wheres = engine.last_callback_error().where
    assert wheres in ("Telephony.originate", "Telephony.schedule callback")
    assert engine.callback_error_count == failed + s.connects
    engine.close()


def test_misuse_is_an_error_not_a_crash():
    with pytest.raises(TypeError):
        omnivox.Engine(omnivox.memory_storage(), object(), omnivox.VirtualClock(MONDAY_9))
    with pytest.raises(omnivox.InvalidArgumentError):
        omnivox.Engine(omnivox.memory_storage(), None, omnivox.VirtualClock(MONDAY_9))
    with pytest.raises(omnivox.InvalidArgumentError):
        omnivox.Engine(None, ScriptedTelephony(), omnivox.VirtualClock(MONDAY_9))
    with pytest.raises(TypeError):
        omnivox.VirtualClock(dt.datetime(2026, 5, 4).date())
    with pytest.raises(omnivox.InvalidArgumentError, match="naive"):
        omnivox.VirtualClock(dt.datetime(2026, 5, 4))

    class Reentrant(Dispositioner):
        seen = None

        def on_pacing_decision(self, decision):
            try:
                self.engine.run_for(1)
            except omnivox.StateError as e:
                Reentrant.seen = e

    listener = Reentrant()
    engine, tel = simple_engine(listener)
    with pytest.raises(TypeError):
        engine.set_agent_state(0, 1)  # an int is not an AgentState
    with pytest.raises(TypeError):
        engine.set_agent_state(0, omnivox.Disposition.SALE)  # wrong enum
    with pytest.raises(TypeError):
        engine.add_agent("c1", b"\xff\xfe")  # bytes: not text
    with pytest.raises(omnivox.InvalidArgumentError, match="UTF-8"):
        engine.add_agent("c1", "bad \udcff name")
    with pytest.raises(omnivox.NotFoundError):
        engine.add_agent("no-such-campaign", "x")
    with pytest.raises(omnivox.InvalidArgumentError):
        engine.run_for(-5)
    with pytest.raises((TypeError, OverflowError)):
        engine.agent_state(-1)
    with pytest.raises(omnivox.OmnivoxError):
        engine.agent_state(99)
    with pytest.raises(omnivox.OmnivoxError):
        engine.run_for(float("nan"))
    engine.start_campaign("c1")
    engine.run_for(dt.timedelta(minutes=10))
    assert isinstance(Reentrant.seen, omnivox.StateError)  # refused inside a callback, no deadlock
    # one engine at a time per telephony / listener
    with pytest.raises(omnivox.StateError):
        omnivox.Engine(omnivox.memory_storage(), tel, omnivox.VirtualClock(MONDAY_9))
    sink = tel.sink
    engine.close()
    engine.close()  # idempotent
    with pytest.raises(omnivox.StateError):
        sink.report(1, omnivox.CallEventKind.RINGING)  # the engine is gone
    with pytest.raises(omnivox.StateError):
        engine.run_for(1)
    # after close the telephony may serve a new engine
    engine2 = omnivox.Engine(omnivox.memory_storage(), tel, omnivox.VirtualClock(MONDAY_9))
    engine2.close()


def test_objects_owned_by_python_outlive_their_users():
    # Only the engine holds the telephony, listener, clock and storage: they must stay alive.
    engine = omnivox.Engine(omnivox.memory_storage(), ScriptedTelephony(),
                            omnivox.VirtualClock(MONDAY_9), listener=Dispositioner())
    gc.collect()
    engine.add_campaign(open_campaign())
    engine.add_contact("c1", omnivox.Contact(numbers=["+12125550100"]))
    engine.set_agent_state(engine.add_agent("c1", "a"), omnivox.AgentState.AVAILABLE)
    engine.start_campaign("c1")
    engine.run_for(dt.timedelta(minutes=5))
    assert engine.statistics("c1").attempts == 1
    clock = engine.clock
    del engine
    gc.collect()
    assert clock.now() >= MONDAY_9  # the clock outlives the engine
    # A simulation's engine keeps the simulation alive.
    sim_engine = omnivox.Simulation(omnivox.SimulationOptions(), MONDAY_9).engine
    gc.collect()
    sim_engine.add_campaign(open_campaign())
    assert sim_engine.statistics("c1").attempts == 0


class FastTelephony(omnivox.Telephony):
    """Answers every other call after 1 ms; talks 2 ms. Reports from the clock's timer thread."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self.answered = set()
        self.ended = set()
        self.lock = threading.Lock()

    def originate(self, request):
        K = omnivox.CallEventKind
        call = request.call_id
        self.count += 1
        self.sink.report(call, K.INITIATED)
        if self.count % 2:
            self.schedule(0.001, lambda: self._finish(call, K.ANSWERED))
        else:
            self.schedule(0.001, lambda: self._finish(call, K.BUSY))

    def _finish(self, call, kind):
        if call in self.ended:
            return
        if kind == omnivox.CallEventKind.ANSWERED:
            self.answered.add(call)
        else:
            self.ended.add(call)
        self.sink.report(call, kind)

    def bridge(self, call_id, agent):
        self.sink.report(call_id, omnivox.CallEventKind.BRIDGED)
        self.schedule(0.002, lambda: self._finish(call_id, omnivox.CallEventKind.COMPLETED))

    def hangup(self, call_id):
        kind = (omnivox.CallEventKind.COMPLETED if call_id in self.answered
                else omnivox.CallEventKind.CANCELED)
        self._finish(call_id, kind)

    def play(self, call_id, message):
        pass


def real_clock_run(seconds, contacts=6000, agents=20):
    listener = Dispositioner()
    tel = FastTelephony()
    engine = omnivox.Engine(omnivox.memory_storage(keep_journal=False), tel,
                            omnivox.system_clock(), listener=listener)
    listener.engine = engine
    c = open_campaign()
    c.hold_window = dt.timedelta(seconds=2)
    engine.add_campaign(c)
    for i in range(contacts):
        engine.add_contact("c1", omnivox.Contact(numbers=[f"+1212{2000000 + i}"]))
    for i in range(agents):
        engine.set_agent_state(engine.add_agent("c1", f"a{i}"), omnivox.AgentState.AVAILABLE)
    engine.start_campaign("c1")
    engine.start(threads=2)
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        time.sleep(0.05)
        s = engine.statistics("c1")  # Python thread reading while engine threads call back
        if s.contacts_final == s.contacts_total:
            break
    elapsed = time.monotonic() - t0
    engine.stop()
    stats = engine.statistics("c1")
    errors = engine.callback_error_count
    engine.close()
    events = sum(listener.counts.values())
    return events / elapsed, stats, errors, listener


def test_real_clock_engine_threads_calling_python_under_load_no_deadlock_no_leak():
    rate, stats, errors, listener = real_clock_run(2.0)  # warm-up
    assert errors == 0
    assert stats.attempts > 500, stats
    assert listener.counts["call"] > 0 and listener.counts["agent"] > 0
    assert rate > 1000, f"only {rate:.0f} events/s"
    gc.collect()
    before = vm_rss_kb()
    rates = []
    for _ in range(4):
        rate, stats, errors, _ = real_clock_run(2.0)
        rates.append(rate)
        assert errors == 0 and stats.attempts > 500
    gc.collect()
    growth_kb = vm_rss_kb() - before
    print(f"events/s per run: {[round(r) for r in rates]}; RSS growth {growth_kb} kB")
    assert growth_kb < 30 * 1024, f"RSS grew {growth_kb} kB over 4 runs"


class AmdTelephony(ScriptedTelephony):
    """Answers every call; counts the calls whose detection the engine stops."""

    def __init__(self):
        super().__init__(answer_every=1)
        self.amd_stopped = []

    def stop_amd(self, call_id):
        self.amd_stopped.append(call_id)


def amd_run(telephony, raise_callback_errors=True):
    """Under the default US_FTC_FCC profile each AMD machine result counts 0.05 abandons, so the
    first answer of a campaign with AMD finds no live answer in the window to take it: the
    engine puts the answer through unclassified (AMD suspended at the cap). 11:00 in New York,
    inside the profile's calling hours."""
    listener = Dispositioner()
    engine = omnivox.Engine(omnivox.memory_storage(), telephony,
                            omnivox.VirtualClock(MONDAY_9 + dt.timedelta(hours=6)),
                            listener=listener)
    listener.engine = engine
    engine.raise_callback_errors = raise_callback_errors
    c = open_campaign("amd")
    c.compliance = omnivox.CampaignConfig().compliance
    c.amd = True
    engine.add_campaign(c)
    engine.add_contact("amd", omnivox.Contact(numbers=["+12125551001"]))
    engine.set_agent_state(engine.add_agent("amd", "ada"), omnivox.AgentState.AVAILABLE)
    engine.start_campaign("amd")
    assert engine.run_until_done(dt.timedelta(hours=1))
    return engine


def test_amd_suspended_at_the_cap_stops_the_hosts_detection():
    tel = AmdTelephony()
    engine = amd_run(tel)
    s = engine.statistics("amd")
    assert s.amd_suspended == 1 and s.connects == 1
    assert tel.amd_stopped == tel.originated == [engine.storage.attempts("amd")[0].call_id]
    assert engine.callback_error_count == 0
    engine.close()


def test_amd_suspended_at_the_cap_without_stop_amd_or_with_one_that_raises():
    plain = ScriptedTelephony(answer_every=1)  # no stop_amd: the default does nothing
    engine = amd_run(plain)
    s = engine.statistics("amd")
    assert s.amd_suspended == 1 and s.connects == 1 and engine.callback_error_count == 0
    engine.close()

    class Raising(AmdTelephony):
        def stop_amd(self, call_id):
            super().stop_amd(call_id)
            raise RuntimeError("detector gone")

    tel = Raising()
    engine = amd_run(tel, raise_callback_errors=False)
    s = engine.statistics("amd")
    assert s.amd_suspended == 1 and s.connects == 1  # the call still went to the agent
    assert len(tel.amd_stopped) == 1
    err = engine.last_callback_error()
    assert err.where == "Telephony.stop_amd" and isinstance(err.__cause__, RuntimeError)
    engine.close()
