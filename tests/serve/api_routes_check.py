#!/usr/bin/env python3
"""Checks docs/api.yaml against the server's route table: every path and method of the OpenAPI
document is a route of `omnivox serve` with the same scope (x-scope: public, read or control),
and every route is in the document.

Usage: api_routes_check.py OMNIVOX_BINARY API_YAML
Reads the document's `paths:` block by its indentation (two spaces for a path, four for a
method, six for x-scope), so it needs no YAML package.
"""
import re
import subprocess
import sys

binary, document = sys.argv[1], sys.argv[2]
served = {}
out = subprocess.run([binary, "serve", "--routes"], capture_output=True, text=True, timeout=60,
                     check=True).stdout
for line in out.splitlines():
    method, path, scope = line.split()
    served[(method, path)] = scope

documented = {}
in_paths = False
path = method = None
with open(document, encoding="utf-8") as f:
    for line in f:
        if line.rstrip() == "paths:":
            in_paths = True
            continue
        if in_paths and re.match(r"^\S", line):
            in_paths = False
        if not in_paths:
            continue
        if m := re.match(r"^  (/\S*):\s*$", line):
            path, method = m.group(1), None
        elif m := re.match(r"^    (get|put|post|patch|delete|head|options):\s*$", line):
            method = m.group(1).upper()
            documented[(method, path)] = None
        elif (m := re.match(r"^      x-scope:\s*(\w+)", line)) and method:
            documented[(method, path)] = m.group(1)

problems = []
for key, scope in sorted(served.items()):
    if key not in documented:
        problems.append(f"{key[0]} {key[1]}: served, not in {document}")
    elif documented[key] != scope:
        problems.append(f"{key[0]} {key[1]}: x-scope {documented[key]} in the document, {scope} "
                        "in the server")
for key in sorted(documented):
    if key not in served:
        problems.append(f"{key[0]} {key[1]}: in {document}, not served")
for p in problems:
    print(p)
print(f"api routes: {len(served)} served, {len(documented)} documented, {len(problems)} problems")
sys.exit(1 if problems else 0)
