"""A small research bench over the library: run pacing policies on the same seeds (common random
numbers) in the ``Simulation`` rig and summarise occupancy, abandon rate and throughput with
95 % confidence intervals.

The ``omnivox bench-pacing`` command (src/cli/bench_command.cc) is CLI code, not library API; this
module re-creates its core loop (``run_once`` and the summary) from library pieces:
``Simulation``, the policies of ``omnivox.policies``, ``Engine.statistics`` and
``Engine.audit``. Policy names follow the CLI ("progressive", "power:2", "threshold:k=1.3",
"expected_availability", "vicidial", "pi:threshold", "open_loop:rate=0.5", "oracle",
"predictive"), or pass a callable ``(simulation) -> PacingPolicy``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import statistics as _stats
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

from . import _omnivox as _ov

PolicySpec = Union[str, Callable[["_ov.Simulation"], "_ov.PacingPolicy"]]

_T95 = [0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093]


def _t95(n: int) -> float:
    df = n - 1
    if df < 1:
        return 0.0
    return _T95[df] if df < 20 else 1.96 + 2.5 / df


# The parameters each policy name takes ("" is a bare number, e.g. "power:2") and its bare-word
# flags; anything else in a spec is an error naming it.
_PARAMS: Dict[str, Tuple[str, ...]] = {
    "progressive": (), "predictive": (), "oracle": (), "open_loop": ("rate",),
    "threshold": ("k", "c", "s"), "power": ("", "lines"), "expected_availability": ("w",),
    "vicidial": ("max",),
}
_FLAGS: Dict[str, Tuple[str, ...]] = {"vicidial": ("hard_limit", "average", "tapered")}
_USAGE = ("progressive, power:K, threshold:k=K,c=C[,s=S], expected_availability[:w=S], "
          "vicidial[:hard_limit|average|tapered][,max=L], pi[:INNER], open_loop:rate=R, "
          "oracle, predictive")


def _parse(spec: str) -> Tuple[str, Dict[str, float], Set[str]]:
    """(name, numeric parameters, flags) of a policy spec; ConfigError naming what is wrong."""
    name, colon, rest = spec.partition(":")
    if name not in _PARAMS:
        raise _ov.ConfigError(f"unknown policy '{spec}' ({_USAGE})")
    allowed, flags = _PARAMS[name], _FLAGS.get(name, ())
    params: Dict[str, float] = {}
    seen: Set[str] = set()
    for item in rest.split(",") if colon else []:
        key, eq, value = item.strip().partition("=")
        if not eq and key in flags:
            seen.add(key)
            continue
        if not eq:
            key, value = "", key
        if key not in allowed:
            what = f"parameter '{key}'" if key else f"value '{value}'"
            takes = ", ".join(k or "a number" for k in allowed + flags) or "no parameters"
            raise _ov.ConfigError(f"policy '{spec}': unknown {what} ({name} takes {takes})")
        if key in params:
            raise _ov.ConfigError(f"policy '{spec}': parameter '{key}' given twice")
        try:
            number = float(value)
        except ValueError:
            raise _ov.ConfigError(f"policy '{spec}': '{value}' is not a number") from None
        if not math.isfinite(number):
            raise _ov.ConfigError(f"policy '{spec}': '{value}' is not a finite number")
        params[key] = number
    if len(seen) > 1:
        raise _ov.ConfigError(f"policy '{spec}': choose one of {', '.join(sorted(seen))}")
    return name, params, seen


def _tunable(spec: str) -> Optional["_ov.TunablePolicy"]:
    name, p, flags = _parse(spec)
    if name == "threshold":
        return _ov.threshold_policy(_ov.ThresholdOptions(k=p.get("k", 1.0), c=p.get("c", 0.0),
                                                         min_free=int(p.get("s", 0))))
    if name == "power":
        return _ov.tunable_power_policy(p.get("", p.get("lines", 2.0)))
    if name == "expected_availability":
        o = _ov.ExpectedAvailabilityOptions()
        o.look_ahead_s = p.get("w", o.look_ahead_s)
        return _ov.expected_availability_policy(o)
    if name == "vicidial":
        v = _ov.VicidialOptions()
        if "tapered" in flags:
            v.method = _ov.VicidialDropMethod.TAPERED
        elif "average" in flags:
            v.method = _ov.VicidialDropMethod.AVERAGE
        v.max_level = p.get("max", v.max_level)
        return _ov.vicidial_policy(v)
    return None


def make_policy(spec: PolicySpec, simulation: "_ov.Simulation", campaign: "_ov.CampaignConfig"):
    """A pacing policy from its bench name (as the CLI's make_bench_policy) or a callable
    ``(simulation) -> PacingPolicy``. Raises ConfigError naming an unknown policy, parameter or
    value (``"threshold:q=2"``: unknown parameter 'q')."""
    if callable(spec):
        return spec(simulation)
    if spec.startswith("pi:") or spec == "pi":
        inner = _tunable(spec[3:] if len(spec) > 3 else "threshold")
        if inner is None:
            raise _ov.ConfigError(f"policy '{spec}': pi needs a tunable inner policy "
                                  "(threshold, power, expected_availability, vicidial)")
        return _ov.pi_policy(inner)
    name, p, _ = _parse(spec)
    if name == "progressive":
        return _ov.progressive_policy()
    if name == "predictive":
        return _ov.predictive_policy()
    if name == "open_loop":
        o = _ov.OpenLoopOptions()
        o.rate_per_s = p.get("rate", o.rate_per_s)
        return _ov.open_loop_policy(o)
    if name == "oracle":
        oracle = _ov.OracleOptions()
        oracle.ring_timeout = campaign.ring_timeout
        oracle.amd = campaign.amd
        return _ov.oracle_policy(simulation.simulator, oracle)
    tunable = _tunable(spec)
    assert tunable is not None  # every other name in _PARAMS is tunable
    return tunable


@dataclasses.dataclass
class RunResult:
    """One policy on one seed."""
    policy: str
    seed: int
    occupancy: float
    abandon_rate: float
    talk_min_per_agent_hour: float
    connects_per_hour: float
    attempts: int
    live_answers: int
    abandons: int
    audit_clean: bool


@dataclasses.dataclass
class Summary:
    """Mean and 95 % half-width (Student t) over seeds."""
    mean: float
    half_width: float


def summarize(values: Sequence[float]) -> Summary:
    if not values:
        return Summary(0.0, 0.0)
    mean = sum(values) / len(values)
    if len(values) < 2:
        return Summary(mean, 0.0)
    sd = _stats.stdev(values)
    return Summary(mean, _t95(len(values)) * sd / math.sqrt(len(values)))


def run_once(campaign: "_ov.CampaignFile", policy: PolicySpec, seed: int, hours: float,
             synthetic_contacts: int = 0) -> RunResult:
    """Runs one policy for `hours` of virtual time on `seed` (the CLI's run_once)."""
    world = campaign.simulation
    world.seed = seed
    sim = _ov.Simulation(world, campaign.start)
    engine = sim.engine
    cfg = campaign.campaign
    engine.add_campaign(cfg)
    engine.set_pacing_policy(cfg.id, make_policy(policy, sim, cfg))
    if campaign.contacts_path:
        engine.import_contacts(cfg.id, "main", campaign.contacts_path, campaign.import_options)
    else:
        for i in range(synthetic_contacts):
            engine.add_contact(cfg.id, _ov.Contact(external_id=str(i + 1),
                                                   numbers=[f"+1212{2000000 + i % 7000000}"]))
    sim.add_agents(cfg.id, campaign.agents)
    engine.start_campaign(cfg.id)
    engine.run_for(_dt.timedelta(hours=hours))
    s = engine.statistics(cfg.id)
    agent_hours = s.logged_in_seconds / 3600.0
    audit = engine.audit(cfg.id)
    return RunResult(
        policy=policy if isinstance(policy, str) else getattr(policy, "__name__", "custom"),
        seed=seed, occupancy=s.occupancy, abandon_rate=s.abandon_rate,
        talk_min_per_agent_hour=(s.talk_seconds / 60.0 / agent_hours) if agent_hours else 0.0,
        connects_per_hour=s.connects / hours, attempts=s.attempts,
        live_answers=s.live_answers, abandons=s.abandons, audit_clean=audit.clean)


def bench(campaign: "_ov.CampaignFile", policies: Sequence[PolicySpec], seeds: int = 5,
          hours: float = 8.0, synthetic_contacts: int = 0) -> Dict[str, Dict[str, Summary]]:
    """Every policy on seeds 1..`seeds`; returns {policy: {metric: Summary}} for occupancy,
    abandon_rate, talk_min_per_agent_hour and connects_per_hour."""
    for spec in policies:  # a bad name fails before any run
        if isinstance(spec, str):
            _parse(spec[3:] if spec.startswith("pi:") else "threshold" if spec == "pi" else spec)
    campaign.load_replay()
    table: Dict[str, Dict[str, Summary]] = {}
    for policy in policies:
        runs: List[RunResult] = [run_once(campaign, policy, seed, hours, synthetic_contacts)
                                 for seed in range(1, seeds + 1)]
        key = runs[0].policy
        table[key] = {m: summarize([getattr(r, m) for r in runs])
                      for m in ("occupancy", "abandon_rate", "talk_min_per_agent_hour",
                                "connects_per_hour")}
    return table
