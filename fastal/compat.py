"""Run unchanged libact code on fastal.

After ``fastal.compat.install()``, ``import libact`` and
``from libact.<module> import <name>`` resolve to fastal's modules of the same
path (``libact.query_strategies`` is ``fastal.query_strategies``, ...).

Examples
--------
>>> import fastal.compat
>>> fastal.compat.install()
>>> from libact.base.dataset import Dataset
>>> Dataset.__module__
'fastal.base.dataset'
"""
import importlib
import pkgutil
import sys

import fastal

__all__ = ["install", "uninstall"]
_SKIP = ("fastal.experiment", "fastal.compat")


def _fastal_modules():
    yield "fastal"
    for info in pkgutil.walk_packages(fastal.__path__, prefix="fastal."):
        name = info.name
        if name.startswith(_SKIP) or name.split(".")[-1].startswith("_"):
            continue
        yield name


def install():
    """Alias every public fastal module under the ``libact`` name (idempotent).

    A real libact already imported is left alone and an ImportError raised,
    so the two are never mixed silently.
    """
    existing = sys.modules.get("libact")
    if existing is not None and existing is not fastal:
        raise ImportError("the real libact is already imported; call fastal.compat.install() "
                          "before anything imports libact")
    for name in _fastal_modules():
        module = importlib.import_module(name)
        sys.modules["libact" + name[len("fastal"):]] = module


def uninstall():
    """Remove the ``libact`` aliases installed by :func:`install`."""
    for name in [n for n in sys.modules if n == "libact" or n.startswith("libact.")]:
        if sys.modules[name].__name__.startswith("fastal"):
            del sys.modules[name]
