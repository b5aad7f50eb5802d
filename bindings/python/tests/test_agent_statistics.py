"""Engine.agent_statistics: per agent and per campaign figures of a seeded simulation, their
15-minute series and the pandas conversion."""

import datetime as dt

import pytest

import omnivox
from conftest import MONDAY_9, open_campaign


def run_campaign(minutes=50):
    w = omnivox.SimulationOptions()
    w.seed = 9
    w.parametric.p_live = 0.4
    sim = omnivox.Simulation(w, MONDAY_9)
    e = sim.engine
    e.add_campaign(open_campaign())
    for i in range(400):
        e.add_contact("c1", omnivox.Contact(numbers=[f"+1212{2000000 + i}"]))
    agents = sim.add_agents("c1", 3)
    e.start_campaign("c1")
    e.run_for(dt.timedelta(minutes=minutes))
    e.stop_campaign("c1")
    assert e.run_until_done(dt.timedelta(hours=1))
    return sim, e, agents


def test_times_add_up_and_calls_handled_match_the_call_records():
    sim, e, agents = run_campaign()
    s = e.agent_statistics("c1")
    assert isinstance(s, omnivox.AgentStatistics)
    assert s.campaign_id == "c1"
    assert s.interval == dt.timedelta(minutes=15)
    assert [a.agent for a in s.agents] == list(agents)
    records = omnivox.to_pandas(sim.storage.attempts("c1"))
    bridged = records[records["bridged_at"].notna()]
    elapsed = (s.at - MONDAY_9).total_seconds()
    for a in s.agents:
        t = a.totals
        assert t.talk_seconds + t.wrap_seconds + t.idle_seconds + t.paused_seconds == \
            pytest.approx(t.logged_in_seconds, abs=1e-6)
        assert t.logged_in_seconds == pytest.approx(elapsed, abs=1e-6)
        assert 0 < t.occupancy <= 1
        assert t.calls_handled == (bridged["agent"] == a.agent).sum() > 0
        assert sum(t.dispositions.values()) == t.calls_handled
        sales = t.dispositions[omnivox.Disposition.SALE]
        assert t.per_logged_in_hour(sales) == pytest.approx(sales * 3600 / t.logged_in_seconds)
        assert len(a.intervals) == len(s.intervals)
        assert sum(i.logged_in_seconds for i in a.intervals) == \
            pytest.approx(t.logged_in_seconds, abs=1e-6)
        assert a.state == omnivox.AgentState.AVAILABLE
    assert s.totals.calls_handled == len(bridged) == e.statistics("c1").connects
    cs = e.statistics("c1")
    assert 0 <= cs.abandon_rate_window <= 1
    assert s.intervals[0].start == MONDAY_9
    assert all(b.start - a.start == s.interval for a, b in zip(s.intervals, s.intervals[1:]))
    assert "AgentStatistics(" in repr(s) and "occupancy=" in repr(s.totals)


def test_to_pandas_one_row_per_agent_or_per_agent_and_interval():
    pytest.importorskip("pandas")
    _, e, agents = run_campaign(minutes=35)
    s = e.agent_statistics("c1")
    df = s.to_pandas()
    assert list(df["agent"]) == list(agents)
    assert {"name", "state", "calls_handled", "talk_seconds", "wrap_seconds", "idle_seconds",
            "paused_seconds", "logged_in_seconds", "occupancy", "longest_idle_seconds",
            "dispositions.SALE"} <= set(df.columns)
    assert df["calls_handled"].sum() == s.totals.calls_handled
    per_interval = s.to_pandas(intervals=True)
    assert len(per_interval) == len(agents) * len(s.intervals)
    assert per_interval["logged_in_seconds"].sum() == \
        pytest.approx(s.totals.logged_in_seconds, abs=1e-6)


def test_unknown_campaign_is_not_found():
    sim = omnivox.Simulation(omnivox.SimulationOptions(), MONDAY_9)
    with pytest.raises(omnivox.NotFoundError):
        sim.engine.agent_statistics("nope")
