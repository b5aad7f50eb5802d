"""Values, configuration, errors, planning maths and policies."""

import datetime as dt
import math
import pickle

import pytest

import omnivox
from conftest import BANK_JSON, MONDAY_9, UTC


def test_enums_are_named_as_cpp_to_string():
    assert omnivox.Disposition.NO_ANSWER.name == "NO_ANSWER"
    assert omnivox.Disposition.DNC.name == "DNC"
    assert omnivox.CallState.BRIDGED.rank == 5
    assert omnivox.CallState.NO_ANSWER.is_terminal
    assert omnivox.AgentState.WRAP_UP.name == "WRAP_UP"
    assert omnivox.CallEventKind.NO_ANSWER.ends_call
    assert not omnivox.CallEventKind.RINGING.ends_call
    assert omnivox.Disposition.SALE.is_agent_disposition
    assert omnivox.ContactStatus.EXHAUSTED.is_final
    assert len(omnivox.Ineligibility.__members__) == 13
    assert omnivox.disposition_from_string("SALE") == omnivox.Disposition.SALE
    assert omnivox.disposition_from_string("nope") is None


def test_times_are_aware_utc_datetimes_and_durations_timedeltas():
    t = omnivox.parse_utc("2026-05-04T10:00:00.250+02:00")
    assert t == dt.datetime(2026, 5, 4, 8, 0, 0, 250000, tzinfo=UTC)
    assert t.tzinfo is not None
    assert omnivox.format_utc(t) == "2026-05-04T08:00:00.250Z"
    assert omnivox.format_utc(dt.datetime(1969, 12, 31, 23, 59, 59, 1000, tzinfo=UTC)) \
        == "1969-12-31T23:59:59.001Z"
    with pytest.raises(omnivox.InvalidArgumentError, match="naive"):
        omnivox.format_utc(dt.datetime(2026, 5, 4))
    c = omnivox.CampaignConfig()
    assert c.ring_timeout == dt.timedelta(seconds=25)
    c.ring_timeout = 30  # seconds
    assert c.ring_timeout == dt.timedelta(seconds=30)
    c.hold_window = dt.timedelta(milliseconds=1500)
    assert c.hold_window.total_seconds() == 1.5
    with pytest.raises(TypeError):
        c.ring_timeout = "25s"
    a = omnivox.Attempt()
    assert a.ended_at is None and a.ended_at_ms == 0
    a.ended_at = MONDAY_9
    assert a.ended_at_ms == int(MONDAY_9.timestamp() * 1000)


def test_campaign_config_fields_round_trip():
    c = omnivox.CampaignConfig()
    assert c.id == "default" and c.dial_mode == omnivox.DialMode.PROGRESSIVE
    c.caller_ids = ["+15550100001", "+15550100002"]
    assert c.caller_ids == ["+15550100001", "+15550100002"]
    rules = c.retry_rules
    assert rules[omnivox.Disposition.BUSY].delay == dt.timedelta(minutes=10)
    rules[omnivox.Disposition.FAX] = omnivox.RetryRule(final=True)
    c.retry_rules = rules
    assert c.retry_rules[omnivox.Disposition.FAX].final
    c.compliance = omnivox.ComplianceProfile.uk_ofcom()
    assert c.compliance.name.startswith("UK")
    assert omnivox.ComplianceProfile.by_name("nope") is None
    w = omnivox.CallWindow.every_day(9 * 60, 17 * 60)
    assert w.by_weekday[1].start_minute == 540
    assert omnivox.LocalTimeRange.parse("08:30-12:00").end_minute == 720


