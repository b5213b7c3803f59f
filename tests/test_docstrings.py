"""The examples in the docstrings run and print what they say."""
import doctest
import importlib
import pkgutil

import pytest

import fastal

MODULES = sorted(info.name for info in pkgutil.walk_packages(fastal.__path__, prefix="fastal.")
                 if not info.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name == "fastal.dask":       # an optional extra
        pytest.importorskip("dask")
        pytest.importorskip("distributed")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
