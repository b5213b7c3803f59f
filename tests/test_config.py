import io
import os
import subprocess
import sys

import pytest

import fastal
from fastal import _config, _core


def test_compiled_backend_is_built_and_default():
    assert _core.COMPILED is not None, _core.COMPILED_IMPORT_ERROR
    if os.environ.get("FASTAL_BACKEND", "auto") in ("", "auto", "compiled"):
        assert fastal.get_backend() == "compiled"


def test_show_config_reports_backend_openmp_versions():
    buf = io.StringIO()
    fastal.show_config(file=buf)
    text = buf.getvalue()
    for key in ("fastal 0.1.0", "backend:", "openmp:", "openmp threads:", "numpy:", "scipy:",
                "scikit-learn:"):
        assert key in text
    with fastal.use_backend("compiled"):
        buf = io.StringIO()
        fastal.show_config(file=buf)
        assert "backend: compiled" in buf.getvalue()


def test_use_backend_forces_and_restores():
    before = fastal.get_backend()
    with fastal.use_backend("python"):
        assert fastal.get_backend() == "python"
        assert _config.backend_impl() is _core.PYTHON
    assert fastal.get_backend() == before


def test_env_variable(monkeypatch):
    monkeypatch.setenv("FASTAL_BACKEND", "python")
    assert fastal.get_backend() == "python"
    monkeypatch.setenv("FASTAL_BACKEND", "fortran")
    with pytest.raises(ValueError, match="FASTAL_BACKEND"):
        fastal.get_backend()


def test_missing_extension_is_an_error_only_when_compiled_is_requested(monkeypatch):
    monkeypatch.setattr(_core, "COMPILED", None)
    monkeypatch.setattr(_core, "COMPILED_IMPORT_ERROR", ImportError("not built"))
    monkeypatch.delenv("FASTAL_BACKEND", raising=False)
    assert fastal.get_backend() == "python"          # silent twin for auto
    monkeypatch.setenv("FASTAL_BACKEND", "compiled")
    with pytest.raises(ImportError, match="compiled backend was requested"):
        fastal.get_backend()
    monkeypatch.delenv("FASTAL_BACKEND")
    with pytest.raises(ImportError, match="pip install"):
        with fastal.use_backend("compiled"):
            pass


def test_env_compiled_imports_cleanly_in_a_fresh_interpreter(tmp_path):
    env = dict(os.environ, FASTAL_BACKEND="compiled")
    out = subprocess.run([sys.executable, "-c", "import fastal; print(fastal.get_backend())"],
                         env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "compiled"


def test_n_jobs_resolution():
    cpus = _config.available_cpus()
    assert _config.resolve_n_threads(1) == 1
    assert _config.resolve_n_threads(cpus) == cpus
    assert _config.resolve_n_threads(1000) == cpus          # capped, never 1000 workspaces
    assert 1 <= _config.resolve_n_threads(None) <= cpus
    assert _config.resolve_n_threads(-1) == cpus
    with pytest.raises(ValueError):
        _config.resolve_n_threads(0)
    with pytest.raises(TypeError):
        _config.resolve_n_threads(1.5)


def test_threadpoolctl_limits_openmp_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not _core.openmp_enabled():
        pytest.skip("built without OpenMP")
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert _core.openmp_max_threads() == 1
        assert _config.resolve_n_threads(None) == 1
