"""Builds the extensions ayslab._ayslab and ayslab._experiments (and the LibTorch plugin, when LibTorch is found) with CMake and
puts both beside the package's .py files (pyproject.toml; docs/python.md). With PyTorch importable in
the build environment, the plugin is built against that PyTorch's own LibTorch, so a model file runs on
the LibTorch of the torch the user imports. Extra CMake arguments: AYSLAB_CMAKE_ARGS (e.g.
"-DAYSLAB_TORCH=OFF")."""
import os
import pathlib
import shlex
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        target_dir = pathlib.Path(self.get_ext_fullpath(ext.name)).resolve().parent
        build = pathlib.Path(self.build_temp).resolve() / "cmake"
        args = [f"-DPython_EXECUTABLE={sys.executable}", "-DAYSLAB_BUILD_TESTS=OFF", "-DAYSLAB_PYTHON=ON",
                "-DCMAKE_BUILD_TYPE=Release"]
        try:
            import torch

            args.append(f"-DCMAKE_PREFIX_PATH={torch.utils.cmake_prefix_path}")
        except ImportError:
            pass
        args += shlex.split(os.environ.get("AYSLAB_CMAKE_ARGS", ""))
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), *args], check=True)
        jobs = str(os.cpu_count() or 2)
        subprocess.run(["cmake", "--build", str(build), "--target", "_ayslab", "_experiments", "-j", jobs], check=True)
        target_dir.mkdir(parents=True, exist_ok=True)
        for built in list((build / "python" / "ayslab").glob("_ayslab*.so")) + list((build / "python" / "ayslab").glob("_experiments*.so")) + list((build / "lib").glob("libayslab_torch*.so")):
            self.copy_file(str(built), str(target_dir / built.name))


setup(
    packages=["ayslab"],
    package_dir={"ayslab": "python/ayslab"},
    ext_modules=[Extension("ayslab._ayslab", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
