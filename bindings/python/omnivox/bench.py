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
    """The mean of `values` and its 95 % confidence half-width (0 for fewer than two)."""
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


METRICS = ("occupancy", "abandon_rate", "talk_min_per_agent_hour", "connects_per_hour")


class BenchResult(Dict[str, Dict[str, Summary]]):
    """What ``bench`` returns: ``{policy: {metric: Summary}}`` (mean and 95 % half-width of
    occupancy, abandon_rate, talk_min_per_agent_hour and connects_per_hour over the seeds) with
    the per-seed runs in ``runs`` (``RunResult``, policy by policy, seed by seed)."""

    def __init__(self, table: Dict[str, Dict[str, Summary]], runs: List[RunResult]):
        super().__init__(table)
        self.runs = runs

    def to_pandas(self, summary: bool = False):
        """The runs as a pandas DataFrame, one row per policy and seed, one column per
        ``RunResult`` field; ``summary=True``: one row per policy with ``METRIC`` and
        ``METRIC_hw`` (the 95 % half-width) columns. ImportError without pandas."""
        from . import _require, to_pandas
        if not summary:
            return to_pandas(self.runs)
        pd = _require("pandas", "python3-pandas", "to_pandas()")
        rows = [dict(policy=p, **{k: v for m, s in table.items()
                                  for k, v in ((m, s.mean), (m + "_hw", s.half_width))})
                for p, table in self.items()]
        return pd.DataFrame.from_records(rows).set_index("policy")

    def to_numpy(self, metric: str):
        """One metric of every run as a NumPy array of shape (policies, seeds), rows in the
        order of ``keys()``."""
        from . import _require
        np = _require("numpy", "python3-numpy", "to_numpy()")
        return np.array([[getattr(r, metric) for r in self.runs if r.policy == p] for p in self],
                        dtype=float)


def bench(campaign: Union["_ov.CampaignFile", "_ov.Scenario"],
          policies: Optional[Sequence[PolicySpec]] = None, seeds: Optional[int] = None,
          hours: Optional[float] = None, synthetic_contacts: Optional[int] = None,
          progress: Optional[Callable[[int, int], object]] = None) -> BenchResult:
    """Every policy on seeds 1..`seeds` (default 5, and 8 hours); returns a ``BenchResult``:
    ``{policy: {metric: Summary}}`` for occupancy, abandon_rate, talk_min_per_agent_hour and
    connects_per_hour, with the per-seed runs in ``.runs``. `campaign` may be a ``Scenario``
    (``omnivox.load_scenario``): its policies, seeds, hours and synthetic contacts are the
    defaults. `progress`: a callable(runs done, runs in all) called after each run."""
    if isinstance(campaign, _ov.Scenario):
        scenario = campaign
        campaign = scenario.file
        policies = list(scenario.policies) if policies is None else policies
        seeds = scenario.seeds if seeds is None else seeds
        hours = scenario.hours if hours is None else hours
        if synthetic_contacts is None:
            synthetic_contacts = int(scenario.contacts)
    if policies is None:
        raise TypeError("bench: give the policies (or a Scenario)")
    seeds = 5 if seeds is None else seeds
    hours = 8.0 if hours is None else hours
    synthetic_contacts = synthetic_contacts or 0
    for spec in policies:  # a bad name fails before any run
        if isinstance(spec, str):
            _parse(spec[3:] if spec.startswith("pi:") else "threshold" if spec == "pi" else spec)
    campaign.load_replay()
    table: Dict[str, Dict[str, Summary]] = {}
    all_runs: List[RunResult] = []
    for policy in policies:
        runs: List[RunResult] = []
        for seed in range(1, seeds + 1):
            runs.append(run_once(campaign, policy, seed, hours, synthetic_contacts))
            if progress is not None:
                progress(len(all_runs) + len(runs), len(policies) * seeds)
        table[runs[0].policy] = {m: summarize([getattr(r, m) for r in runs]) for m in METRICS}
        all_runs += runs
    return BenchResult(table, all_runs)