def test_campaign_file_from_file_and_text():
    f = omnivox.load_campaign_file(str(BANK_JSON))
    assert f.campaign.id == "bank"
    assert f.agents == 50
    assert f.start == dt.datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    assert f.campaign.compliance.abandon_cap == pytest.approx(0.03)
    assert f.simulation.replay is not None
    assert f.contacts_path.endswith("bank-full.csv")
    assert f.import_options.default_region == "PT"
    g = omnivox.parse_campaign_json('{"id": "x", "dial_mode": "POWER", "agents": 3}', ".")
    assert g.campaign.dial_mode == omnivox.DialMode.POWER and g.agents == 3
    with pytest.raises(omnivox.ConfigError, match="dial_mode"):
        omnivox.parse_campaign_json('{"dial_mode": "TURBO"}')
    with pytest.raises(omnivox.IoError):
        omnivox.load_campaign_file("/nonexistent/campaign.json")
    with pytest.raises(omnivox.ConfigError):
        omnivox.parse_campaign_json("{not json")


def test_error_hierarchy():
    assert issubclass(omnivox.ConfigError, omnivox.OmnivoxError)
    assert issubclass(omnivox.InvalidArgumentError, ValueError)
    assert issubclass(omnivox.NotFoundError, LookupError)
    assert issubclass(omnivox.StateError, RuntimeError)
    assert issubclass(omnivox.IoError, OSError)
    assert issubclass(omnivox.StorageError, omnivox.OmnivoxError)
    assert issubclass(omnivox.CallbackError, omnivox.OmnivoxError)


def test_erlang_functions():
    assert omnivox.erlang_b(15, 8.108) == pytest.approx(0.01, rel=1e-3)
    assert omnivox.erlang_b_offered_traffic(15, 0.01) == pytest.approx(8.108, rel=1e-3)
    assert omnivox.erlang_b_lines(8.108, 0.01) == 15
    r = omnivox.erlang_c(360, 1800, 240, 55, 20)
    assert r.p_wait == pytest.approx(0.2387, abs=1e-3)
    assert r.service_level == pytest.approx(0.8668, abs=1e-3)
    assert omnivox.erlang_c_agents(360, 1800, 240, 20, 0.8) <= 55
    a = omnivox.erlang_a(omnivox.ErlangAInput(calls=100, interval_s=1800, aht_s=180,
                                              patience_s=300, agents=14))
    assert a.p_wait == pytest.approx(0.14526, abs=1e-4)
    assert a.p_abandon == pytest.approx(0.013984, abs=1e-5)
    inf = omnivox.erlang_a(omnivox.ErlangAInput(calls=100, agents=14, patience_s=math.inf))
    assert inf.p_abandon == 0
    with pytest.raises(omnivox.InvalidArgumentError):
        omnivox.erlang_b(-1, 2.0)


def test_optimum_solver():
    r = omnivox.solve_optimum(omnivox.OptimumModel(agents=5, p_live=0.3, abandon_cap=0.03))
    assert 0 < r.occupancy < 1
    assert r.abandon_rate <= 0.03 + 1e-9
    assert len(r.feasible_target) == 6
    model = omnivox.OptimumModel(agents=5, p_live=0.3, max_in_flight=r.max_in_flight)
    stats = omnivox.evaluate_threshold_policy(model, r.feasible_target)
    assert stats.occupancy == pytest.approx(r.feasible.occupancy, rel=1e-6)
    with pytest.raises(omnivox.InvalidArgumentError):
        omnivox.solve_optimum(omnivox.OptimumModel(agents=0))


def test_optimum_with_a_hold_window():
    stylised = omnivox.solve_optimum(omnivox.OptimumModel(agents=5, p_live=0.45))
    model = omnivox.OptimumModel(agents=5, p_live=0.45, hold_window_s=2.0, patience_phases=4)
    assert "hold_window_s=2.0" in repr(model)
    r = omnivox.solve_optimum(model)
    assert r.occupancy > stylised.occupancy
    assert r.patience_phases == 4 and r.max_waiting >= 2 and not r.queue_binding
    assert r.feasible.mean_waiting > 0 and r.feasible.queue_full_probability < 1e-6
    assert stylised.patience_phases == 0 and stylised.feasible.mean_waiting == 0
    with pytest.raises(omnivox.InvalidArgumentError, match="hold_window_s"):
        omnivox.solve_optimum(omnivox.OptimumModel(hold_window_s=-1.0))


