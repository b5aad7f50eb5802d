"""The Engine over memory/SQLite storage, a Python telephony and a virtual clock: contacts,
agents, dispositions, preview, call now, statistics, explain/census, pacing policies."""

import datetime as dt

import pytest

import omnivox
from conftest import MONDAY_9, Dispositioner, ScriptedTelephony, open_campaign


def make_engine(storage=None, telephony=None, listener=None, start=MONDAY_9):
    clock = omnivox.VirtualClock(start)
    telephony = telephony or ScriptedTelephony()
    engine = omnivox.Engine(storage or omnivox.memory_storage(), telephony, clock,
                            listener=listener)
    if isinstance(listener, Dispositioner):
        listener.engine = engine
    return engine, telephony, clock


def add_contacts(engine, campaign_id, n):
    return [engine.add_contact(campaign_id, omnivox.Contact(
        external_id=f"c{i}", numbers=[f"+1212555{i:04d}"])) for i in range(n)]


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_progressive_campaign_runs_to_the_end(tmp_path, backend):
    storage = (omnivox.memory_storage() if backend == "memory"
               else omnivox.sqlite_storage(str(tmp_path / "ov.db")))
    listener = Dispositioner()
    engine, tel, clock = make_engine(storage, listener=listener)
    engine.add_campaign(open_campaign())
    ids = add_contacts(engine, "c1", 40)
    agents = [engine.add_agent("c1", f"a{i}") for i in range(3)]
    assert agents == [0, 1, 2]
    assert engine.agent_state(0) == omnivox.AgentState.LOGGED_OUT
    for a in agents:
        engine.set_agent_state(a, omnivox.AgentState.AVAILABLE)
    engine.start_campaign("c1")
    assert engine.run_until_done(dt.timedelta(hours=2))
    s = engine.statistics("c1")
    assert isinstance(s, omnivox.CampaignStatistics)
    assert s.attempts == 40 and s.contacts_final == 40 and s.contacts_total == 40
    assert s.live_answers == 20 and s.connects == 20 and s.abandons == 0
    assert s.dispositions[omnivox.Disposition.SALE] == 20
    assert s.dispositions[omnivox.Disposition.NO_ANSWER] == 20
    assert s.agents_by_state[omnivox.AgentState.AVAILABLE] == 3
    assert 0 < s.occupancy <= 1
    assert s.at > MONDAY_9 and engine.now() == clock.now()
    assert listener.counts["finished"] == 40 and listener.counts["pacing"] > 0
    assert engine.callback_error_count == 0
    # storage reads
    assert engine.storage.contact_count("c1") == 40
    attempts = engine.storage.attempts("c1")
    assert len(attempts) == 40 and all(a.ended_at is not None for a in attempts)
    c = engine.storage.get_contact(ids[0])
    assert c.status == omnivox.ContactStatus.DONE or c.status.is_final
    assert engine.storage.count_by_status("c1")[omnivox.ContactStatus.NEW] == 0
    assert engine.audit("c1").attempts == 40
    engine.close()
    assert engine.closed
    with pytest.raises(omnivox.StateError, match="closed"):
        engine.statistics("c1")


def test_import_csv_with_bad_rows(tmp_path):
    csv = tmp_path / "contacts.csv"
    csv.write_text("id,phone,name\n1,+12125550101,Ann\n2,not-a-number,Bob\n3,2125550103,Cy\n",
                   encoding="utf-8")
    engine, _, _ = make_engine()
    engine.add_campaign(open_campaign())
    r = engine.import_contacts("c1", "main", str(csv))
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (3, 2, 1)
    assert r.errors[0].line == 3 and "summary" not in r.errors[0].reason
    assert "loaded 2 of 3" in r.summary()
    contacts = engine.storage.contacts("c1")
    assert [c.external_id for c in contacts] == ["1", "3"]
    assert contacts[1].numbers[0].e164 == "+12125550103"
    assert contacts[0].attribute("name") == "Ann"
    with pytest.raises(omnivox.IoError):
        engine.import_contacts("c1", "main", str(tmp_path / "missing.csv"))
    engine.close()


