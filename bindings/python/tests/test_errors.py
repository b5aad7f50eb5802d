"""Python objects the engine calls stay alive as long as it uses them, and a Python callback that
fails is never silent: it is counted, logged through the engine's log and raised (CallbackError,
chained to the original exception, naming the callback) from the host's next run_for /
run_until_done / poll."""

import datetime as dt
import gc

import pytest

import omnivox
from conftest import MONDAY_9, Dispositioner, ScriptedTelephony, open_campaign

CAMPAIGN = """{
  "id": "study", "dial_mode": "PROGRESSIVE", "agents": 4,
  "start": "2026-05-04T13:00:00Z", "call_window": "09:00-21:00"
}"""


def simulation(log=None):
    """A simulated campaign with 4 agents and 300 contacts, not started; `log` collects the
    engine's log lines."""
    f = omnivox.parse_campaign_json(CAMPAIGN)
    opts = None
    if log is not None:
        opts = omnivox.Simulation.quiet_engine_options()
        opts.log_sink = lambda level, message: log.append(message)
    sim = omnivox.Simulation(f.simulation, f.start, engine_options=opts)
    sim.engine.add_campaign(f.campaign)
    for i in range(300):
        sim.engine.add_contact("study", omnivox.Contact(external_id=str(i),
                                                        numbers=[f"+1212{2000000 + i}"]))
    sim.add_agents("study", 4)
    return sim


class Progressive(omnivox.PacingPolicy):
    def decide(self, snapshot):
        return max(0, snapshot.agents_idle - snapshot.calls_pending)