def _cpp_default(cls):
    """A default-constructed C++ struct, as unpickling builds one before it sets no field."""
    obj = cls.__new__(cls)
    obj.__setstate__({})
    return obj


def _fields(value):
    """A bound struct as {field: value} (nested structs likewise), anything else as it is."""
    if not type(value).__module__.startswith("omnivox"):
        return value
    cls = type(value)
    return {name: _fields(getattr(value, name)) for name in dir(cls)
            if isinstance(getattr(cls, name), property) and getattr(cls, name).fset is not None}


@pytest.mark.parametrize("cls", [omnivox.OptimumModel, omnivox.ErlangAInput,
                                 omnivox.ThresholdOptions, omnivox.RetryRule,
                                 omnivox.ImportOptions, omnivox.AgentSkills])
def test_keyword_defaults_are_the_headers_defaults(cls):
    required = {omnivox.AgentSkills: {"queues": []}}
    from_keywords = _fields(cls(**required.get(cls, {})))
    from_cpp = _fields(_cpp_default(cls))
    assert from_keywords
    for name, value in from_cpp.items():
        assert from_keywords[name] == value, name


@pytest.mark.parametrize("cls", [omnivox.InboundSkill, omnivox.CampaignSkill])
def test_skill_priority_defaults_to_the_headers(cls):
    assert cls("x").priority == _cpp_default(cls).priority


def test_optimum_model_takes_amd_a_handle_cv_and_an_in_flight_limit():
    plain = omnivox.solve_optimum(omnivox.OptimumModel(agents=5, p_live=0.25))
    assert plain.max_classifying == 0 and plain.feasible.machine_results_per_hour == 0

    # AMD: 30 % of attempts answered, 25 % handed to agents, 5 % of machines counted as abandons.
    amd = omnivox.OptimumModel(agents=5, p_live=0.25, amd_mean_s=3.0, answered_share=0.3,
                               counted_abandons_per_machine=0.05)
    assert "amd_mean_s=3.0" in repr(amd)
    r = omnivox.solve_optimum(amd)
    assert r.max_classifying >= 4 and not r.classifying_binding
    assert r.abandon_rate <= 0.03 + 1e-9
    # Targets of ringing calls by calls in classification: entry 0 is nobody classifying.
    assert len(r.feasible_target_by_classifying) == r.max_classifying + 1
    assert r.feasible_target_by_classifying[0] == r.feasible_target
    assert r.infeasible_target_by_classifying[0] == r.infeasible_target
    assert r.feasible_target_by_classifying[2][0] <= r.feasible_target[0]
    for stats in (r.feasible, r.infeasible):
        assert stats.mean_classifying > 0 and stats.classifying_full_probability < 1e-6
        assert stats.machine_results_per_hour == pytest.approx(
            stats.attempts_per_hour * 0.05, rel=1e-6)
        assert stats.abandon_rate == pytest.approx(
            (stats.abandons_per_hour + 0.05 * stats.machine_results_per_hour)
            / stats.live_answers_per_hour, rel=1e-9)
    amd.max_in_flight = r.max_in_flight
    amd.max_classifying = r.max_classifying
    uncounted = pickle.loads(pickle.dumps(amd))
    assert uncounted.answered_share == 0.3 and uncounted.max_classifying == r.max_classifying
    uncounted.counted_abandons_per_machine = 0.0
    counted_stats = omnivox.evaluate_threshold_policy(amd, r.feasible_target)
    uncounted_stats = omnivox.evaluate_threshold_policy(uncounted, r.feasible_target)
    assert counted_stats.occupancy == pytest.approx(uncounted_stats.occupancy, rel=1e-12)
    assert counted_stats.abandon_rate > uncounted_stats.abandon_rate + 0.009
    # With a hold window a person classified while every agent is busy waits for one.
    held = omnivox.solve_optimum(omnivox.OptimumModel(
        agents=5, p_live=0.25, amd_mean_s=3.0, answered_share=0.3,
        counted_abandons_per_machine=0.05, hold_window_s=2.0, patience_phases=2))
    assert held.max_waiting > 0 and held.feasible.mean_waiting > 0
    assert held.occupancy > r.occupancy and held.abandon_rate <= 0.03 + 1e-9
    with pytest.raises(omnivox.InvalidArgumentError, match="handle_cv"):
        omnivox.solve_optimum(omnivox.OptimumModel(amd_mean_s=3.0, hold_window_s=2.0,
                                                   handle_cv=1.5))

    # A handle time more variable than exponential moves the optimum.
    cv = omnivox.solve_optimum(omnivox.OptimumModel(agents=5, p_live=0.25, handle_cv=1.5))
    assert abs(cv.occupancy - plain.occupancy) > 1e-3
    with pytest.raises(omnivox.InvalidArgumentError, match="handle_cv"):
        omnivox.solve_optimum(omnivox.OptimumModel(handle_cv=0.5))

    # A limit on the attempts in flight (one per busy agent or fewer) costs occupancy.
    limited = omnivox.OptimumModel(agents=5, p_live=0.25, in_flight_limit=[1] * 6)
    assert limited.in_flight_limit == [1] * 6
    assert omnivox.solve_optimum(limited).occupancy < plain.occupancy - 0.05
    limited.in_flight_limit = [1, 2]
    with pytest.raises(omnivox.InvalidArgumentError, match="in_flight_limit"):
        omnivox.solve_optimum(limited)


