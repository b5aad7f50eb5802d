"""The simulator: the Simulation rig, a standalone Simulator under an Engine (as `omnivox run`),
the parametric world, the oracle, the research bench and the cross-language dump."""

import datetime as dt
import pathlib
import subprocess
import sys

import pytest

import omnivox
from conftest import MONDAY_9, Dispositioner, open_campaign


def parametric_world(seed=7):
    w = omnivox.SimulationOptions()
    w.seed = seed
    w.parametric.p_live = 0.3
    w.parametric.talk = omnivox.Distribution.exponential(60.0)
    w.wrap_up = omnivox.Distribution.fixed(5.0)
    return w


def run_rig(seed, policy=None, listener=None):
    sim = omnivox.Simulation(parametric_world(seed), MONDAY_9, listener=listener)
    e = sim.engine
    e.add_campaign(open_campaign())
    for i in range(400):
        e.add_contact("c1", omnivox.Contact(numbers=[f"+1212{2000000 + i}"]))
    assert sim.add_agents("c1", 5) == [0, 1, 2, 3, 4]
    if policy is not None:
        e.set_pacing_policy("c1", policy(sim))
    e.start_campaign("c1")
    e.run_for(dt.timedelta(hours=1))
    return sim, e.statistics("c1")


def test_simulation_rig_is_reproducible_from_its_seed():
    listener = Dispositioner()
    sim, s1 = run_rig(7, listener=listener)
    _, s2 = run_rig(7)
    _, s3 = run_rig(8)
    assert s1.attempts == s2.attempts and s1.live_answers == s2.live_answers
    assert (s1.attempts, s1.live_answers) != (s3.attempts, s3.live_answers)
    assert s1.at == MONDAY_9 + dt.timedelta(hours=1)
    assert sim.clock.now() == s1.at and sim.clock.is_virtual
    assert sim.simulator.originated == s1.attempts
    assert listener.counts["finished"] == s1.attempts - s1.attempts_in_flight
    assert sim.storage.contact_count("c1") == 400
    with pytest.raises(omnivox.StateError):
        sim.engine.close()  # owned by the simulation


def test_oracle_and_research_policies_run_in_the_rig():
    _, oracle = run_rig(3, lambda sim: omnivox.policies.oracle(sim.simulator))
    _, prog = run_rig(3)
    assert oracle.abandons == 0 or oracle.abandon_rate < 0.05
    assert oracle.attempts >= prog.attempts
    _, pi = run_rig(3, lambda sim: omnivox.policies.pi(omnivox.policies.threshold()))
    assert pi.attempts > 0
    sim, _ = run_rig(4)
    f = sim.simulator.peek_next_originates(3, dt.timedelta(seconds=25), False)
    assert len(f) == 3 and all(x.resolves_after_s >= 0 for x in f)


def test_standalone_simulator_under_an_engine_like_omnivox_run():
    f = omnivox.parse_campaign_json('{"id": "s", "agents": 4}')
    clock = omnivox.VirtualClock(f.start)
    simulator = omnivox.Simulator(f.simulation, clock)
    engine = omnivox.Engine(omnivox.memory_storage(), simulator, clock, listener=simulator)
    cfg = f.campaign
    cfg.compliance = omnivox.ComplianceProfile.none()
    cfg.call_window = omnivox.CallWindow.always()
    engine.add_campaign(cfg)
    for i in range(50):
        engine.add_contact("s", omnivox.Contact(numbers=[f"+1212{3000000 + i}"]))
    for i in range(f.agents):
        engine.set_agent_state(engine.add_agent("s", f"a{i}"), omnivox.AgentState.AVAILABLE)
    engine.start_campaign("s")
    engine.run_for(dt.timedelta(hours=2))
    s = engine.statistics("s")
    assert s.attempts > 0 and s.connects > 0
    assert simulator.originated == s.attempts
    engine.close()
    clock.advance_to(clock.now() + dt.timedelta(hours=1))  # no events into the closed engine


def test_distributions_and_worlds():
    d = omnivox.Distribution.lognormal(180, 120)
    assert d.kind == omnivox.Distribution.Kind.LOGNORMAL and d.mean() == pytest.approx(180)
    assert omnivox.Distribution.empirical([1.0, 3.0]).mean() == pytest.approx(2.0)
    w = omnivox.ParametricWorld()
    w.p_live_changes = [(MONDAY_9 + dt.timedelta(hours=3), 0.1)]
    assert w.p_live_at(MONDAY_9) == pytest.approx(0.3)
    assert w.p_live_at(MONDAY_9 + dt.timedelta(hours=4)) == pytest.approx(0.1)


def test_bench_over_policies_with_common_seeds():
    f = omnivox.parse_campaign_json(
        '{"id": "b", "agents": 5, "compliance": {"base": "NONE", "abandon_cap": 0.03}}')
    f.campaign.call_window = omnivox.CallWindow.always()
    table = omnivox.bench.bench(f, ["progressive", "power:2", "threshold:k=1.2"], seeds=2,
                                hours=0.5, synthetic_contacts=300)
    assert set(table) == {"progressive", "power:2", "threshold:k=1.2"}
    occ = table["progressive"]["occupancy"]
    assert 0 < occ.mean <= 1 and occ.half_width >= 0
    with pytest.raises(omnivox.ConfigError):
        omnivox.bench.run_once(f, "turbo", 1, 0.1, 10)


def test_small_bank_campaign_like_the_c_api(small_bank, tmp_path):
    listener = Dispositioner()
    sim = omnivox.simulation_for(small_bank, listener=listener)
    e = sim.engine
    r = e.import_contacts("bank", "main", small_bank.contacts_path, small_bank.import_options)
    assert r.rows_loaded == 300
    e.start_campaign("bank")
    assert e.run_until_done(small_bank.max_duration)
    s = e.statistics("bank")
    assert s.contacts_final == 300 and s.abandons == 0
    assert listener.counts["finished"] == s.attempts


def test_bank_dump_script(small_bank_csv, tmp_path):
    src = pathlib.Path(__file__).resolve().parent
    text = (pathlib.Path(omnivox.__file__).parent, )  # noqa: F841 (package importable)
    from conftest import BANK_JSON
    campaign = BANK_JSON.read_text(encoding="utf-8").replace("../data/bank-full.csv",
                                                             str(small_bank_csv))
    cj = tmp_path / "bank.json"
    cj.write_text(campaign, encoding="utf-8")
    out = tmp_path / "dump.txt"
    subprocess.run([sys.executable, str(src / "bank_dump.py"), str(cj), str(out)], check=True)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[-1].startswith("S attempts=") and "contacts_final=300" in lines[-1]
    a_lines = [line.split() for line in lines[:-1]]
    assert all(len(x) == 6 and x[0] == "A" for x in a_lines)
    attempts = int(lines[-1].split()[1].split("=")[1])
    assert len(a_lines) == attempts
    assert {x[4] for x in a_lines} <= {d.name for d in omnivox.Disposition.__members__.values()}