def test_preview_call_now_explain_census_and_dnc():
    engine, tel, _ = make_engine()
    engine.add_campaign(open_campaign("p", omnivox.DialMode.PREVIEW))
    ids = add_contacts(engine, "p", 3)
    agent = engine.add_agent("p", "ann")
    engine.set_agent_state(agent, omnivox.AgentState.AVAILABLE)
    engine.start_campaign("p")
    census = engine.census("p")
    assert census[omnivox.Ineligibility.DIALABLE] == 3
    entry = engine.preview_next(agent)
    assert isinstance(entry, omnivox.DialQueueEntry) and entry.contact_id in ids
    engine.skip_preview(agent)
    entry = engine.preview_next(agent)
    call = engine.dial_preview(agent)
    assert call > 0 and tel.originated == [call]
    assert engine.call_state(call) is not None
    engine.run_for(dt.timedelta(minutes=5))
    assert engine.call_state(call) is None  # finished and forgotten
    rep = engine.explain(entry.contact_id)
    assert rep.reason == omnivox.Ineligibility.FINAL_STATUS and not rep.dialable
    other = [i for i in ids if i != entry.contact_id][0]
    assert engine.explain(other).dialable
    engine.add_dnc("global", "+12125550002")
    # call now: the agent dials a chosen contact
    engine.set_agent_state(agent, omnivox.AgentState.AVAILABLE)
    engine.run_for(1)
    if engine.agent_state(agent) == omnivox.AgentState.AVAILABLE:
        call2 = engine.call_now(other, agent)
        assert call2 > call
    with pytest.raises(omnivox.OmnivoxError):
        engine.call_now(entry.contact_id, agent)  # final contact or agent busy
    with pytest.raises(omnivox.NotFoundError):
        engine.start_campaign("nope")
    engine.close()


def test_set_pacing_policy_and_python_policy():
    class TwoAtATime(omnivox.PacingPolicy):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def name(self):
            return "two-at-a-time"

        def decide(self, snapshot):
            self.calls += 1
            return max(0, min(2, snapshot.agents_idle - snapshot.calls_pending))

    listener = Dispositioner()
    engine, _, _ = make_engine(listener=listener)
    engine.add_campaign(open_campaign())
    add_contacts(engine, "c1", 10)
    for i in range(3):
        engine.set_agent_state(engine.add_agent("c1", f"a{i}"), omnivox.AgentState.AVAILABLE)
    policy = TwoAtATime()
    engine.set_pacing_policy("c1", policy)
    engine.start_campaign("c1")
    # (the engine keeps a wake-up timer at the NO_ANSWER retry time, 1 h after those calls)
    assert engine.run_until_done(dt.timedelta(hours=3))
    assert policy.calls > 0
    assert engine.statistics("c1").attempts == 10
    engine.set_pacing_policy("c1", omnivox.policies.power(2.0))
    with pytest.raises(omnivox.NotFoundError):
        engine.set_pacing_policy("nope", omnivox.policies.progressive())
    with pytest.raises(TypeError):
        engine.set_pacing_policy("c1", "progressive")
    engine.close()


def test_system_clock_and_engine_options_log_sink():
    lines = []
    opts = omnivox.EngineOptions()
    opts.log_sink = lambda level, message: lines.append((level, message))
    opts.log_level = omnivox.LogLevel.INFO
    clock = omnivox.system_clock(start=MONDAY_9)
    assert not clock.is_virtual
    assert abs((clock.now() - MONDAY_9).total_seconds()) < 5
    engine = omnivox.Engine(omnivox.memory_storage(), ScriptedTelephony(), clock, options=opts)
    engine.log(omnivox.LogLevel.WARN, "hello from python")
    assert (omnivox.LogLevel.WARN, "hello from python") in lines
    engine.close()
    with pytest.raises(omnivox.InvalidArgumentError):
        omnivox.system_clock(speed=0)


def test_storage_errors():
    with pytest.raises(omnivox.StorageError):
        omnivox.sqlite_storage("/nonexistent-dir/x/y.db")
    s = omnivox.memory_storage()
    assert s.get_contact(12345) is None
    assert s.contacts("none") == []
