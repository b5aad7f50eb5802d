"""Omnivox: an embeddable dialler engine, from Python.

The engine runs campaigns: a queue generator picks dialable contacts, a pacing policy decides how
many to dial, telephony places the calls, live answers are bridged to agents, dispositions set
the retry schedule. Everything of the C++ API a host needs is here:

* ``Engine`` over a ``Storage`` (``memory_storage()``, ``sqlite_storage()``), a ``Telephony``
  (yours, subclassing ``omnivox.Telephony``, or the ``Simulator``) and a ``Clock``
  (``VirtualClock`` or ``system_clock()``), with an optional ``EventListener``;
* campaigns (``CampaignConfig``, ``load_campaign_file``, ``parse_campaign_json``), contacts,
  agents, preview / call now, statistics, explain / census;
* pacing policies (``omnivox.policies``), the ``Simulation`` rig, Erlang formulas, the optimum
  solver, and a small research bench (``omnivox.bench``).

Conventions (see docs/bindings-python.md):

* instants are timezone-aware ``datetime`` in UTC; an unset instant is ``None``;
* durations are ``timedelta`` (an ``int``/``float`` is accepted as seconds);
* enums are ``Disposition.NO_ANSWER``-style members named as the C++ ``to_string()``;
* every error is an ``OmnivoxError`` subclass (``ConfigError``, ``NotFoundError``, ...);
* callbacks run on engine threads with the GIL held; an exception in one is recorded
  (``Engine.last_callback_error()``) and logged, and the engine goes on.
"""

from __future__ import annotations

import atexit as _atexit
import os as _os

_data = _os.path.join(_os.path.dirname(__file__), "data")
if _os.path.isfile(_os.path.join(_data, "phone-timezones", "map_data.txt")):
    # An installed, self-contained package ships the phone-prefix time-zone map.
    _os.environ.setdefault("OMNIVOX_DATA_DIR", _data)

from . import _omnivox  # noqa: E402
from . import bench  # noqa: E402,F401
from ._omnivox import *  # noqa: E402,F401,F403
from ._omnivox import (  # noqa: E402
    CampaignFile,
    EngineOptions,
    EventListener,
    Simulation,
    Telephony,
    load_campaign_file,
    parse_campaign_json,
)

__version__ = "0.1.0"

# Stop engine threads before the interpreter finalises (a thread that wants the GIL afterwards
# would hang). Engines closed or collected earlier are not affected.
_atexit.register(_omnivox._stop_all_engines)


class policies:  # noqa: N801  (a namespace, like a module)
    """Pacing policies (pacing.h, policies.h); give one to ``Engine.set_pacing_policy``."""

    progressive = staticmethod(_omnivox.progressive_policy)
    power = staticmethod(_omnivox.power_policy)
    preview = staticmethod(_omnivox.preview_policy)
    predictive = staticmethod(_omnivox.predictive_policy)
    for_campaign = staticmethod(_omnivox.policy_for)
    threshold = staticmethod(_omnivox.threshold_policy)
    tunable_power = staticmethod(_omnivox.tunable_power_policy)
    expected_availability = staticmethod(_omnivox.expected_availability_policy)
    vicidial = staticmethod(_omnivox.vicidial_policy)
    pi = staticmethod(_omnivox.pi_policy)
    open_loop = staticmethod(_omnivox.open_loop_policy)
    oracle = staticmethod(_omnivox.oracle_policy)


def simulation_for(campaign: CampaignFile, listener: EventListener | None = None,
                   engine_options: EngineOptions | None = None) -> Simulation:
    """A ``Simulation`` set up for a campaign file exactly as the C API's
    ``omnivox_simulation_create`` does: the replay world's records loaded (if any), memory storage
    without journal, a virtual clock at ``campaign.start``, the campaign added and
    ``campaign.agents`` agents added and logged in (no agent shift). Import contacts next, e.g.
    ``sim.engine.import_contacts(f.campaign.id, "main", f.contacts_path, f.import_options)``,
    then ``start_campaign`` and ``run_until_done(f.max_duration)``.
    """
    campaign.load_replay()
    sim = Simulation(campaign.simulation, campaign.start,
                     engine_options=engine_options, keep_journal=False, listener=listener)
    sim.engine.add_campaign(campaign.campaign)
    sim.add_agents(campaign.campaign.id, campaign.agents, log_in=True)
    return sim


