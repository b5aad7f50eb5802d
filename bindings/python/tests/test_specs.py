"""Strict parsing of the bench's policy specs and of distributions: a typo is an error naming it,
never a run with defaults."""

import pytest

import omnivox
from omnivox import bench

CAMPAIGN = '{"id": "s", "agents": 2, "start": "2026-05-04T13:00:00Z"}'


def make(spec):
    f = omnivox.parse_campaign_json(CAMPAIGN)
    sim = omnivox.Simulation(f.simulation, f.start)
    return bench.make_policy(spec, sim, f.campaign)


@pytest.mark.parametrize("spec, message", [
    ("threshold:q=2", "unknown parameter 'q' (threshold takes k, c, s)"),
    ("threshold:k=1.2,k=1.3", "parameter 'k' given twice"),
    ("threshold:k=abc", "'abc' is not a number"),
    ("threshold:k=nan", "not a finite number"),
    ("progressive:2", "unknown value '2' (progressive takes no parameters)"),
    ("power:lines=2,x=1", "unknown parameter 'x'"),
    ("vicidial:fast", "unknown value 'fast'"),
    ("vicidial:tapered,average", "choose one of average, tapered"),
    ("pi:threshold:z=1", "unknown parameter 'z'"),
    ("pi:progressive", "pi needs a tunable inner policy"),
    ("thresold", "unknown policy 'thresold'"),
])
def test_a_bad_policy_spec_is_an_error_naming_it(spec, message):
    with pytest.raises(omnivox.ConfigError) as info:
        make(spec)
    assert message in str(info.value)


def test_bench_rejects_a_bad_spec_before_running():
    f = omnivox.parse_campaign_json(CAMPAIGN)
    with pytest.raises(omnivox.ConfigError, match="unknown parameter 'q'"):
        bench.bench(f, ["progressive", "threshold:q=2"], seeds=1, hours=100)


@pytest.mark.parametrize("spec, name", [
    ("progressive", "progressive"), ("power:2", "power"), ("power:lines=1.5", "power"),
    ("threshold:k=1.3,c=0.5,s=1", "threshold"), ("expected_availability:w=20", "expected"),
    ("vicidial:tapered,max=3", "vicidial"), ("vicidial", "vicidial"), ("pi", "pi"),
    ("pi:power:2", "pi"), ("open_loop:rate=0.5", "open"), ("predictive", "predictive"),
    ("oracle", "oracle"),
])
def test_good_specs_still_build(spec, name):
    assert name in make(spec).name().lower().replace("-", "_")


@pytest.mark.parametrize("make_distribution", [
    lambda: omnivox.Distribution.exponential(-1),
    lambda: omnivox.Distribution.fixed(float("inf")),
    lambda: omnivox.Distribution.lognormal(30, -1),
    lambda: omnivox.Distribution.empirical([]),
    lambda: omnivox.Distribution.empirical([3, -2]),
    lambda: omnivox.Distribution.exponential(1e9),
])
def test_a_bad_distribution_is_rejected(make_distribution):
    with pytest.raises(omnivox.InvalidArgumentError, match="Distribution"):
        make_distribution()


def test_good_distributions():
    assert omnivox.Distribution.exponential(30).mean() == 30
    assert omnivox.Distribution.fixed(0).mean() == 0
    assert omnivox.Distribution.empirical([1, 3]).mean() == 2
