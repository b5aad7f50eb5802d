"""Results for analysis: the full pacing snapshot, repr and pickling of configs and results,
the shipped scenarios, per-seed bench runs, pandas / NumPy conversions, bulk contacts and
progress reports."""

import datetime as dt

import omnivox
from conftest import MONDAY_9, open_campaign


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
