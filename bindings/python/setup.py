"""Builds the omnivox Python package for pip (pyproject.toml names this file's setuptools).

The package is what `cmake --install <build> --component python` installs: the pybind11
extension, libomnivox.so.0 next to it (RPATH $ORIGIN), the pure-Python modules, the stubs and
the phone-prefix time-zone data. This script gets that directory in one of two ways:

* OMNIVOX_BUILD_DIR=<dir>: a configured build directory of the Omnivox tree in which the
  `_omnivox` target is already built (for the same interpreter version); nothing is compiled.
* otherwise: configures and builds the `_omnivox` target of the source tree two levels up with
  CMake (Ninja if available) in setuptools' temporary build directory, Release, tests off.
  OMNIVOX_CMAKE_ARGS adds configure arguments; OMNIVOX_BUILD_JOBS sets the parallel jobs.

It then installs the python component into a staging prefix and copies the package into the
wheel. Errors (no CMake, a build failure, a build directory without the module) stop the build
with CMake's own message.
"""

import os
import pathlib
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
SOURCE_ROOT = HERE.parent.parent


def run(cmd):
    print("omnivox setup.py:", " ".join(shlex.quote(str(c)) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True)


class CMakeBuild(build_ext):
    """Builds (or reuses) the CMake build and copies the installed package into build_lib."""

    def build_extension(self, ext):
        temp = pathlib.Path(self.build_temp).resolve()
        given = os.environ.get("OMNIVOX_BUILD_DIR")
        if given:
            build = pathlib.Path(given).resolve()
            if not (build / "CMakeCache.txt").is_file():
                sys.exit(f"OMNIVOX_BUILD_DIR={given}: not a configured CMake build directory")
            if not list((build / "bindings" / "python" / "omnivox").glob("_omnivox*.so")):
                sys.exit(f"OMNIVOX_BUILD_DIR={given}: the _omnivox module is not built there "
                         "(cmake --build <dir> --target _omnivox)")
        else:
            if not (SOURCE_ROOT / "CMakeLists.txt").is_file():
                sys.exit(f"{SOURCE_ROOT}: not the Omnivox source tree; set OMNIVOX_BUILD_DIR")
            build = temp / "cmake"
            configure = ["cmake", "-S", SOURCE_ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                         "-DBUILD_TESTING=OFF", f"-DPython3_EXECUTABLE={sys.executable}"]
            if shutil.which("ninja"):
                configure += ["-G", "Ninja"]
            configure += shlex.split(os.environ.get("OMNIVOX_CMAKE_ARGS", ""))
            run(configure)
            jobs = os.environ.get("OMNIVOX_BUILD_JOBS", str(os.cpu_count() or 1))
            run(["cmake", "--build", build, "--target", "_omnivox", "-j", jobs])
        stage = temp / "stage"
        shutil.rmtree(stage, ignore_errors=True)
        run(["cmake", "--install", build, "--component", "python", "--prefix", stage])
        packages = [p.parent for p in stage.rglob("omnivox/__init__.py")]
        if len(packages) != 1:
            sys.exit(f"cmake --install gave {len(packages)} omnivox packages under {stage}")
        target = pathlib.Path(self.get_ext_fullpath(ext.name)).parent
        shutil.copytree(packages[0], target, dirs_exist_ok=True)


setup(
    packages=["omnivox"],
    package_data={"omnivox": ["*.pyi", "py.typed"]},
    ext_modules=[Extension("omnivox._omnivox", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
