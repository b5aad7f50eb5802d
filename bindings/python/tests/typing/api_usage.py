"""A script using the public API as a campaign script would; ctest python.mypy type-checks it
(and the examples) with `mypy --strict` against the package's stubs, and runs it."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List

import omnivox


class HalfIdle(omnivox.PacingPolicy):
    """Dials for half of the idle agents, at least one while any is idle."""

    def name(self) -> str:
        return "half-idle"

    def decide(self, snapshot: omnivox.PacingSnapshot) -> int:
        free = snapshot.agents_idle - snapshot.calls_pending
        return max(0, (free + 1) // 2)


class Counter(omnivox.EventListener):
    def __init__(self) -> None:
        super().__init__()
        self.finished: Dict[omnivox.Disposition, int] = {}

    def on_attempt_finished(self, attempt: omnivox.Attempt) -> None:
        self.finished[attempt.disposition] = self.finished.get(attempt.disposition, 0) + 1


def sip_usage() -> None:
    sip = omnivox.SipTelephony('{"listen": "127.0.0.1:0", "trunk": "sip:127.0.0.1:5603"}')
    with omnivox.Engine(omnivox.memory_storage(), sip, omnivox.system_clock()) as engine:
        sip.attach(engine)
        stats: omnivox.SipStats = sip.stats()
        port: int = sip.local_port
        print("SIP on port", port, "agents up:", stats.agents_up)
        sip.detach()


def main() -> None:
    f = omnivox.parse_campaign_json("""{
      "id": "typed", "dial_mode": "PROGRESSIVE", "agents": 3,
      "start": "2026-05-04T13:00:00Z", "call_window": "09:00-21:00"
    }""")
    counter = Counter()
    sim = omnivox.Simulation(f.simulation, f.start, listener=counter)
    engine: omnivox.Engine = sim.engine
    f.campaign.ring_timeout = dt.timedelta(seconds=25)  # a float in seconds works at run time
    engine.add_campaign(f.campaign)
    for i in range(50):
        engine.add_contact("typed", omnivox.Contact(external_id=str(i),
                                                    numbers=[f"+1212{2000000 + i}"]))
    agents: List[int] = sim.add_agents("typed", f.agents)
    assert len(agents) == 3
    engine.set_pacing_policy("typed", HalfIdle())
    engine.start_campaign("typed")
    engine.run_for(dt.timedelta(hours=1))
    s: omnivox.CampaignStatistics = engine.statistics("typed")
    occupancy: float = s.occupancy
    sales: int = s.dispositions[omnivox.Disposition.SALE]
    if engine.callback_error_count:
        err = engine.last_callback_error()
        print("callback error:", err)
    print(s.attempts, f"{occupancy:.0%}", sales, sum(counter.finished.values()))

    threshold: omnivox.TunablePolicy = omnivox.policies.threshold(omnivox.ThresholdOptions(k=1.2))
    threshold.parameter = 1.5
    table = omnivox.bench.bench(f, ["progressive", lambda sim: HalfIdle()], seeds=2, hours=0.25,
                                synthetic_contacts=100)
    for policy, metrics in table.items():
        occ = metrics["occupancy"]
        print(policy, round(occ.mean, 3), round(occ.half_width, 3))
    blocking: float = omnivox.erlang_b(10, 7.0)
    print(f"Erlang B(10, 7) = {blocking:.4f}")
    sip_usage()


if __name__ == "__main__":
    main()
