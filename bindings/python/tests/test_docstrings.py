"""Every public class, method, function and property of the package has a docstring (most come
from the C++ headers' comments, see tools/gen_docstrings.py), and help() shows it."""

import pydoc
import re

import omnivox
from omnivox import _omnivox

# A pybind11 signature line ("name(self: X, ...) -> T", "1. name(...)") is not documentation.
SIGNATURE = re.compile(r"^(\d+\.\s*)?\w+\(.*\)(\s*->.*)?$")
# What pybind11 defines on every enum.
ENUM_INTERNALS = {"__doc__", "__members__", "name", "value"}


def has_text(doc):
    lines = [line.strip() for line in (doc or "").splitlines()]
    return any(line and not SIGNATURE.match(line) and line != "Overloaded function."
               for line in lines)


def undocumented_members(cls, path):
    missing = [] if has_text(cls.__doc__) else [path]
    enum = hasattr(cls, "__entries")
    for name, value in vars(cls).items():
        where = f"{path}.{name}"
        if isinstance(value, property):
            if not (enum and name in ENUM_INTERNALS) and not has_text(value.__doc__):
                missing.append(where)
        elif isinstance(value, type):
            if name != "__class__":
                missing.extend(undocumented_members(value, where))
        elif name.startswith("_"):
            continue
        elif isinstance(value, (staticmethod, classmethod)):
            if not has_text(value.__func__.__doc__):
                missing.append(where)
        elif callable(value) and not has_text(value.__doc__):
            missing.append(where)
    return missing


def undocumented(module):
    missing = []
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(value, type):
            if value.__module__.startswith("omnivox"):
                missing.extend(undocumented_members(value, name))
        elif callable(value) and getattr(value, "__module__", "").startswith("omnivox"):
            if not has_text(value.__doc__):
                missing.append(name)
    return missing


def test_extension_fully_documented():
    missing = undocumented(_omnivox)
    assert not missing, f"{len(missing)} without a docstring: {', '.join(missing)}"


def test_package_fully_documented():
    missing = undocumented(omnivox) + undocumented(omnivox.bench)
    assert not missing, f"{len(missing)} without a docstring: {', '.join(missing)}"


def test_header_comments_reach_python():
    # Field comments (with units), method comments, enum value comments, a renamed member.
    assert "compliance window" in omnivox.PacingSnapshot.abandon_rate.__doc__
    assert "whole run so far" in omnivox.CampaignStatistics.abandon_rate.__doc__
    assert "in s" in omnivox.PacingSnapshot.mean_handle_s.__doc__
    assert "virtual time with a virtual clock" in omnivox.Engine.run_for.__doc__
    assert "connected and ended" in omnivox.Disposition.__doc__
    assert "Lagrange multiplier" in omnivox.OptimumResult.lambda_.__doc__
    assert "state left" in omnivox.CallStateChange.from_state.__doc__


def test_binding_text_kept_where_python_specific():
    # The header's text first, then what only Python has to say.
    doc = omnivox.PacingSnapshot.recent_handle_s.__doc__
    assert doc.startswith("Recent handle times")
    doc = omnivox.Engine.run_for.__doc__
    assert doc.index("virtual time") < doc.index("KeyboardInterrupt")


def test_help_shows_docs():
    text = pydoc.render_doc(omnivox.PacingSnapshot, renderer=pydoc.plaintext)
    assert "Mean handle time" in text