def _require(module: str, debian: str, what: str):
    """Imports an optional dependency, or raises ImportError saying how to get it."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"omnivox: {what} needs {module}, which is not installed "
                          f"(Debian: apt-get install {debian}; or pip install {module})") from e


def _cell(value):
    # Enums by name, so that a column compares and groups as text.
    return value.name if hasattr(type(value), "__members__") else value


def _row(record) -> dict:
    """The fields of one record (a pybind11 struct or a dataclass) as a flat dict: dict fields
    (CampaignStatistics.dispositions, Contact.attributes) become one column per key,
    ``name.KEY``; a contact's numbers one ';'-separated text; other lists are left out."""
    import dataclasses
    if dataclasses.is_dataclass(record):
        return {k: _cell(v) for k, v in dataclasses.asdict(record).items()}
    row = {}
    for name in dir(type(record)):
        if name.startswith("_") or not isinstance(getattr(type(record), name), property):
            continue
        value = getattr(record, name)
        if name == "attributes" and isinstance(value, list):  # Contact: [(column, value)]
            value = dict(value)
        if isinstance(value, dict):
            for k, v in value.items():
                row[f"{name}.{_cell(k)}"] = _cell(v)
        elif isinstance(value, list):
            if value and hasattr(value[0], "e164"):  # Contact.numbers
                row[name] = ";".join(n.e164 for n in value)
        else:
            row[name] = _cell(value)
    return row


def to_pandas(records):
    """A pandas DataFrame of records, one row each and one column per field: call records
    (``Storage.attempts(campaign_id)``), contacts, a metrics time series (a list of
    ``CampaignStatistics`` taken during a run), bench runs. Enums become their names, instants
    stay timezone-aware datetimes (None: not set), dict fields one column per key. Raises
    ImportError with how to install pandas when it is missing."""
    pd = _require("pandas", "python3-pandas", "to_pandas()")
    return pd.DataFrame.from_records([_row(r) for r in records])


def to_numpy(records, field: str):
    """One numeric field of records as a NumPy float array (``to_numpy(stats, "occupancy")``);
    a None becomes NaN."""
    np = _require("numpy", "python3-numpy", "to_numpy()")
    return np.array([float("nan") if v is None else v
                     for v in (getattr(r, field) for r in records)], dtype=float)


class _ProgressBar:
    """``progress=True`` of a run: a tqdm bar over the run's virtual seconds."""

    def __init__(self, start, end):
        tqdm = _require("tqdm", "python3-tqdm", "progress=True").tqdm
        self._start = start
        total = (end - start).total_seconds() if start is not None and end is not None else 0
        self._bar = tqdm(total=round(total), unit="s", desc="omnivox (virtual s)")

    def __call__(self, now) -> None:
        if now is not None and self._start is not None:
            self._bar.n = min(round((now - self._start).total_seconds()), self._bar.total)
            self._bar.refresh()

    def close(self, reached=None) -> None:
        """Ends the bar at the time the run reached (None: the run raised, left as it is)."""
        self(reached)
        self._bar.close()


_progress_bar = _ProgressBar


def run_campaign_file(path: str, listener: EventListener | None = None):
    """Loads a campaign file, simulates it to the end (as ``simulation_for`` + import into list
    "main" + start + ``run_until_done(max_duration)``) and returns ``(simulation, finished)``."""
    f = load_campaign_file(path)
    sim = simulation_for(f, listener=listener)
    if not f.contacts_path:
        raise ConfigError(f"{path}: no contacts file")  # noqa: F405
    sim.engine.import_contacts(f.campaign.id, "main", f.contacts_path, f.import_options)
    sim.engine.start_campaign(f.campaign.id)
    finished = sim.engine.run_until_done(f.max_duration)
    return sim, finished