def test_policies_are_objects():
    p = omnivox.policies.threshold(omnivox.ThresholdOptions(k=1.5))
    assert isinstance(p, omnivox.TunablePolicy)
    assert p.parameter == 1.5
    p.parameter = 100  # clamped
    assert p.parameter == p.parameter_max
    s = omnivox.PacingSnapshot()
    assert (s.calls_classifying, s.classifications_finished, s.mean_classification_s) == (0, 0, 0)
    assert s.hold_window_s == 0
    s.agents_idle, s.agents_logged_in, s.calls_pending, s.calls_classifying = 4, 4, 1, 1
    assert omnivox.policies.progressive().decide(s) == 3
    assert omnivox.policies.power(2.0).decide(s) == 7
    assert omnivox.policies.preview().decide(s) == 0
    assert "pi" in omnivox.policies.pi(omnivox.policies.threshold()).name()
    for make in (omnivox.policies.predictive, omnivox.policies.expected_availability,
                 omnivox.policies.vicidial, omnivox.policies.open_loop):
        assert make().name()
    c = omnivox.CampaignConfig()
    c.dial_mode = omnivox.DialMode.POWER
    assert "power" in omnivox.policies.for_campaign(c).name()
    with pytest.raises(omnivox.ConfigError):
        omnivox.policies.power(50)
    with pytest.raises(TypeError):
        omnivox.policies.pi(omnivox.policies.progressive())


def test_misuse_wrong_enum_and_types_and_strings():
    c = omnivox.CampaignConfig()
    with pytest.raises(TypeError):
        c.dial_mode = 3  # an int is not a DialMode
    with pytest.raises(TypeError):
        c.dial_mode = omnivox.AgentState.AVAILABLE  # another enum
    with pytest.raises(TypeError):
        c.id = b"bytes"  # bytes are refused (could be any encoding)
    with pytest.raises(omnivox.InvalidArgumentError, match="UTF-8"):
        c.id = "bad\udc80surrogate"
    c.id = "caf\u00e9-\U0001F4DE"
    assert c.id == "caf\u00e9-\U0001F4DE"
    with pytest.raises(TypeError):
        omnivox.erlang_b("15", 2.0)
    with pytest.raises(omnivox.InvalidArgumentError):
        omnivox.ImportOptions(delimiter=";;")