class Returns(omnivox.PacingPolicy):
    """decide() returns a fixed value (a wrong one in these tests)."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def decide(self, snapshot):
        return self.value


def test_a_python_policy_the_host_does_not_keep_still_dials():
    sim = simulation()
    sim.engine.set_pacing_policy("study", Progressive())  # no other reference
    gc.collect()
    sim.engine.start_campaign("study")
    sim.engine.run_for(dt.timedelta(hours=1))
    assert sim.engine.statistics("study").attempts > 20
    assert sim.engine.callback_error_count == 0


def test_bench_with_a_lambda_policy_dials():
    f = omnivox.parse_campaign_json(CAMPAIGN)
    table = omnivox.bench.bench(f, [lambda sim: Progressive(), "progressive"], seeds=2,
                                hours=0.5, synthetic_contacts=300)
    by_policy = list(table.values())
    # The Python rule is the built-in progressive rule: same seeds, same occupancy.
    assert by_policy[0]["occupancy"].mean > 0.2
    assert by_policy[0]["occupancy"].mean == pytest.approx(by_policy[1]["occupancy"].mean)


@pytest.mark.parametrize("value, error, text", [
    (10**12, ValueError, "returned 1000000000000"),
    (-3, ValueError, "returned -3"),
    (None, TypeError, "not NoneType"),
    (2.5, TypeError, "not float"),
    (True, TypeError, "not bool"),
])
def test_a_bad_decision_is_raised_from_the_run(value, error, text):
    log = []
    sim = simulation(log)
    sim.engine.set_pacing_policy("study", Returns(value))
    sim.engine.start_campaign("study")
    with pytest.raises(omnivox.CallbackError) as info:
        sim.engine.run_for(dt.timedelta(hours=8))
    assert info.value.where == "PacingPolicy.decide"
    assert isinstance(info.value.__cause__, error) and text in str(info.value.__cause__)
    assert "PacingPolicy.decide" in str(info.value)
    # The run stopped early rather than stalling to the end of the 8 hours.
    assert sim.engine.now() < f_start() + dt.timedelta(hours=1)
    assert sim.engine.callback_error_count >= 1
    assert any("python callback: PacingPolicy.decide raised" in m for m in log)


def f_start():
    return omnivox.parse_campaign_json(CAMPAIGN).start


def test_an_exception_in_decide_is_raised_once_and_the_engine_stays_usable():
    class Flaky(Progressive):
        calls = 0

        def decide(self, snapshot):
            Flaky.calls += 1
            if Flaky.calls == 3:
                raise ZeroDivisionError("third decision")
            return super().decide(snapshot)

    sim = simulation()
    sim.engine.set_pacing_policy("study", Flaky())
    sim.engine.start_campaign("study")
    with pytest.raises(omnivox.CallbackError, match="ZeroDivisionError: third decision") as info:
        sim.engine.run_until_done(dt.timedelta(hours=8))
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert info.value.__cause__.__traceback__ is not None
    assert sim.engine.callback_error_count == 1
    # Raised once: the host may go on.
    sim.engine.run_for(dt.timedelta(hours=1))
    assert sim.engine.statistics("study").attempts > 20


def test_a_policy_that_keeps_failing_fails_every_run():
    sim = simulation()
    sim.engine.set_pacing_policy("study", Returns(None))
    sim.engine.start_campaign("study")
    for _ in range(3):
        with pytest.raises(omnivox.CallbackError):
            sim.engine.run_for(dt.timedelta(hours=1))
    assert sim.engine.statistics("study").attempts == 0


def test_errors_only_counted_when_raising_is_off():
    sim = simulation()
    sim.engine.raise_callback_errors = False
    sim.engine.set_pacing_policy("study", Returns(None))
    sim.engine.start_campaign("study")
    sim.engine.run_for(dt.timedelta(minutes=10))
    assert sim.engine.callback_error_count >= 1
    assert sim.engine.last_callback_error().where == "PacingPolicy.decide"


def test_a_listener_error_is_raised_from_the_run():
    class Faulty(Dispositioner):
        def on_attempt_finished(self, attempt):
            raise KeyError("no such row")

    listener = Faulty()
    engine = omnivox.Engine(omnivox.memory_storage(), ScriptedTelephony(),
                            omnivox.VirtualClock(MONDAY_9), listener=listener)
    listener.engine = engine
    engine.add_campaign(open_campaign())
    for i in range(20):
        engine.add_contact("c1", omnivox.Contact(numbers=[f"+1212555{i:04d}"]))
    engine.set_agent_state(engine.add_agent("c1", "a"), omnivox.AgentState.AVAILABLE)
    engine.start_campaign("c1")
    with pytest.raises(omnivox.CallbackError) as info:
        engine.run_until_done(dt.timedelta(hours=3))
    assert info.value.where == "EventListener.on_attempt_finished"
    assert isinstance(info.value.__cause__, KeyError)
    engine.close()


def test_a_telephony_error_is_raised_from_the_run():
    class Down(ScriptedTelephony):
        def originate(self, request):
            raise ConnectionError("trunk down")

    engine = omnivox.Engine(omnivox.memory_storage(), Down(), omnivox.VirtualClock(MONDAY_9))
    engine.add_campaign(open_campaign())
    engine.add_contact("c1", omnivox.Contact(numbers=["+12125550100"]))
    engine.set_agent_state(engine.add_agent("c1", "a"), omnivox.AgentState.AVAILABLE)
    engine.start_campaign("c1")
    with pytest.raises(omnivox.CallbackError, match="Telephony.originate") as info:
        engine.run_for(dt.timedelta(minutes=5))
    assert isinstance(info.value.__cause__, ConnectionError)
    engine.close()


def test_a_log_sink_error_is_counted_and_raised_not_looped():
    def sink(level, message):
        raise RuntimeError("disk full")

    opts = omnivox.EngineOptions()
    opts.log_sink = sink
    del sink
    engine = omnivox.Engine(omnivox.memory_storage(), ScriptedTelephony(),
                            omnivox.VirtualClock(MONDAY_9), options=opts)
    del opts
    gc.collect()
    engine.add_campaign(open_campaign())
    engine.start_campaign("c1")  # logs "campaign c1 started" (INFO)
    with pytest.raises(omnivox.CallbackError, match="log sink raised RuntimeError") as info:
        engine.poll()
    assert info.value.where == "log sink"
    assert engine.callback_error_count >= 1
    engine.close()
