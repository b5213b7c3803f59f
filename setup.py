"""Build the compiled kernels of fastal.

OpenMP is used when the compiler accepts ``-fopenmp`` (checked by compiling a
tiny program first); otherwise the extensions are built without it and
``fastal.show_config()`` reports ``openmp: False``.
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

KERNELS = ["_openmp", "_density", "_knn", "_maxmin", "_sparse", "_hintsvm"]


def _compiler_accepts_openmp():
    """Return True when the C compiler can build and link an OpenMP program."""
    if os.environ.get("FASTAL_NO_OPENMP"):
        return False
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cc = cc.split()
    if shutil.which(cc[0]) is None:
        return False
    src = "#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "check_openmp.c")
        with open(path, "w") as fh:
            fh.write(src)
        try:
            result = subprocess.run(cc + ["-fopenmp", path, "-o", os.path.join(tmp, "a.out")],
                                    capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return False
        return result.returncode == 0


def extensions():
    openmp = _compiler_accepts_openmp()
    print(f"fastal build: OpenMP {'enabled' if openmp else 'disabled'}", file=sys.stderr)
    compile_args = ["-O3", "-fno-math-errno", "-ffp-contract=off", "-Wno-psabi"]
    link_args = []
    if openmp:
        compile_args.append("-fopenmp")
        link_args.append("-fopenmp")
    exts = [
        Extension(
            f"fastal._core.{name}",
            [f"fastal/_core/{name}.pyx"],
            include_dirs=[np.get_include(), "fastal/_core"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            extra_compile_args=compile_args,
            extra_link_args=link_args,
        )
        for name in KERNELS
    ]
    return cythonize(
        exts,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )


setup(ext_modules=extensions())
