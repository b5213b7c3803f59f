"""Run unchanged libact code on fastal.

After ``fastal.compat.install()``, ``import libact`` and
``from libact.<module> import <name>`` resolve to fastal's modules of the same
path (``libact.query_strategies`` stands for ``fastal.query_strategies``, ...):
every name imported through ``libact`` is fastal's own object.

A libact module or name that fastal does not provide raises an ImportError
that says so and points to the libact compatibility table of the
documentation, instead of Python's bare "cannot import name".

Examples
--------
>>> import fastal.compat
>>> fastal.compat.install()
>>> from libact.base.dataset import Dataset
>>> Dataset.__module__
'fastal.base.dataset'
"""
import importlib
import importlib.abc
import pkgutil
import sys
import types

import fastal

__all__ = ["install", "uninstall"]
_SKIP = ("fastal.experiment", "fastal.benchmark", "fastal.compat", "fastal.dask")
_SEE_TABLE = ("see the libact compatibility table in fastal's documentation "
              "(docs/libact.rst)")


def _fastal_modules():
    yield "fastal"
    for info in pkgutil.walk_packages(fastal.__path__, prefix="fastal."):
        name = info.name
        if name.startswith(_SKIP) or name.split(".")[-1].startswith("_"):
            continue
        yield name


def _libact_name(fastal_name):
    return "libact" + fastal_name[len("fastal"):]


class _LibactModule(types.ModuleType):
    """``libact.<path>``: the fastal module of the same path under libact's name.

    Reading an attribute reads the fastal module's (a submodule comes back as
    its own libact alias); a public name the fastal module lacks raises an
    ImportError that names it and points to the compatibility table.
    Assigning an attribute changes this alias only, as patching a name where
    it is imported does.
    """

    def __init__(self, name, target):
        super().__init__(name, target.__doc__)
        self._fastal_module = target
        for key in ("__file__", "__path__"):      # where Python's own messages say it lives
            if hasattr(target, key):
                setattr(self, key, getattr(target, key))

    def __getattr__(self, name):
        target = self.__dict__["_fastal_module"]
        try:
            value = getattr(target, name)
        except AttributeError:
            if name == "__all__":        # ``import *`` of a module without __all__
                return [n for n in dir(target) if not n.startswith("_")]
            if name.startswith("_"):
                raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") \
                    from None
            raise ImportError(f"fastal does not provide {self.__name__}.{name} "
                              f"({target.__name__} has no {name!r}); {_SEE_TABLE}",
                              name=self.__name__) from None
        if isinstance(value, types.ModuleType):
            alias = sys.modules.get(_libact_name(value.__name__))
            if isinstance(alias, _LibactModule) and alias._fastal_module is value:
                return alias
        return value

    def __dir__(self):
        return sorted(set(dir(self._fastal_module)) | set(self.__dict__) - {"_fastal_module"})

    def __repr__(self):
        return f"<module {self.__name__!r} (fastal's {self._fastal_module.__name__!r})>"


class _MissingLibactModules(importlib.abc.MetaPathFinder):
    """Answers every ``libact`` module that ``install`` did not alias with an ImportError."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "libact" or fullname.startswith("libact."):
            raise ModuleNotFoundError(f"fastal does not provide the module {fullname}; "
                                      f"{_SEE_TABLE}", name=fullname)
        return None


_FINDER = _MissingLibactModules()


def install():
    """Alias every public fastal module under the ``libact`` name (idempotent).

    A real libact already imported is left alone and an ImportError raised,
    so the two are never mixed silently.  Afterwards, importing a libact
    module or name that fastal does not provide raises an ImportError saying
    so (``ModuleNotFoundError`` for a module).
    """
    existing = sys.modules.get("libact")
    if existing is not None and not isinstance(existing, _LibactModule):
        raise ImportError("the real libact is already imported; call fastal.compat.install() "
                          "before anything imports libact")
    for name in _fastal_modules():
        module = importlib.import_module(name)
        alias = sys.modules.get(_libact_name(name))
        if not (isinstance(alias, _LibactModule) and alias._fastal_module is module):
            sys.modules[_libact_name(name)] = _LibactModule(_libact_name(name), module)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall():
    """Remove the ``libact`` aliases installed by :func:`install`."""
    for name in [n for n in sys.modules if n == "libact" or n.startswith("libact.")]:
        if isinstance(sys.modules[name], _LibactModule):
            del sys.modules[name]
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
