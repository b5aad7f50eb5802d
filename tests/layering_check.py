#!/usr/bin/env python3
"""Checks that every #include in include/ and src/ goes down the parts' dependency graph.

The graph is the one docs/architecture.md ("Parts and layers") draws: a part may include its own
headers and those of the parts it depends on (directly or through them), never a part above it or
beside it. An include that breaks the rule fails this check (ctest `layering.includes`) with the
file, the line and the two parts.

Usage: layering_check.py PROJECT_ROOT
       layering_check.py --self-test   (shows that an upward include is caught)
       layering_check.py --views PROJECT_ROOT   (what each part may include, for the build)

The build uses --views to give each part's CMake target an include path holding only the headers
and source folders of the parts it depends on, so that an upward include also fails to compile.
"""
import os
import re
import sys
import tempfile

# part -> the parts it depends on directly.
DEPENDS = {
    "util": [],
    "base": ["util"],  # types, errors, logging, clocks
    "compliance": ["base"],  # call windows, time zones, profiles, the abandon governor
    "model": ["compliance"],  # contacts, campaigns, attempts, dispositions
    "pacing": ["model"],  # pacing policies, Erlang formulas, the predictive optimum
    "interfaces": ["model"],  # Telephony, EventListener
    "calls": ["interfaces"],  # the call state machine, driven by telephony's events
    "storage": ["model"],  # the Storage interface and its backends, storage URLs
    "amd": ["model"],  # audio (WAV, G.711), answering-machine and fax detection
    "engine": ["pacing", "calls", "storage"],  # engine, queue generator, import
    "audit": ["storage"],  # the after-the-fact compliance audit
    "simulator": ["engine"],  # simulated telephony and agents
    "twilio": ["interfaces", "storage"],  # the Twilio backend (webhook deduplication in storage)
    "sip": ["interfaces", "amd"],  # the SIP backend
    "config": ["engine", "simulator", "amd"],  # campaign files
    "sip_config": ["config", "sip"],  # the SIP backend built from a campaign file's section
    "testing": ["engine"],  # fault injectors, the storage conformance suite
    # the engine's types in plain forms, host callbacks, campaign-file loading: for the C API,
    # the Java facade and the Python module
    "bindings_support": ["config"],
    "capi": ["config", "sip_config", "audit", "sip", "simulator", "bindings_support"],  # the C API
    # `omnivox serve`: the HTTP/JSON API, live events, metrics and page over engines of campaign
    # files, Twilio webhooks on the same listener
    "serve": ["config", "twilio"],
    "cli": ["capi", "serve"],  # the omnivox command-line tool
}

# Public headers (include/omnivox/NAME) -> part.
HEADERS = {
    "types.h": "base",
    "log.h": "base",
    "clock.h": "base",
    "call_window.h": "compliance",
    "compliance.h": "compliance",
    "model.h": "model",
    "call_state_machine.h": "calls",
    "pacing.h": "pacing",
    "policies.h": "pacing",
    "erlang.h": "pacing",
    "optimum.h": "pacing",
    "blending.h": "pacing",
    "telephony.h": "interfaces",
    "event_listener.h": "interfaces",
    "storage.h": "storage",
    "storage_url.h": "storage",
    "sqlite_storage.h": "storage",
    "postgres_storage.h": "storage",
    "amd.h": "amd",
    "engine.h": "engine",
    "queue_generator.h": "engine",
    "import.h": "engine",
    "inbound.h": "engine",
    "audit.h": "audit",
    "sim.h": "simulator",
    "twilio.h": "twilio",
    "twilio_webhook.h": "twilio",
    "sip.h": "sip",
    "config.h": "config",
    "sip_config.h": "sip_config",
    "testing/faults.h": "testing",
    "testing/storage_conformance.h": "testing",
    "omnivox.h": "capi",
    "version.h": "base",  # generated into the build tree from cmake/version.h.in
}

