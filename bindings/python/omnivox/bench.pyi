from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from ._omnivox import CampaignConfig, CampaignFile, PacingPolicy, Scenario, Simulation

PolicySpec = Union[str, Callable[[Simulation], PacingPolicy]]

class RunResult:
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

class Summary:
    mean: float
    half_width: float
    def __init__(self, mean: float, half_width: float) -> None: ...

def make_policy(spec: PolicySpec, simulation: Simulation,
                campaign: CampaignConfig) -> PacingPolicy: ...
def summarize(values: Sequence[float]) -> Summary: ...
def run_once(campaign: CampaignFile, policy: PolicySpec, seed: int, hours: float,
             synthetic_contacts: int = ...) -> RunResult: ...
METRICS: tuple[str, ...]

class BenchResult(Dict[str, Dict[str, Summary]]):
    runs: List[RunResult]
    def __init__(self, table: Dict[str, Dict[str, Summary]], runs: List[RunResult]) -> None: ...
    def to_pandas(self, summary: bool = ...) -> Any: ...
    def to_numpy(self, metric: str) -> Any: ...

def bench(campaign: Union[CampaignFile, Scenario],
          policies: Optional[Sequence[PolicySpec]] = ..., seeds: Optional[int] = ...,
          hours: Optional[float] = ..., synthetic_contacts: Optional[int] = ...,
          progress: Optional[Callable[[int, int], object]] = ...) -> BenchResult: ...
