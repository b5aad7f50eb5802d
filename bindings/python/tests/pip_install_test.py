#!/usr/bin/python3
"""ctest python.pip_install: the documented pip route, offline. A fresh venv of /usr/bin/python3
(--system-site-packages, for Debian's setuptools and wheel), `pip install --no-build-isolation
--no-index` of a copy of bindings/python reusing the build directory (OMNIVOX_BUILD_DIR), then
`import omnivox` from the venv, away from both trees, running a tiny simulation (which needs the
packaged libomnivox and time-zone data).

    pip_install_test.py --source bindings/python --build-dir build --work SCRATCH
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys

SMOKE = pathlib.Path(__file__).resolve().parent / "installed_smoke.py"


def run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True, type=pathlib.Path)
    ap.add_argument("--build-dir", required=True, type=pathlib.Path)
    ap.add_argument("--work", required=True, type=pathlib.Path)
    args = ap.parse_args()
    work = args.work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # A copy, so that the build leaves nothing (build/, *.egg-info) in the source tree.
    src = work / "src"
    shutil.copytree(args.source, src,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = work / "venv"
    run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", venv])
    python = venv / "bin" / "python"
    env = dict(os.environ)
    for key in ("PYTHONPATH", "OMNIVOX_DATA_DIR", "PIP_REQUIRE_VIRTUALENV"):
        env.pop(key, None)
    env["OMNIVOX_BUILD_DIR"] = str(args.build_dir.resolve())
    env["PIP_NO_INPUT"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    run([python, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-cache-dir",
         src], env=env, cwd=work)
    env.pop("OMNIVOX_BUILD_DIR")
    run([python, SMOKE, venv], env=env, cwd=work)
    shutil.rmtree(work, ignore_errors=True)  # a venv with a 50 MB wheel installed
    return 0


if __name__ == "__main__":
    sys.exit(main())
