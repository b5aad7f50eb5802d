"""What a Python pacing policy sees stays right now that the crossing is cheap: one snapshot
object per policy refilled in place, a snapshot the policy keeps left as it was, the base's
wants_details() / tick_interval() answered without calling Python, super().decide() an error."""

import datetime as dt

import pytest

import omnivox
from conftest import Dispositioner, open_campaign
from test_engine import add_contacts, make_engine


def run(policy, agents=3, contacts=30):
    listener = Dispositioner()
    engine, _, _ = make_engine(listener=listener)
    engine.add_campaign(open_campaign())
    add_contacts(engine, "c1", contacts)
    for i in range(agents):
        engine.set_agent_state(engine.add_agent("c1", f"a{i}"), omnivox.AgentState.AVAILABLE)
    engine.set_pacing_policy("c1", policy)
    engine.start_campaign("c1")
    engine.run_for(dt.timedelta(hours=3))
    return engine


class Progressive(omnivox.PacingPolicy):
    def __init__(self, keep=False):
        super().__init__()
        self.keep = keep
        self.kept = []
        self.seen = []

    def decide(self, s):
        if self.keep:
            self.kept.append(s)
        self.seen.append((id(s), s.now, s.agents_idle, s.calls_pending))
        return max(s.agents_idle - s.calls_pending, 0)


def test_kept_snapshots_keep_their_values():
    policy = Progressive(keep=True)
    engine = run(policy)
    assert engine.statistics("c1").attempts == 30
    assert len({id(s) for s in policy.kept}) == len(policy.kept)
    assert [(s.now, s.agents_idle, s.calls_pending) for s in policy.kept] == \
        [(now, idle, pending) for _, now, idle, pending in policy.seen]


def test_snapshot_refilled_when_not_kept():
    policy = Progressive()
    run(policy)
    times = [now for _, now, _, _ in policy.seen]
    assert times == sorted(times) and times[0] < times[-1]
    assert len({obj for obj, _, _, _ in policy.seen}) == 1


def test_overridden_methods_are_called():
    class Detailed(Progressive):
        def wants_details(self):
            return True

        def tick_interval(self):
            return 30.0

        def decide(self, s):
            assert len(s.pending_calls) == s.calls_pending
            return super().decide(s)

    policy = Detailed()
    run(policy)
    gaps = {b - a for (_, a, _, _), (_, b, _, _) in zip(policy.seen, policy.seen[1:])}
    assert dt.timedelta(seconds=30) in gaps


def test_super_decide_is_not_implemented():
    class CallsBase(omnivox.PacingPolicy):
        def decide(self, s):
            return super().decide(s)

    with pytest.raises(omnivox.CallbackError) as info:
        run(CallsBase())
    assert isinstance(info.value.__cause__, NotImplementedError)
