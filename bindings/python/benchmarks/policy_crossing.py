#!/usr/bin/python3
"""Attempts per CPU-second of one simulated campaign paced by a Python policy and by the same rule
built in (POWER: max(round(lines * idle) - pending, 0)), so the cost of crossing into Python on
every pacing decision shows as the ratio of the two.

    PYTHONPATH=build/bindings/python /usr/bin/python3 bindings/python/benchmarks/policy_crossing.py

Options: --agents N (200), --hours H (virtual hours per run, 4), --repeat R (best of R, 3),
--lines L (lines per idle agent, 2.0).
"""

import argparse
import datetime as dt
import time

import omnivox


class PythonPower(omnivox.PacingPolicy):
    """The built-in POWER rule, in Python."""

    def __init__(self, lines: float) -> None:
        super().__init__()
        self.lines = lines

    def name(self) -> str:
        return "python-power"

    def decide(self, s: omnivox.PacingSnapshot) -> int:
        return max(round(self.lines * s.agents_idle) - s.calls_pending, 0)


def campaign(agents: int, hours: float) -> omnivox.CampaignFile:
    # Enough contacts that the dial queue never runs dry; a window that stays open.
    return omnivox.parse_campaign_json(
        '{"id": "bench", "dial_mode": "POWER", "agents": %d, "start": "2026-05-04T00:00:00Z",'
        ' "call_window": "00:00-24:00", "compliance": "NONE"}' % agents)


def one_run(policy_factory, agents: int, hours: float, contacts: int) -> tuple[int, float]:
    f = campaign(agents, hours)
    sim = omnivox.Simulation(f.simulation, f.start)
    engine = sim.engine
    engine.add_campaign(f.campaign)
    engine.add_contacts("bench", [{"numbers": f"+1212{2000000 + i}"} for i in range(contacts)])
    sim.add_agents("bench", f.agents)
    engine.set_pacing_policy("bench", policy_factory())
    engine.start_campaign("bench")
    t0 = time.process_time()
    engine.run_for(dt.timedelta(hours=hours))
    cpu = time.process_time() - t0
    return engine.statistics("bench").attempts, cpu


def best_rate(policy_factory, args) -> tuple[float, int]:
    best, attempts = 0.0, 0
    for _ in range(args.repeat):
        n, cpu = one_run(policy_factory, args.agents, args.hours, args.contacts)
        if cpu > 0 and n / cpu > best:
            best, attempts = n / cpu, n
    return best, attempts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, default=200)
    p.add_argument("--hours", type=float, default=4.0)
    p.add_argument("--contacts", type=int, default=200000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--lines", type=float, default=2.0)
    args = p.parse_args()
    built_in, n1 = best_rate(lambda: omnivox.policies.power(args.lines), args)
    python, n2 = best_rate(lambda: PythonPower(args.lines), args)
    print(f"built-in POWER({args.lines}): {built_in:,.0f} attempts per CPU-second ({n1} attempts)")
    print(f"Python   POWER({args.lines}): {python:,.0f} attempts per CPU-second ({n2} attempts)")
    print(f"Python / built-in: {python / built_in:.0%}")


if __name__ == "__main__":
    main()
