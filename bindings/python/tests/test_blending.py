"""Inbound queues, agents' skills and blending from Python (docs/blending.md): a simulated
support line answered by inbound-only and blended agents, set up through the Engine's methods."""

import datetime
import pickle

import pytest

import omnivox

# A campaign with no contacts whose simulated world sends callers to +15550100001 at 60 an hour
# for an hour (5-minute services, 2-minute patience on average).
CAMPAIGN = """{
  "id": "out", "agents": 3, "start": "2026-05-04T13:00:00Z",
  "simulation": {"seed": 5, "wrap_up_s": 0, "inbound": [
    {"number": "+15550100001", "start": "2026-05-04T13:00:00Z",
     "periods": [{"hours": 1, "calls_per_hour": 60}],
     "service_s": {"exponential": 300}, "patience_s": {"exponential": 120}}]}
}"""


class Records(omnivox.EventListener):
    def __init__(self):
        super().__init__()
        self.inbound = []

    def on_attempt_finished(self, attempt):
        if attempt.campaign_id == "help":
            self.inbound.append(attempt)


def test_a_queue_answered_by_skilled_agents():
    f = omnivox.parse_campaign_json(CAMPAIGN)
    records = Records()
    sim = omnivox.simulation_for(f, listener=records)
    engine = sim.engine
    q = omnivox.InboundQueueConfig()
    q.id = "help"
    q.numbers = ["+15550100001"]
    q.answer_within = datetime.timedelta(seconds=30)
    engine.add_inbound_queue(q)
    assert engine.inbound_queues() == ["help"]
    agents = [0, 1, 2]
    engine.set_agent_skills(agents[0], omnivox.AgentSkills([omnivox.InboundSkill("help", 2)], False))
    engine.set_agent_skills(agents[1], omnivox.AgentSkills([omnivox.InboundSkill("help")], False))
    engine.set_agent_skills(agents[2], omnivox.AgentSkills([omnivox.InboundSkill("help")]))
    b = omnivox.BlendingConfig()
    b.rule = omnivox.BlendingRule.THRESHOLD
    b.reserve = 1
    engine.set_blending("out", b)
    engine.start_campaign("out")
    engine.run_for(datetime.timedelta(hours=3))
    s = engine.inbound_statistics("help")
    assert s.queue_id == "help"
    assert 30 < s.offered < 100
    assert s.offered == s.answered + s.abandoned and s.waiting == 0
    assert s.answered > 20
    assert 0 < s.service_level <= 1 and s.asa_s >= 0 and s.handle_seconds > 0
    assert s.abandon_rate == pytest.approx(s.abandoned / (s.answered + s.abandoned))
    assert len(records.inbound) == s.offered
    assert all(a.call_id >= 2 ** 55 for a in records.inbound)
    assert {a.agent for a in records.inbound if a.disposition == omnivox.Disposition.COMPLETED} \
        <= set(agents)


def test_config_types_round_trip_and_errors():
    skills = omnivox.AgentSkills([omnivox.InboundSkill("help", 3)], outbound=False)
    again = pickle.loads(pickle.dumps(skills))
    assert again.queues[0].queue == "help" and again.queues[0].priority == 3
    assert not again.outbound
    assert "InboundSkill(queue='help', priority=3)" in repr(skills)
    b = omnivox.BlendingConfig()
    assert (b.rule, b.min_free_all, b.min_free_outbound, b.kappa, b.c) == \
        (omnivox.BlendingRule.NONE, 4, 1, 2.0, 0)
    q = omnivox.InboundQueueConfig()
    assert q.answer_within == datetime.timedelta(seconds=20) and q.service_level_target == 0.8

    sim = omnivox.simulation_for(omnivox.parse_campaign_json(CAMPAIGN))
    with pytest.raises(omnivox.ConfigError, match="id"):
        sim.engine.add_inbound_queue(omnivox.InboundQueueConfig())
    with pytest.raises(omnivox.NotFoundError):
        sim.engine.set_agent_skills(99, skills)
    with pytest.raises(omnivox.NotFoundError):
        sim.engine.set_blending("nope", b)
    with pytest.raises(omnivox.NotFoundError):
        sim.engine.inbound_statistics("nope")
    b.reserve = -1
    with pytest.raises(omnivox.ConfigError, match="reserve"):
        sim.engine.set_blending("out", b)


def test_agents_shared_by_two_campaigns():
    from conftest import MONDAY_9, open_campaign
    w = omnivox.SimulationOptions()
    w.seed = 3
    w.parametric.p_live = 0.5
    sim = omnivox.Simulation(w, MONDAY_9)
    e = sim.engine
    e.add_campaign(open_campaign("first"))
    e.add_campaign(open_campaign("second"))
    for i in range(60):
        e.add_contact("first", omnivox.Contact(numbers=[f"+1212{2000000 + i}"]))
        e.add_contact("second", omnivox.Contact(numbers=[f"+1212{3000000 + i}"]))
    # Agents of "second" that take "first"'s calls first.
    agents = sim.add_agents("second", 3)
    skills = omnivox.AgentSkills([], True, [omnivox.CampaignSkill("first", 2),
                                            omnivox.CampaignSkill("second", 1)])
    assert "CampaignSkill(campaign='first', priority=2)" in repr(skills)
    again = pickle.loads(pickle.dumps(skills))
    assert [(c.campaign, c.priority) for c in again.campaigns] == [("first", 2), ("second", 1)]
    for a in agents:
        e.set_agent_skills(a, skills)
    e.start_campaign("first")
    e.start_campaign("second")
    e.run_for(datetime.timedelta(hours=4))
    first = sim.storage.attempts("first")
    second = sim.storage.attempts("second")
    assert len(first) == 60 and len(second) == 60
    # Every bridged call of either campaign went to a shared agent, "first"'s before "second"'s.
    bridged = [a for a in first + second if a.bridged_at is not None]
    assert {a.agent for a in bridged} <= set(agents) and len(bridged) > 30
    assert max(a.created_at for a in first) < min(a.created_at for a in second)
    with pytest.raises(omnivox.NotFoundError, match="nope"):
        e.set_agent_skills(agents[0], omnivox.AgentSkills([], True,
                                                          [omnivox.CampaignSkill("nope")]))
