"""Build the compiled kernels of fastal.

The flags depend on the compiler that builds the extensions:

* gcc, clang (Linux, MinGW, LLVM clang on macOS): ``-O3 -fno-math-errno
  -ffp-contract=off`` and OpenMP with ``-fopenmp``;
* MSVC (Windows): ``/O2 /fp:precise`` and OpenMP with ``/openmp``;
* Apple clang, which has no OpenMP runtime of its own: ``-Xpreprocessor
  -fopenmp`` against libomp, found in ``FASTAL_LIBOMP_PREFIX``, ``brew
  --prefix libomp``, Homebrew's usual folders or ``CONDA_PREFIX`` (a prefix
  holding ``include/omp.h`` and ``lib/libomp.dylib``).

``-ffp-contract=off`` (and MSVC's default of no contraction) keeps products
from being fused into sums, so that the compiled kernels give the same bits as
their NumPy twins.

Every OpenMP setting is tried on a small program first (compiled and linked
with the compiler of the build).  When none works, or ``FASTAL_NO_OPENMP=1`` is
set, the extensions are built without OpenMP: the kernels then run on one
thread and ``fastal.show_config()`` prints ``openmp: False``.
"""
import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

try:
    from setuptools.errors import CCompilerError, CompileError, LinkError
except ImportError:  # setuptools < 59
    from distutils.errors import CCompilerError, CompileError, LinkError

KERNELS = ["_openmp", "_density", "_knn", "_maxmin", "_scan", "_sparse", "_hintsvm"]

_OPENMP_PROGRAM = """\
#include <omp.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    return (n > 0 && omp_get_max_threads() > 0) ? 0 : 1;
}
"""
_EMPTY_PROGRAM = "int main(void) { return 0; }\n"


def _say(message):
    print(f"fastal build: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _silenced():
    """Send what the compiler prints (file descriptors 1 and 2) to a scratch file."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _builds(compiler, source, compile_args=(), link_args=(), include_dirs=(),
            library_dirs=(), libraries=()):
    """Whether ``compiler`` compiles and links the C program ``source`` with these settings."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            os.chdir(tmp)
            with open("check.c", "w") as fh:
                fh.write(source)
            with _silenced():
                objects = compiler.compile(["check.c"], include_dirs=list(include_dirs),
                                           extra_postargs=list(compile_args))
                compiler.link_executable(objects, "check", library_dirs=list(library_dirs),
                                         libraries=list(libraries),
                                         extra_postargs=list(link_args))
        except (CCompilerError, CompileError, LinkError, OSError):
            return False
        finally:
            os.chdir(here)
    return True


def _libomp_prefixes():
    """Folders that may hold Homebrew's or conda's libomp (macOS)."""
    for name in ("FASTAL_LIBOMP_PREFIX",):
        if os.environ.get(name):
            yield os.environ[name]
    if shutil.which("brew"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(["brew", "--prefix", "libomp"], capture_output=True,
                                 text=True, timeout=60)
            if out.returncode == 0 and out.stdout.strip():
                yield out.stdout.strip()
    yield "/opt/homebrew/opt/libomp"
    yield "/usr/local/opt/libomp"
    if os.environ.get("CONDA_PREFIX"):
        yield os.environ["CONDA_PREFIX"]


def _openmp_candidates(compiler):
    """``(description, settings)`` to try in order; settings are keyword arguments of Extension."""
    if compiler.compiler_type == "msvc":
        yield "/openmp", dict(extra_compile_args=["/openmp"])
        return
    yield "-fopenmp", dict(extra_compile_args=["-fopenmp"], extra_link_args=["-fopenmp"])
    if sys.platform == "darwin":
        seen = set()
        for prefix in _libomp_prefixes():
            prefix = os.path.realpath(prefix)
            if prefix in seen or not os.path.isfile(os.path.join(prefix, "include", "omp.h")):
                continue
            seen.add(prefix)
            if not glob.glob(os.path.join(prefix, "lib", "libomp.*")):
                continue
            lib = os.path.join(prefix, "lib")
            yield f"libomp in {prefix}", dict(
                extra_compile_args=["-Xpreprocessor", "-fopenmp"],
                include_dirs=[os.path.join(prefix, "include")],
                extra_link_args=["-lomp", f"-L{lib}", f"-Wl,-rpath,{lib}"])


def openmp_settings(compiler):
    """Extension settings that give OpenMP with ``compiler``, or None (built without)."""
    if os.environ.get("FASTAL_NO_OPENMP", "").strip() not in ("", "0"):
        _say("OpenMP disabled (FASTAL_NO_OPENMP is set)")
        return None
    for description, settings in _openmp_candidates(compiler):
        if _builds(compiler, _OPENMP_PROGRAM,
                   compile_args=settings.get("extra_compile_args", ()),
                   link_args=settings.get("extra_link_args", ()),
                   include_dirs=settings.get("include_dirs", ())):
            _say(f"OpenMP enabled ({description})")
            return settings
    hint = " (on macOS: brew install libomp)" if sys.platform == "darwin" else ""
    _say(f"OpenMP disabled: the compiler built no OpenMP program{hint}; "
         "the kernels will run on one thread")
    return None


def base_compile_args(compiler):
    """Optimisation flags; products are never contracted into fused multiply-adds."""
    if compiler.compiler_type == "msvc":
        return ["/O2", "/fp:precise"]
    args = ["-O3", "-fno-math-errno", "-ffp-contract=off"]
    # gcc's note about the vector ABI of the SIMD helpers; other compilers may not know the flag
    if _builds(compiler, _EMPTY_PROGRAM, compile_args=["-Werror", "-Wno-psabi"]):
        args.append("-Wno-psabi")
    return args


class BuildExt(build_ext):
    """build_ext that picks the compiler flags and OpenMP settings for the compiler in use.

    The extensions compile in parallel, one per CPU, unless ``-j N`` or the
    environment variable ``FASTAL_BUILD_JOBS`` says how many at once.
    """

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            jobs = os.environ.get("FASTAL_BUILD_JOBS", "").strip()
            self.parallel = int(jobs) if jobs.isdigit() else (os.cpu_count() or 1)
        if self.parallel <= 1:
            self.parallel = None

    def build_extensions(self):
        compile_args = base_compile_args(self.compiler)
        openmp = openmp_settings(self.compiler) or {}
        for ext in self.extensions:
            ext.extra_compile_args = compile_args + openmp.get("extra_compile_args", [])
            ext.extra_link_args = list(openmp.get("extra_link_args", []))
            ext.include_dirs = list(ext.include_dirs) + openmp.get("include_dirs", [])
        super().build_extensions()


def extensions():
    exts = [
        Extension(
            f"fastal._core.{name}",
            [f"fastal/_core/{name}.pyx"],
            include_dirs=[np.get_include(), "fastal/_core"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
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


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
