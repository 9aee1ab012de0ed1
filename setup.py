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


def cuda_choice() -> str:
    choice = os.environ.get("FASTSSL_CUDA", "auto").lower()
    if choice not in ("auto", "on", "off"):
        raise SystemExit(f"FASTSSL_CUDA must be auto, on or off, got {choice!r}")
    return choice


def may_build_cuda() -> bool:
    """Whether to declare fastssl._C_cuda; with auto, CMake still drops it if nvcc does not work."""
    choice = cuda_choice()
    return choice == "on" or (choice == "auto" and bool(os.environ.get("CUDACXX") or shutil.which("nvcc")))


class CMakeBuild(build_ext):
    def build_extensions(self) -> None:
        # Configure once for all extensions (here, where the output folder is final:
        # editable installs build out of place first); drop the CUDA one when CMake
        # could not use nvcc (FASTSSL_CUDA=auto), so that the CPU module still installs.
        out_dir = Path(self.get_ext_fullpath("fastssl._C")).parent.resolve()
        self._build_dir = Path(self.build_temp).resolve() / "cmake"
        self._configure(self._build_dir, out_dir)
        cache = (self._build_dir / "CMakeCache.txt").read_text()
        if "FASTSSL_CUDA_BUILT:INTERNAL=ON" not in cache:
            self.extensions = [ext for ext in self.extensions if ext.name != "fastssl._C_cuda"]
        super().build_extensions()

    def build_extension(self, ext: CMakeExtension) -> None:
        target = ext.name.rsplit(".", 1)[-1]
        build_dir = self._build_dir
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
            f"-DFASTSSL_CUDA={cuda_choice()}",
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
if may_build_cuda():
    extensions.append(CMakeExtension("fastssl._C_cuda"))
setup(ext_modules=extensions, cmdclass={"build_ext": CMakeBuild})
