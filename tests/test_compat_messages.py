"""fastal.compat: what libact code gets for names fastal has and for names it lacks."""
import importlib
import sys

import pytest

import fastal.compat
import fastal.query_strategies
import fastal.query_strategies.multiclass

TABLE = "see the libact compatibility table in fastal's documentation (docs/libact.rst)"


@pytest.fixture
def libact():
    fastal.compat.install()
    try:
        yield sys.modules["libact"]
    finally:
        fastal.compat.uninstall()


def run(statement):
    exec(statement, {})


def test_missing_name_of_a_module_says_fastal_lacks_it(libact):
    with pytest.raises(ImportError) as info:
        run("from libact.query_strategies.multiclass import SomethingMissing")
    message = str(info.value)
    assert "fastal does not provide libact.query_strategies.multiclass.SomethingMissing" in message
    assert "fastal.query_strategies.multiclass has no 'SomethingMissing'" in message
    assert message.endswith(TABLE)
    assert info.value.name == "libact.query_strategies.multiclass"


def test_missing_name_of_a_plain_module(libact):
    with pytest.raises(ImportError, match=r"fastal does not provide libact\.base\.dataset\.Nope"):
        run("from libact.base.dataset import Nope")


def test_missing_name_read_as_an_attribute(libact):
    with pytest.raises(ImportError, match=r"libact\.query_strategies\.NoSuchStrategy") as info:
        run("import libact.query_strategies\nlibact.query_strategies.NoSuchStrategy")
    assert TABLE in str(info.value)


def test_missing_module_says_fastal_lacks_it(libact):
    for statement, module in [
            ("import libact.query_strategies.no_such_module", "libact.query_strategies.no_such_module"),
            ("from libact.query_strategies.no_such_module import Thing",
             "libact.query_strategies.no_such_module"),
            ("import libact.query_strategies._variance_reduction",
             "libact.query_strategies._variance_reduction"),
            ("import libact.no_such_package.inner", "libact.no_such_package")]:
        with pytest.raises(ModuleNotFoundError) as info:
            run(statement)
        assert str(info.value) == f"fastal does not provide the module {module}; {TABLE}"
        assert info.value.name == module


@pytest.mark.parametrize("module", ["libact.experiment", "libact.benchmark"])
def test_fastal_modules_outside_libacts_api_are_not_loaded_again(libact, module):
    # fastal.experiment and fastal.benchmark are fastal's own: no second copy
    # under libact's name
    with pytest.raises(ModuleNotFoundError, match=f"fastal does not provide the module {module}"):
        importlib.import_module(module)
    assert module not in sys.modules


def test_provided_names_are_fastals_objects(libact):
    namespace = {}
    exec("from libact.query_strategies import UncertaintySampling\n"
         "from libact.query_strategies.multiclass import HierarchicalSampling\n"
         "import libact.query_strategies.multiclass as multiclass\n"
         "from libact import query_strategies\n", namespace)
    assert namespace["UncertaintySampling"] is fastal.query_strategies.UncertaintySampling
    assert namespace["HierarchicalSampling"] is \
        fastal.query_strategies.multiclass.HierarchicalSampling
    assert namespace["multiclass"] is sys.modules["libact.query_strategies.multiclass"]
    assert namespace["query_strategies"] is sys.modules["libact.query_strategies"]
    assert namespace["multiclass"].HierarchicalSampling is namespace["HierarchicalSampling"]


def test_star_import_and_dir(libact):
    namespace = {}
    exec("from libact.query_strategies import *", namespace)
    assert namespace["QueryByCommittee"] is fastal.query_strategies.QueryByCommittee
    assert "UncertaintySampling" in dir(sys.modules["libact.query_strategies"])


def test_private_names_stay_attribute_errors(libact):
    module = sys.modules["libact.query_strategies"]
    assert not hasattr(module, "_no_such_helper")
    assert not hasattr(module, "__wrapped__")
    assert getattr(module, "_no_such_helper", None) is None


def test_assigning_through_libact_leaves_fastal_alone(libact):
    module = sys.modules["libact.query_strategies"]
    original = fastal.query_strategies.RandomSampling
    module.RandomSampling = "patched"
    try:
        assert fastal.query_strategies.RandomSampling is original
    finally:
        del module.RandomSampling
    assert module.RandomSampling is original


def test_install_is_idempotent_and_uninstall_removes_everything():
    fastal.compat.install()
    first = sys.modules["libact.models"]
    fastal.compat.install()
    assert sys.modules["libact.models"] is first
    fastal.compat.uninstall()
    assert not [name for name in sys.modules if name.split(".")[0] == "libact"]
    assert not any(isinstance(finder, fastal.compat._MissingLibactModules)
                   for finder in sys.meta_path)
