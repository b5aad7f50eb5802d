from typing import Callable, Dict, List, Sequence, Union

from ._omnivox import CampaignConfig, CampaignFile, PacingPolicy, Simulation

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
def bench(campaign: CampaignFile, policies: Sequence[PolicySpec], seeds: int = ...,
          hours: float = ..., synthetic_contacts: int = ...) -> Dict[str, Dict[str, Summary]]: ...
