"""Builds fastssl's native modules with CMake (and ninja when available).

Environment:
    FASTSSL_CUDA=auto|on|off   build fastssl._C_cuda when nvcc is on PATH (auto), always (on), never (off)
    FASTSSL_BUILD_TYPE         CMake build type, default Release
    CMAKE_ARGS                 extra arguments passed to CMake
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).parent.resolve()


class CMakeExtension(Extension):
    """An extension whose sources are built by the top-level CMakeLists.txt."""

    def __init__(self, name: str):
        super().__init__(name, sources=[])


def build_cuda() -> bool:
    """FASTSSL_CUDA=auto builds the CUDA extension when nvcc is found."""
    choice = os.environ.get("FASTSSL_CUDA", "auto").lower()
    if choice not in ("auto", "on", "off"):
        raise SystemExit(f"FASTSSL_CUDA must be auto, on or off, got {choice!r}")
    if choice == "auto":
        return bool(os.environ.get("CUDACXX") or shutil.which("nvcc"))
    return choice == "on"


class CMakeBuild(build_ext):
    def build_extension(self, ext: CMakeExtension) -> None:
        out_dir = Path(self.get_ext_fullpath(ext.name)).parent.resolve()
        build_dir = Path(self.build_temp).resolve() / "cmake"
        if not getattr(self, "_configured", False):  # once per build, for all extensions
            self._configure(build_dir, out_dir)
            self._configured = True
        target = ext.name.rsplit(".", 1)[-1]
        jobs = str(os.cpu_count() or 2)
        subprocess.run(["cmake", "--build", ".", "--target", target, "--parallel", jobs], cwd=build_dir, check=True)

    def _configure(self, build_dir: Path, out_dir: Path) -> None:
        import pybind11

        build_dir.mkdir(parents=True, exist_ok=True)
        # A cache from an earlier build may point at tools of a deleted isolated build environment.
        (build_dir / "CMakeCache.txt").unlink(missing_ok=True)
        args = [
            f"-DCMAKE_LIBRARY_OUTPUT_DIRECTORY={out_dir}",
            f"-DPython_EXECUTABLE={sys.executable}",
            f"-Dpybind11_DIR={pybind11.get_cmake_dir()}",
            f"-DCMAKE_BUILD_TYPE={os.environ.get('FASTSSL_BUILD_TYPE', 'Release')}",
            f"-DFASTSSL_CUDA={'on' if build_cuda() else 'off'}",
        ]
        if shutil.which("ninja") or _pip_ninja():
            args.append("-GNinja")
        args += os.environ.get("CMAKE_ARGS", "").split()
        subprocess.run(["cmake", str(ROOT), *args], cwd=build_dir, check=True)


def _pip_ninja() -> bool:
    """The `ninja` build requirement puts its binary next to the interpreter."""
    try:
        import ninja

        os.environ["PATH"] = ninja.BIN_DIR + os.pathsep + os.environ["PATH"]
        return True
    except ImportError:
        return False


extensions = [CMakeExtension("fastssl._C")]
if build_cuda():
    extensions.append(CMakeExtension("fastssl._C_cuda"))
setup(ext_modules=extensions, cmdclass={"build_ext": CMakeBuild})