# Source folders (src/FOLDER) -> part; src/core's files are listed one by one below.
FOLDERS = {
    "util": "util",
    "base": "base",
    "model": "model",
    "calls": "calls",
    "engine": "engine",
    "compliance": "compliance",
    "pacing": "pacing",
    "storage": "storage",
    "audio": "amd",
    "amd": "amd",
    "audit": "audit",
    "telephony/sim": "simulator",
    "telephony/twilio": "twilio",
    "telephony/sip": "sip",
    "bindings_support": "bindings_support",
    "capi": "capi",
    "serve": "serve",
    "cli": "cli",
}
CORE_FILES = {
    "input_checks.h": "base",
    "config.cc": "config",
    "config_reader.h": "config",
    "telephony_config.cc": "config",
    "inbound_config.cc": "config",
    "sip_config.cc": "sip_config",
    "sip_loader.h": "sip_config",
    "sip_loader.cc": "sip_config",
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def closure(part, seen=None):
    seen = set() if seen is None else seen
    for dep in DEPENDS[part]:
        if dep not in seen:
            seen.add(dep)
            closure(dep, seen)
    return seen


def part_of_source(rel):
    """rel: path under src/ -> part, or None if unknown."""
    if rel.startswith("core/"):
        return CORE_FILES.get(rel[len("core/"):])
    best = None
    for folder, part in FOLDERS.items():
        if rel.startswith(folder + "/") and (best is None or len(folder) > len(best[0])):
            best = (folder, part)
    return best[1] if best else None


def part_of_include(target, including_dir, root):
    """An #include "target" -> part, or None for headers outside the project."""
    if target.startswith("omnivox/"):
        return HEADERS.get(target[len("omnivox/"):], "?" + target)
    # Internal headers are included relative to src/ ("core/input_checks.h") or to the file.
    for base in (os.path.join(root, "src"), including_dir):
        path = os.path.normpath(os.path.join(base, target))
        if os.path.isfile(path):
            src = os.path.join(root, "src") + os.sep
            if path.startswith(src):
                return part_of_source(path[len(src):])
            return None
    return None


def check(root):
    """Returns the problems found under root (include/omnivox and src)."""
    problems = []
    files = []
    for sub in ("include/omnivox", "src"):
        for dirpath, _, names in os.walk(os.path.join(root, sub)):
            for n in names:
                if n.endswith((".h", ".cc", ".c")):
                    files.append(os.path.join(dirpath, n))
    for path in sorted(files):
        rel = os.path.relpath(path, root)
        if rel.startswith("include/omnivox/"):
            part = HEADERS.get(rel[len("include/omnivox/"):])
        else:
            part = part_of_source(rel[len("src/"):])
        if part is None:
            problems.append(f"{rel}: in no part (add it to tests/layering_check.py)")
            continue
        allowed = closure(part) | {part}
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = part_of_include(m.group(1), os.path.dirname(path), root)
                if target is None:
                    continue
                if target.startswith("?"):
                    problems.append(f"{rel}:{lineno}: includes {target[1:]}, in no part")
                elif target not in allowed:
                    problems.append(
                        f"{rel}:{lineno}: part '{part}' includes {m.group(1)} of part "
                        f"'{target}', which it does not depend on")
    print(f"layering: {len(files)} files checked")
    return problems


def self_test():
    """A tree where the model includes the engine (upward) and the pacing part includes the
    simulator (sideways and up): both must be reported, and a downward include must not."""
    with tempfile.TemporaryDirectory() as root:
        files = {
            "include/omnivox/model.h": '#include "omnivox/engine.h"\n',
            "include/omnivox/engine.h": '#include "omnivox/model.h"\n',
            "src/pacing/policies.cc": '#include "omnivox/sim.h"\n#include "omnivox/types.h"\n',
        }
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                f.write(text)
        problems = check(root)
    expected = ["include/omnivox/model.h:1: part 'model' includes omnivox/engine.h",
                "src/pacing/policies.cc:1: part 'pacing' includes omnivox/sim.h"]
    ok = len(problems) == 2 and all(any(p.startswith(e) for p in problems) for e in expected)
    for p in problems:
        print("found:", p)
    print("layering self-test:", "ok" if ok else "FAILED")
    return 0 if ok else 1


def views(root):
    """Prints "PART:PATH" for every path (relative to root) part PART may include: the public
    headers and src/ folders (or src/core files) of the part and of the parts below it. A public
    header in no part is printed for every part: the check above reports it, the build keeps going.
    """
    mapped = set(HEADERS)
    unmapped = []
    for dirpath, _, names in os.walk(os.path.join(root, "include/omnivox")):
        for n in sorted(names):
            rel = os.path.relpath(os.path.join(dirpath, n), os.path.join(root, "include/omnivox"))
            if n.endswith(".h") and rel not in mapped:
                unmapped.append(rel)
    for part in sorted(DEPENDS):
        allowed = closure(part) | {part}
        paths = ["include/omnivox/" + h for h, p in HEADERS.items() if p in allowed]
        paths += ["include/omnivox/" + h for h in unmapped]
        paths += ["src/" + folder for folder, p in FOLDERS.items() if p in allowed]
        paths += ["src/core/" + f for f, p in CORE_FILES.items() if p in allowed]
        for path in sorted(paths):
            print(f"{part}:{path}")
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--self-test":
        return self_test()
    if len(sys.argv) > 2 and sys.argv[1] == "--views":
        return views(os.path.abspath(sys.argv[2]))
    problems = check(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "."))
    for p in problems:
        print(p)
    print(f"layering: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
