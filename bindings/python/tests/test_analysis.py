"""Results for analysis: the full pacing snapshot, repr and pickling of configs and results,
the shipped scenarios, per-seed bench runs, pandas / NumPy conversions, bulk contacts and
progress reports."""

import datetime as dt
import pathlib
import pickle
import sys
import time

import pytest

import omnivox
from conftest import MONDAY_9, SOURCE_DIR, open_campaign


class Recorder(omnivox.PacingPolicy):
    """Progressive pacing that keeps a copy of what each snapshot showed."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def name(self):
        return "recorder"

    def wants_details(self):
        return True

    def decide(self, s):
        self.seen.append((list(s.recent_live_resolve_s), list(s.recent_other_resolve_s),
                          [(p.call, p.elapsed_s) for p in s.pending_calls],
                          [(b.agent, b.state, b.elapsed_s) for b in s.busy_agents],
                          s.calls_pending, s.agents_busy))
        return max(s.agents_idle - s.calls_pending, 0)


def test_snapshot_has_the_resolve_samples_and_the_calls_and_agents_in_flight():
    w = omnivox.SimulationOptions()
    w.seed = 5
    w.parametric.p_live = 0.4
    sim = omnivox.Simulation(w, MONDAY_9)
    e = sim.engine
    e.add_campaign(open_campaign())
    for i in range(200):
        e.add_contact("c1", omnivox.Contact(numbers=[f"+1212{2000000 + i}"]))
    sim.add_agents("c1", 4)
    policy = Recorder()
    e.set_pacing_policy("c1", policy)
    e.start_campaign("c1")
    e.run_for(dt.timedelta(minutes=30))
    assert policy.seen
    live, other, pending, busy, n_pending, n_busy = policy.seen[-1]
    assert any(x[0] for x in policy.seen) and any(x[1] for x in policy.seen)
    assert all(v >= 0 for x in policy.seen for v in x[0] + x[1])
    for _, _, pending, busy, n_pending, n_busy in policy.seen:
        assert len(pending) == n_pending and len(busy) == n_busy
        assert all(call > 0 and elapsed >= 0 for call, elapsed in pending)
        assert all(state in (omnivox.AgentState.RESERVED, omnivox.AgentState.ON_CALL,
                             omnivox.AgentState.WRAP_UP) and elapsed >= 0
                   for _, state, elapsed in busy)
    assert any(x[2] for x in policy.seen) and any(x[3] for x in policy.seen)
    assert "elapsed_s" in repr(omnivox.PendingCallView())
    assert omnivox.PacingSnapshot().pending_calls == []


def roundtrip(obj):
    return pickle.loads(pickle.dumps(obj))


def test_configs_pickle_and_show_their_fields(small_bank):
    f = roundtrip(small_bank)
    assert f.campaign.id == small_bank.campaign.id and f.agents == small_bank.agents
    assert f.start == small_bank.start and f.contacts_path == small_bank.contacts_path
    assert f.campaign.ring_timeout == small_bank.campaign.ring_timeout
    assert f.campaign.compliance.abandon_cap == small_bank.campaign.compliance.abandon_cap
    assert f.campaign.call_window.by_weekday[1].end_minute == \
        small_bank.campaign.call_window.by_weekday[1].end_minute
    assert {k: v.delay for k, v in f.campaign.retry_rules.items()} == \
        {k: v.delay for k, v in small_bank.campaign.retry_rules.items()}
    assert f.simulation.replay.share_busy == small_bank.simulation.replay.share_busy
    assert repr(f) == repr(small_bank)
    text = repr(small_bank.campaign)
    assert text.startswith("CampaignConfig(id='bank'") and "dial_mode=DialMode." in text
    assert "ring_timeout=25.0 s" in text and "compliance=ComplianceProfile(" in text

    w = omnivox.SimulationOptions()
    w.seed = 11
    w.parametric.talk = omnivox.Distribution.empirical([3.0, 4.0])
    w2 = roundtrip(w)
    assert w2.seed == 11 and w2.parametric.talk.samples_s == [3.0, 4.0] and w2.replay is None
    assert "seed=11" in repr(w2) and "Distribution.empirical(<2 samples, mean 3.5>)" in repr(w2)
    assert repr(omnivox.Distribution.lognormal(9, 4)) == "Distribution.lognormal(9.0, 4.0)"
    assert eval(repr(omnivox.Distribution.exponential(8)), {"Distribution": omnivox.Distribution}) \
        .mean_s == 8.0
    c = roundtrip(open_campaign("x"))
    assert c.id == "x" and c.max_attempts == 1


def test_results_pickle_and_show_their_fields():
    w = omnivox.SimulationOptions()
    sim = omnivox.Simulation(w, MONDAY_9)
    e = sim.engine
    e.add_campaign(open_campaign())
    for i in range(50):
        e.add_contact("c1", omnivox.Contact(external_id=str(i), numbers=[f"+1212{2000000 + i}"]))
    sim.add_agents("c1", 2)
    e.start_campaign("c1")
    e.run_for(dt.timedelta(minutes=20))
    s = e.statistics("c1")
    s2 = roundtrip(s)
    for name in ("campaign_id", "at", "attempts", "live_answers", "abandon_rate", "occupancy",
                 "talk_seconds", "contacts_total", "dispositions", "agents_by_state"):
        assert getattr(s2, name) == getattr(s, name), name
    assert s.attempts > 0 and f"attempts={s.attempts}" in repr(s) and "abandon_rate=" in repr(s)
    attempts = sim.storage.attempts("c1")
    assert attempts
    a = roundtrip(attempts[0])
    assert (a.call_id, a.number, a.disposition, a.created_at) == \
        (attempts[0].call_id, attempts[0].number, attempts[0].disposition, attempts[0].created_at)
    contact = roundtrip(sim.storage.contacts("c1")[0])
    assert contact.numbers[0].e164.startswith("+1212")


def test_every_shipped_scenario_loads():
    paths = sorted((SOURCE_DIR / "benchmarks" / "scenarios").glob("*.json"))
    assert len(paths) >= 10
    for path in paths:
        sc = omnivox.load_scenario(str(path))
        assert sc.name and sc.seeds >= 1 and sc.hours > 0 and sc.policies, path
        assert sc.file.agents > 0 and (sc.contacts > 0 or sc.file.contacts_path), path
        assert sc.name in repr(sc)
        again = roundtrip(sc)
        assert (again.name, again.seeds, again.policies) == (sc.name, sc.seeds, sc.policies)
        if sc.name.startswith("stylised"):
            assert sc.optimum is not None and sc.optimum.agents == sc.file.agents
    bank = omnivox.load_scenario(str(SOURCE_DIR / "benchmarks" / "scenarios" / "bank-replay.json"))
    assert pathlib.Path(bank.file.contacts_path).is_file()  # relative to the scenario's folder


def test_load_scenario_names_what_is_wrong(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"campaign": {"id": "x", "agents": 2}, "contacts": 10, "seedz": 3}')
    with pytest.raises(omnivox.ConfigError, match="seedz"):
        omnivox.load_scenario(str(bad))
    with pytest.raises(omnivox.IoError):
        omnivox.load_scenario(str(tmp_path / "missing.json"))
    with pytest.raises(omnivox.ConfigError):
        omnivox.load_campaign_file(str(SOURCE_DIR / "benchmarks" / "scenarios" / "noon-drop.json"))


def small_scenario(tmp_path, seeds=2):
    path = tmp_path / "tiny.json"
    path.write_text('{"name": "tiny", "seeds": %d, "hours": 0.5, "contacts": 300,'
                    ' "policies": ["progressive", "power:2"],'
                    ' "campaign": {"id": "t", "agents": 3, "start": "2026-05-04T13:00:00Z",'
                    ' "compliance": "NONE", "call_window": "00:00-24:00",'
                    ' "simulation": {"world": "parametric", "p_live": 0.3}}}' % seeds)
    return omnivox.load_scenario(str(path))


def test_bench_keeps_the_per_seed_runs_and_the_summary(tmp_path):
    sc = small_scenario(tmp_path)
    seen = []
    result = omnivox.bench.bench(sc, progress=lambda done, total: seen.append((done, total)))
    assert list(result) == ["progressive", "power:2"]
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    s = result["power:2"]["occupancy"]  # the summary, as before
    assert isinstance(s, omnivox.bench.Summary) and 0 < s.mean <= 1
    assert [(r.policy, r.seed) for r in result.runs] == \
        [("progressive", 1), ("progressive", 2), ("power:2", 1), ("power:2", 2)]
    runs = [r.occupancy for r in result.runs if r.policy == "power:2"]
    assert s.mean == pytest.approx(sum(runs) / 2)
    again = roundtrip(result)
    assert again.runs == result.runs and again["progressive"] == result["progressive"]
    np = pytest.importorskip("numpy")
    arr = result.to_numpy("occupancy")
    assert arr.shape == (2, 2) and np.allclose(arr[1], runs)
    pd = pytest.importorskip("pandas")
    df = result.to_pandas()
    assert len(df) == 4 and set(omnivox.bench.METRICS) <= set(df.columns)
    assert df.groupby("policy")["occupancy"].mean()["power:2"] == pytest.approx(s.mean)
    summary = result.to_pandas(summary=True)
    assert summary.loc["power:2", "occupancy"] == pytest.approx(s.mean)
    assert summary.loc["power:2", "occupancy_hw"] == pytest.approx(s.half_width)
    assert isinstance(df, pd.DataFrame)


def run_with_records(progress=None, hours=2):
    sim = omnivox.Simulation(omnivox.SimulationOptions(), MONDAY_9)
    e = sim.engine
    e.add_campaign(open_campaign())
    ids = e.add_contacts("c1", [{"numbers": f"+1212{2000000 + i}", "external_id": f"x{i}",
                                 "segment": "a" if i % 2 else "b"} for i in range(300)])
    assert len(ids) == 300
    sim.add_agents("c1", 3)
    e.start_campaign("c1")
    series = []
    for _ in range(4):
        e.run_for(dt.timedelta(hours=hours / 4), progress=progress)
        series.append(e.statistics("c1"))
    return sim, series


def test_call_records_and_metrics_convert_to_pandas_and_numpy():
    sim, series = run_with_records()
    occupancy = omnivox.to_numpy(series, "occupancy")
    assert occupancy.shape == (4,) and occupancy[-1] == series[-1].occupancy
    pd = pytest.importorskip("pandas")
    attempts = sim.storage.attempts("c1")
    calls = omnivox.to_pandas(attempts)
    assert len(calls) == len(attempts) > 0
    assert {"call_id", "contact_id", "number", "disposition", "created_at", "ended_at",
            "state"} <= set(calls.columns)
    assert set(calls["disposition"]) <= set(omnivox.Disposition.__members__)
    assert calls["created_at"].iloc[0] == attempts[0].created_at
    metrics = omnivox.to_pandas(series)
    assert list(metrics["attempts"]) == [s.attempts for s in series]
    assert "dispositions.SALE" in metrics.columns and "agents_by_state.ON_CALL" in metrics.columns
    contacts = omnivox.to_pandas(sim.storage.contacts("c1"))
    assert len(contacts) == 300 and contacts["numbers"].str.startswith("+1212").all()
    assert set(contacts["attributes.segment"]) == {"a", "b"}
    assert isinstance(calls, pd.DataFrame)


def test_pandas_missing_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="python3-pandas"):
        omnivox.to_pandas([])


def test_add_contacts_from_dicts_contacts_and_a_dataframe():
    sim = omnivox.Simulation(omnivox.SimulationOptions(), MONDAY_9)
    e = sim.engine
    e.add_campaign(open_campaign())
    ids = e.add_contacts("c1", [
        {"numbers": ["+12125550100", "+12125550101"], "external_id": "a", "priority": 3,
         "region": "east", "score": float("nan"), "note": None},
        omnivox.Contact(external_id="b", numbers=["+12125550102"]),
        {"number": "+12125550103", "attributes": {"k": "v"}},
    ])
    assert len(ids) == 3
    a = sim.storage.get_contact(ids[0])
    assert [n.e164 for n in a.numbers] == ["+12125550100", "+12125550101"] and a.priority == 3
    assert a.attribute("region") == "east" and a.attribute("score") is None
    assert a.attribute("note") is None
    assert sim.storage.get_contact(ids[2]).attribute("k") == "v"
    with pytest.raises(omnivox.InvalidArgumentError, match="row 1"):
        e.add_contacts("c1", [{"numbers": "+12125550104"}, {"external_id": "no number"}])
    assert sim.storage.contact_count("c1") == 3  # nothing of the bad batch was added
    with pytest.raises(omnivox.InvalidArgumentError, match="row 1: .*not E.164"):
        e.add_contacts("c1", [{"numbers": "+12125550105", "external_id": "r"},
                              {"numbers": "12345"}])
    assert sim.storage.contact_count("c1") == 4  # the rows before the bad one stay added
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"numbers": ["+12125550200", "+12125550201"], "external_id": ["p", "q"],
                       "city": ["Lisbon", "Porto"]})
    ids = e.add_contacts("c1", df)
    assert sim.storage.get_contact(ids[1]).attribute("city") == "Porto"
    assert sim.storage.contact_count("c1") == 6


class Slow(omnivox.PacingPolicy):
    """Launches nothing and takes 1 ms of wall time per decision, one decision a second."""

    def decide(self, snapshot):
        time.sleep(0.001)
        return 0

    def tick_interval(self):
        return dt.timedelta(seconds=1)


def slow_run(progress, seconds=1800):
    sim = omnivox.Simulation(omnivox.SimulationOptions(), MONDAY_9)
    e = sim.engine
    e.add_campaign(open_campaign())
    e.add_contacts("c1", [{"numbers": "+12125550100"}])
    sim.add_agents("c1", 1)
    e.set_pacing_policy("c1", Slow())
    e.start_campaign("c1")
    e.run_for(seconds, progress=progress)
    return e


def test_progress_is_called_with_the_virtual_time_at_most_every_half_second():
    calls = []
    started = time.monotonic()
    e = slow_run(lambda t: calls.append((time.monotonic(), t)))
    wall = time.monotonic() - started
    assert wall > 1.0 and len(calls) >= 1
    assert all(b[0] - a[0] >= 0.45 for a, b in zip(calls, calls[1:]))
    assert all(a[1] < b[1] for a, b in zip(calls, calls[1:]))
    assert all(MONDAY_9 < t <= MONDAY_9 + dt.timedelta(seconds=1800) for _, t in calls)
    assert len(calls) <= wall / 0.45 + 1
    with pytest.raises(TypeError):
        e.run_for(1, progress=3)


def test_progress_true_draws_a_tqdm_bar(capsys):
    pytest.importorskip("tqdm")
    slow_run(True, seconds=900)
    err = capsys.readouterr().err
    assert "omnivox (virtual s)" in err and "900/900" in err
